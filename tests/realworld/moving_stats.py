# tflint-vars real-world corpus (tests/realworld): Non-trainable moving mean/variance updated with assign in call.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class RunningNorm(tf.keras.layers.Layer):
    def __init__(self, momentum=0.9, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def build(self, input_shape):
        d = input_shape[-1]
        self.moving_mean = tf.Variable(tf.zeros([d]), trainable=False, name="moving_mean")
        self.moving_var = tf.Variable(tf.ones([d]), trainable=False, name="moving_var")
        self.gamma = tf.Variable(tf.ones([d]), name="gamma")

    def call(self, x, training=None):
        if training:
            mean, var = tf.nn.moments(x, axes=[0])
            self.moving_mean.assign(self.momentum * self.moving_mean + (1 - self.momentum) * mean)
            self.moving_var.assign(self.momentum * self.moving_var + (1 - self.momentum) * var)
        return self.gamma * (x - self.moving_mean) / tf.sqrt(self.moving_var + 1e-3)
