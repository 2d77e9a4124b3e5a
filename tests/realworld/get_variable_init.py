# tflint-vars real-world corpus (tests/realworld): get_variable in __init__ with a constant initializer, TF1 import alias.
# Written the way users write Keras layers; no third-party code.
import tensorflow.compat.v1 as tf1
import tensorflow as tf


class Gate(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.gate = tf1.get_variable("gate", shape=[dim], initializer=tf1.constant_initializer(0.5))

    def call(self, x):
        return x * tf.sigmoid(self.gate)
