# tflint-vars real-world corpus (tests/realworld): A custom RNN cell with tf.Variable kernels in build, run by keras.layers.RNN.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class MinimalCell(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = tf.Variable(tf.random.normal((input_shape[-1], self.units), stddev=0.1), name="kernel")
        self.recurrent_kernel = tf.Variable(tf.eye(self.units) * 0.5, name="recurrent_kernel")

    def call(self, inputs, states):
        h = tf.tanh(tf.matmul(inputs, self.kernel) + tf.matmul(states[0], self.recurrent_kernel))
        return h, [h]


class Encoder(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.rnn = tf.keras.layers.RNN(MinimalCell(units))

    def call(self, x):
        return self.rnn(x)
