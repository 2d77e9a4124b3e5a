# tflint-vars real-world corpus (tests/realworld): Control: an attention layer already on add_weight; nothing to report or change.
# Pattern modelled on yousoo0920/ess-vpp-project, utils/attention.py; rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import tensorflow as tf
from tensorflow.keras.layers import Layer


class Attention(Layer):
    def build(self, input_shape):
        self.W = self.add_weight(name="att_weight", shape=(input_shape[-1], 1), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(name="att_bias", shape=(input_shape[1], 1), initializer="zeros", trainable=True)

    def call(self, inputs):
        e = tf.tanh(tf.tensordot(inputs, self.W, axes=1) + self.b)
        alpha = tf.nn.softmax(e, axis=1)
        return tf.reduce_sum(inputs * alpha, axis=1)
