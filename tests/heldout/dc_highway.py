# tflint-vars held-out corpus (tests/heldout): deepchem Highway: two Dense sub-layers made in build; correct under both Keras (nothing to fix).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): Highway; only the imports and helpers it needs are added around it.
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


class Highway(tf.keras.layers.Layer):
    """ Create a highway layer. y = H(x) * T(x) + x * (1 - T(x))

    H(x) = activation_fn(matmul(W_H, x) + b_H) is the non-linear transformed output
    T(x) = sigmoid(matmul(W_T, x) + b_T) is the transform gate

    Implementation based on paper

    Srivastava, Rupesh Kumar, Klaus Greff, and Jürgen Schmidhuber. "Highway networks." arXiv preprint arXiv:1505.00387 (2015).


    This layer expects its input to be a two dimensional tensor
    of shape (batch size, # input features).  Outputs will be in
    the same shape.
    """

    def __init__(self,
                 activation_fn='relu',
                 biases_initializer='zeros',
                 weights_initializer=None,
                 **kwargs):
        """
        Parameters
        ----------
        activation_fn: object
            the Tensorflow activation function to apply to the output
        biases_initializer: callable object
            the initializer for bias values.  This may be None, in which case the layer
            will not include biases.
        weights_initializer: callable object
            the initializer for weight values
        """
        super(Highway, self).__init__(**kwargs)
        self.activation_fn = activation_fn
        self.biases_initializer = biases_initializer
        self.weights_initializer = weights_initializer

    def get_config(self):
        config = super(Highway, self).get_config()
        config['activation_fn'] = self.activation_fn
        config['biases_initializer'] = self.biases_initializer
        config['weights_initializer'] = self.weights_initializer
        return config

    def build(self, input_shape):
        if isinstance(input_shape, SequenceCollection):
            input_shape = input_shape[0]
        out_channels = input_shape[1]

        if self.weights_initializer is None:
            weights_initializer = tf.keras.initializers.VarianceScaling
        else:
            weights_initializer = self.weights_initializer

        self.dense_H = tf.keras.layers.Dense(
            out_channels,
            activation=self.activation_fn,
            bias_initializer=self.biases_initializer,
            kernel_initializer=weights_initializer)
        self.dense_T = tf.keras.layers.Dense(
            out_channels,
            activation=tf.nn.sigmoid,
            bias_initializer=tf.constant_initializer(-1),
            kernel_initializer=weights_initializer)
        self.built = True

    def call(self, inputs):
        if isinstance(inputs, SequenceCollection):
            parent = inputs[0]
        else:
            parent = inputs
        dense_H = self.dense_H(parent)
        dense_T = self.dense_T(parent)
        return tf.multiply(dense_H, dense_T) + tf.multiply(parent, 1 - dense_T)
