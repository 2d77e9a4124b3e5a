"""What TFV006's fix of a layer constructed and called at once in `call` rests on, measured under the running runtime.

python bench/inline_layer_facts.py                          # Keras 3 (tf.keras in TensorFlow 2.21)
TF_USE_LEGACY_KERAS=1 python bench/inline_layer_facts.py    # Keras 2 (tf-keras 2.21)

The fix turns `layers.Dropout(self.rate)(x)` in `call` into `self.dropout(x)`, the layer constructed at the end of
`__init__`. Prints one line per fact: `name: result` (the value, or the exception type and the start of its
message). TFV006's "Fix safety" section cites these names. (Apart from bench/keras_fix_facts.py: a Keras 3 model
built after the facts there fails to trace in the same process.)
"""

from __future__ import annotations

import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _facts import fact, print_results  # noqa: E402  (bench/ is sys.path[0])

keras = tf.keras


# TFV006's inline fix: `layers.Dropout(self.rate)(x)` in `call` becomes `self.dropout(x)`, the layer constructed at the
# end of `__init__`. Both classes are named `Enc`: the weights files name a layer by its class.
_INLINE_ORIGINAL = """
class Enc(keras.layers.Layer):
    def __init__(self, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.dense = keras.layers.Dense(4)

    def call(self, x, training=None):
        return keras.layers.Dropout(self.rate)(self.dense(x), training=training)
"""
_INLINE_FIXED = _INLINE_ORIGINAL.replace(
    "self.dense = keras.layers.Dense(4)\n",
    "self.dense = keras.layers.Dense(4)\n        self.dropout = keras.layers.Dropout(self.rate)\n").replace(
    "keras.layers.Dropout(self.rate)(self.dense(x)", "self.dropout(self.dense(x)")


def _inline_class(source):
    namespace = {"keras": keras}
    exec(source, namespace)
    return namespace["Enc"]


def _inline_round_trip(saved_source, loaded_source, suffix):
    """Weights saved from a model holding one version, loaded into a model holding the other: outputs equal?"""
    x = np.random.RandomState(0).rand(4, 3).astype("float32")

    def model(source):
        inputs = keras.Input((3,))
        return keras.Model(inputs, _inline_class(source)()(inputs))

    saved, loaded = model(saved_source), model(loaded_source)
    path = os.path.join(tempfile.mkdtemp(), "w" + suffix)
    saved.save_weights(path)
    status = loaded.load_weights(path)
    if suffix == "":  # a TF checkpoint: every object of the loading model must have found its values
        status.assert_existing_objects_matched()
    return bool(np.allclose(saved(x), loaded(x)))


@fact("inline_dropout_weights_h5_original_to_fixed")
def _():
    return _inline_round_trip(_INLINE_ORIGINAL, _INLINE_FIXED, ".weights.h5")


@fact("inline_dropout_weights_h5_fixed_to_original")
def _():
    return _inline_round_trip(_INLINE_FIXED, _INLINE_ORIGINAL, ".weights.h5")


@fact("inline_dropout_legacy_h5_original_to_fixed")
def _():
    return _inline_round_trip(_INLINE_ORIGINAL, _INLINE_FIXED, ".h5")


@fact("inline_dropout_tf_checkpoint_original_to_fixed")
def _():
    return _inline_round_trip(_INLINE_ORIGINAL, _INLINE_FIXED, "")


@fact("inline_dropout_keras_file_original_loaded_as_fixed")
def _():
    x = np.random.RandomState(0).rand(4, 3).astype("float32")
    inputs = keras.Input((3,))
    saved = keras.Model(inputs, _inline_class(_INLINE_ORIGINAL)()(inputs))
    path = os.path.join(tempfile.mkdtemp(), "m.keras")
    saved.save(path)
    loaded = keras.models.load_model(path, custom_objects={"Enc": _inline_class(_INLINE_FIXED)})
    return bool(np.allclose(saved(x), loaded(x)))


def _fit(source):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, _inline_class(source)()(inputs))
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 4), "float32"), epochs=1, verbose=0)
    return "trains"


@fact("inline_dropout_fit_original")
def _():
    return _fit(_INLINE_ORIGINAL)


@fact("inline_dropout_fit_fixed")
def _():
    return _fit(_INLINE_FIXED)


@fact("inline_dropout_fixed_weights")
def _():
    layer = _inline_class(_INLINE_FIXED)()
    layer(tf.ones((2, 3)))
    return sorted(v.name.split("/")[-1].split(":")[0] for v in layer.weights)


@fact("shared_dropout_masks_differ_in_one_trace_and_across_steps")
def _():
    dropout = keras.layers.Dropout(0.5)

    @tf.function
    def twice(t):
        return dropout(t, training=True), dropout(t, training=True)

    first, second = twice(tf.ones((1, 64)))
    again, _ = twice(tf.ones((1, 64)))
    return bool(np.any(first.numpy() != second.numpy())), bool(np.any(first.numpy() != again.numpy()))


@fact("inline_seeded_dropout_masks_differ_between_calls")
def _():
    def masks():
        return keras.layers.Dropout(0.5, seed=1)(tf.ones((1, 64)), training=True).numpy()
    return bool(np.any(masks() != masks()))


@fact("shared_seeded_dropout_masks_differ_between_calls")
def _():
    dropout = keras.layers.Dropout(0.5, seed=1)
    return bool(np.any(dropout(tf.ones((1, 64)), training=True).numpy() !=
                       dropout(tf.ones((1, 64)), training=True).numpy()))


# A class with no `__init__` of its own gets `def __init__(self, *args, **kwargs): super().__init__(*args, **kwargs)`.
_NO_INIT_ADDED = """
class Noisy(keras.layers.Layer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dropout = keras.layers.Dropout(0.5)

    def call(self, x, training=None):
        return self.dropout(x, training=training)


class NoisyModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dropout = keras.layers.Dropout(0.5)

    def call(self, x, training=None):
        return self.dropout(x, training=training)
"""


_NO_INIT_ORIGINAL = """
class Noisy(keras.layers.Layer):
    def call(self, x, training=None):
        return keras.layers.Dropout(0.5)(x, training=training)


class NoisyModel(keras.Model):
    def call(self, x, training=None):
        return keras.layers.Dropout(0.5)(x, training=training)
"""


def _no_init_classes(source):
    namespace = {"keras": keras}
    exec(source, namespace)
    return namespace["Noisy"], namespace["NoisyModel"]


for _version, _source in (("original", _NO_INIT_ORIGINAL), ("added_init", _NO_INIT_ADDED)):
    @fact(f"{_version}_positional_layer_arguments")
    def _(source=_source):
        layer = _no_init_classes(source)[0](False, "n")  # Keras 2's Layer(trainable, name, ...) by position
        return layer.trainable, layer.name

    @fact(f"{_version}_functional_model_by_position")
    def _(source=_source):
        inputs = keras.Input((3,))
        model = _no_init_classes(source)[1](inputs, keras.layers.Dense(2)(inputs))  # Model(inputs, outputs)
        return len(model.weights)

    @fact(f"{_version}_layer_get_config")
    def _(source=_source):
        config = _no_init_classes(source)[0](name="n", trainable=False).get_config()
        return sorted((k, str(v)) for k, v in config.items() if k in ("name", "trainable"))

print_results()
sys.stdout.flush()
