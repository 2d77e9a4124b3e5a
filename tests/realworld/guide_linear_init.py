# tflint-vars real-world corpus (tests/realworld): TF guide: initializer objects called for the initial value, in __init__.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class Linear(tf.keras.layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        w_init = tf.random_normal_initializer()
        self.w = tf.Variable(initial_value=w_init(shape=(input_dim, units), dtype="float32"), trainable=True)
        b_init = tf.zeros_initializer()
        self.b = tf.Variable(initial_value=b_init(shape=(units,), dtype="float32"), trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b
