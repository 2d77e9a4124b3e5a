# tflint-vars held-out corpus (tests/heldout): deepchem BetaShare: tf.random.normal betas in build, sized from the number of inputs (TFV003).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): BetaShare; only the imports and helpers it needs are added around it.
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


class BetaShare(tf.keras.layers.Layer):
    """
    Part of a sluice network. Adds beta params to control which layer
    outputs are used for prediction

    Parameters
    ----------
    in_layers: list of Layers or tensors
        tensors in list must be the same size and list must include two or
        more tensors

    Returns
    -------
    output_layers: list of Layers or tensors with same size as in_layers
        Distance matrix.
    """

    def __init__(self, **kwargs):
        super(BetaShare, self).__init__(**kwargs)

    def get_config(self):
        config = super(BetaShare, self).get_config()
        return config

    def build(self, input_shape):
        n_betas = len(input_shape)
        self.betas = tf.Variable(tf.random.normal([1, n_betas]), name='betas')
        self.built = True

    def call(self, inputs):
        """
        Size of input layers must all be the same
        """
        subspaces = []
        original_cols = int(inputs[0].get_shape()[-1])
        for input_tensor in inputs:
            subspaces.append(tf.reshape(input_tensor, [-1]))
        n_betas = len(inputs)
        subspaces = tf.reshape(tf.stack(subspaces), [n_betas, -1])
        out_tensor = tf.matmul(self.betas, subspaces)
        return tf.reshape(out_tensor, [-1, original_cols])
