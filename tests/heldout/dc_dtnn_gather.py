# tflint-vars held-out corpus (tests/heldout): deepchem DTNNGather: keras.backend.zeros biases appended to a list in a loop in build (TFV003).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): DTNNGather; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class DTNNGather(tf.keras.layers.Layer):

    def __init__(self,
                 n_embedding=30,
                 n_outputs=100,
                 layer_sizes=[100],
                 output_activation=True,
                 init='glorot_uniform',
                 activation='tanh',
                 **kwargs):
        """
        Parameters
        ----------
        n_embedding: int, optional
            Number of features for each atom
        n_outputs: int, optional
            Number of features for each molecule(output)
        layer_sizes: list of int, optional(default=[1000])
            Structure of hidden layer(s)
        init: str, optional
            Weight initialization for filters.
        activation: str, optional
            Activation function applied
        """
        super(DTNNGather, self).__init__(**kwargs)
        self.n_embedding = n_embedding
        self.n_outputs = n_outputs
        self.layer_sizes = layer_sizes
        self.output_activation = output_activation
        self.init = init  # Set weight initialization
        self.activation = activation  # Get activations
        self.activation_fn = activations.get(activation)

    def get_config(self):
        config = super(DTNNGather, self).get_config()
        config['n_embedding'] = self.n_embedding
        config['n_outputs'] = self.n_outputs
        config['layer_sizes'] = self.layer_sizes
        config['output_activation'] = self.output_activation
        config['init'] = self.init
        config['activation'] = self.activation
        return config

    def build(self, input_shape):
        self.W_list = []
        self.b_list = []

        def init(input_shape):
            return self.add_weight(name='kernel',
                                   shape=(input_shape[0], input_shape[1]),
                                   initializer=self.init,
                                   trainable=True)

        prev_layer_size = self.n_embedding
        for i, layer_size in enumerate(self.layer_sizes):
            self.W_list.append(init([prev_layer_size, layer_size]))
            self.b_list.append(backend.zeros(shape=[
                layer_size,
            ]))
            prev_layer_size = layer_size
        self.W_list.append(init([prev_layer_size, self.n_outputs]))
        self.b_list.append(backend.zeros(shape=[
            self.n_outputs,
        ]))
        self.built = True

    def call(self, inputs):
        """
        parent layers: atom_features, atom_membership
        """
        output = inputs[0]
        atom_membership = inputs[1]

        for i, W in enumerate(self.W_list[:-1]):
            output = tf.matmul(output, W) + self.b_list[i]
            output = self.activation_fn(output)
        output = tf.matmul(output, self.W_list[-1]) + self.b_list[-1]
        if self.output_activation:
            output = self.activation_fn(output)
        return tf.math.segment_sum(output, atom_membership)


# Harness (not from deepchem): builds the layer above and calls it with integer index inputs made from the batch,
# since `verify` feeds every input the same dtype. Written the Keras 3 way, so it adds nothing to fix.
class DTNNGatherHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = DTNNGather(n_embedding=4, n_outputs=3, layer_sizes=[5])

    def call(self, inputs):
        return self.inner([inputs, tf.range(tf.shape(inputs)[0])])
