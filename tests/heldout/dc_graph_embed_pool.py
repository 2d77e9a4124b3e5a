# tflint-vars held-out corpus (tests/heldout): deepchem GraphEmbedPoolLayer: truncated-normal weights with a computed stddev and a constant bias in build.
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): GraphEmbedPoolLayer; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class GraphEmbedPoolLayer(tf.keras.layers.Layer):
    r"""
    GraphCNNPool Layer from Robust Spatial Filtering with Graph Convolutional Neural Networks
    https://arxiv.org/abs/1703.00792

    This is a learnable pool operation It constructs a new adjacency
    matrix for a graph of specified number of nodes.

    This differs from our other pool operations which set vertices to a
    function value without altering the adjacency matrix.

    ..math:: V_{emb} = SpatialGraphCNN({V_{in}})
    ..math:: V_{out} = \sigma(V_{emb})^{T} * V_{in}
    ..math:: A_{out} = V_{emb}^{T} * A_{in} * V_{emb}
    """

    def __init__(self, num_vertices, **kwargs):
        self.num_vertices = num_vertices
        super(GraphEmbedPoolLayer, self).__init__(**kwargs)

    def get_config(self):
        config = super(GraphEmbedPoolLayer, self).get_config()
        config['num_vertices'] = self.num_vertices
        return config

    def build(self, input_shape):
        no_features = int(input_shape[0][-1])
        self.W = tf.Variable(
            tf.random.truncated_normal([no_features, self.num_vertices],
                                       stddev=1.0 / np.sqrt(no_features)),
            name='weights',
            dtype=tf.float32)
        self.b = tf.Variable(tf.constant(0.1), name='bias', dtype=tf.float32)
        self.built = True

    def call(self, inputs):
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

        Returns
        -------
        Returns a `tf.tensor` with a graph convolution applied
        The shape will be `(batch, vertex, self.num_filters)`.
        """
        if len(inputs) == 3:
            V, A, mask = inputs
        else:
            V, A = inputs
            mask = None
        factors = self.embedding_factors(V)

        if mask is not None:
            factors = tf.multiply(factors, mask)
        factors = self.softmax_factors(factors)

        result = tf.matmul(factors, V, transpose_a=True)

        result_A = tf.reshape(A, (tf.shape(A)[0], -1, tf.shape(A)[-1]))
        result_A = tf.matmul(result_A, factors)
        result_A = tf.reshape(result_A, (tf.shape(A)[0], tf.shape(A)[-1], -1))
        result_A = tf.matmul(factors, result_A, transpose_a=True)
        result_A = tf.reshape(result_A, (tf.shape(A)[0], self.num_vertices,
                                         A.get_shape()[2], self.num_vertices))
        return result, result_A

    def embedding_factors(self, V):
        no_features = V.get_shape()[-1]
        V_reshape = tf.reshape(V, (-1, no_features))
        s = tf.slice(tf.shape(V), [0], [len(V.get_shape()) - 1])
        s = tf.concat([s, tf.stack([self.num_vertices])], 0)
        result = tf.reshape(tf.matmul(V_reshape, self.W) + self.b, s)
        return result

    def softmax_factors(self, V, axis=1):
        max_value = tf.reduce_max(V, axis=axis, keepdims=True)
        exp = tf.exp(tf.subtract(V, max_value))
        prob = tf.math.divide(exp, tf.reduce_sum(exp, axis=axis, keepdims=True))
        return prob


# Harness (not from deepchem): builds the layer above and returns one tensor made from its outputs,
# since `verify`'s fit step trains on one output. Written the Keras 3 way, so it adds nothing to fix.
class GraphEmbedPoolHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = GraphEmbedPoolLayer(num_vertices=3)

    def call(self, inputs):
        outputs = self.inner(inputs)
        return outputs[0] + tf.reduce_mean(outputs[1], axis=[2, 3])[..., None]
