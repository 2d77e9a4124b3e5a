# tflint-vars real-world corpus (tests/realworld): tf.random.truncated_normal with a stddev in build.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Projection(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = tf.Variable(tf.random.truncated_normal([input_shape[-1], self.units], stddev=0.1), name="w")
        self.b = tf.Variable(tf.constant(0.1, shape=[self.units]), name="b")

    def call(self, x):
        return tf.matmul(x, self.w) + self.b
