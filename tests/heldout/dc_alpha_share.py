# tflint-vars held-out corpus (tests/heldout): deepchem AlphaShareLayer: tf.random.normal alphas in build, sized from the number of inputs; two outputs.
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): AlphaShareLayer; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class AlphaShareLayer(tf.keras.layers.Layer):
    """
    Part of a sluice network. Adds alpha parameters to control
    sharing between the main and auxillary tasks

    Factory method AlphaShare should be used for construction

    Parameters
    ----------
    in_layers: list of Layers or tensors
        tensors in list must be the same size and list must include two or more tensors

    Returns
    -------
    out_tensor: a tensor with shape [len(in_layers), x, y] where x, y were the original layer dimensions
    Distance matrix.
    """

    def __init__(self, **kwargs):
        super(AlphaShareLayer, self).__init__(**kwargs)

    def get_config(self):
        config = super(AlphaShareLayer, self).get_config()
        return config

    def build(self, input_shape):
        n_alphas = 2 * len(input_shape)
        self.alphas = tf.Variable(tf.random.normal([n_alphas, n_alphas]),
                                  name='alphas')
        self.built = True

    def call(self, inputs):
        # check that there isnt just one or zero inputs
        if len(inputs) <= 1:
            raise ValueError("AlphaShare must have more than one input")
        self.num_outputs = len(inputs)
        # create subspaces
        subspaces = []
        original_cols = int(inputs[0].get_shape()[-1])
        subspace_size = int(original_cols / 2)
        for input_tensor in inputs:
            subspaces.append(tf.reshape(input_tensor[:, :subspace_size], [-1]))
            subspaces.append(tf.reshape(input_tensor[:, subspace_size:], [-1]))
        n_alphas = len(subspaces)
        subspaces = tf.reshape(tf.stack(subspaces), [n_alphas, -1])
        subspaces = tf.matmul(self.alphas, subspaces)

        # concatenate subspaces, reshape to size of original input, then stack
        # such that out_tensor has shape (2,?,original_cols)
        count = 0
        out_tensors = []
        tmp_tensor = []
        for row in range(n_alphas):
            tmp_tensor.append(tf.reshape(subspaces[row,], [-1, subspace_size]))
            count += 1
            if (count == 2):
                out_tensors.append(tf.concat(tmp_tensor, 1))
                tmp_tensor = []
                count = 0
        return out_tensors


# Harness (not from deepchem): builds the layer above and returns one tensor made from its outputs,
# since `verify`'s fit step trains on one output. Written the Keras 3 way, so it adds nothing to fix.
class AlphaShareHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = AlphaShareLayer()

    def call(self, inputs):
        outputs = self.inner(inputs)
        return outputs[0] + outputs[1]
