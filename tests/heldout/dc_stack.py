# tflint-vars held-out corpus (tests/heldout): deepchem Stack: a stateless layer with get_config; correct under both Keras (nothing to fix).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): Stack; only the imports and helpers it needs are added around it.
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


class Stack(tf.keras.layers.Layer):
    """Stack the inputs along a new axis."""

    def __init__(self, axis=1, **kwargs):
        super(Stack, self).__init__(**kwargs)
        self.axis = axis

    def get_config(self):
        config = super(Stack, self).get_config()
        config['axis'] = self.axis
        return config

    def call(self, inputs):
        return tf.stack(inputs, axis=self.axis)
