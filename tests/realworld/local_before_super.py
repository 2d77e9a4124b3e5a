# tflint-vars real-world corpus (tests/realworld): A local variable created before super().__init__(), stored after it.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Offset(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        offset = tf.Variable(tf.zeros((dim,)), name="offset")
        super().__init__(**kwargs)
        self.offset = offset

    def call(self, x):
        return x + self.offset
