# tflint-vars real-world corpus (tests/realworld): numpy arrays as initial values (float32 and float64).
# Written the way users write Keras layers; no third-party code.
import numpy as np
import tensorflow as tf


class Affine(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.scale = tf.Variable(np.ones((dim,), dtype=np.float32), name="scale")
        self.shift = tf.Variable(np.zeros(dim, dtype="float32"), name="shift")

    def call(self, x):
        return x * self.scale + self.shift
