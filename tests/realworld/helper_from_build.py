# tflint-vars real-world corpus (tests/realworld): Variables created in a helper method called from build.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class GatedUnit(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def _dense_params(self, fan_in, prefix):
        kernel = tf.Variable(tf.random.normal((fan_in, self.units), stddev=0.1), name=prefix + "_kernel")
        bias = tf.Variable(tf.zeros((self.units,)), name=prefix + "_bias")
        return kernel, bias

    def build(self, input_shape):
        self.wk, self.wb = self._dense_params(input_shape[-1], "value")
        self.gk, self.gb = self._dense_params(input_shape[-1], "gate")

    def call(self, x):
        return (tf.matmul(x, self.wk) + self.wb) * tf.sigmoid(tf.matmul(x, self.gk) + self.gb)
