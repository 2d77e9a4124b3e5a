# tflint-vars held-out corpus (tests/heldout): deepchem IRVLayer: four tf.constant-valued tf.Variables in build without super().build, add_loss.
# Copied verbatim from deepchem 2.8.0, deepchem/models/IRV.py (MIT, Copyright 2017 PandeLab): IRVLayer; only the imports and helpers it needs are added around it. The package imports `KerasModel`, `layers` and `SigmoidCrossEntropy` are dropped (IRVLayer uses none).
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
import numpy as np
import tensorflow as tf

from tensorflow.keras.layers import Layer


class IRVLayer(Layer):
    """ Core layer of IRV classifier, architecture described in:
    https://www.ncbi.nlm.nih.gov/pmc/articles/PMC2750043/
    """

    def __init__(self, n_tasks, K, penalty, **kwargs):
        """
        Parameters
        ----------
        n_tasks: int
            Number of tasks
        K: int
            Number of nearest neighbours used in classification
        penalty: float
            Amount of penalty (l2 or l1 applied)
        """
        self.n_tasks = n_tasks
        self.K = K
        self.penalty = penalty
        super(IRVLayer, self).__init__(**kwargs)

    def build(self, input_shape):
        self.V = tf.Variable(tf.constant([0.01, 1.]),
                             name="vote",
                             dtype=tf.float32)
        self.W = tf.Variable(tf.constant([1., 1.]), name="w", dtype=tf.float32)
        self.b = tf.Variable(tf.constant([0.01]), name="b", dtype=tf.float32)
        self.b2 = tf.Variable(tf.constant([0.01]), name="b2", dtype=tf.float32)

    def call(self, inputs):
        K = self.K
        outputs = []
        for count in range(self.n_tasks):
            # Similarity values
            similarity = inputs[:, 2 * K * count:(2 * K * count + K)]
            # Labels for all top K similar samples
            ys = tf.cast(inputs[:, (2 * K * count + K):2 * K * (count + 1)],
                         tf.int32)

            R = self.b + self.W[0] * similarity + self.W[1] * tf.constant(
                np.arange(K) + 1, dtype=tf.float32)
            R = tf.sigmoid(R)
            z = tf.reduce_sum(R * tf.gather(self.V, ys), axis=1) + self.b2
            outputs.append(tf.reshape(z, shape=[-1, 1]))
        loss = (tf.nn.l2_loss(self.W) + tf.nn.l2_loss(self.V) +
                tf.nn.l2_loss(self.b) + tf.nn.l2_loss(self.b2)) * self.penalty
        self.add_loss(loss)
        return tf.concat(outputs, axis=1)
