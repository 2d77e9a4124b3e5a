# tflint-vars held-out corpus (tests/heldout): deepchem GraphCNN: two truncated-normal weights with a computed stddev and a constant bias in build.
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): GraphCNN; only the imports and helpers it needs are added around it.
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


class GraphCNN(tf.keras.layers.Layer):
    r"""
    GraphCNN Layer from Robust Spatial Filtering with Graph Convolutional Neural Networks
    https://arxiv.org/abs/1703.00792

    Spatial-domain convolutions can be defined as
    H = h_0I + h_1A + h_2A^2 + ... + hkAk, H ∈ R**(N×N)

    We approximate it by
    H ≈ h_0I + h_1A

    We can define a convolution as applying multiple these linear filters
    over edges of different types (think up, down, left, right, diagonal in images)
    Where each edge type has its own adjacency matrix
    H ≈ h_0I + h_1A_1 + h_2A_2 + . . . h_(L−1)A_(L−1)

    V_out = \sum_{c=1}^{C} H^{c} V^{c} + b
    """

    def __init__(self, num_filters, **kwargs):
        """
        Parameters
        ----------
        num_filters: int
            Number of filters to have in the output

        in_layers: list of Layers or tensors
            [V, A, mask]
            V are the vertex features must be of shape (batch, vertex, channel)

        A are the adjacency matrixes for each graph
            Shape (batch, from_vertex, adj_matrix, to_vertex)

        mask is optional, to be used when not every graph has the
        same number of vertices

        Returns: tf.tensor
        Returns a tf.tensor with a graph convolution applied
        The shape will be (batch, vertex, self.num_filters)
        """
        super(GraphCNN, self).__init__(**kwargs)
        self.num_filters = num_filters

    def get_config(self):
        config = super(GraphCNN, self).get_config()
        config['num_filters'] = self.num_filters
        return config

    def build(self, input_shape):
        no_features = int(input_shape[0][2])
        no_A = int(input_shape[1][2])
        self.W = tf.Variable(tf.random.truncated_normal(
            [no_features * no_A, self.num_filters],
            stddev=np.sqrt(1.0 / (no_features * (no_A + 1) * 1.0))),
                             name='weights',
                             dtype=tf.float32)
        self.W_I = tf.Variable(tf.random.truncated_normal(
            [no_features, self.num_filters],
            stddev=np.sqrt(1.0 / (no_features * (no_A + 1) * 1.0))),
                               name='weights_I',
                               dtype=tf.float32)
        self.b = tf.Variable(tf.constant(0.1), name='bias', dtype=tf.float32)
        self.built = True

    def call(self, inputs):
        if len(inputs) == 3:
            V, A, mask = inputs
        else:
            V, A = inputs
        no_A = A.get_shape()[2]
        no_features = V.get_shape()[2]
        n = self.graphConvolution(V, A)
        A_shape = tf.shape(A)
        n = tf.reshape(n, [-1, A_shape[1], no_A * no_features])
        return self.batch_mat_mult(n, self.W) + self.batch_mat_mult(
            V, self.W_I) + self.b

    def graphConvolution(self, V, A):
        no_A = A.get_shape()[2]
        no_features = V.get_shape()[2]
        A_shape = tf.shape(A)
        A_reshape = tf.reshape(A, tf.stack([-1, A_shape[1] * no_A, A_shape[1]]))
        n = tf.matmul(A_reshape, V)
        return tf.reshape(n, [-1, A_shape[1], no_A, no_features])

    def batch_mat_mult(self, A, B):
        A_shape = tf.shape(A)
        A_reshape = tf.reshape(A, [-1, A_shape[-1]])
        # So the Tensor has known dimensions
        if B.get_shape()[1] is None:
            axis_2 = -1
        else:
            axis_2 = B.get_shape()[1]
        result = tf.matmul(A_reshape, B)
        return tf.reshape(result, tf.stack([A_shape[0], A_shape[1], axis_2]))
