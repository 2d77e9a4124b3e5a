# tflint-vars real-world corpus (tests/realworld): A scalar with a constraint lambda, in __init__ after super().
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Mix(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.alpha = tf.Variable(0.5, trainable=True, name="alpha", dtype=tf.float32,
                                 constraint=lambda z: tf.clip_by_value(z, 0.0, 1.0))

    def call(self, inputs):
        a, b = inputs
        return self.alpha * a + (1.0 - self.alpha) * b
