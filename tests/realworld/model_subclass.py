# tflint-vars real-world corpus (tests/realworld): A keras.Model subclass holding raw variables.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class TinyModel(tf.keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(tf.random.normal((3, 2)), name="w")
        self.b = tf.Variable(tf.zeros((2,)), name="b")

    def call(self, x):
        return tf.matmul(x, self.w) + self.b
