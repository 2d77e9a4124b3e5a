# tflint-vars real-world corpus (tests/realworld): tf.random.uniform with limits computed from the fan-in and fan-out.
# Written the way users write Keras layers; no third-party code.
import math
import tensorflow as tf


class XavierDense(tf.keras.layers.Layer):
    def __init__(self, n_in, n_out, **kwargs):
        super().__init__(**kwargs)
        limit = math.sqrt(6.0 / (n_in + n_out))
        self.w = tf.Variable(tf.random.uniform([n_in, n_out], minval=-limit, maxval=limit), name="w")
        self.b = tf.Variable(tf.zeros([n_out]), name="b")

    def call(self, x):
        return tf.matmul(x, self.w) + self.b
