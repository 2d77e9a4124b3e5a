# tflint-vars real-world corpus (tests/realworld): Variable names with `/` (issue class 2).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class QueryBias(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.query_bias = tf.Variable(tf.zeros((dim,)), name="attention/query_bias")
        self.key_bias = tf.Variable(tf.zeros((dim,)), name="attention/key_bias")

    def call(self, x):
        q = x + self.query_bias
        k = x + self.key_bias
        return tf.nn.softmax(q * k, axis=-1) * x
