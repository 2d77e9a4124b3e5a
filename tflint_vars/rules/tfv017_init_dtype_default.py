from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS3, ModuleAnalysis
from tflint_vars.plans.hoist import plain_layer_base
from tflint_vars.rules.base import Finding, Rule

_DTYPES = frozenset({
    "float16", "float32", "float64", "bfloat16", "half", "double", "int8", "int16", "int32", "int64", "uint8",
    "uint16", "uint32", "uint64", "bool", "complex64", "complex128", "string",
})


def tf_dtype(analysis: ModuleAnalysis, node: ast.expr) -> str | None:
    """`tf.float32`, `tf.dtypes.int64`, ... (a `tf.DType` object) as written, else None."""
    qualified = analysis.qualify(node) or ""
    for prefix in ("tensorflow.compat.v1.", "tensorflow.compat.v2."):
        if qualified.startswith(prefix):
            qualified = "tensorflow." + qualified[len(prefix):]
    head, _, name = qualified.rpartition(".")
    return ast.unparse(node) if head in ("tensorflow", "tensorflow.dtypes") and name in _DTYPES else None


class InitDtypeDefault(Rule):
    """A `tf.DType` default of a constructor argument in a layer without `get_config`: Keras 3 cannot save it.

    ## What it does
    Finds `__init__` parameters whose default is a TensorFlow dtype object (`tf.float32`, `tf.dtypes.int64`) in
    `Layer` and `Model` subclasses built on `tf.keras` or `keras` directly (Keras's own base classes) that define no
    `get_config`. Classes on `tf_keras` (Keras 2) are not reported.

    ## Why is this bad?
    Without `get_config`, Keras 3 saves a layer's constructor arguments as its config, and only values it can
    serialize: measured on TF 2.21 / Keras 3.15.1 (bench/keras_api_diff.py, `save_constructor_dtype_default`), a
    layer constructed with the default `state_dtype=tf.float32` makes `model.save` raise NotImplementedError
    ("created by passing non-serializable argument values in `__init__()`"). tf-keras 2.21 saves and loads it.

    ## Example
    ```python
    import tensorflow as tf

    class Accumulate(tf.keras.layers.Layer):
        def __init__(self, dim, state_dtype=tf.float32, **kwargs):
            super().__init__(**kwargs)
            self.acc = self.add_weight(name="acc", shape=(dim,), initializer="zeros", dtype=state_dtype)
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Accumulate(tf.keras.layers.Layer):
        def __init__(self, dim, state_dtype="float32", **kwargs):
            super().__init__(**kwargs)
            self.acc = self.add_weight(name="acc", shape=(dim,), initializer="zeros", dtype=state_dtype)
    ```

    ## Fix safety
    No fix: a string default (`"float32"`) changes what the constructor receives, and code that uses the DType's
    attributes (`state_dtype.is_floating`, `.name`) would break; a `get_config` that saves `tf.as_dtype(x).name`
    needs the other arguments too. The message says which parameter and default.
    """

    code = "TFV017"
    name = "init-dtype-default"
    fix = None
    fix_title = 'Take the dtype as a string (`"float32"`) or define `get_config`'
    VALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self, dt='float32', **kwargs):\n"
        "        super().__init__(**kwargs)\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self, dt=tf.float32, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.dt = dt\n    def get_config(self):\n"
        "        return {**super().get_config(), 'dt': tf.as_dtype(self.dt).name}\n",
        "import tf_keras\nimport tensorflow as tf\nclass L(tf_keras.layers.Layer):\n"
        "    def __init__(self, dt=tf.float32, **kwargs):\n        super().__init__(**kwargs)\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self, dt=tf.float32, **kwargs):\n"
        "        super().__init__(**kwargs)\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.keras_classes.values():
            if cls.flavor != KERAS3 or not cls.is_layer or cls.method("get_config") is not None \
                    or cls.method("from_config") is not None or not plain_layer_base(analysis, cls):
                continue
            init = cls.method("__init__")
            if not isinstance(init, ast.FunctionDef):
                continue
            arguments = init.args
            positional = [*arguments.posonlyargs, *arguments.args]
            pairs = [*zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults),
                     *((a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None)]
            for parameter, default in pairs:
                written = tf_dtype(analysis, default)
                if written is None:
                    continue
                yield self.finding(
                    default,
                    f"`{parameter.arg}={written}`, a `tf.DType`, and no `get_config`: Keras 3's `model.save` raises "
                    f"NotImplementedError",
                    reason="a string default changes what the constructor receives (code may use the DType's "
                           "attributes)")
