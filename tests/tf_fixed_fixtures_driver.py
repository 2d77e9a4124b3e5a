"""Runs the fixed fixtures under real TensorFlow (Keras 3) and prints one JSON object of facts for
test_fixes_tensorflow.py. One process, so TensorFlow is imported once. Usage: driver.py FIXTURES_DIR"""

import contextlib
import io
import json
import os
import runpy
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

FIXTURES = sys.argv[1]
facts = {"keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else "?"}


def load(name):
    with contextlib.redirect_stdout(io.StringIO()):
        return runpy.run_path(os.path.join(FIXTURES, name), run_name="fixture")


def weights(layer):
    return sorted(w.name.split("/")[-1].split(":")[0] for w in layer.trainable_weights), \
        sorted(w.name.split("/")[-1].split(":")[0] for w in layer.non_trainable_weights)


def record(key, function):
    try:
        facts[key] = function()
    except Exception as error:  # the test shows what broke
        facts[key] = {"error": f"{type(error).__name__}: {str(error)[:300]}", "trace": traceback.format_exc()[-2000:]}


def seed1(name):
    module = load(name)
    return {"trainable": weights(module["layer"])[0]}


def call_twice_in_function(layer, x):
    """Eagerly, then under tf.function (fit's mode): state must exist after build and stay put."""
    layer(x)
    before = len(layer.weights)
    tf.function(lambda t: layer(t))(x)
    return {"trainable": weights(layer)[0], "non_trainable": weights(layer)[1], "stable": len(layer.weights) == before}


def layers(name, build):
    module = load(name)
    return {key: call_twice_in_function(make(module), x) for key, (make, x) in build.items()}


ones = tf.ones((2, 3))
record("seed1 original", lambda: seed1("seed1_variable_in_init.py"))
record("seed1 fixed", lambda: seed1("seed1_variable_in_init.py.fixed"))
record("tfv001_dense_subclass", lambda: layers("tfv001_dense_subclass.py.fixed", {
    "ScaledDense": (lambda m: m["ScaledDense"](4), ones)}))
record("tfv001_import_forms", lambda: layers("tfv001_import_forms.py.fixed", {
    "AliasLayer": (lambda m: m["AliasLayer"](), tf.ones((2, 2))),
    "StandaloneKeras": (lambda m: m["StandaloneKeras"](), tf.ones((2, 2))),
    "Child": (lambda m: m["Child"](), tf.ones((2, 2)))}))
record("tfv001_lists_dicts_loops", lambda: layers("tfv001_lists_dicts_loops.py.fixed", {
    "Mixture": (lambda m: m["Mixture"](3), ones)}))
record("tfv003_variable_in_build", lambda: layers("tfv003_variable_in_build.py.fixed", {
    "Bias": (lambda m: m["Bias"](), ones)}))
record("tfv004_get_variable_in_layer", lambda: layers("tfv004_get_variable_in_layer.py.fixed", {
    "LegacyDense": (lambda m: m["LegacyDense"](2), ones)}))
record("tfv007_positional_name", lambda: layers("tfv007_positional_name.py.fixed", {
    "Gain": (lambda m: m["Gain"](), ones)}))
record("tfv002_variable_in_call", lambda: layers("tfv002_variable_in_call.py.unsafe-fixed", {
    "NoisyShift": (lambda m: m["NoisyShift"](), ones)}))
record("tfv006_lazy_add_weight", lambda: layers("tfv006_lazy_add_weight.py.fixed", {
    "LazyScale": (lambda m: m["LazyScale"](), ones)}))
record("tfv006_sublayer_in_call", lambda: layers("tfv006_sublayer_in_call.py.unsafe-fixed", {
    "Head": (lambda m: m["Head"](), ones)}))


def tf1_graph(name, function):
    """Build the fixture's TF1 graph function twice-entered scope in a fresh graph."""
    with tf.Graph().as_default():
        module = load(name)
        module[function](tf.zeros((4, 4)))
        return "built"


record("tfv005_scope_in_loop original", lambda: tf1_graph("tfv005_scope_in_loop.py", "tower"))
record("tfv005_scope_in_loop fixed", lambda: tf1_graph("tfv005_scope_in_loop.py.unsafe-fixed", "tower"))
print(json.dumps(facts))
