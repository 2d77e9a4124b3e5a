# tflint-vars held-out corpus (tests/heldout): deepchem EdgeNetwork: a keras.backend.zeros bias next to add_weight kernels in build (TFV003).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): EdgeNetwork; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class EdgeNetwork(tf.keras.layers.Layer):
    """ Submodule for Message Passing """

    def __init__(self,
                 n_pair_features=8,
                 n_hidden=100,
                 init='glorot_uniform',
                 **kwargs):
        super(EdgeNetwork, self).__init__(**kwargs)
        self.n_pair_features = n_pair_features
        self.n_hidden = n_hidden
        self.init = init

    def get_config(self):
        config = super(EdgeNetwork, self).get_config()
        config['n_pair_features'] = self.n_pair_features
        config['n_hidden'] = self.n_hidden
        config['init'] = self.init
        return config

    def build(self, input_shape):

        def init(input_shape):
            return self.add_weight(name='kernel',
                                   shape=(input_shape[0], input_shape[1]),
                                   initializer=self.init,
                                   trainable=True)

        n_pair_features = self.n_pair_features
        n_hidden = self.n_hidden
        self.W = init([n_pair_features, n_hidden * n_hidden])
        self.b = backend.zeros(shape=(n_hidden * n_hidden,))
        self.built = True

    def call(self, inputs):
        pair_features, atom_features, atom_to_pair = inputs
        A = tf.nn.bias_add(tf.matmul(pair_features, self.W), self.b)
        A = tf.reshape(A, (-1, self.n_hidden, self.n_hidden))
        out = tf.expand_dims(tf.gather(atom_features, atom_to_pair[:, 1]), 2)
        out = tf.squeeze(tf.matmul(A, out), axis=2)
        return tf.math.segment_sum(out, atom_to_pair[:, 0])


# Harness (not from deepchem): builds the layer above and calls it with integer index inputs made from the batch,
# since `verify` feeds every input the same dtype. Written the Keras 3 way, so it adds nothing to fix.
class EdgeNetworkHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = EdgeNetwork(n_pair_features=3, n_hidden=4)

    def call(self, inputs):
        pair_features, atom_features = inputs
        index = tf.range(tf.shape(pair_features)[0])
        return self.inner([pair_features, atom_features, tf.stack([index, index], axis=1)])
