# tflint-vars real-world corpus (tests/realworld): Keras 3 imported directly (`import keras`), tf.Variable in build.
# Written the way users write Keras layers; no third-party code.
import keras
import tensorflow as tf


class PReLU(keras.layers.Layer):
    def build(self, input_shape):
        self.alpha = tf.Variable(tf.fill((input_shape[-1],), 0.25), name="alpha")

    def call(self, x):
        return tf.maximum(x, 0.0) + self.alpha * tf.minimum(x, 0.0)
