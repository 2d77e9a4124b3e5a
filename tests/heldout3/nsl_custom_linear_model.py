# tflint-vars held-out corpus (tests/heldout3): neural-structured-learning test model: a nested tf.keras.Model subclass whose __init__(self, weights, name=None, dynamic=False) has no **kwargs (TFV014) and passes dynamic to super().__init__ (TFV013); a harness holds it.
# Copied verbatim from neural-structured-learning 1.4.0, neural_structured_learning/keras/adversarial_regularization_test.py (Apache-2.0): build_linear_keras_subclassed_model (with its nested CustomLinearModel); only the imports and helpers it needs are added around it.
# Copyright 2019 Google LLC
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
import numpy as np
import tensorflow as tf


def build_linear_keras_subclassed_model(input_shape, weights, dynamic=False):
  del input_shape

  class CustomLinearModel(tf.keras.Model):

    def __init__(self, weights, name=None, dynamic=False):
      super(CustomLinearModel, self).__init__(name=name, dynamic=dynamic)
      self.init_weights = weights
      self.init_dynamic = dynamic
      self.dense = tf.keras.layers.Dense(
          weights.shape[-1],
          use_bias=False,
          name='dense',
          kernel_initializer=tf.keras.initializers.Constant(weights))

    def call(self, inputs):
      return self.dense(inputs['feature'])

    def get_config(self):
      return {
          'name': self.name,
          'weights': self.init_weights,
          'dynamic': self.init_dynamic
      }

  return CustomLinearModel(weights, dynamic=dynamic)


# tflint-vars harness: the package builds the model in a function and feeds it a dict; the harness does both.
class CustomLinearModelHarness(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.model = build_linear_keras_subclassed_model(None, np.array([[4.0], [-3.0]]))

    def call(self, inputs):
        return self.model({'feature': inputs})
