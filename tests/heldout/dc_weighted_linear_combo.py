# tflint-vars held-out corpus (tests/heldout): deepchem WeightedLinearCombo: add_weight with the name first, by position (TFV007), in a list comprehension.
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): WeightedLinearCombo; only the imports and helpers it needs are added around it.
# deepchem is MIT-licensed:
# Copyright 2017 PandeLab
# Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
# documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
# rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
# permit persons to whom the Software is furnished to do so, subject to the following conditions:
# The above copyright notice and this permission notice shall be included in all copies or substantial portions of
# the Software.
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
# WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
# COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
# OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
import tensorflow as tf
import numpy as np
from collections.abc import Sequence as SequenceCollection
from typing import Optional, Callable, Dict, List, Tuple
from tensorflow.keras import activations, initializers, backend
from tensorflow.keras.layers import Dropout, BatchNormalization, Dense, Activation


class WeightedLinearCombo(tf.keras.layers.Layer):
    """Computes a weighted linear combination of input layers, with the weights defined by trainable variables."""

    def __init__(self, std=0.3, **kwargs):
        """Initialize this layer.

        Parameters
        ----------
        std: float, optional (default 0.3)
          The standard deviation to use when randomly initializing weights.
        """
        super(WeightedLinearCombo, self).__init__(**kwargs)
        self.std = std

    def get_config(self):
        config = super(WeightedLinearCombo, self).get_config()
        config['std'] = self.std
        return config

    def build(self, input_shape):
        init = tf.keras.initializers.RandomNormal(stddev=self.std)
        self.input_weights = [
            self.add_weight('weight_%d' % (i + 1), (1,),
                            initializer=init,
                            trainable=True) for i in range(len(input_shape))
        ]
        self.built = True

    def call(self, inputs):
        out_tensor = None
        for in_tensor, w in zip(inputs, self.input_weights):
            if out_tensor is None:
                out_tensor = w * in_tensor
            else:
                out_tensor += w * in_tensor
        return out_tensor
