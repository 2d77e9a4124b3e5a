# tflint-vars real-world corpus (tests/realworld): tf.zeros(units) with a number, not a tuple, as the shape (issue class 1).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Shift(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.shift = tf.Variable(tf.zeros(units), name="shift")

    def call(self, x):
        return x + self.shift
