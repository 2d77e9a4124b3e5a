# tflint-vars real-world corpus (tests/realworld): A clipped scalar created before super().__init__(), as a learnable physics constant.
# Pattern modelled on (not named by the index; found with `search` for a learnable scalar layer); rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
import tensorflow as tf
from tensorflow.keras.layers import Layer


class AlphasLayer(Layer):
    def __init__(self, **kwargs):
        self.alphas = tf.Variable(
            initial_value=0.118,
            trainable=True,
            name="alphas",
            dtype=tf.float32,
            constraint=lambda z: tf.clip_by_value(z, 0.114, 0.122),
        )
        super().__init__(**kwargs)

    def call(self, inputs, **kwargs):
        return inputs * self.alphas
