# tflint-vars real-world corpus (tests/realworld): tf.fill with a value passed to the constructor.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Threshold(tf.keras.layers.Layer):
    def __init__(self, dim, init=0.3, **kwargs):
        super().__init__(**kwargs)
        self.threshold = tf.Variable(tf.fill([dim], init), name="threshold")

    def call(self, x):
        return tf.nn.relu(x - self.threshold)
