# tflint-vars real-world corpus (tests/realworld): A buffer with shape=tf.TensorShape([None, d]) that grows by assign (issue class 3).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class History(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.history = tf.Variable(tf.zeros((0, dim)), shape=tf.TensorShape([None, dim]), trainable=False,
                                   name="history")
        self.w = tf.Variable(tf.ones((dim,)), name="w")

    def call(self, x):
        self.history.assign(tf.concat([self.history, tf.reduce_mean(x, axis=0, keepdims=True)], axis=0))
        return x * self.w
