# tflint-vars held-out corpus (tests/heldout): tensorflow-similarity DistanceMetric: a Metric whose result is a tf.Variable in __init__ and re-created in reset_state.
# Copied verbatim from tensorflow-similarity 0.17.1, tensorflow_similarity/training_metrics/distance_metrics.py (Apache-2.0): DistanceMetric, DistanceGapMetric; only the imports and helpers it needs are added around it. `Distance`, `EuclideanDistance` and `distance_canonicalizer` are copied from distances.py and `build_masks`, `masked_max`, `masked_min` from algebra.py (same package and licence); `DISTANCES` is cut to the Euclidean distance; the type aliases are left as (lazy) annotations.
# Copyright 2021 The TensorFlow Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import tensorflow as tf
from tensorflow.keras.metrics import Metric


class Distance(ABC):
    """
    Note: don't forget to add your distance to the DISTANCES list
    and add alias names in it.

    """

    def __init__(self, name: str, aliases: Sequence[str]):
        self.name = name if name is not None else "distance"
        self.aliases = aliases if aliases is not None else None

    @abstractmethod
    def call(self, query_embeddings: FloatTensor, key_embeddings: FloatTensor) -> FloatTensor:
        """Compute pairwise distances for a given batch.

        Args:
            query_embeddings: Embeddings to compute the pairwise one.
            key_embeddings: Embeddings to compute the pairwise one.

        Returns:
            FloatTensor: Pairwise distance tensor.
        """

    def __call__(self, query_embeddings: FloatTensor, key_embeddings: FloatTensor):
        return self.call(query_embeddings, key_embeddings)

    def __str__(self) -> str:
        return self.name

    def get_config(self):
        return {"name": self.name, "aliases": self.aliases}


@tf.keras.utils.register_keras_serializable(package="Similarity")
class EuclideanDistance(Distance):
    """Compute pairwise euclidean distances between embeddings.

    The [Euclidean Distance](https://en.wikipedia.org/wiki/Euclidean_distance)
    is the standard distance to measure the line segment between two embeddings
    in the Cartesian point. The larger the distance the more dissimilar
    the embeddings are.

    **Alias**: L2 Norm, Pythagorean
    """

    def __init__(self, name: str | None = None, aliases: Sequence[str] | None = None):
        "Init Euclidean distance"
        name = name if name is not None else "euclidean"
        aliases = aliases if aliases is not None else ["l2", "pythagorean"]
        super().__init__(name, aliases)

    @tf.function
    def call(self, query_embeddings: FloatTensor, key_embeddings: FloatTensor) -> FloatTensor:
        """Compute pairwise distances for a given batch of embeddings.

        Args:
            query_embeddings: Embeddings to compute the pairwise one.
            key_embeddings: Embeddings to compute the pairwise one.

        Returns:
            FloatTensor: Pairwise distance tensor.
        """
        q_squared_norm = tf.math.square(query_embeddings)
        q_squared_norm = tf.math.reduce_sum(q_squared_norm, axis=1, keepdims=True)

        k_squared_norm = tf.math.square(key_embeddings)
        k_squared_norm = tf.math.reduce_sum(k_squared_norm, axis=1, keepdims=True)

        distances: FloatTensor = 2.0 * tf.linalg.matmul(query_embeddings, key_embeddings, transpose_b=True)
        distances = q_squared_norm - distances + tf.transpose(k_squared_norm)

        # Avoid NaN and inf gradients when back propagating through the sqrt.
        # values smaller than 1e-18 produce inf for the gradient, and 0.0
        # produces NaN. All values smaller than 1e-13 should produce a gradient
        # of 1.0.
        dist_mask = tf.math.greater_equal(distances, 1e-18)
        distances = tf.math.maximum(distances, 1e-18)
        distances = tf.math.sqrt(distances) * tf.cast(dist_mask, tf.float32)

        return distances


DISTANCES = [EuclideanDistance()]  # the package lists all its distances here


def distance_canonicalizer(user_distance: Distance | str) -> Distance:
    """Normalize user requested distance to its matching Distance object.

    Args:
        user_distance: Requested distance either by name or by object

    Returns:
        Distance: Requested object name.
    """

    # just return Distance object
    if isinstance(user_distance, Distance):
        # user supplied distance function
        return user_distance

    mapping = {}
    name2fn = {}
    for distance in DISTANCES:
        # self reference
        mapping[distance.name] = distance.name
        name2fn[distance.name] = distance
        # aliasing
        for alias in distance.aliases:
            mapping[alias] = distance.name

    if isinstance(user_distance, str):
        user_distance = user_distance.lower().strip()
        if user_distance in mapping:
            user_distance = mapping[user_distance]
        else:
            raise ValueError("Metric not supported by the framework")

        return name2fn[user_distance]

    raise ValueError(
        "Unknown distance: must either be a MetricDistance\
                     or a known distance function"
    )


def masked_max(distances: FloatTensor, mask: BoolTensor, dim: int = 1) -> tuple[FloatTensor, FloatTensor]:
    """Computes the maximum values over masked pairwise distances.

    We need to use this formula to make sure all values are >=0.

    Args:
      distances: 2-D float `Tensor` of [n, n] pairwise distances
      mask: 2-D Boolean `Tensor` of [n, n] valid distance size.
      dim: The dimension over which to compute the maximum. Defaults to 1.

    Returns:
      A Tuple of Tensors containing the maximum distance value and the arg_max
      for each example.
    """
    # Convert to dbl to avoid precision error in offset
    distance_dtype = distances.dtype
    distances = tf.cast(distances, dtype=tf.float64)
    mask = tf.cast(mask, dtype=tf.float64)

    axis_min = tf.math.reduce_min(distances, dim, keepdims=True) - 1e-6
    masked_max = tf.math.multiply(distances - axis_min, mask)
    arg_max = tf.math.argmax(masked_max, dim)
    masked_max = tf.math.reduce_max(masked_max, dim, keepdims=True) + axis_min
    return tf.cast(masked_max, dtype=distance_dtype), arg_max


def masked_min(distances: FloatTensor, mask: BoolTensor, dim: int = 1) -> tuple[FloatTensor, FloatTensor]:
    """Computes the minimal values over masked pairwise distances.

    Args:
      distances: 2-D float `Tensor` of [n, n] pairwise distances
      mask: 2-D Boolean `Tensor` of [n, n] valid distance size.
      dim: The dimension over which to compute the minimum. Defaults to 1.

    Returns:
      A Tuple of Tensors containing the minimal distance value and the arg_min
      for each example.
    """
    # Convert to dbl to avoid precision error in offset
    distance_dtype = distances.dtype
    distances = tf.cast(distances, dtype=tf.float64)
    mask = tf.cast(mask, dtype=tf.float64)

    axis_max = tf.math.reduce_max(distances, dim, keepdims=True) + 1e-6
    masked_min = tf.math.multiply(distances - axis_max, mask)
    arg_min = tf.math.argmin(masked_min, dim)
    masked_min = tf.math.reduce_min(masked_min, dim, keepdims=True) + axis_max
    return tf.cast(masked_min, dtype=distance_dtype), arg_min


def build_masks(
    query_labels: IntTensor, key_labels: IntTensor, batch_size: int, remove_diagonal: bool = True
) -> tuple[BoolTensor, BoolTensor]:
    """Build masks that allows to select only the positive or negatives
    embeddings.
    Args:
        query_labels: 1D int `Tensor` that contains the query class ids.
        key_labels: 1D int `Tensor` that contains the key class ids.
        batch_size: size of the batch.
        remove_diagonal: Bool. If True, will set diagonal to False in positive pair mask

    Returns:
        Tuple of Tensors containing the positive_mask and negative_mask
    """
    if tf.rank(query_labels) == 1:
        query_labels = tf.reshape(query_labels, (-1, 1))

    if tf.rank(key_labels) == 1:
        key_labels = tf.reshape(key_labels, (-1, 1))

    # same class mask
    positive_mask = tf.math.equal(query_labels, tf.transpose(key_labels))

    # not the same class
    negative_mask = tf.math.logical_not(positive_mask)

    if remove_diagonal:
        # It is optional to remove diagonal from positive mask.
        # Diagonal is often removed if queries and keys are identical.
        positive_mask = tf.linalg.set_diag(positive_mask, tf.zeros(batch_size, dtype=tf.bool))

    return positive_mask, negative_mask


@tf.keras.utils.register_keras_serializable(package="Similarity")
class DistanceMetric(Metric):
    def __init__(
        self,
        distance: Distance | str,
        aggregate: str = "mean",
        anchor: str = "positive",
        name: str | None = None,
        positive_mining_strategy: str = "hard",
        negative_mining_strategy: str = "hard",
        **kwargs,
    ):

        if not name:
            name = "%s_%s" % (aggregate, anchor[:3])
        super().__init__(name=name, **kwargs)

        self.distance = distance_canonicalizer(distance)

        if anchor not in ["positive", "negative"]:
            raise ValueError("Invalid anchor_type")
        self.anchor = anchor

        if positive_mining_strategy not in ["hard", "semi-hard", "easy"]:
            raise ValueError("Invalid positive_mining_strategy")
        self.positive_mining_strategy = positive_mining_strategy

        if negative_mining_strategy not in ["hard", "easy"]:
            raise ValueError("Invalid positive_mining_strategy")
        self.negative_mining_strategy = negative_mining_strategy

        if aggregate not in ["mean", "max", "avg", "min", "sum"]:
            raise ValueError("Invalid reduction")
        self.aggregate = aggregate

        # result variable
        self.aggregated_distances = tf.Variable(0, dtype=tf.keras.backend.floatx())

    def update_state(self, labels: IntTensor, embeddings: FloatTensor, sample_weight: FloatTensor) -> None:

        # [distances]
        pairwise_distances = self.distance(embeddings, embeddings)

        # [mask]
        batch_size = tf.size(labels)
        positive_mask, negative_mask = build_masks(labels, labels, batch_size)

        if self.anchor == "positive":
            if self.positive_mining_strategy == "hard":
                distances, _ = masked_max(pairwise_distances, positive_mask)
            else:
                distances, _ = masked_min(pairwise_distances, positive_mask)
        else:
            if self.negative_mining_strategy == "hard":
                distances, _ = masked_min(pairwise_distances, negative_mask)
            else:
                distances, _ = masked_max(pairwise_distances, negative_mask)

        # reduce
        if self.aggregate == "mean" or self.aggregate == "avg":
            aggregated_distances = tf.reduce_mean(distances)
        elif self.aggregate == "max":
            aggregated_distances = tf.reduce_max(distances)
        elif self.aggregate == "min":
            aggregated_distances = tf.reduce_min(distances)
        elif self.aggregate == "sum":
            aggregated_distances = tf.reduce_sum(distances)

        self.aggregated_distances = aggregated_distances

    def reset_state(self) -> None:
        self.aggregated_distances = tf.Variable(0, dtype=tf.keras.backend.floatx())

    def result(self) -> tf.Variable:
        return self.aggregated_distances

    def get_config(self) -> dict[str, Any]:
        config = {
            "distance": self.distance.name,
            "aggregate": self.aggregate,
            "anchor": self.anchor,
            "positive_mining_strategy": self.positive_mining_strategy,
            "negative_mining_strategy": self.negative_mining_strategy,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@tf.keras.utils.register_keras_serializable(package="Similarity")
class DistanceGapMetric(Metric):
    def __init__(self, distance: Distance | str, name: str | None = None, **kwargs):
        name = name if name else "dist_gap"
        super().__init__(name=name, **kwargs)
        self.distance = distance
        self.max_pos_fn = DistanceMetric(distance, aggregate="max")
        self.min_neg_fn = DistanceMetric(distance, aggregate="min", anchor="negative")
        self.gap = tf.Variable(0, dtype=tf.keras.backend.floatx())

    def update_state(self, labels: IntTensor, embeddings: FloatTensor, sample_weight: FloatTensor):
        max_pos = self.max_pos_fn(labels, embeddings, sample_weight)
        min_neg = self.min_neg_fn(labels, embeddings, sample_weight)
        self.gap.assign(tf.cast(tf.abs(min_neg - max_pos), tf.keras.backend.floatx()))

    def result(self) -> tf.Variable:
        return self.gap

    def get_config(self) -> dict[str, Any]:
        config = {
            "distance": self.distance,
        }
        base_config = super().get_config()
        return {**base_config, **config}
