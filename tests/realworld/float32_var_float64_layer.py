# tflint-vars real-world corpus (tests/realworld): A float32 tf.Variable in a layer built with dtype=float64 (issue class 8).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class MixedDtypes(tf.keras.layers.Layer):
    def build(self, input_shape):
        self.w = tf.Variable(tf.random.normal((int(input_shape[-1]),)), name="w")

    def call(self, x):
        return x * tf.cast(self.w, x.dtype)
