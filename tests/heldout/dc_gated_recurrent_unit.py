# tflint-vars held-out corpus (tests/heldout): deepchem GatedRecurrentUnit: add_weight kernels from a nested helper, keras.backend.zeros biases (TFV003).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): GatedRecurrentUnit; only the imports and helpers it needs are added around it.
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


class GatedRecurrentUnit(tf.keras.layers.Layer):
    """ Submodule for Message Passing """

    def __init__(self, n_hidden=100, init='glorot_uniform', **kwargs):
        super(GatedRecurrentUnit, self).__init__(**kwargs)
        self.n_hidden = n_hidden
        self.init = init

    def get_config(self):
        config = super(GatedRecurrentUnit, self).get_config()
        config['n_hidden'] = self.n_hidden
        config['init'] = self.init
        return config

    def build(self, input_shape):
        n_hidden = self.n_hidden

        def init(input_shape):
            return self.add_weight(name='kernel',
                                   shape=(input_shape[0], input_shape[1]),
                                   initializer=self.init,
                                   trainable=True)

        self.Wz = init([n_hidden, n_hidden])
        self.Wr = init([n_hidden, n_hidden])
        self.Wh = init([n_hidden, n_hidden])
        self.Uz = init([n_hidden, n_hidden])
        self.Ur = init([n_hidden, n_hidden])
        self.Uh = init([n_hidden, n_hidden])
        self.bz = backend.zeros(shape=(n_hidden,))
        self.br = backend.zeros(shape=(n_hidden,))
        self.bh = backend.zeros(shape=(n_hidden,))
        self.built = True

    def call(self, inputs):
        z = tf.nn.sigmoid(
            tf.matmul(inputs[1], self.Wz) + tf.matmul(inputs[0], self.Uz) +
            self.bz)
        r = tf.nn.sigmoid(
            tf.matmul(inputs[1], self.Wr) + tf.matmul(inputs[0], self.Ur) +
            self.br)
        h = (1 - z) * tf.nn.tanh(
            tf.matmul(inputs[1], self.Wh) + tf.matmul(inputs[0] * r, self.Uh) +
            self.bh) + z * inputs[0]
        return h
