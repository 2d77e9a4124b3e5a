# tflint-vars real-world corpus (tests/realworld): Equalized-learning-rate dense: tf.random.normal with a computed stddev, runtime coefficient.
# Pattern modelled on (not named by the index; a StyleGAN2 TF2 port found with `search`); rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import numpy as np
import tensorflow as tf


def runtime_coef(shape, gain, lrmul):
    fan_in = np.prod(shape[:-1])
    he_std = gain / np.sqrt(fan_in)
    return he_std / lrmul, lrmul * he_std


class Dense(tf.keras.layers.Layer):
    def __init__(self, fmaps, gain=1.0, lrmul=1.0, **kwargs):
        super().__init__(**kwargs)
        self.fmaps = fmaps
        self.gain = gain
        self.lrmul = lrmul

    def build(self, input_shape):
        fan_in = np.prod(input_shape[1:])
        weight_shape = [fan_in, self.fmaps]
        init_std, self.runtime_coef = runtime_coef(weight_shape, self.gain, self.lrmul)
        w_init = tf.random.normal(shape=weight_shape, mean=0.0, stddev=init_std)
        self.w = tf.Variable(w_init, name="w", trainable=True)

    def call(self, inputs):
        x = tf.reshape(inputs, [-1, tf.reduce_prod(tf.shape(inputs)[1:])])
        return tf.matmul(x, self.w * self.runtime_coef)
