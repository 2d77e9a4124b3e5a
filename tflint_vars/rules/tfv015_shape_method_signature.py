from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS3, ModuleAnalysis
from tflint_vars.rules.base import Finding, Rule

SHAPE_METHODS = ("build", "compute_output_shape")


def _named_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The parameters Keras 3 passes shapes to by name: all but `self`, `*args` and `**kwargs`."""
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)][1:]


class ShapeMethodSignature(Rule):
    """`build` or `compute_output_shape` with more than the shape parameter: Keras 3 raises ValueError.

    ## What it does
    Finds `build` and `compute_output_shape` methods of a `Layer` or `Model` built on `tf.keras` or `keras` that
    take more than one parameter besides `self` (`def build(self, input_shape, other=None)`), unless every one is
    named `<argument of call>_shape`, the form Keras 3 accepts. Classes on `tf_keras` (Keras 2) are not reported.

    ## Why is this bad?
    Keras 3 calls a method of several parameters with one shape per `call` argument, by name
    (keras/src/layers/layer.py, `update_shapes_dict_for_target_fn`). Measured on TF 2.21 / Keras 3.15.1
    (bench/keras_api_diff.py, `build_extra_argument`): `def build(self, input_shape, other=None)` raises
    `ValueError: For a build() method with more than one argument, all arguments should have a _shape suffix and
    match an argument from call()` when the layer is first built. tf-keras 2.21 passes the one shape and builds it.

    ## Example
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def build(self, input_shape, units=None):
            self.w = self.add_weight(name="w", shape=(units or input_shape[-1],), initializer="ones")
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def __init__(self, units=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(self.units or input_shape[-1],), initializer="ones")
    ```

    ## Fix safety
    No fix: the extra parameter's value has to come from somewhere else (the constructor, an attribute), which
    needs a human.
    """

    code = "TFV015"
    name = "shape-method-signature"
    fix = None
    VALID = [
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, query_shape, value_shape):\n"
        "        pass\n    def call(self, query, value):\n        return query\n",
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def build(self, input_shape, other=None):\n"
        "        pass\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, input_shape, *args, **kwargs):\n"
        "        pass\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n"
        "    def compute_output_shape(self, input_shape, training=None):\n        return input_shape\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, x_shape, y_shape):\n        pass\n"
        "    def call(self, x):\n        return x\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.keras_classes.values():
            if cls.flavor != KERAS3 or not cls.is_layer:
                continue
            call = cls.method("call")
            call_names = set(_named_parameters(call)) if call is not None else None
            for method in SHAPE_METHODS:
                function = cls.method(method)
                names = _named_parameters(function) if function is not None else []
                if len(names) < 2:
                    continue
                bad = [n for n in names if not n.endswith("_shape") or
                       call_names is not None and n[:-len("_shape")] not in call_names]
                if bad:
                    named = bad[-1] if len(bad) > 1 else bad[0]  # the extra one, rather than `input_shape`
                    yield self.finding(
                        function,
                        f"`{method}` takes `{named}` beside the shape: Keras 3 raises ValueError",
                        title="Take only `<call argument>_shape` parameters; pass the rest to `__init__`",
                    )
