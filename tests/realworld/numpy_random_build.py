# tflint-vars real-world corpus (tests/realworld): np.random values in build (float64 array cast with astype).
# Written the way users write Keras layers; no third-party code.
import numpy as np
import tensorflow as tf


class RandomProjection(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        init = (np.random.randn(fan_in, self.units) / np.sqrt(fan_in)).astype("float32")
        self.kernel = tf.Variable(init, name="kernel")

    def call(self, x):
        return tf.matmul(x, self.kernel)
