"""The Keras behaviour the held-out precision verdicts and misses rest on (docs/precision.md, issue 17), measured
under the running runtime:

python bench/precision_facts.py                          # Keras 3 (tf.keras in TensorFlow 2.21)
TF_USE_LEGACY_KERAS=1 python bench/precision_facts.py    # Keras 2 (tf-keras 2.21)

Prints one line per fact: `name: result` (the value, or the exception type and the start of its message).
docs/precision/held-out-2026-12*.csv cite these names in their reasons.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
K = keras.backend
V1_LAYER_NAMES = ["flatten", "batch_normalization", "dense", "dropout", "Layer", "InputSpec", "Dense",
                  "separable_conv2d", "conv2d", "conv2d_transpose", "Conv2D", "Conv2DTranspose"]


def measure(function) -> str:
    try:
        return repr(function())
    except Exception as error:  # the failure is the fact
        return f"{type(error).__name__}: {str(error).splitlines()[0][:110]}"


def fit_loss(layer: keras.layers.Layer) -> float:
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layer(inputs))
    model.compile("sgd", "mse")
    return round(model.fit(np.ones((4, 2)), np.ones((4, 2)), verbose=0).history["loss"][-1], 4)


def v1_layers() -> str:
    import tensorflow.compat.v1 as tf1

    failing = []
    for name in V1_LAYER_NAMES:
        try:
            getattr(tf1.layers, name)
        except AttributeError:
            failing.append(name)
    return f"{len(failing)} of {len(V1_LAYER_NAMES)} raise AttributeError"


class _Plain(tf.Module):
    pass


class VariableOnModuleAttribute(keras.layers.Layer):  # qkeras: self.quantizer.integer = tf.Variable(...)
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.quantizer = _Plain()

    def build(self, input_shape):
        self.quantizer.integer = tf.Variable(tf.zeros(3), trainable=False)

    def call(self, inputs):
        return inputs


class StatelessMask(keras.layers.Layer):  # deepchem NeighborList, tf-ranking SelfAttentionMask
    def call(self, inputs):
        return inputs * 2.0


class BuildsStatelessLayerInCall(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(), initializer="ones")

    def call(self, inputs):
        return StatelessMask()(inputs) * self.w


class BuildsDropoutInCall(keras.layers.Layer):  # keras-cv TransformerEncoder, stellargraph GraphAttention
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        return keras.layers.Dropout(self.rate)(inputs)


class BackendZerosInBuild(keras.layers.Layer):  # deepchem WeaveLayer: self.b_A = backend.zeros(shape=[...])
    def build(self, input_shape):
        self.b = K.zeros(shape=[2])

    def call(self, inputs):
        return inputs + self.b


class BackendZerosInCall(keras.layers.Layer):  # keras-rl2 NAFLayer: K.zeros((n, n)) in call
    def call(self, inputs):
        return inputs + K.zeros((2,))


class AddsUpdate(keras.layers.Layer):  # qkeras QBatchNormalization
    def build(self, input_shape):
        self.v = self.add_weight(name="v", shape=(), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.add_update(self.v.assign_add(1.0))
        return inputs


class AddsMetric(keras.layers.Layer):  # tensorflow-similarity ActivationStdLoggingLayer, NSL models
    def call(self, inputs):
        self.add_metric(tf.reduce_mean(inputs), name="m", aggregation="mean")
        return inputs


class ReadsPrivateWeights(keras.layers.Layer):  # keras-multi-head MultiHead.trainable_weights
    @property
    def trainable_weights(self):
        return self._trainable_weights[:]


class DynamicModel(keras.Model):  # NSL CustomLinearModel
    def __init__(self, name=None, dynamic=False):
        super().__init__(name=name, dynamic=dynamic)


class LazySublayerModel(keras.Model):  # dopamine ImplicitQuantileNetwork: `if not hasattr(self, ...)` in call
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.torso = keras.layers.Dense(4)  # as there, other sublayers come from __init__ (without them Keras 3 raises)

    def call(self, inputs):
        if not hasattr(self, "dense_quantile"):
            self.dense_quantile = keras.layers.Dense(2)
        return self.dense_quantile(self.torso(inputs))


def functional() -> keras.Model:
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


def main() -> None:
    warnings.filterwarnings("ignore")  # tf-keras warns that `layer.updates` is deprecated: the value is the fact
    module_layer = VariableOnModuleAttribute()
    module_layer(np.ones((1, 3), "float32"))
    zeros_layer = BackendZerosInBuild()
    zeros_layer(np.ones((1, 2), "float32"))
    lazy = LazySublayerModel()
    facts = {
        "v1_layers_names": measure(v1_layers),
        "variable_on_module_attribute_weights": measure(lambda: len(module_layer.weights)),
        "stateless_layer_built_in_call_fit": measure(lambda: fit_loss(BuildsStatelessLayerInCall())),
        "dropout_built_in_call_fit": measure(lambda: fit_loss(BuildsDropoutInCall(0.5))),
        # Keras 3 makes the seed generator only for a rate > 0
        "dropout_rate_0_built_in_call_fit": measure(lambda: fit_loss(BuildsDropoutInCall(0.0))),
        "backend_zeros_in_build_weights": measure(lambda: len(zeros_layer.weights)),
        "backend_zeros_in_call_fit": measure(lambda: fit_loss(BackendZerosInCall())),
        "add_update": measure(lambda: AddsUpdate()(np.ones((1, 2), "float32")).shape),
        "add_metric": measure(lambda: AddsMetric()(np.ones((1, 2), "float32")).shape),
        "private_trainable_weights_read": measure(lambda: ReadsPrivateWeights().trainable_weights),
        "model_dynamic_keyword": measure(lambda: type(DynamicModel()).__name__),
        "model_updates": measure(lambda: functional().updates),
        "functional_input_output_shape": measure(lambda: (functional().input_shape, functional().output_shape)),
        "layer_output_shape": measure(lambda: functional().layers[-1].output_shape),
        "lazy_sublayer_in_model_call": measure(lambda: (lazy(np.ones((2, 3), "float32")).shape,
                                                        len(lazy.trainable_weights))),
    }
    for name, result in facts.items():
        print(f"{name}: {result}")


if __name__ == "__main__":
    main()
