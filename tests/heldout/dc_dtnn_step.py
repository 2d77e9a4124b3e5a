# tflint-vars held-out corpus (tests/heldout): deepchem DTNNStep: add_weight kernels from a nested helper, keras.backend.zeros biases in build (TFV003).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): DTNNStep; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class DTNNStep(tf.keras.layers.Layer):

    def __init__(self,
                 n_embedding=30,
                 n_distance=100,
                 n_hidden=60,
                 init='glorot_uniform',
                 activation='tanh',
                 **kwargs):
        """
        Parameters
        ----------
        n_embedding: int, optional
            Number of features for each atom
        n_distance: int, optional
            granularity of distance matrix
        n_hidden: int, optional
            Number of nodes in hidden layer
        init: str, optional
            Weight initialization for filters.
        activation: str, optional
            Activation function applied
        """
        super(DTNNStep, self).__init__(**kwargs)
        self.n_embedding = n_embedding
        self.n_distance = n_distance
        self.n_hidden = n_hidden
        self.init = init  # Set weight initialization
        self.activation = activation  # Get activations
        self.activation_fn = activations.get(activation)

    def get_config(self):
        config = super(DTNNStep, self).get_config()
        config['n_embedding'] = self.n_embedding
        config['n_distance'] = self.n_distance
        config['n_hidden'] = self.n_hidden
        config['activation'] = self.activation
        config['init'] = self.init
        return config

    def build(self, input_shape):

        def init(input_shape):
            return self.add_weight(name='kernel',
                                   shape=(input_shape[0], input_shape[1]),
                                   initializer=self.init,
                                   trainable=True)

        self.W_cf = init([self.n_embedding, self.n_hidden])
        self.W_df = init([self.n_distance, self.n_hidden])
        self.W_fc = init([self.n_hidden, self.n_embedding])
        self.b_cf = backend.zeros(shape=[
            self.n_hidden,
        ])
        self.b_df = backend.zeros(shape=[
            self.n_hidden,
        ])
        self.built = True

    def call(self, inputs):
        """
        parent layers: atom_features, distance, distance_membership_i, distance_membership_j
        """
        atom_features = inputs[0]
        distance = inputs[1]
        distance_membership_i = inputs[2]
        distance_membership_j = inputs[3]
        distance_hidden = tf.matmul(distance, self.W_df) + self.b_df
        atom_features_hidden = tf.matmul(atom_features, self.W_cf) + self.b_cf
        outputs = tf.multiply(
            distance_hidden,
            tf.gather(atom_features_hidden, distance_membership_j))

        # for atom i in a molecule m, this step multiplies together distance info of atom pair(i,j)
        # and embeddings of atom j(both gone through a hidden layer)
        outputs = tf.matmul(outputs, self.W_fc)
        outputs = self.activation_fn(outputs)

        output_ii = tf.multiply(self.b_df, atom_features_hidden)
        output_ii = tf.matmul(output_ii, self.W_fc)
        output_ii = self.activation_fn(output_ii)

        # for atom i, sum the influence from all other atom j in the molecule
        return tf.math.segment_sum(
            outputs, distance_membership_i) - output_ii + atom_features


# Harness (not from deepchem): builds the layer above and calls it with integer index inputs made from the batch,
# since `verify` feeds every input the same dtype. Written the Keras 3 way, so it adds nothing to fix.
class DTNNStepHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = DTNNStep(n_embedding=4, n_distance=6, n_hidden=5)

    def call(self, inputs):
        atom_features, distance = inputs
        index = tf.range(tf.shape(atom_features)[0])
        return self.inner([atom_features, distance, index, index])
