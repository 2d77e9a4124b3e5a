# tflint-vars real-world corpus (tests/realworld): Feature weighting layers: zeros_initializer scalar weight, and a tf.constant(1, shape=...) float32 weight.
# Pattern modelled on (not named by the index; found with `find_string`); rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import tensorflow as tf


class weight_avg(tf.keras.layers.Layer):
    def __init__(self):
        super(weight_avg, self).__init__()
        w_init = tf.zeros_initializer()
        self.w = tf.Variable(initial_value=w_init(shape=(1,), dtype="float32"), trainable=True)

    def call(self, inputs):
        return tf.multiply(self.w, inputs) + inputs


class const_weight_avg(tf.keras.layers.Layer):
    def __init__(self, dim_w):
        super(const_weight_avg, self).__init__()
        self.w = tf.Variable(tf.constant(1, shape=(dim_w,), dtype="float32"), trainable=True)

    def call(self, inputs):
        return inputs * self.w
