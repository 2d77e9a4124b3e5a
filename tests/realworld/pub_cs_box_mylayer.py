# tflint-vars real-world corpus (tests/realworld): Guide pattern with dtype=tf.float32 objects, weight and bias in __init__.
# Pattern modelled on YHCodes/CS-Box, deep-learning/Master-Keras/Learn_By_Doc/定义网络层.py; rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import tensorflow as tf
from tensorflow.keras import layers


class MyLayer(layers.Layer):
    def __init__(self, input_dim=32, unit=32):
        super(MyLayer, self).__init__()
        w_init = tf.random_normal_initializer()
        self.weight = tf.Variable(initial_value=w_init(shape=(input_dim, unit), dtype=tf.float32), trainable=True)
        b_init = tf.zeros_initializer()
        self.bias = tf.Variable(initial_value=b_init(shape=(unit,), dtype=tf.float32), trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.weight) + self.bias
