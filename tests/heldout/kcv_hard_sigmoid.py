# tflint-vars held-out corpus (tests/heldout): keras-cv HardSigmoidActivation: an __init__ without **kwargs (TFV014) on Keras 3's keras.
# Copied verbatim from keras-cv 0.9.0, keras_cv/src/models/backbones/mobilenet_v3/mobilenet_v3_backbone.py (Apache-2.0): HardSigmoidActivation; only the imports and helpers it needs are added around it.
# Copyright 2023 The KerasCV Authors
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
# replaces `from keras_cv.src.backend import keras`, which is `import keras` when Keras 3 is installed
import keras


def apply_hard_sigmoid(x):
    activation = keras.layers.ReLU(6.0)
    return activation(x + 3.0) * (1.0 / 6.0)


class HardSigmoidActivation(keras.layers.Layer):
    def __init__(self):
        super().__init__()

    def call(self, x):
        return apply_hard_sigmoid(x)

    def get_config(self):
        return super().get_config()
