"""Issue 17's measure, first bullet: Keras 2 layer modules with one breakage each (the rows of the issue's table and
its list of misses) are reported at the breaking line with the expected code, and the Keras 3 way of writing each is
silent. Written independently of the fixtures, from the issue's own examples; run through the real CLI.

Each module marks its breaking line with `# <- TFVnnn`; a module marked with nothing must give no finding at all."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MARK = re.compile(r"#\s*<-\s*(TFV\d{3})")

# (name, Keras 2 module with its breakage marked, the Keras 3 way of writing it)
CASES = [
    ("backend_variable", """
        import tensorflow as tf
        from tensorflow import keras
        K = keras.backend

        class Counter(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.v = K.variable(0.0)  # <- TFV001
                self.z = K.zeros((3,))  # <- TFV001
        """, """
        from tensorflow import keras

        class Counter(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.v = self.add_weight(name="v", shape=(), initializer="zeros", trainable=True)
        """),
    ("helper_variable", """
        import tensorflow as tf

        def make_bias(n):
            return tf.Variable(tf.zeros([n]))

        class Biased(tf.keras.layers.Layer):
            def __init__(self, n=4, **kwargs):
                super().__init__(**kwargs)
                self.b = make_bias(n)  # <- TFV001

            def call(self, x):
                return x + self.b
        """, """
        import tensorflow as tf

        class Biased(tf.keras.layers.Layer):
            def __init__(self, n=4, **kwargs):
                super().__init__(**kwargs)
                self.b = self.add_weight(name="b", shape=(n,), initializer="zeros")

            def call(self, x):
                return x + self.b
        """),
    ("tracking_list_hack", """
        import tensorflow as tf

        class Scale(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(name="w", shape=(), initializer="ones")
                self._trainable_weights.append(self.w)  # <- TFV030

            def call(self, x):
                return x * self.w
        """, """
        import tensorflow as tf

        class Scale(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(name="w", shape=(), initializer="ones")

            def call(self, x):
                return x * self.w
        """),
    ("add_variable_name_first", """
        import tensorflow as tf

        class Proj(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_variable("w", [int(input_shape[-1]), 4])  # <- TFV007

            def call(self, x):
                return tf.matmul(x, self.w)
        """, """
        import tensorflow as tf

        class Proj(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(name="w", shape=(int(input_shape[-1]), 4))

            def call(self, x):
                return tf.matmul(x, self.w)
        """),
    ("add_metric", """
        import tensorflow as tf

        class Probe(tf.keras.layers.Layer):
            def call(self, x):
                self.add_metric(tf.reduce_mean(x), name="mean")  # <- TFV011
                return x
        """, """
        import tensorflow as tf

        class Probe(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.mean = tf.keras.metrics.Mean(name="mean")

            def call(self, x):
                self.mean.update_state(x)
                return x
        """),
    ("add_update", """
        import tensorflow as tf

        class Ema(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.avg = self.add_weight(name="avg", shape=(), initializer="zeros", trainable=False)

            def call(self, x):
                self.add_update(self.avg.assign(tf.reduce_mean(x)))  # <- TFV011
                return x
        """, """
        import tensorflow as tf

        class Ema(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.avg = self.add_weight(name="avg", shape=(), initializer="zeros", trainable=False)

            def call(self, x):
                self.avg.assign(tf.reduce_mean(x))
                return x
        """),
    ("updates_read", """
        import tensorflow as tf

        class Wrapper(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.inner = tf.keras.layers.BatchNormalization()

            def call(self, x):
                n = len(self.inner.updates)  # <- TFV011
                return self.inner(x)
        """, """
        import tensorflow as tf

        class Wrapper(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.inner = tf.keras.layers.BatchNormalization()

            def call(self, x):
                return self.inner(x)
        """),
    ("dynamic_keyword", """
        import tensorflow as tf

        class Eager(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(dynamic=True, **kwargs)  # <- TFV013
        """, """
        import tensorflow as tf

        class Eager(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
        """),
    ("output_shape", """
        import tensorflow as tf

        class Head(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = tf.keras.layers.Dense(4)

            def call(self, x):
                y = self.dense(x)
                return tf.reshape(y, [-1, self.dense.output_shape[-1]])  # <- TFV011
        """, """
        import tensorflow as tf

        class Head(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = tf.keras.layers.Dense(4)

            def call(self, x):
                y = self.dense(x)
                return tf.reshape(y, [-1, 4])
        """),
    ("track_tf1_style_variables", """
        import tensorflow as tf

        class Legacy(tf.keras.layers.Layer):
            @tf.compat.v1.keras.utils.track_tf1_style_variables  # <- TFV012
            def call(self, x):
                return x
        """, """
        import tensorflow as tf

        class Legacy(tf.keras.layers.Layer):
            def call(self, x):
                return x
        """),
    ("tf1_layers_reference", """
        import functools
        import tensorflow as tf

        conv = functools.partial(tf.compat.v1.layers.separable_conv2d, padding="same")  # <- TFV008
        """, """
        import functools
        import tensorflow as tf

        conv = functools.partial(tf.keras.layers.SeparableConv2D, padding="same")
        """),
    ("dropout_in_call", """
        import tensorflow as tf

        class Noisy(tf.keras.layers.Layer):
            def call(self, x, training=None):
                return tf.keras.layers.Dropout(0.5)(x, training=training)  # <- TFV006
        """, """
        import tensorflow as tf

        class Noisy(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dropout = tf.keras.layers.Dropout(0.5)

            def call(self, x, training=None):
                return self.dropout(x, training=training)
        """),
    ("as_list_in_compute_output_shape", """
        import tensorflow as tf

        class Twice(tf.keras.layers.Layer):
            def call(self, x):
                return tf.concat([x, x], -1)

            def compute_output_shape(self, input_shape):
                shape = input_shape.as_list()  # <- TFV010
                return tuple(shape[:-1] + [shape[-1] * 2])
        """, """
        import tensorflow as tf

        class Twice(tf.keras.layers.Layer):
            def call(self, x):
                return tf.concat([x, x], -1)

            def compute_output_shape(self, input_shape):
                shape = list(input_shape)
                return tuple(shape[:-1] + [shape[-1] * 2])
        """),
    ("init_without_kwargs", """
        import tensorflow as tf

        class Units(tf.keras.layers.Layer):
            def __init__(self, units=4):  # <- TFV014
                super().__init__()
                self.units = units

            def get_config(self):
                return {**super().get_config(), "units": self.units}
        """, """
        import tensorflow as tf

        class Units(tf.keras.layers.Layer):
            def __init__(self, units=4, **kwargs):
                super().__init__(**kwargs)
                self.units = units

            def get_config(self):
                return {**super().get_config(), "units": self.units}
        """),
    ("positional_super_init", """
        import tensorflow as tf

        class Named(tf.keras.layers.Layer):
            def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
                super().__init__(trainable, name, dtype, dynamic, **kwargs)  # <- TFV013
        """, """
        import tensorflow as tf

        class Named(tf.keras.layers.Layer):
            def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
                super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        """),
    ("build_with_two_parameters", """
        import tensorflow as tf

        class Pair(tf.keras.layers.Layer):
            def build(self, input_shape, other=None):  # <- TFV015
                self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

            def call(self, x):
                return x * self.w
        """, """
        import tensorflow as tf

        class Pair(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

            def call(self, x):
                return x * self.w
        """),
    ("metric_positional_name", """
        import tensorflow as tf

        class Total(tf.keras.metrics.Metric):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.total = self.add_weight("total", shape=(), initializer="zeros")  # <- TFV007

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.total.assign_add(tf.reduce_sum(y_pred))

            def result(self):
                return self.total
        """, """
        import tensorflow as tf

        class Total(tf.keras.metrics.Metric):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.total = self.add_weight(name="total", shape=(), initializer="zeros")

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.total.assign_add(tf.reduce_sum(y_pred))

            def result(self):
                return self.total
        """),
    ("metric_weight_without_initializer", """
        import tensorflow as tf

        class Count(tf.keras.metrics.Metric):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.n = self.add_weight(name="n", shape=())  # <- TFV016

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.n.assign_add(1.0)

            def result(self):
                return self.n
        """, """
        import tensorflow as tf

        class Count(tf.keras.metrics.Metric):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.n = self.add_weight(name="n", shape=(), initializer="zeros")

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.n.assign_add(1.0)

            def result(self):
                return self.n
        """),
    ("computed_positional_name", """
        import tensorflow as tf

        class Residual(tf.keras.layers.Layer):
            def __init__(self, prefix="block", **kwargs):
                super().__init__(**kwargs)
                self.prefix = prefix

            def build(self, input_shape):
                self.r = self.add_weight(self.prefix + "_residual", shape=(), initializer="zeros")  # <- TFV007
        """, """
        import tensorflow as tf

        class Residual(tf.keras.layers.Layer):
            def __init__(self, prefix="block", **kwargs):
                super().__init__(**kwargs)
                self.prefix = prefix

            def build(self, input_shape):
                self.r = self.add_weight(name=self.prefix + "_residual", shape=(), initializer="zeros")
        """),
    ("tensorshape_alias_in_build", """
        import tensorflow as tf

        class Wide(tf.keras.layers.Layer):
            def build(self, input_shape):
                shape = input_shape
                self.d = shape.as_list()[-1]  # <- TFV010
                self.w = self.add_weight(name="w", shape=(self.d,), initializer="ones")
        """, """
        import tensorflow as tf

        class Wide(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.d = input_shape[-1]
                self.w = self.add_weight(name="w", shape=(self.d,), initializer="ones")
        """),
    ("sequence_test_of_the_shape", """
        from collections.abc import Sequence

        import tensorflow as tf

        class Highway(tf.keras.layers.Layer):
            def build(self, input_shape):
                if isinstance(input_shape, Sequence):  # <- TFV010
                    input_shape = input_shape[0]
                self.dense = tf.keras.layers.Dense(int(input_shape[-1]))
        """, """
        import tensorflow as tf

        class Highway(tf.keras.layers.Layer):
            def build(self, input_shape):
                if isinstance(input_shape, list):
                    input_shape = input_shape[0]
                self.dense = tf.keras.layers.Dense(int(input_shape[-1]))
        """),
]

# Correct code that must stay silent whatever else: not Keras layers, or Keras 3's own way.
QUIET = [
    ("tf_module", """
        import tensorflow as tf

        class Scale(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(1.0)
        """),
    ("plain_class", """
        import tensorflow as tf

        class Holder:
            def __init__(self):
                self.w = tf.Variable(1.0)
        """),
    ("keras_variable", """
        import keras

        class Scale(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.w = keras.Variable(1.0)

            def call(self, x):
                return x * self.w
        """),
    ("functional_model_shapes", """
        import keras

        class Backbone(keras.Model):
            def __init__(self, **kwargs):
                x = keras.Input((3,))
                super().__init__(inputs=x, outputs=keras.layers.Dense(2)(x), **kwargs)

            def get_config(self):
                return {"input_shape": self.input_shape[1:]}
        """),
    ("tf_keras_layer", """
        import tensorflow as tf
        import tf_keras

        class Old(tf_keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.w = tf.Variable(1.0)
        """),
]


def _expected(source: str) -> list[tuple[int, str]]:
    return [(number, match.group(1)) for number, line in enumerate(source.splitlines(), start=1)
            for match in [MARK.search(line)] if match]


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> dict[str, list[tuple[int, str]]]:
    """Every module of the table written to disk and checked in one CLI run: file name -> [(line, code)]."""
    root = tmp_path_factory.mktemp("breakages")
    for name, broken, fixed in CASES:
        (root / f"{name}_keras2.py").write_text(textwrap.dedent(broken).lstrip())
        (root / f"{name}_keras3.py").write_text(textwrap.dedent(fixed).lstrip())
    for name, source in QUIET:
        (root / f"quiet_{name}.py").write_text(textwrap.dedent(source).lstrip())
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--no-cache", "--output-format", "json",
                             "."], cwd=root, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode in (0, 1), result.stderr
    found: dict[str, list[tuple[int, str]]] = {path.name: [] for path in root.glob("*.py")}
    for diagnostic in json.loads(result.stdout):
        found[Path(diagnostic["path"]).name].append((diagnostic["line"], diagnostic["code"]))
    return {name: sorted(set(lines)) for name, lines in found.items()}


@pytest.mark.parametrize("name,broken,fixed", CASES, ids=[case[0] for case in CASES])
def test_each_keras2_breakage_is_reported_at_its_line(reported, name, broken, fixed):
    expected = _expected(textwrap.dedent(broken).lstrip())
    assert expected, "a case must mark its breaking line"
    assert reported[f"{name}_keras2.py"] == sorted(set(expected))


@pytest.mark.parametrize("name,broken,fixed", CASES, ids=[case[0] for case in CASES])
def test_the_keras3_way_is_silent(reported, name, broken, fixed):
    assert reported[f"{name}_keras3.py"] == []


@pytest.mark.parametrize("name,source", QUIET, ids=[case[0] for case in QUIET])
def test_correct_code_is_silent(reported, name, source):
    assert reported[f"quiet_{name}.py"] == []
