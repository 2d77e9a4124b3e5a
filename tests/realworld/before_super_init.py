# tflint-vars real-world corpus (tests/realworld): A variable created before super().__init__() (issue class 5).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Temperature(tf.keras.layers.Layer):
    def __init__(self, initial=1.0, **kwargs):
        self.temperature = tf.Variable(initial, dtype=tf.float32, name="temperature")
        super().__init__(**kwargs)

    def call(self, logits):
        return tf.nn.softmax(logits / self.temperature)
