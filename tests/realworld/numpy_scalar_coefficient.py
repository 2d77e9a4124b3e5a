# tflint-vars real-world corpus (tests/realworld): A weight scaled by a numpy float64 constant in call (He-style gain).
# Written the way users write Keras layers; no third-party code.
import numpy as np
import tensorflow as tf


class ScaledWeight(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.gain = np.sqrt(2.0 / dim)
        self.w = tf.Variable(tf.ones((dim,)), name="w")

    def call(self, x):
        return x * (self.w * self.gain)
