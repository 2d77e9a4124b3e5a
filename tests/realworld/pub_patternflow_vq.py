# tflint-vars real-world corpus (tests/realworld): VQ-VAE vector quantizer: a uniform codebook in __init__, straight-through estimator, add_loss.
# Pattern modelled on shakes76/PatternFlow, recognition/s4580935/modules.py; rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import tensorflow as tf
from tensorflow.keras import layers


class VectorQuantizer(layers.Layer):
    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.beta = beta
        w_init = tf.random_uniform_initializer()
        self.embeddings = tf.Variable(
            initial_value=w_init(shape=(self.embedding_dim, self.num_embeddings), dtype="float32"),
            trainable=True,
            name="embeddings_vqvae",
        )

    def call(self, x):
        flat = tf.reshape(x, [-1, self.embedding_dim])
        indices = self.code_indices(flat)
        quantized = tf.matmul(tf.one_hot(indices, self.num_embeddings), self.embeddings, transpose_b=True)
        quantized = tf.reshape(quantized, tf.shape(x))
        commitment = tf.reduce_mean((tf.stop_gradient(quantized) - x) ** 2)
        codebook = tf.reduce_mean((quantized - tf.stop_gradient(x)) ** 2)
        self.add_loss(self.beta * commitment + codebook)
        return x + tf.stop_gradient(quantized - x) + 0.0 * quantized

    def code_indices(self, flat):
        similarity = tf.matmul(flat, self.embeddings)
        distances = (tf.reduce_sum(flat ** 2, axis=1, keepdims=True) + tf.reduce_sum(self.embeddings ** 2, axis=0)
                     - 2 * similarity)
        return tf.argmin(distances, axis=1)
