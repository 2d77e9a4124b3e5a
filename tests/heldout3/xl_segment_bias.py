# tflint-vars held-out corpus (tests/heldout3): keras-xlnet SegmentBias: add_weight by keyword in build with dtype=K.floatx(); expected to need no fix.
# Copied verbatim from keras-xlnet 0.20.0, keras_xlnet/segment_bias.py (MIT (package metadata)): SegmentBias; only the imports and helpers it needs are added around it.
# keras-xlnet 0.20.0 (author CyberZHG) is MIT-licensed per its package metadata (PKG-INFO: License: MIT); its sdist ships no LICENSE file.
from tensorflow import keras
from tensorflow.keras import backend as K


class SegmentBias(keras.layers.Layer):
    """Segment bias weights.

    # Arguments
        units: int >= 0. Number of hidden units.

    # Input shape
        Any tensor.

    # Output shape
        1D tensor with shape: `(units,)`.

    # References
        - [XLNet: Generalized Autoregressive Pretraining for Language Understanding](https://arxiv.org/pdf/1906.08237)
    """

    def __init__(self,
                 units,
                 bias_initializer='zeros',
                 bias_regularizer=None,
                 bias_constraint=None,
                 **kwargs):
        super(SegmentBias, self).__init__(**kwargs)
        self.supports_masking = True
        self.units = units
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.bias_constraint = keras.constraints.get(bias_constraint)

        self.bias_context, self.bias_relative = None, None

    def compute_output_shape(self, input_shape):
        return self.units,

    def compute_mask(self, inputs, mask=None):
        return mask

    def build(self, input_shape):
        self.bias_context = self.add_weight(
            shape=(self.units,),
            initializer=self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
            dtype=K.floatx(),
            name='bias_segment',
        )
        super(SegmentBias, self).build(input_shape)

    def call(self, inputs, **kwargs):
        return self.bias_context + 0.0

    def get_config(self):
        config = {
            'units': self.units,
        }
        base_config = super(SegmentBias, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


# tflint-vars harness: SegmentBias returns its bias alone (shape (units,)); the harness adds it to the input.
class SegmentBiasHarness(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = SegmentBias(units=3)

    def call(self, inputs):
        return inputs + self.inner(inputs)
