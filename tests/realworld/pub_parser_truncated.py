# tflint-vars real-world corpus (tests/realworld): A parser's embeddings and hidden weights from one TruncatedNormal object, bias from zeros_initializer.
# Pattern modelled on (not named by the index; a dependency-parser course model found with `find_string`); rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import tensorflow as tf
from tensorflow.keras import layers, models


class ParserModel(models.Model):
    def __init__(self, vocab_size, embedding_dim, num_tokens, hidden_dim, num_transitions,
                 trainable_embeddings=True):
        super().__init__()
        self.num_tokens = num_tokens
        self.embedding_dim = embedding_dim
        w_init = tf.initializers.TruncatedNormal()
        self.embeddings = tf.Variable(initial_value=w_init(shape=(vocab_size, embedding_dim)),
                                      trainable=trainable_embeddings)
        self.W1 = tf.Variable(initial_value=w_init(shape=(hidden_dim, embedding_dim * num_tokens)))
        self.W2 = tf.Variable(initial_value=w_init(shape=(num_transitions, hidden_dim)))
        b_init = tf.zeros_initializer()
        self.B1 = tf.Variable(initial_value=b_init(shape=(hidden_dim,)))

    def call(self, inputs):
        embedded = tf.reshape(tf.nn.embedding_lookup(self.embeddings, inputs),
                              [-1, self.num_tokens * self.embedding_dim])
        hidden = tf.pow(tf.matmul(embedded, self.W1, transpose_b=True) + self.B1, 3)
        return tf.matmul(hidden, self.W2, transpose_b=True)
