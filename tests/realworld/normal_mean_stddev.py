# tflint-vars real-world corpus (tests/realworld): tf.random.normal with mean and stddev (BatchNorm-like gamma).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Gamma(tf.keras.layers.Layer):
    def build(self, input_shape):
        self.gamma = tf.Variable(tf.random.normal([input_shape[-1]], mean=1.0, stddev=0.02), name="gamma")

    def call(self, x):
        return x * self.gamma
