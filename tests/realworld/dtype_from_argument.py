# tflint-vars real-world corpus (tests/realworld): tf.zeros with dtype= and tf.Variable with a dtype from the constructor.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Accumulate(tf.keras.layers.Layer):
    def __init__(self, dim, state_dtype=tf.float32, **kwargs):
        super().__init__(**kwargs)
        self.acc = tf.Variable(tf.zeros((dim,), dtype=state_dtype), trainable=False, name="acc")
        self.w = tf.Variable(tf.ones((dim,)), name="w")

    def call(self, x):
        self.acc.assign_add(tf.reduce_sum(x, axis=0))
        return x * self.w
