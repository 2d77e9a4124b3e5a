# tflint-vars real-world corpus (tests/realworld): add_weight lazily in call (TFV006), Keras 2 style.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class LazyBias(tf.keras.layers.Layer):
    def call(self, x):
        if not hasattr(self, "b"):
            self.b = self.add_weight(name="b", shape=(x.shape[-1],), initializer="zeros")
        return x + self.b
