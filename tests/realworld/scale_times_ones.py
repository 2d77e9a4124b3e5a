# tflint-vars real-world corpus (tests/realworld): A constant times tf.ones(n), the constant from a constructor argument.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class LayerScale(tf.keras.layers.Layer):
    def __init__(self, dim, init_value=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.gamma = tf.Variable(init_value * tf.ones(dim), name="gamma")

    def call(self, x):
        return x * self.gamma
