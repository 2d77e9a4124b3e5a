from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis, statements
from tflint_vars.rules.base import Finding, Rule

TF1_LAYERS = "tensorflow.layers."


class Tf1LayersApi(Rule):
    """`tf.layers.*` / `tf.compat.v1.layers.*`: not available with Keras 3.

    ## What it does
    Finds calls into the TF1 layers API: `tf.layers.dense`, `tf.compat.v1.layers.conv2d`, `tf.layers.Dense`, ...
    through any TF1 alias, and classes built on it (`class Model(tf.compat.v1.layers.Layer)`). The private
    `tensorflow.python.layers.base` still imports under Keras 3 and is not reported.

    ## Why is this bad?
    With TensorFlow 2.16+ and Keras 3, `tf.compat.v1.layers.dense(...)` raises
    `AttributeError: dense is not available with Keras 3`. It works only with Keras 2 (`TF_USE_LEGACY_KERAS=1` and
    tf-keras installed), where it is deprecated.

    ## Example
    ```python
    import tensorflow as tf

    def head(x):
        return tf.compat.v1.layers.dense(x, 10, activation=tf.nn.relu, name="head")
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    head = tf.keras.layers.Dense(10, activation="relu", name="head")
    ```

    ## Fix safety
    No fix: a Keras layer object owns its variables, while `tf.layers.dense` finds them by scope name in the graph;
    the rewrite changes how weights are shared and named, so it needs a human.
    """

    code = "TFV008"
    name = "tf1-layers-api"
    fix = None
    VALID = [
        "import tensorflow as tf\ny = tf.keras.layers.Dense(3)\n",
        # Measured: tensorflow.python.layers.base.Layer still imports with TF 2.21 / Keras 3 (tensor2tensor's T2TModel).
        "from tensorflow.python.layers import base\nclass T2TModel(base.Layer):\n    pass\n",
    ]
    INVALID = [
        "import tensorflow.compat.v1 as tf\ny = tf.layers.dense(tf.zeros((1, 2)), 3)\n",
        "import tensorflow as tf\nclass Model(tf.compat.v1.layers.Layer):\n    pass\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in analysis.calls:
            if site.name and site.name.startswith(TF1_LAYERS):
                yield self._finding(site.node, site.name)
        for node in statements(analysis.tree):  # classes are statements: the expressions need no walk
            if isinstance(node, ast.ClassDef):
                for base in node.bases:
                    name = analysis.qualify(base)
                    if name and name.startswith(TF1_LAYERS):
                        yield self._finding(base, name)

    def _finding(self, node: ast.AST, name: str) -> Finding:
        short = name[len(TF1_LAYERS):]
        return self.finding(
            node,
            f"`tf.layers.{short}` (tf.compat.v1.layers) is not available with Keras 3: AttributeError "
            f"\"`{short.rsplit('.', 1)[-1]}` is not available with Keras 3\"; use the `tf.keras.layers` equivalent",
        )
