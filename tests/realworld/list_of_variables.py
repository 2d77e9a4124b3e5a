# tflint-vars real-world corpus (tests/realworld): A list comprehension of variables in build.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class ResidualStack(tf.keras.layers.Layer):
    def __init__(self, depth=2, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth

    def build(self, input_shape):
        d = input_shape[-1]
        self.kernels = [tf.Variable(tf.random.normal((d, d)) * 0.1, name=f"kernel_{i}") for i in range(self.depth)]

    def call(self, x):
        for kernel in self.kernels:
            x = x + tf.nn.relu(tf.matmul(x, kernel))
        return x
