# tflint-vars real-world corpus (tests/realworld): reset() recreates the state; called from build and again between epochs (issue class 7).
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class EpochMemory(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def reset(self):
        self.memory = tf.Variable(tf.zeros((self.dim,)), trainable=False, name="memory")

    def build(self, input_shape):
        self.scale = tf.Variable(tf.ones((self.dim,)), name="scale")
        self.reset()

    def call(self, x):
        self.memory.assign(0.9 * self.memory + 0.1 * tf.reduce_mean(x, axis=0))
        return x * self.scale + tf.stop_gradient(self.memory)


class ResetMemory(tf.keras.callbacks.Callback):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def on_epoch_begin(self, epoch, logs=None):
        self.layer.reset()


# What the callback does between epochs, run here so the module exercises it: build, then reset.
_layer = EpochMemory(3)
_layer(tf.ones((2, 3)))
ResetMemory(_layer).on_epoch_begin(1)
_layer(tf.ones((2, 3)))
