# tflint-vars real-world corpus (tests/realworld): An int64 step counter, non-trainable, incremented in call.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Warmup(tf.keras.layers.Layer):
    def __init__(self, warmup_steps=100, **kwargs):
        super().__init__(**kwargs)
        self.warmup_steps = warmup_steps
        self.step = tf.Variable(0, trainable=False, dtype=tf.int64, name="step")
        self.scale = tf.Variable(1.0, name="scale")

    def call(self, x):
        self.step.assign_add(1)
        ramp = tf.minimum(tf.cast(self.step, tf.float32) / self.warmup_steps, 1.0)
        return x * self.scale * ramp
