"""TFV009 (Keras-2-only add_weight keywords), TFV010 (TensorShape API in build) and TFV006's lazy-state-in-a-traced-
Layer case, beyond their fixtures: what they leave alone, and the exact text of their fixes in the layouts real code
uses. The fixtures (fixtures/tfv009_*, tfv010_*, tfv006_lazy_sublayer_load_model) carry the runtime evidence."""

from __future__ import annotations

import textwrap

import pytest

from tflint_vars.engine import check_source
from tflint_vars.fixes.fixer import fix_bytes


def _diagnostics(source: str, code: str):
    return [d for d in check_source(textwrap.dedent(source).encode(), "m.py") if d.code == code]


def _fixed(source: str, unsafe: bool = False) -> str:
    result = fix_bytes(textwrap.dedent(source).encode(), "m.py", unsafe=unsafe)
    assert result.dropped == []
    return result.data.decode()


HEAD = "import tensorflow as tf\n\n\nclass L(tf.keras.layers.Layer):\n    def build(self, input_shape):\n"


@pytest.mark.parametrize("call,expected", [
    # the only keyword
    ("self.add_weight(use_resource=True)", "self.add_weight()"),
    # the last one: its predecessor keeps no comma
    ("self.add_weight(name='w', shape=(1,), use_resource=True)", "self.add_weight(name='w', shape=(1,))"),
    # one in the middle
    ("self.add_weight(name='w', partitioner=None, shape=(1,))", "self.add_weight(name='w', shape=(1,))"),
    # one per line with a trailing comma: the predecessor takes the trailing comma and the line break
    ("self.add_weight(\n            name='w',\n            shape=(1,),\n            caching_device=None,\n        )",
     "self.add_weight(\n            name='w',\n            shape=(1,),\n        )"),
    # two findings and TFV007's positional fix on one call compose
    ("self.add_weight('w', (1,), experimental_autocast=False, use_resource=True)",
     "self.add_weight(name='w', shape=(1,), autocast=False)"),
])
def test_tfv009_fix_text(call, expected):
    source = f"{HEAD}        self.w = {call}\n"
    assert _fixed(source) == f"{HEAD}        self.w = {expected}\n"


def test_tfv009_unsafe_value_keeps_the_call_quotes_and_impure_removal_is_unsafe():
    source = f"{HEAD}        self.w = self.add_weight(name='w', aggregation=tf.VariableAggregation.SUM)\n" \
             f"        self.v = self.add_weight(name='v', partitioner=make_partitioner(2))\n"
    assert [d.fix for d in _diagnostics(source, "TFV009")] == ["unsafe", "unsafe"]
    assert _fixed(source) == source
    assert _fixed(source, unsafe=True) == f"{HEAD}        self.w = self.add_weight(name='w', aggregation='sum')\n" \
                                          f"        self.v = self.add_weight(name='v')\n"


@pytest.mark.parametrize("call", [
    "self.add_weight(name='w', getter=my_getter)",
    "self.add_weight(name='w', experimental_autocast=False, autocast=False)",
    "self.add_weight(name='w', synchronization=tf.VariableSynchronization.ON_WRITE)",
])
def test_tfv009_no_fix_without_a_keras3_equivalent(call):
    [diagnostic] = _diagnostics(f"{HEAD}        self.w = {call}\n", "TFV009")
    assert diagnostic.fix is None and diagnostic.fix_reason


@pytest.mark.parametrize("source", [
    # Keras 2 classes take every keyword
    "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def build(self, s):\n"
    "        self.w = self.add_weight(name='w', partitioner=None, caching_device=None)\n",
    # Keras 3's own spellings
    f"{HEAD}        self.w = self.add_weight(name='w', autocast=False, aggregation='sum',"
    " overwrite_with_gradient=True)\n",
    # forwarded keywords the rule cannot see
    f"{HEAD}        self.w = self.add_weight(name='w', **self.weight_kwargs)\n",
])
def test_tfv009_quiet(source):
    assert _diagnostics(source, "TFV009") == []


@pytest.mark.parametrize("body", [
    # rebound in a branch before the use: the use may see a TensorShape
    "if not isinstance(input_shape, tf.TensorShape):\n            input_shape = tf.TensorShape(input_shape)\n"
    "        n = input_shape.as_list()",
    "input_shape = tf.TensorShape(input_shape)\n        n = input_shape[-1].value",
    # guarded by a type test, or by a try that expects AttributeError
    "n = input_shape.as_list() if hasattr(input_shape, 'as_list') else list(input_shape)",
    "n = isinstance(input_shape, tf.TensorShape) and input_shape.ndims",
    "try:\n            n = input_shape.as_list()\n        except AttributeError:\n            n = list(input_shape)",
    # a nested function's own parameter
    "def rank(input_shape):\n            return input_shape.ndims",
    # APIs both a tuple and a TensorShape have
    "n = tf.compat.dimension_value(input_shape[-1]) + len(input_shape) + input_shape.index(3)",
])
def test_tfv010_quiet(body):
    assert _diagnostics(f"{HEAD}        {body}\n", "TFV010") == []


def test_tfv010_use_in_the_rebinding_statement_is_reported_and_later_uses_are_not():
    source = f"{HEAD}        input_shape = input_shape.as_list()\n        n = input_shape.as_list()\n"
    assert [d.line for d in _diagnostics(source, "TFV010")] == [6]


def test_tfv010_other_parameter_names_and_subscripts_and_no_fix_for_other_methods():
    source = ("import keras\n\n\nclass L(keras.layers.Layer):\n    def build(self, shapes):\n"
              "        a = shapes[0].as_list()\n        b = shapes.with_rank(2)\n        c = (shapes).rank\n")
    assert [(d.line, d.fix) for d in _diagnostics(source, "TFV010")] == [(6, "safe"), (7, None), (8, "safe")]
    assert _fixed(source).splitlines()[5:] == ["        a = list(shapes[0])", "        b = shapes.with_rank(2)",
                                                "        c = len((shapes))"]


def test_tfv010_only_in_build_and_compute_output_shape_of_a_keras3_class():
    source = ("import tensorflow as tf\nimport tf_keras\n\n\nclass A(tf_keras.layers.Layer):\n"
              "    def build(self, input_shape):\n        self.n = input_shape.as_list()\n\n\n"
              "class B(tf.keras.layers.Layer):\n    def compute_output_shape(self, input_shape):\n"
              "        return input_shape.as_list()\n\n    def call(self, x):\n        return x.shape.as_list()\n")
    # Keras 3 calls compute_output_shape with a tuple too (issue 17); `call` gets a tensor.
    assert [(d.line, d.column) for d in _diagnostics(source, "TFV010")] == [(12, 16)]


LAZY = """\
import tensorflow as tf


class Head(tf.keras.{base}):
    def __init__(self):
        super().__init__()
        self.body = tf.keras.layers.Dense(8)

    def call(self, inputs):
        if not hasattr(self, "head"):
            self.head = tf.keras.layers.Dense(1)
        return self.head(self.body(inputs))
"""


def test_tfv006_lazy_sublayer_is_reported_in_a_traced_layer_and_not_in_a_model():
    """Measured: the Layer trains but `load_model` raises; the Model round-trips (Model.build_from_config traces)."""
    [layer] = _diagnostics(LAZY.format(base="layers.Layer"), "TFV006")
    assert "load_model" in layer.message and layer.fix == "unsafe"
    assert _diagnostics(LAZY.format(base="Model"), "TFV006") == []


def test_a_method_that_opts_out_of_tracking_is_not_reported():
    """tf_keras base_preprocessing_layer.py: a step counter made in a method decorated to be untracked under Keras 2
    too (a false positive found reading the soak corpora)."""
    # (on tf.keras: a tf_keras class is not reported at all, being Keras 2 by construction)
    source = ("import tensorflow as tf\nimport tf_keras\n\n\nclass P(tf.keras.layers.Layer):\n"
              "    @tf.__internal__.tracking.no_automatic_dependency_tracking\n"
              "    def _configure_steps_per_execution(self, steps):\n"
              "        self._steps_per_execution = tf.Variable(steps, dtype='int64')\n\n"
              "    def _undecorated(self, steps):\n        self._steps = tf.Variable(steps, dtype='int64')\n")
    assert [d.line for d in _diagnostics(source, "TFV003")] == [11]
