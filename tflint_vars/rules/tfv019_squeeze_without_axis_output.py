from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import LAYER, ModuleAnalysis
from tflint_vars.rules._raw_variables import is_keras3_class, single_bindings
from tflint_vars.rules.base import Finding, Rule

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# Functions whose result has the rank of their first argument (elementwise): an unknown rank stays unknown.
_ELEMENTWISE = frozenset({
    "tensorflow.abs", "tensorflow.cast", "tensorflow.exp", "tensorflow.identity", "tensorflow.log",
    "tensorflow.negative", "tensorflow.sigmoid", "tensorflow.sqrt", "tensorflow.square", "tensorflow.tanh",
    "tensorflow.stop_gradient", "tensorflow.nn.relu", "tensorflow.nn.relu6", "tensorflow.nn.elu",
    "tensorflow.nn.selu", "tensorflow.nn.gelu", "tensorflow.nn.sigmoid", "tensorflow.nn.tanh",
    "tensorflow.nn.softplus", "tensorflow.nn.leaky_relu", "tensorflow.nn.dropout", "tensorflow.nn.l2_normalize",
    "tensorflow.math.abs", "tensorflow.math.exp", "tensorflow.math.log", "tensorflow.math.sigmoid",
    "tensorflow.math.sqrt", "tensorflow.math.square", "tensorflow.math.tanh", "tensorflow.math.negative",
})


def _squeeze_without_axis(analysis: ModuleAnalysis, node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and analysis.qualify(node.func) == "tensorflow.squeeze" \
        and len(node.args) == 1 and not node.keywords


def unknown_rank_sources(analysis: ModuleAnalysis, call: ast.FunctionDef | ast.AsyncFunctionDef
                         ) -> Iterator[ast.Call]:
    """The axis-less `tf.squeeze(x)` calls whose result `call` returns with its unknown rank: directly, through
    arithmetic or an elementwise function, or through a local bound once; `x` reading `call`'s arguments or
    locals (a tensor with a batch dimension), not only `self` attributes (a weight's shape is known)."""
    names = single_bindings(analysis, call)
    params = {a.arg for a in [*call.args.posonlyargs, *call.args.args, *call.args.kwonlyargs][1:]}
    bound = {n.id for n in ast.walk(call) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    seen: set[int] = set()

    def reads_inputs(node: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id != "self" and (n.id in params or n.id in bound)
                   for n in ast.walk(node))

    def carriers(node: ast.AST, depth: int = 0) -> Iterator[ast.Call]:
        if depth > 20 or id(node) in seen:
            return
        seen.add(id(node))
        if _squeeze_without_axis(analysis, node):
            if reads_inputs(node.args[0]):
                yield node
        elif isinstance(node, ast.BinOp):
            yield from carriers(node.left, depth + 1)
            yield from carriers(node.right, depth + 1)
        elif isinstance(node, ast.UnaryOp):
            yield from carriers(node.operand, depth + 1)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                yield from carriers(element, depth + 1)
        elif isinstance(node, ast.Call) and node.args and analysis.qualify(node.func) in _ELEMENTWISE:
            yield from carriers(node.args[0], depth + 1)
        elif isinstance(node, ast.Name) and node.id in names:
            yield from carriers(names[node.id], depth + 1)

    pending = list(call.body)
    while pending:
        statement = pending.pop(0)
        if isinstance(statement, _NESTED):
            continue
        if isinstance(statement, ast.Return) and statement.value is not None:
            yield from carriers(statement.value)
        for field in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(statement, field, None) or [])


class SqueezeWithoutAxisOutput(Rule):
    """`call` returns `tf.squeeze(x)` without `axis`: under Keras 3 a model cannot be built on the layer.

    ## What it does
    Finds `tf.squeeze(x)` without `axis` whose result a Keras 3 layer's `call` returns, directly or through
    arithmetic, an elementwise function (`tf.nn.relu`, `tf.cast` ...) or a local, where `x` comes from the call's
    inputs. Classes on `tf_keras` (Keras 2) are not reported.

    ## Why is this bad?
    With no `axis`, `tf.squeeze` removes every dimension of size 1, so on a symbolic input whose batch dimension is
    unknown the result has an unknown rank. Keras 3 infers every layer's output shape when it builds a functional
    or Sequential model, and raises `ValueError: Could not automatically infer the output shape / dtype`; so does
    loading a saved model, which rebuilds it. tf-keras accepts an output of unknown shape. Measured
    (bench/keras_fix_facts.py, `squeeze_without_axis_output`): on an input of shape `(None, 1, 3)`, Keras 3
    raises where Keras 2 builds the model (output shape `<unknown>`); with `axis=1` both give `(None, 3)`.

    ## Example
    ```python
    import tensorflow as tf

    class Pool(tf.keras.layers.Layer):
        def call(self, inputs):
            x = tf.reduce_max(inputs, axis=1, keepdims=True)
            return tf.squeeze(x)
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Pool(tf.keras.layers.Layer):
        def call(self, inputs):
            x = tf.reduce_max(inputs, axis=1, keepdims=True)
            return tf.squeeze(x, axis=1)
    ```

    ## Fix safety
    No fix: which dimensions are meant to go is not in the code (under Keras 2 a batch of one lost its batch
    dimension too). Name them with `axis=`.
    """

    code = "TFV019"
    name = "squeeze-without-axis-output"
    fix = None
    fix_title = "Name the squeezed dimensions with `axis=`"
    VALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def call(self, x):\n"
        "        return tf.squeeze(x, axis=1)\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def call(self, x):\n"
        "        return tf.reduce_sum(tf.squeeze(x))\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def call(self, x):\n"
        "        return x * tf.squeeze(self.kernel)\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def call(self, x):\n"
        "        y = tf.squeeze(x)\n        return tf.reshape(y, [-1, 3])\n",
        "import tf_keras\nimport tensorflow as tf\nclass L(tf_keras.layers.Layer):\n    def call(self, x):\n"
        "        return tf.squeeze(x)\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.k = tf.squeeze(tf.ones((1, 3)))\n    def call(self, x):\n        return x\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def call(self, x):\n"
        "        y = tf.squeeze(x)\n        return tf.nn.relu(y) * 2.0\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def call(self, inputs, training=None):\n"
        "        return tf.squeeze(inputs), inputs\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.keras_classes.values():
            call = cls.method("call")
            if call is None or not is_keras3_class(cls) or cls.kind != LAYER:
                continue
            for squeeze in unknown_rank_sources(analysis, call):
                yield self.finding(squeeze, f"`tf.squeeze` without `axis` leaves `{cls.name}`'s output of unknown "
                                            f"rank: Keras 3 cannot build a model on it (ValueError)",
                                   reason="which dimensions go is not in the code; name them with `axis=`")
