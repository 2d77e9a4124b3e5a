# tflint-vars real-world corpus (tests/realworld): The guide's MyDense: tf.random.normal and tf.ones from in/out features, named w and b.
# Pattern modelled on (not named by the index; found with `search`); rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import tensorflow as tf


class MyDense(tf.keras.layers.Layer):
    def __init__(self, in_features, out_features, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(tf.random.normal([in_features, out_features]), name="w")
        self.b = tf.Variable(tf.ones([out_features]), name="b")

    def call(self, x):
        return tf.matmul(x, self.w) + self.b
