# tflint-vars real-world corpus (tests/realworld): A variable created lazily in call behind `if self.w is None` (TFV002).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class LazyDense(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.w = None

    def call(self, x):
        if self.w is None:
            self.w = tf.Variable(tf.random.normal((x.shape[-1], self.units), stddev=0.1), name="w")
        return tf.matmul(x, self.w)
