# tflint-vars real-world corpus (tests/realworld): tf.constant(v, shape=...) as the initial value.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Bias(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.b = tf.Variable(tf.constant(0.1, shape=[self.units]), name="b")

    def call(self, x):
        return x + self.b
