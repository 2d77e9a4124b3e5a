from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS2, ModuleAnalysis, canonical_name
from tflint_vars.rules.base import Finding, Rule

TRACK_TF1 = "keras.utils.track_tf1_style_variables"  # canonical: tf.compat.v1.keras.utils.track_tf1_style_variables


class TrackTf1StyleVariables(Rule):
    """`tf.compat.v1.keras.utils.track_tf1_style_variables`: Keras 3 has no such utility.

    ## What it does
    Finds every reference to `track_tf1_style_variables` through `tf.compat.v1.keras.utils` or `tf.keras.utils`
    (any import form), typically a decorator on a layer's `call` that makes `tf.compat.v1.get_variable` and
    `tf.compat.v1.layers` create tracked variables. A reference inside a class built on `tf_keras` (Keras 2) is not
    reported.

    ## Why is this bad?
    Keras 3's `keras.utils` has no `track_tf1_style_variables` (bench/keras_api_diff.py,
    "surface.compat_v1_keras_utils"). Measured on TF 2.21 / Keras 3.15.1: the decorator raises `AttributeError` while
    the class body runs, so the module no longer imports. tf-keras 2.21 runs it. The shim exists to keep TF1
    variable code working inside a Keras 2 layer; under Keras 3 that code has to create its weights with
    `add_weight` in `build` (TFV004 and TFV008 report the calls inside).

    ## Example
    ```python
    import tensorflow as tf

    class Head(tf.keras.layers.Layer):
        @tf.compat.v1.keras.utils.track_tf1_style_variables
        def call(self, x):
            w = tf.compat.v1.get_variable("w", shape=(x.shape[-1], 2))
            return tf.matmul(x, w)
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Head(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(input_shape[-1], 2))

        def call(self, x):
            return tf.matmul(x, self.w)
    ```
    or, for TF1 code kept as it is: `pip install tf-keras` and run it with `TF_USE_LEGACY_KERAS=1`.

    ## Fix safety
    No fix. The decorator is what makes the method's TF1 variables tracked under Keras 2, so it cannot go while they
    remain; and no other rule's fix removes it: after every variable in the method is fixed, this finding stays,
    so a decorated method is never left with the decorator silently.
    """

    code = "TFV012"
    name = "track-tf1-style-variables"
    fix = None
    VALID = [
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n"
        "    @tf_keras.utils.track_tf1_style_variables\n    def call(self, x):\n        return x\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def call(self, x):\n        return x\n",
    ]
    INVALID = [
        "import tensorflow.compat.v1 as tf\nclass L(tf.keras.layers.Layer):\n"
        "    @tf.keras.utils.track_tf1_style_variables\n    def call(self, x):\n        return x\n",
        "from tensorflow.compat.v1.keras.utils import track_tf1_style_variables\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        if "track_tf1_style_variables" not in analysis.source:
            return
        keras2 = [cls.node for cls in analysis.keras_classes.values() if cls.flavor == KERAS2]
        skipped = {id(n) for cls in keras2 for n in ast.walk(cls)}
        for node in ast.walk(analysis.tree):
            if id(node) in skipped:
                continue
            # The name imported is reported at its import (which fails there), not again at each use.
            if isinstance(node, ast.ImportFrom) and not node.level and \
                    any(canonical_name(f"{node.module}.{alias.name}") == TRACK_TF1 for alias in node.names):
                yield self._finding(node)
            elif isinstance(node, ast.Attribute) and node.attr == "track_tf1_style_variables" and \
                    analysis.qualify(node) == TRACK_TF1:
                yield self._finding(node)

    def _finding(self, node: ast.AST) -> Finding:
        return self.finding(node, "`track_tf1_style_variables` does not exist in Keras 3 (AttributeError when the "
                                  "module runs)", title="Create the weights with `self.add_weight(...)` in `build`")

