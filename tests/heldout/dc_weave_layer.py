# tflint-vars held-out corpus (tests/heldout): deepchem WeaveLayer: six keras.backend.zeros biases beside add_weight kernels and BatchNormalization. Each bias feeds a BatchNormalization, which subtracts the batch mean: zero gradient (declared unused).
# Copied verbatim from deepchem 2.8.0, deepchem/models/layers.py (MIT, Copyright 2017 PandeLab): WeaveLayer; only the imports and helpers it needs are added around it, and a harness layer through which `verify` calls it (not from the package; its comment says why).
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


class WeaveLayer(tf.keras.layers.Layer):
    """This class implements the core Weave convolution from the
    Google graph convolution paper [1]_

    This model contains atom features and bond features
    separately.Here, bond features are also called pair features.
    There are 2 types of transformation, atom->atom, atom->pair,
    pair->atom, pair->pair that this model implements.

    Examples
    --------
    This layer expects 4 inputs in a list of the form `[atom_features,
    pair_features, pair_split, atom_to_pair]`. We'll walk through the structure
    of these inputs. Let's start with some basic definitions.

    >>> import deepchem as dc
    >>> import numpy as np

    Suppose you have a batch of molecules

    >>> smiles = ["CCC", "C"]

    Note that there are 4 atoms in total in this system. This layer expects its
    input molecules to be batched together.

    >>> total_n_atoms = 4

    Let's suppose that we have a featurizer that computes `n_atom_feat` features
    per atom.

    >>> n_atom_feat = 75

    Then conceptually, `atom_feat` is the array of shape `(total_n_atoms,
    n_atom_feat)` of atomic features. For simplicity, let's just go with a
    random such matrix.

    >>> atom_feat = np.random.rand(total_n_atoms, n_atom_feat)

    Let's suppose we have `n_pair_feat` pairwise features

    >>> n_pair_feat = 14

    For each molecule, we compute a matrix of shape `(n_atoms*n_atoms,
    n_pair_feat)` of pairwise features for each pair of atoms in the molecule.
    Let's construct this conceptually for our example.

    >>> pair_feat = [np.random.rand(3*3, n_pair_feat), np.random.rand(1*1, n_pair_feat)]
    >>> pair_feat = np.concatenate(pair_feat, axis=0)
    >>> pair_feat.shape
    (10, 14)

    `pair_split` is an index into `pair_feat` which tells us which atom each row belongs to. In our case, we hve

    >>> pair_split = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3])

    That is, the first 9 entries belong to "CCC" and the last entry to "C". The
    final entry `atom_to_pair` goes in a little more in-depth than `pair_split`
    and tells us the precise pair each pair feature belongs to. In our case

    >>> atom_to_pair = np.array([[0, 0],
    ...                          [0, 1],
    ...                          [0, 2],
    ...                          [1, 0],
    ...                          [1, 1],
    ...                          [1, 2],
    ...                          [2, 0],
    ...                          [2, 1],
    ...                          [2, 2],
    ...                          [3, 3]])

    Let's now define the actual layer

    >>> layer = WeaveLayer()

    And invoke it

    >>> [A, P] = layer([atom_feat, pair_feat, pair_split, atom_to_pair])

    The weave layer produces new atom/pair features. Let's check their shapes

    >>> A = np.array(A)
    >>> A.shape
    (4, 50)
    >>> P = np.array(P)
    >>> P.shape
    (10, 50)

    The 4 is `total_num_atoms` and the 10 is the total number of pairs. Where
    does `50` come from? It's from the default arguments `n_atom_input_feat` and
    `n_pair_input_feat`.

    References
    ----------
    .. [1] Kearnes, Steven, et al. "Molecular graph convolutions: moving beyond
        fingerprints." Journal of computer-aided molecular design 30.8 (2016):
        595-608.

    """

    def __init__(self,
                 n_atom_input_feat: int = 75,
                 n_pair_input_feat: int = 14,
                 n_atom_output_feat: int = 50,
                 n_pair_output_feat: int = 50,
                 n_hidden_AA: int = 50,
                 n_hidden_PA: int = 50,
                 n_hidden_AP: int = 50,
                 n_hidden_PP: int = 50,
                 update_pair: bool = True,
                 init: str = 'glorot_uniform',
                 activation: str = 'relu',
                 batch_normalize: bool = True,
                 batch_normalize_kwargs: Dict = {"renorm": True},
                 **kwargs):
        """
        Parameters
        ----------
        n_atom_input_feat: int, optional (default 75)
            Number of features for each atom in input.
        n_pair_input_feat: int, optional (default 14)
            Number of features for each pair of atoms in input.
        n_atom_output_feat: int, optional (default 50)
            Number of features for each atom in output.
        n_pair_output_feat: int, optional (default 50)
            Number of features for each pair of atoms in output.
        n_hidden_AA: int, optional (default 50)
            Number of units(convolution depths) in corresponding hidden layer
        n_hidden_PA: int, optional (default 50)
            Number of units(convolution depths) in corresponding hidden layer
        n_hidden_AP: int, optional (default 50)
            Number of units(convolution depths) in corresponding hidden layer
        n_hidden_PP: int, optional (default 50)
            Number of units(convolution depths) in corresponding hidden layer
        update_pair: bool, optional (default True)
            Whether to calculate for pair features,
            could be turned off for last layer
        init: str, optional (default 'glorot_uniform')
            Weight initialization for filters.
        activation: str, optional (default 'relu')
            Activation function applied
        batch_normalize: bool, optional (default True)
            If this is turned on, apply batch normalization before applying
            activation functions on convolutional layers.
        batch_normalize_kwargs: Dict, optional (default `{renorm=True}`)
            Batch normalization is a complex layer which has many potential
            argumentswhich change behavior. This layer accepts user-defined
            parameters which are passed to all `BatchNormalization` layers in
            `WeaveModel`, `WeaveLayer`, and `WeaveGather`.
        """
        super(WeaveLayer, self).__init__(**kwargs)
        self.init = init  # Set weight initialization
        self.activation = activation  # Get activations
        self.activation_fn = activations.get(activation)
        self.update_pair = update_pair  # last weave layer does not need to update
        self.n_hidden_AA = n_hidden_AA
        self.n_hidden_PA = n_hidden_PA
        self.n_hidden_AP = n_hidden_AP
        self.n_hidden_PP = n_hidden_PP
        self.n_hidden_A = n_hidden_AA + n_hidden_PA
        self.n_hidden_P = n_hidden_AP + n_hidden_PP
        self.batch_normalize = batch_normalize
        self.batch_normalize_kwargs = batch_normalize_kwargs

        self.n_atom_input_feat = n_atom_input_feat
        self.n_pair_input_feat = n_pair_input_feat
        self.n_atom_output_feat = n_atom_output_feat
        self.n_pair_output_feat = n_pair_output_feat
        self.W_AP, self.b_AP, self.W_PP, self.b_PP, self.W_P, self.b_P = None, None, None, None, None, None

    def get_config(self) -> Dict:
        """Returns config dictionary for this layer."""
        config = super(WeaveLayer, self).get_config()
        config['n_atom_input_feat'] = self.n_atom_input_feat
        config['n_pair_input_feat'] = self.n_pair_input_feat
        config['n_atom_output_feat'] = self.n_atom_output_feat
        config['n_pair_output_feat'] = self.n_pair_output_feat
        config['n_hidden_AA'] = self.n_hidden_AA
        config['n_hidden_PA'] = self.n_hidden_PA
        config['n_hidden_AP'] = self.n_hidden_AP
        config['n_hidden_PP'] = self.n_hidden_PP
        config['batch_normalize'] = self.batch_normalize
        config['batch_normalize_kwargs'] = self.batch_normalize_kwargs
        config['update_pair'] = self.update_pair
        config['init'] = self.init
        config['activation'] = self.activation
        return config

    def build(self, input_shape):
        """ Construct internal trainable weights.

        Parameters
        ----------
        input_shape: tuple
            Ignored since we don't need the input shape to create internal weights.
        """

        def init(input_shape):
            return self.add_weight(name='kernel',
                                   shape=(input_shape[0], input_shape[1]),
                                   initializer=self.init,
                                   trainable=True)

        self.W_AA = init([self.n_atom_input_feat, self.n_hidden_AA])
        self.b_AA = backend.zeros(shape=[
            self.n_hidden_AA,
        ])
        self.AA_bn = BatchNormalization(**self.batch_normalize_kwargs)

        self.W_PA = init([self.n_pair_input_feat, self.n_hidden_PA])
        self.b_PA = backend.zeros(shape=[
            self.n_hidden_PA,
        ])
        self.PA_bn = BatchNormalization(**self.batch_normalize_kwargs)

        self.W_A = init([self.n_hidden_A, self.n_atom_output_feat])
        self.b_A = backend.zeros(shape=[
            self.n_atom_output_feat,
        ])
        self.A_bn = BatchNormalization(**self.batch_normalize_kwargs)

        if self.update_pair:
            self.W_AP = init([self.n_atom_input_feat * 2, self.n_hidden_AP])
            self.b_AP = backend.zeros(shape=[
                self.n_hidden_AP,
            ])
            self.AP_bn = BatchNormalization(**self.batch_normalize_kwargs)

            self.W_PP = init([self.n_pair_input_feat, self.n_hidden_PP])
            self.b_PP = backend.zeros(shape=[
                self.n_hidden_PP,
            ])
            self.PP_bn = BatchNormalization(**self.batch_normalize_kwargs)

            self.W_P = init([self.n_hidden_P, self.n_pair_output_feat])
            self.b_P = backend.zeros(shape=[
                self.n_pair_output_feat,
            ])
            self.P_bn = BatchNormalization(**self.batch_normalize_kwargs)
        self.built = True

    def call(self, inputs: List) -> List:
        """Creates weave tensors.

        Parameters
        ----------
        inputs: List
            Should contain 4 tensors [atom_features, pair_features, pair_split,
            atom_to_pair]
        """
        atom_features = inputs[0]
        pair_features = inputs[1]

        pair_split = inputs[2]
        atom_to_pair = inputs[3]

        activation = self.activation_fn

        AA = tf.matmul(atom_features, self.W_AA) + self.b_AA
        if self.batch_normalize:
            AA = self.AA_bn(AA)
        AA = activation(AA)
        PA = tf.matmul(pair_features, self.W_PA) + self.b_PA
        if self.batch_normalize:
            PA = self.PA_bn(PA)
        PA = activation(PA)
        PA = tf.math.segment_sum(PA, pair_split)

        A = tf.matmul(tf.concat([AA, PA], 1), self.W_A) + self.b_A
        if self.batch_normalize:
            A = self.A_bn(A)
        A = activation(A)

        if self.update_pair:
            # Note that AP_ij and AP_ji share the same self.AP_bn batch
            # normalization
            AP_ij = tf.matmul(
                tf.reshape(tf.gather(atom_features, atom_to_pair),
                           [-1, 2 * self.n_atom_input_feat]),
                self.W_AP) + self.b_AP
            if self.batch_normalize:
                AP_ij = self.AP_bn(AP_ij)
            AP_ij = activation(AP_ij)
            AP_ji = tf.matmul(
                tf.reshape(
                    tf.gather(atom_features, tf.reverse(atom_to_pair, [1])),
                    [-1, 2 * self.n_atom_input_feat]), self.W_AP) + self.b_AP
            if self.batch_normalize:
                AP_ji = self.AP_bn(AP_ji)
            AP_ji = activation(AP_ji)

            PP = tf.matmul(pair_features, self.W_PP) + self.b_PP
            if self.batch_normalize:
                PP = self.PP_bn(PP)
            PP = activation(PP)
            P = tf.matmul(tf.concat([AP_ij + AP_ji, PP], 1),
                          self.W_P) + self.b_P
            if self.batch_normalize:
                P = self.P_bn(P)
            P = activation(P)
        else:
            P = pair_features

        return [A, P]


# Harness (not from deepchem): builds the layer above and calls it with integer index inputs made from the batch,
# since `verify` feeds every input the same dtype. Written the Keras 3 way, so it adds nothing to fix.
class WeaveLayerHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = WeaveLayer(n_atom_input_feat=5, n_pair_input_feat=3, n_atom_output_feat=4, n_pair_output_feat=4,
                                n_hidden_AA=4, n_hidden_PA=4, n_hidden_AP=4, n_hidden_PP=4)

    def call(self, inputs):
        atom_features, pair_features = inputs
        index = tf.range(tf.shape(atom_features)[0])
        atoms, pairs = self.inner([atom_features, pair_features, index, tf.stack([index, index], axis=1)])
        return atoms + tf.reduce_mean(pairs, axis=1, keepdims=True)
