"""Keras 2 (tf-keras 2.21) against Keras 3 (tf.keras in TensorFlow 2.21): the layer API Keras 3 lacks or takes
differently, and what each breakage does under both runtimes.

python bench/keras_api_diff.py              # both runtimes in subprocesses: the surface diff, then every fact
python bench/keras_api_diff.py --measure    # the running runtime only (TF_USE_LEGACY_KERAS=1 for Keras 2)

With --measure it prints one line per fact, `name: result`, as bench/keras_fix_facts.py does (tests/test_fix_facts.py
asserts both): `surface.<Class>` lists the public attributes of Layer, Model, Metric, keras.backend and
tf.compat.v1.keras.utils; `signature.<Class>.<method>` the parameters; every other fact runs one Keras 2 idiom and
gives its value, or the exception type and the start of its message. docs/keras3-breakages.md is the catalogue.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

# Layer methods whose signatures Keras 2 layer code relies on.
SIGNATURES = {"Layer": ("__init__", "add_weight", "build", "compute_output_shape"), "Metric": ("add_weight",),
              "Model": ("__init__",)}
# Built-in layers Keras 2 code constructs in `call` and uses at once (no weights in Keras 2).
CANDIDATE_STATEFUL = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
                      "GaussianDropout", "GaussianNoise", "RandomFlip", "RandomRotation", "RandomZoom",
                      "RandomTranslation", "RandomContrast", "RandomBrightness", "RandomCrop", "Activation",
                      "Flatten", "MaxPooling2D", "ReLU")
INPUT_RANKS = {"SpatialDropout1D": 3, "SpatialDropout2D": 4, "SpatialDropout3D": 5, "RandomFlip": 4,
               "RandomRotation": 4, "RandomZoom": 4, "RandomTranslation": 4, "RandomContrast": 4,
               "RandomBrightness": 4, "RandomCrop": 4, "MaxPooling2D": 4}
CONSTRUCTOR_ARGS = {"Dropout": (0.5,), "SpatialDropout1D": (0.5,), "SpatialDropout2D": (0.5,),
                    "SpatialDropout3D": (0.5,), "AlphaDropout": (0.5,), "GaussianDropout": (0.5,),
                    "GaussianNoise": (0.5,), "RandomFlip": (), "RandomRotation": (0.2,), "RandomZoom": (0.2,),
                    "RandomTranslation": (0.2, 0.2), "RandomContrast": (0.2,), "RandomBrightness": (0.2,),
                    "RandomCrop": (2, 2), "Activation": ("relu",), "Flatten": (), "MaxPooling2D": (), "ReLU": ()}


def measure() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    keras = tf.keras
    results: dict[str, str] = {}

    def fact(name, function):
        try:
            results[name] = repr(function())
        except Exception as error:  # the failure is the fact
            results[name] = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:110]}"

    def public(obj):
        return " ".join(sorted(n for n in dir(obj) if not n.startswith("_")))

    def parameters(function):
        return ",".join(("**" if p.kind is p.VAR_KEYWORD else "*" if p.kind is p.VAR_POSITIONAL else "") + p.name
                        for p in inspect.signature(function).parameters.values())

    classes = {"Layer": keras.layers.Layer, "Model": keras.Model, "Metric": keras.metrics.Metric}
    for name, cls in classes.items():
        results[f"surface.{name}"] = public(cls)
    results["surface.backend"] = public(keras.backend)
    results["surface.compat_v1_keras_utils"] = public(tf.compat.v1.keras.utils)
    for name, methods in SIGNATURES.items():
        for method in methods:
            results[f"signature.{name}.{method}"] = parameters(getattr(classes[name], method))

    def call_in_layer(body):
        """A layer whose call runs `body(self, x)`, called eagerly once; the value `body` leaves."""
        class L(keras.layers.Layer):
            def call(self, x):
                self.seen = body(self, x)
                return x
        instance = L()
        instance(tf.ones((2, 3)))
        return instance.seen

    fact("add_metric_in_call", lambda: call_in_layer(
        lambda self, x: self.add_metric(tf.reduce_mean(x), name="m")) or "ok")
    fact("add_update_in_call", lambda: call_in_layer(lambda self, x: self.add_update([]) or "ok"))
    fact("layer_updates", lambda: keras.layers.Dense(2).updates)

    def functional_dense():
        inputs = keras.Input((3,))
        dense = keras.layers.Dense(2)
        keras.Model(inputs, dense(inputs))
        return dense
    fact("layer_input_shape", lambda: functional_dense().input_shape)
    fact("layer_output_shape", lambda: functional_dense().output_shape)

    def init_with(*args, **kwargs):
        class L(keras.layers.Layer):
            def __init__(self):
                super().__init__(*args, **kwargs)
        return type(L()).__name__
    fact("super_init_dynamic_true", lambda: init_with(dynamic=True))
    fact("super_init_dynamic_false", lambda: init_with(dynamic=False))
    fact("super_init_positional", lambda: init_with(True, "named", None, False))
    fact("super_init_positional_keywords", lambda: init_with(trainable=True, name="named", dtype=None))

    def decorated_class():
        class L(keras.layers.Layer):
            @tf.compat.v1.keras.utils.track_tf1_style_variables
            def call(self, x):
                return x
        return type(L(),).__name__
    fact("track_tf1_style_variables_decorator", decorated_class)
    fact("compat_v1_layers_conv2d_reference", lambda: tf.compat.v1.layers.conv2d.__name__)
    fact("compat_v1_layers_separable_conv2d_reference", lambda: tf.compat.v1.layers.separable_conv2d.__name__)

    # Each built-in constructed in call and used at once, in a model trained with fit (a tf.function): the variables
    # it owns once called, and whether fit runs.
    for layer_name in CANDIDATE_STATEFUL:
        rank = INPUT_RANKS.get(layer_name, 2)
        shape = (4,) * (rank - 2) + (3,)

        def owned(name=layer_name, shape=shape):
            instance = getattr(keras.layers, name)(*CONSTRUCTOR_ARGS[name])
            instance(tf.ones((1, *shape)), training=True) if "Random" not in name else instance(tf.ones((1, *shape)))
            return len(instance.variables)

        def fit(name=layer_name, shape=shape):
            class Outer(keras.layers.Layer):
                def call(self, x, training=None):
                    return getattr(keras.layers, name)(*CONSTRUCTOR_ARGS[name])(x, training=training)
            model = keras.Sequential([keras.Input(shape), Outer(), keras.layers.Flatten(), keras.layers.Dense(1)])
            model.compile("sgd", "mse")
            model.fit(np.ones((4, *shape)), np.ones((4, 1)), epochs=1, verbose=0)
            return "trains"
        fact(f"variables_owned.{layer_name}", owned)
        fact(f"constructed_in_call_fit.{layer_name}", fit)

    def compute_output_shape_as_list():
        class L(keras.layers.Layer):
            def call(self, x):
                return tf.concat([x, x], axis=-1)

            def compute_output_shape(self, input_shape):
                shape = input_shape.as_list()
                return tf.TensorShape(shape[:-1] + [shape[-1] * 2])
        return tuple(L()(keras.Input((3,))).shape)
    fact("compute_output_shape_as_list", compute_output_shape_as_list)

    def build_with_extra_argument():
        class L(keras.layers.Layer):
            def build(self, input_shape, other=None):
                self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

            def call(self, x):
                return x * self.w
        model = keras.Sequential([keras.Input((3,)), L()])
        return len(model.weights)
    fact("build_extra_argument", build_with_extra_argument)

    def save_and_load(with_kwargs: bool, with_config: bool = True):
        import tempfile

        class Scale(keras.layers.Layer):
            if with_kwargs:
                def __init__(self, units=4, **kwargs):
                    super().__init__(**kwargs)
                    self.units = units
            else:
                def __init__(self, units=4):
                    super().__init__()
                    self.units = units

            if with_config:
                def get_config(self):
                    return {**super().get_config(), "units": self.units}

            def build(self, input_shape):
                self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

            def call(self, x):
                return x * self.w
        model = keras.Sequential([keras.Input((3,)), Scale()])
        path = os.path.join(tempfile.mkdtemp(), "m.keras")
        model.save(path)
        loaded = keras.models.load_model(path, custom_objects={"Scale": Scale})
        return len(loaded.weights)
    fact("load_model_constructor_without_kwargs", lambda: save_and_load(False))
    fact("load_model_constructor_with_kwargs", lambda: save_and_load(True))
    fact("load_model_constructor_without_kwargs_default_config", lambda: save_and_load(False, with_config=False))
    fact("load_model_constructor_with_kwargs_default_config", lambda: save_and_load(True, with_config=False))

    def save_dtype_default():
        import tempfile

        # A constructor default that is a tf.DType, no get_config (TFV017): Keras 3's automatic config cannot save it.
        class Acc(keras.layers.Layer):
            def __init__(self, dim=3, state_dtype=tf.float32, **kwargs):
                super().__init__(**kwargs)
                self.acc = self.add_weight(name="acc", shape=(dim,), initializer="zeros", dtype=state_dtype)

            def call(self, x):
                return x + tf.cast(self.acc, x.dtype)
        model = keras.Sequential([keras.Input((3,)), Acc()])
        path = os.path.join(tempfile.mkdtemp(), "m.keras")
        model.save(path)
        loaded = keras.models.load_model(path, custom_objects={"Acc": Acc})
        return len(loaded.weights)
    fact("save_constructor_dtype_default", save_dtype_default)

    # TFV017's fix: the default written as the dtype's name. What the automatic config records (Keras 3 saves the
    # defaulted arguments too, tf-keras only those passed), and the fixed layer's round trip under both runtimes.
    class NamedDtype(keras.layers.Layer):
        def __init__(self, dim=3, state_dtype="float32", **kwargs):
            super().__init__(**kwargs)
            self.received = state_dtype
            self.acc = self.add_weight(name="acc", shape=(dim,), initializer="zeros", dtype=state_dtype,
                                       trainable=False)

        def call(self, x):
            return x + tf.cast(self.acc, x.dtype)

    def config_of(layer):
        config = layer.get_config()
        return tuple(config.get(key, "absent") for key in ("dim", "state_dtype"))
    fact("auto_config_dtype_default", lambda: (config_of(NamedDtype()), config_of(NamedDtype(state_dtype="float64"))))
    fact("auto_config_dtype_passed_as_dtype", lambda: config_of(NamedDtype(state_dtype=tf.float64)))

    def save_dtype_string_default():
        import tempfile

        model = keras.Sequential([keras.Input((3,)), NamedDtype()])
        path = os.path.join(tempfile.mkdtemp(), "m.keras")
        model.save(path)
        loaded = keras.models.load_model(path, custom_objects={"NamedDtype": NamedDtype})
        same = np.array_equal(loaded.predict(np.ones((2, 3)), verbose=0), model.predict(np.ones((2, 3)), verbose=0))
        return str(loaded.layers[-1].acc.dtype.name if hasattr(loaded.layers[-1].acc.dtype, "name") else
                   loaded.layers[-1].acc.dtype), loaded.layers[-1].received, same
    fact("save_constructor_dtype_string_default", save_dtype_string_default)

    def dtype_uses(dtype):
        """What each use TFV017's safe fix accepts makes of a dtype: variable, weight, cast, as_dtype, layer."""
        class L(keras.layers.Layer):
            def __init__(self):
                super().__init__(dtype=dtype)
                self.v = tf.Variable(tf.zeros((2,), dtype=dtype))
                self.w = self.add_weight(name="w", shape=(2,), initializer="zeros", dtype=dtype)
                self.c = tf.cast(tf.ones(2), dtype)
                self.k = tf.constant(1, dtype=dtype)

        layer = L()
        return (layer.v.dtype.name, tf.as_dtype(layer.w.dtype).name, layer.c.dtype.name, layer.k.dtype.name,
                tf.as_dtype(dtype).name, layer.dtype, layer.compute_dtype, layer.variable_dtype)
    fact("dtype_string_and_dtype_alike", lambda: [dtype_uses(name) == dtype_uses(getattr(tf, name))
                                                  for name in ("float16", "float32", "float64", "int32", "int64")])
    fact("dtype_uses_float64", lambda: dtype_uses("float64"))
    fact("as_dtype_none", lambda: tf.as_dtype(None))

    def metric_weight(*args, **kwargs):
        class M(keras.metrics.Metric):
            def __init__(self):
                super().__init__(name="m")
                self.total = self.add_weight(*args, **kwargs)

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.total.assign_add(tf.reduce_sum(y_pred))

            def result(self):
                return self.total
        return M()
    fact("metric_add_weight_positional_name", lambda: metric_weight("total", shape=(), initializer="zeros").total.name)
    fact("metric_add_weight_no_initializer", lambda: float(tf.reduce_sum(
        tf.abs(metric_weight(name="n", shape=()).total))) > 0)

    def metric_reset_no_initializer():
        metric = metric_weight(name="n", shape=())
        metric.reset_state()
        return metric.total.numpy().tolist()
    fact("metric_no_initializer_after_reset", metric_reset_no_initializer)

    def metric_evaluate_resets():
        metric = metric_weight(name="n", shape=())
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        model.compile("sgd", "mse", metrics=[metric])
        return round(float(model.evaluate(np.ones((2, 1)), np.ones((2, 1)), verbose=0, return_dict=True)["m"]), 3)
    fact("metric_no_initializer_evaluate", metric_evaluate_resets)
    def metric_fit_no_initializer():
        metric = metric_weight(name="n", shape=())
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        model.compile("sgd", "mse", metrics=[metric])
        history = model.fit(np.ones((2, 1)), np.ones((2, 1)), epochs=1, verbose=0, batch_size=2)
        return round(float(history.history["m"][0]), 3)
    fact("metric_no_initializer_fit", metric_fit_no_initializer)
    fact("layer_add_weight_computed_positional_name", lambda: keras.layers.Layer().add_weight(
        "pre" + "/residual", shape=(2,), initializer="zeros").name)
    fact("layer_add_variable_keras2_order", lambda: tuple(keras.layers.Layer().add_variable("w", [3, 4]).shape))
    fact("layer_add_variable_keywords", lambda: tuple(keras.layers.Layer().add_variable(
        name="w", shape=(3, 4), initializer="zeros").shape))

    for name, result in results.items():
        print(f"{name}: {result}")
    sys.stdout.flush()


def run(legacy: bool) -> dict[str, str]:
    """The facts of one runtime, measured in a subprocess (the Keras is chosen at TensorFlow's import)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    result = subprocess.run([sys.executable, __file__, "--measure"], capture_output=True, text=True, env=env,
                            timeout=900, check=True)
    return dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)


def main() -> None:
    keras3, keras2 = run(legacy=False), run(legacy=True)
    print("# Public names Keras 2 has and Keras 3 lacks")
    for name in sorted(n for n in keras2 if n.startswith("surface.")):
        missing = sorted(set(keras2[name].split()) - set(keras3.get(name, "").split()))
        print(f"{name[len('surface.'):]}: {' '.join(missing)}")
    print("\n# Signatures that differ (Keras 2 -> Keras 3)")
    for name in sorted(n for n in keras2 if n.startswith("signature.")):
        if keras2[name] != keras3.get(name):
            print(f"{name[len('signature.'):]}: ({keras2[name]}) -> ({keras3.get(name)})")
    print("\n# Breakages measured (Keras 3 | Keras 2)")
    for name in keras2:
        if not name.startswith(("surface.", "signature.")):
            print(f"{name}: {keras3.get(name)} | {keras2[name]}")


if __name__ == "__main__":
    measure() if "--measure" in sys.argv else main()
