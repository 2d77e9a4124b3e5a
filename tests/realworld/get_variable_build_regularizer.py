# tflint-vars real-world corpus (tests/realworld): get_variable in build with an initializer and a regularizer (issue class 10).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class LegacyDense(tf.keras.layers.Layer):
    def __init__(self, units, l2=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.l2 = l2

    def build(self, input_shape):
        self.kernel = tf.compat.v1.get_variable(
            "kernel", shape=[int(input_shape[-1]), self.units],
            initializer=tf.compat.v1.glorot_uniform_initializer(),
            regularizer=tf.keras.regularizers.l2(self.l2))
        self.bias = tf.compat.v1.get_variable("bias", shape=[self.units], initializer=tf.zeros_initializer())

    def call(self, x):
        return tf.matmul(x, self.kernel) + self.bias
