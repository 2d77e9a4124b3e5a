# tflint-vars real-world corpus (tests/realworld): A python float with an explicit dtype, no shape.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Smooth(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.eps = tf.Variable(0.1, dtype=tf.float32, name="eps")

    def call(self, x):
        return (1.0 - self.eps) * x + self.eps / 3.0
