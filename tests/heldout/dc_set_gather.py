# tflint-vars held-out corpus (tests/heldout): deepchem SetGather: a tf.Variable from a numpy concatenation of zeros and ones in build (TFV003).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): SetGather; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class SetGather(tf.keras.layers.Layer):
    """set2set gather layer for graph-based model

    Models using this layer must set `pad_batches=True`.
    """

    def __init__(self,
                 M,
                 batch_size,
                 n_hidden=100,
                 init='orthogonal',
                 **kwargs):
        """
        Parameters
        ----------
        M: int
            Number of LSTM steps
        batch_size: int
            Number of samples in a batch(all batches must have same size)
        n_hidden: int, optional
            number of hidden units in the passing phase
        """
        super(SetGather, self).__init__(**kwargs)
        self.M = M
        self.batch_size = batch_size
        self.n_hidden = n_hidden
        self.init = init

    def get_config(self):
        config = super(SetGather, self).get_config()
        config['M'] = self.M
        config['batch_size'] = self.batch_size
        config['n_hidden'] = self.n_hidden
        config['init'] = self.init
        return config

    def build(self, input_shape):

        def init(input_shape):
            return self.add_weight(name='kernel',
                                   shape=(input_shape[0], input_shape[1]),
                                   initializer=self.init,
                                   trainable=True)

        self.U = init((2 * self.n_hidden, 4 * self.n_hidden))
        self.b = tf.Variable(np.concatenate(
            (np.zeros(self.n_hidden), np.ones(self.n_hidden),
             np.zeros(self.n_hidden), np.zeros(self.n_hidden))),
                             dtype=tf.float32)
        self.built = True

    def call(self, inputs):
        """Perform M steps of set2set gather,

        Detailed descriptions in: https://arxiv.org/abs/1511.06391
        """
        atom_features, atom_split = inputs
        c = tf.zeros((self.batch_size, self.n_hidden))
        h = tf.zeros((self.batch_size, self.n_hidden))

        for i in range(self.M):
            q_expanded = tf.gather(h, atom_split)
            e = tf.reduce_sum(atom_features * q_expanded, 1)
            e_mols = tf.dynamic_partition(e, atom_split, self.batch_size)
            # Add another value(~-Inf) to prevent error in softmax
            e_mols = [
                tf.concat([e_mol, tf.constant([-1000.])], 0) for e_mol in e_mols
            ]
            a = tf.concat([tf.nn.softmax(e_mol)[:-1] for e_mol in e_mols], 0)
            r = tf.math.segment_sum(
                tf.reshape(a, [-1, 1]) * atom_features, atom_split)
            # Model using this layer must set pad_batches=True
            q_star = tf.concat([h, r], axis=1)
            h, c = self.LSTMStep(q_star, c)
        return q_star

    def LSTMStep(self, h, c, x=None):
        # Perform one step of LSTM
        z = tf.nn.bias_add(tf.matmul(h, self.U), self.b)
        i = tf.nn.sigmoid(z[:, :self.n_hidden])
        f = tf.nn.sigmoid(z[:, self.n_hidden:2 * self.n_hidden])
        o = tf.nn.sigmoid(z[:, 2 * self.n_hidden:3 * self.n_hidden])
        z3 = z[:, 3 * self.n_hidden:]
        c_out = f * c + i * tf.nn.tanh(z3)
        h_out = o * tf.nn.tanh(c_out)
        return h_out, c_out


# Harness (not from deepchem): builds the layer above and calls it with integer index inputs made from the batch,
# since `verify` feeds every input the same dtype. Written the Keras 3 way, so it adds nothing to fix.
# Batch of one: the class's shapes are fixed by a constructor argument (n_test, n_support, batch_size), and verify
# fits on half batches and probes single rows.
class SetGatherHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = SetGather(M=2, batch_size=1, n_hidden=4)

    def call(self, inputs):
        return self.inner([inputs, tf.range(tf.shape(inputs)[0])])
