# tflint-vars real-world corpus (tests/realworld): Metric-like accumulators (total, count) kept in a Layer.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class MeanTracker(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total = tf.Variable(0.0, trainable=False, name="total")
        self.count = tf.Variable(0.0, trainable=False, name="count")
        self.bias = tf.Variable(tf.zeros([3]), name="bias")

    def call(self, x):
        self.total.assign_add(tf.reduce_sum(x))
        self.count.assign_add(tf.cast(tf.size(x), tf.float32))
        return x + self.bias

    def result(self):
        return self.total / tf.maximum(self.count, 1.0)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)
