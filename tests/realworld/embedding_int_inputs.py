# tflint-vars real-world corpus (tests/realworld): An embedding table looked up with integer inputs.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class TokenEmbedding(tf.keras.layers.Layer):
    def __init__(self, vocab_size, dim, **kwargs):
        super().__init__(**kwargs)
        self.table = tf.Variable(tf.random.uniform((vocab_size, dim), -0.05, 0.05), name="table")

    def call(self, ids):
        return tf.nn.embedding_lookup(self.table, ids)
