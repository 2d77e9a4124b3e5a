# tflint-vars real-world corpus (tests/realworld): Control: add_weight in __init__; nothing to report or change.
# Pattern modelled on redouane-dziri/deep-music-classification, models/affine_scalar_layer.py; rewritten and trimmed to the layer, not copied, so no third-party code or licence is carried.
from tensorflow.keras import layers


class AffineScalar(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = self.add_weight(shape=(1,), initializer="random_normal", trainable=True, name="affineScalar_w")
        self.b = self.add_weight(shape=(1,), initializer="zeros", trainable=True, name="affineScalar_b")

    def call(self, inputs):
        return self.w * inputs + self.b
