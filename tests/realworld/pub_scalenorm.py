# tflint-vars real-world corpus (tests/realworld): ScaleNorm: a single learned gain from tf.random_normal_initializer, shape (1,).
# Pattern modelled on (not named by the index; a Reformer TF port found with `find_string`); rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import tensorflow as tf


class ScaleNorm(tf.keras.layers.Layer):
    def __init__(self, emb, eps):
        super(ScaleNorm, self).__init__()
        w_init = tf.random_normal_initializer()
        self.g = tf.Variable(initial_value=w_init(shape=(1,), dtype="float32"), trainable=True)
        self.eps = eps

    def call(self, inputs):
        n = tf.maximum(tf.norm(inputs, axis=-1, keepdims=True), self.eps)
        return inputs / n * self.g
