# tflint-vars real-world corpus (tests/realworld): get_variable in call under the TF1 migration shim track_tf1_style_variables (issue class 6).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class ShimDense(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    @tf.compat.v1.keras.utils.track_tf1_style_variables
    def call(self, x):
        with tf.compat.v1.variable_scope("dense"):
            kernel = tf.compat.v1.get_variable("kernel", shape=[x.shape[-1], self.units])
            bias = tf.compat.v1.get_variable("bias", shape=[self.units], initializer=tf.zeros_initializer())
        return tf.matmul(x, kernel) + bias
