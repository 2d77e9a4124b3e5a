# tflint-vars real-world corpus (tests/realworld): tf.eye as the initial value.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Mixer(tf.keras.layers.Layer):
    def build(self, input_shape):
        self.m = tf.Variable(initial_value=tf.eye(input_shape[-1]), name="mixing")

    def call(self, x):
        return tf.matmul(x, self.m)
