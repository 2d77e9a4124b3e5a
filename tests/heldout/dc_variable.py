# tflint-vars held-out corpus (tests/heldout): deepchem Variable: a layer that outputs a tf.Variable made in build from a constructor argument (TFV003).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): Variable; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class Variable(tf.keras.layers.Layer):
    """Output a trainable value.

    Due to a quirk of Keras, you must pass an input value when invoking
    this layer.  It doesn't matter what value you pass.  Keras assumes
    every layer that is not an Input will have at least one parent, and
    violating this assumption causes errors during evaluation.
    """

    def __init__(self, initial_value, **kwargs):
        """Construct a variable layer.

        Parameters
        ----------
        initial_value: array or Tensor
          the initial value the layer should output
        """
        super(Variable, self).__init__(**kwargs)
        self.initial_value = initial_value

    def get_config(self):
        config = super(Variable, self).get_config()
        config['initial_value'] = self.initial_value
        return config

    def build(self, input_shape):
        self.var = tf.Variable(self.initial_value, dtype=self.dtype)
        self.built = True

    def call(self, inputs):
        return self.var


# Harness (not from deepchem): builds the layer above and returns one tensor made from its outputs,
# since `verify`'s fit step trains on one output. Written the Keras 3 way, so it adds nothing to fix.
class VariableHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = Variable([1.0, 2.0])

    def call(self, inputs):
        outputs = self.inner(inputs)
        return inputs[:, :2] + outputs
