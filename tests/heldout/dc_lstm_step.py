# tflint-vars held-out corpus (tests/heldout): deepchem LSTMStep: initializer-called tensors as W/U (not variables), a numpy-valued tf.Variable bias.
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): LSTMStep; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class LSTMStep(tf.keras.layers.Layer):
    """Layer that performs a single step LSTM update.

    This layer performs a single step LSTM update. Note that it is *not*
    a full LSTM recurrent network. The LSTMStep layer is useful as a
    primitive for designing layers such as the AttnLSTMEmbedding or the
    IterRefLSTMEmbedding below.
    """

    def __init__(self,
                 output_dim,
                 input_dim,
                 init_fn='glorot_uniform',
                 inner_init_fn='orthogonal',
                 activation_fn='tanh',
                 inner_activation_fn='hard_sigmoid',
                 **kwargs):
        """
        Parameters
        ----------
        output_dim: int
          Dimensionality of output vectors.
        input_dim: int
          Dimensionality of input vectors.
        init_fn: str
          TensorFlow nitialization to use for W.
        inner_init_fn: str
          TensorFlow initialization to use for U.
        activation_fn: str
          TensorFlow activation to use for output.
        inner_activation_fn: str
          TensorFlow activation to use for inner steps.
        """

        super(LSTMStep, self).__init__(**kwargs)
        self.init = init_fn
        self.inner_init = inner_init_fn
        self.output_dim = output_dim
        # No other forget biases supported right now.
        self.activation = activation_fn
        self.inner_activation = inner_activation_fn
        self.activation_fn = activations.get(activation_fn)
        self.inner_activation_fn = activations.get(inner_activation_fn)
        self.input_dim = input_dim

    def get_config(self):
        config = super(LSTMStep, self).get_config()
        config['output_dim'] = self.output_dim
        config['input_dim'] = self.input_dim
        config['init_fn'] = self.init
        config['inner_init_fn'] = self.inner_init
        config['activation_fn'] = self.activation
        config['inner_activation_fn'] = self.inner_activation
        return config

    def get_initial_states(self, input_shape):
        return [backend.zeros(input_shape), backend.zeros(input_shape)]

    def build(self, input_shape):
        """Constructs learnable weights for this layer."""
        init = initializers.get(self.init)
        inner_init = initializers.get(self.inner_init)
        self.W = init((self.input_dim, 4 * self.output_dim))
        self.U = inner_init((self.output_dim, 4 * self.output_dim))

        self.b = tf.Variable(np.hstack(
            (np.zeros(self.output_dim), np.ones(self.output_dim),
             np.zeros(self.output_dim), np.zeros(self.output_dim))),
                             dtype=tf.float32)
        self.built = True

    def call(self, inputs):
        """Execute this layer on input tensors.

        Parameters
        ----------
        inputs: list
          List of three tensors (x, h_tm1, c_tm1). h_tm1 means "h, t-1".

        Returns
        -------
        list
          Returns h, [h, c]
        """
        x, h_tm1, c_tm1 = inputs

        # Taken from Keras code [citation needed]
        z = backend.dot(x, self.W) + backend.dot(h_tm1, self.U) + self.b

        z0 = z[:, :self.output_dim]
        z1 = z[:, self.output_dim:2 * self.output_dim]
        z2 = z[:, 2 * self.output_dim:3 * self.output_dim]
        z3 = z[:, 3 * self.output_dim:]

        i = self.inner_activation_fn(z0)
        f = self.inner_activation_fn(z1)
        c = f * c_tm1 + i * self.activation_fn(z2)
        o = self.inner_activation_fn(z3)

        h = o * self.activation_fn(c)
        return h, [h, c]


# Harness (not from deepchem): builds the layer above and returns one tensor made from its outputs,
# since `verify`'s fit step trains on one output. Written the Keras 3 way, so it adds nothing to fix.
class LSTMStepHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = LSTMStep(output_dim=3, input_dim=5)

    def call(self, inputs):
        outputs = self.inner(inputs)
        return outputs[0] + outputs[1][1]
