# tflint-vars real-world corpus (tests/realworld): Single-head attention: kernels and biases as tf.Variable in build.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class SelfAttention(tf.keras.layers.Layer):
    def __init__(self, key_dim, **kwargs):
        super().__init__(**kwargs)
        self.key_dim = key_dim

    def build(self, input_shape):
        d = input_shape[-1]
        init = tf.keras.initializers.GlorotUniform()
        self.wq = tf.Variable(init(shape=(d, self.key_dim)), name="query_kernel")
        self.wk = tf.Variable(init(shape=(d, self.key_dim)), name="key_kernel")
        self.wv = tf.Variable(init(shape=(d, d)), name="value_kernel")
        self.bq = tf.Variable(tf.zeros((self.key_dim,)), name="query_bias")
        self.bk = tf.Variable(tf.zeros((self.key_dim,)), name="key_bias")

    def call(self, x):
        q = tf.einsum("btd,dk->btk", x, self.wq) + self.bq
        k = tf.einsum("btd,dk->btk", x, self.wk) + self.bk
        v = tf.einsum("btd,de->bte", x, self.wv)
        scores = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / self.key_dim ** 0.5)
        return tf.matmul(scores, v)
