# tflint-vars real-world corpus (tests/realworld): An int32 variable drawn with tf.random.uniform(dtype=tf.int32) (issue class 4).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class NoisyLayer(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed = tf.Variable(tf.random.uniform((), maxval=1000, dtype=tf.int32), trainable=False, name="seed")
        self.scale = tf.Variable(1.0, name="scale")

    def call(self, x):
        return x * self.scale + tf.cast(self.seed, tf.float32) * 0.0
