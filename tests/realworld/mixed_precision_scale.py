# tflint-vars real-world corpus (tests/realworld): A float32 variable in float32 math under a mixed_float16 policy (issue class 8).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class LogitScale(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_scale = tf.Variable(0.0, name="log_scale")

    def call(self, logits):
        scale = tf.exp(self.log_scale * tf.ones((), tf.float32))
        return tf.cast(logits, tf.float32) * scale
