# tflint-vars real-world corpus (tests/realworld): A python list as the initial value.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class ChannelWeights(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable([0.5, 1.0, 2.0], name="channel_weights")

    def call(self, x):
        return x * self.w
