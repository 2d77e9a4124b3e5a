from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.rules.base import Finding, Rule

TF1_LAYERS = "tensorflow.layers."
# The Keras layer class of each TF1 layer function (tf.compat.v1.layers' own names for the classes map to themselves).
KERAS_CLASS = {
    "dense": "Dense", "dropout": "Dropout", "flatten": "Flatten", "batch_normalization": "BatchNormalization",
    "conv1d": "Conv1D", "conv2d": "Conv2D", "conv3d": "Conv3D", "conv2d_transpose": "Conv2DTranspose",
    "conv3d_transpose": "Conv3DTranspose", "separable_conv1d": "SeparableConv1D",
    "separable_conv2d": "SeparableConv2D", "max_pooling1d": "MaxPooling1D", "max_pooling2d": "MaxPooling2D",
    "max_pooling3d": "MaxPooling3D", "average_pooling1d": "AveragePooling1D",
    "average_pooling2d": "AveragePooling2D", "average_pooling3d": "AveragePooling3D",
}


class Tf1LayersApi(Rule):
    """`tf.layers.*` / `tf.compat.v1.layers.*`: not available with Keras 3.

    ## What it does
    Finds calls into the TF1 layers API: `tf.layers.dense`, `tf.compat.v1.layers.conv2d`, `tf.layers.Dense`, ...
    through any TF1 alias, classes built on it (`class Model(tf.compat.v1.layers.Layer)`), and references without a
    call (`conv = tf.compat.v1.layers.conv2d`, `functools.partial(tf.layers.separable_conv2d, ...)`), which raise
    the same AttributeError when read (bench/keras_api_diff.py, `compat_v1_layers_conv2d_reference`). The private
    `tensorflow.python.layers.base` still imports under Keras 3 and is not reported.

    ## Why is this bad?
    With TensorFlow 2.16+ and Keras 3, `tf.compat.v1.layers.dense(...)` raises
    `AttributeError: dense is not available with Keras 3`. It works only with Keras 2 (`TF_USE_LEGACY_KERAS=1` and
    tf-keras installed), where it is deprecated.

    There are two ways out, and the message names both:

    1. Rewrite to Keras layers: `tf.keras.layers.Dense(...)` and friends (below). The right move for TF2 code,
       and the only one that keeps working on Keras 3.
    2. Keep TF1 graph code as it is, on Keras 2: `pip install tf-keras` (the version matching TensorFlow) and set
       `TF_USE_LEGACY_KERAS=1` in the environment before TensorFlow is imported. `tf.compat.v1.layers` then comes
       from tf-keras and works again, deprecated. Often the right first step for a TF1 code base: it runs today,
       and the rewrite can follow layer by layer.

    Measured with TensorFlow 2.21.0, Keras 3.15.1 and tf-keras 2.21.0 (CPU, Python 3.11), running in graph mode
    (`tf.compat.v1.disable_eager_execution()`) `y = tf.compat.v1.layers.dense(x, 3, activation=tf.nn.relu,
    name="head")` on a `(None, 4)` placeholder, then a `Session` that initializes and evaluates it:
    - as shipped (Keras 3): `AttributeError: dense is not available with Keras 3.`
    - `TF_USE_LEGACY_KERAS=1` with tf-keras installed: works, output shape (1, 3), variables `head/kernel:0` and
      `head/bias:0`, plus a `UserWarning` that `tf.layers.dense` is deprecated.
    - `TF_USE_LEGACY_KERAS=1` without tf-keras (its import blocked): `ImportError: Keras cannot be imported.`
    - the rewrite, `tf.keras.layers.Dense(3, activation="relu", name="head")(tf.ones((1, 4)))` under Keras 3:
      works, output shape (1, 3).
    The fixtures `seed4_tf_layers_dense` and `tfv008_compat_v1_layers` check the first two under both runtimes in
    `tflint-vars verify` (the claim "raises" holds under Keras 3, not under Keras 2).

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
    or, for TF1 graph code kept as it is: `pip install tf-keras` and run it with `TF_USE_LEGACY_KERAS=1`.

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
        "import functools\nimport tensorflow as tf\n"
        "conv = functools.partial(tf.layers.separable_conv2d, padding='same')\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        reported: set[int] = set()
        for site in analysis.calls:
            if site.name and site.name.startswith(TF1_LAYERS):
                reported.add(id(site.node.func))
                yield self._finding(site.node, site.name)
        for node in analysis.class_defs:
            for base in node.bases:
                name = analysis.qualify(base)
                if name and name.startswith(TF1_LAYERS):
                    reported.add(id(base))
                    yield self._finding(base, name)
        yield from self._references(analysis, reported)

    def _references(self, analysis: ModuleAnalysis, reported: set[int]) -> Iterator[Finding]:
        """`conv = tf.layers.conv2d`, `functools.partial(tf.layers.separable_conv2d, ...)`: the attribute read
        raises under Keras 3 before any call. Only the whole chain is reported (not `tf.layers` inside it)."""
        if "layers" not in analysis.source:
            return
        layers_heads = {name for name, target in analysis.imports.items() if "layers" in target}
        for node in analysis.attribute_chains:
            if id(node) in reported:
                continue
            # A sieve before qualifying: the chain names `layers`, or starts at an import of a layers module.
            link = node
            while type(link) is ast.Attribute and link.attr != "layers":
                link = link.value
            if type(link) is not ast.Attribute and not (type(link) is ast.Name and link.id in layers_heads):
                continue
            name = analysis.qualify(node)
            if name and name.startswith(TF1_LAYERS):
                yield self._finding(node, name)

    def _finding(self, node: ast.AST, name: str) -> Finding:
        short = name[len(TF1_LAYERS):]
        last = short.rsplit(".", 1)[-1]
        keras_class = KERAS_CLASS.get(last, last if last[:1].isupper() else None)
        rewrite = f"`tf.keras.layers.{keras_class}`" if keras_class else "the `tf.keras.layers` equivalent"
        return self.finding(
            node,
            f"`tf.layers.{short}` (tf.compat.v1.layers) is not available with Keras 3 (AttributeError)",
            title=f"Rewrite to {rewrite}, or keep TF1 graph code on tf-keras with `TF_USE_LEGACY_KERAS=1`",
            reason="a Keras layer object owns its variables, while `tf.layers` finds them by scope name: the "
                   "rewrite changes how weights are shared and named",
        )
