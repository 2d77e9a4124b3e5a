# tflint-vars held-out corpus (tests/heldout3): tensorflow-model-remediation test model: a Sequential of a nested SumLayer whose build calls self.add_weight("w", ()) by position in Keras 2's order (TFV007); a harness holds the model.
# Copied verbatim from tensorflow-model-remediation 0.1.7.1, tensorflow_model_remediation/counterfactual/keras/models/counterfactual_model_test.py (Apache-2.0): get_original_model (with its nested SumLayer); only the imports and helpers it needs are added around it.
# Copyright 2022 Google LLC.
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


def get_original_model():

  class SumLayer(tf.keras.layers.Layer):

    def build(self, _):
      self.w = self.add_weight("w", ())

    def call(self, inputs):
      return tf.keras.backend.sum(inputs, axis=1, keepdims=True) + self.w * 0

  model = tf.keras.Sequential([SumLayer(input_shape=(3,))])
  return model


# tflint-vars harness: the package builds the model in a function; the harness holds it.
class SumModelHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.model = get_original_model()

    def call(self, inputs):
        return self.model(inputs)
