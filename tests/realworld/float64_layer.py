# tflint-vars real-world corpus (tests/realworld): A layer constructed with dtype=float64 holding float64 variables.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class PreciseScale(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(dtype="float64", **kwargs)
        self.scale = tf.Variable(tf.ones((dim,), dtype=tf.float64), name="scale")
        self.offset = tf.Variable(tf.zeros((dim,), dtype=tf.float64), name="offset")

    def call(self, x):
        return x * self.scale + self.offset
