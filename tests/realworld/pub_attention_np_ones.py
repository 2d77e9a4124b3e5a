# tflint-vars real-world corpus (tests/realworld): A feature-wise attention weight from np.ones (float64) in build, trainable=self.trainable.
# Pattern modelled on (not named by the index; found with `search` for an attention layer); rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import numpy as np
import tensorflow as tf


class AttentionLayer(tf.keras.layers.Layer):
    def __init__(self, init_vals=None, **kwargs):
        super().__init__(**kwargs)
        self.init_vals = init_vals

    def build(self, input_shape):
        self.w = tf.Variable(initial_value=np.ones(shape=(1, input_shape[-1])), trainable=self.trainable)

    def call(self, inputs):
        return tf.multiply(inputs, tf.cast(self.w, inputs.dtype))
