# tflint-vars real-world corpus (tests/realworld): trainable= taken from a constructor argument.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Scale(tf.keras.layers.Layer):
    def __init__(self, dim, learn_scale=True, **kwargs):
        super().__init__(**kwargs)
        self.scale = tf.Variable(tf.ones(dim), trainable=learn_scale, name="scale")

    def call(self, x):
        return x * self.scale
