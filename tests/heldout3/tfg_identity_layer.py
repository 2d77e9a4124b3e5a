# tflint-vars held-out corpus (tests/heldout3): tensorflow-graphics IdentityLayer (points_to_3Dobjects): __init__(self, name='identity') without **kwargs (TFV014).
# Copied verbatim from tensorflow-graphics 2021.12.3, tensorflow_graphics/projects/points_to_3Dobjects/networks/custom_blocks.py (Apache-2.0): IdentityLayer; only the imports and helpers it needs are added around it.
# Copyright 2020 The TensorFlow Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     https://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
import tensorflow as tf


class IdentityLayer(tf.keras.layers.Layer):

  def __init__(self, name='identity'):
    super(IdentityLayer, self).__init__(name=name)

  def call(self, inputs, **kwargs):
    return inputs
