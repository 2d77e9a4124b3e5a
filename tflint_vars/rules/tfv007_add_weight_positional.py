from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS3, METRIC_KINDS, ModuleAnalysis
from tflint_vars.diagnostics import SAFE
from tflint_vars.rules.base import Finding, Rule

# Keras 2's add_weight(name, shape, dtype, initializer, regularizer, trainable, constraint, ...): the order the code
# was written for. A Metric's was add_weight(name, shape, aggregation, synchronization, initializer, dtype)
# (bench/keras_api_diff.py, "signature.Metric.add_weight"); Keras 3 takes `shape` first in both.
KERAS2_ORDER = ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint")
KERAS2_METRIC_ORDER = ("name", "shape", "aggregation", "synchronization", "initializer", "dtype")
# Keras 2's `add_variable` is `add_weight` under another name; Keras 3's takes (shape, initializer, ...), with no
# default initializer, so the fix calls `add_weight`, whose default initializer is Keras 2's (glorot uniform).
METHODS = ("add_weight", "add_variable")


def _strings(node: ast.AST) -> list[str]:
    """The string constants a name expression is built from."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def written_for_keras2(call: ast.Call) -> bool:
    """Positional arguments in Keras 2's order, i.e. a name first. Keras 3's own order starts with the shape, so
    `add_weight((3,), "zeros")` is valid Keras 3 and not reported."""
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) or isinstance(first, ast.JoinedStr):
        return True
    if isinstance(first, (ast.Tuple, ast.List)) or isinstance(first, ast.Constant) and isinstance(first.value, int):
        return False  # a shape: Keras 3's own order, even beside `shape=` (keras/src/layers/layer_test.py)
    if isinstance(first, ast.BinOp) and any(isinstance(n, ast.JoinedStr) or isinstance(n, ast.Constant) and
                                            isinstance(n.value, str) for n in (first.left, first.right)):
        return True  # `"w_" + suffix`, `self.prefix + "/residual"`, `"w_%d" % i`: a computed name
    if isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "format" and \
            isinstance(first.func.value, ast.Constant) and isinstance(first.func.value.value, str):
        return True
    if any(k.arg == "shape" for k in call.keywords):
        return True  # the first positional cannot be the shape
    return isinstance(first, (ast.Name, ast.Attribute)) and "name" in ast.unparse(first).lower()


def positionals_by_keyword(call, count: int, order: tuple[str, ...]) -> list:
    """The arguments of the libcst `call`, its `count` positional ones passed by the keywords of `order` (TFV007,
    TFV013). libcst is the caller's: this runs only when fixing."""
    import libcst as cst

    from tflint_vars.plans.edits import Unfixable

    args = list(call.args)
    positional = [i for i, arg in enumerate(args) if arg.keyword is None and not arg.star]
    if len(positional) != count:
        raise Unfixable("the call changed under another fix")
    for index, position in enumerate(positional):
        args[position] = args[position].with_changes(
            keyword=cst.Name(order[index]),
            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                  whitespace_after=cst.SimpleWhitespace("")))
    return args


class AddWeightPositional(Rule):
    """`add_weight` with positional arguments in Keras 2's order, in a Keras 3 class: Keras 3 raises.

    ## What it does
    Finds `add_weight("name", shape, ...)` (the name, or other arguments, passed by position in Keras 2's order) in a
    `Layer`, `Model` or `Metric` built on `tf.keras` or `keras`, a computed name included (`self.prefix +
    "/residual"`, `"w_%d" % i`, `"w_{}".format(i)`, f-strings), and Keras 2's alias `add_variable("w", [d, 4])`.
    Classes on `tf_keras` (Keras 2, whose signature takes `name` first) are not reported.

    ## Why is this bad?
    Keras 3's signature is `add_weight(shape=None, initializer=None, dtype=None, ..., name=None)`. A name passed
    first lands in `shape`: Keras 3.15 raises `ValueError: name must be passed as a keyword argument`, older 3.x
    raised `TypeError: got multiple values for argument 'shape'`. In a `Metric` (Keras 3:
    `add_weight(shape, initializer, dtype, aggregation, name)`) it raises `TypeError: Metric.add_weight() got
    multiple values for argument 'shape'`. Keras 3's `add_variable(shape, initializer, ...)` takes the name as the
    shape and the shape as the initializer: `ValueError: Could not interpret initializer identifier: [3, 4]`.
    Measured on TF 2.21 / Keras 3.15.1 (bench/keras_api_diff.py); tf-keras 2.21 runs each.

    ## Example
    ```python
    import tensorflow as tf

    class L(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", shape=(input_shape[-1], 4))
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class L(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(input_shape[-1], 4))
    ```

    ## Fix safety
    Safe: each positional argument gets the keyword it had in Keras 2's order (name, shape, dtype, initializer,
    regularizer, trainable, constraint; in a Metric name, shape, aggregation, synchronization, initializer, dtype),
    which is what the code meant, and `add_variable` becomes `add_weight`, which Keras 2's `add_variable` called
    (same default initializer). No fix when a string in the name holds `/`: Keras 3 rejects it in a name too
    (`slash_in_name`), so the keywords alone would not make the call run.
    """

    code = "TFV007"
    name = "add-weight-positional"
    fix = SAFE
    fix_title = "Pass every argument by keyword"
    VALID = [
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight('w', (s[-1],))\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight((s[-1],), 'zeros')\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight((3, 4), shape=(3, 4))\n",
    ]
    INVALID = [
        "from tensorflow import keras\nclass L(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight('w', (s[-1],), 'float32')\n",
        "import tensorflow as tf\nclass M(tf.keras.metrics.Metric):\n    def __init__(self):\n"
        "        super().__init__()\n        self.total = self.add_weight('total', initializer='zeros')\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_variable('w', [s[-1], 4])\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(self.prefix + '_residual', (s[-1],))\n",
    ]

    def fix_edit(self, ctx, site):
        """Each positional argument gets its Keras 2 keyword; nothing else changes."""
        import libcst as cst

        from tflint_vars.plans.edits import Edit

        count = len(site.node.args)
        order = KERAS2_METRIC_ORDER if site.context.keras_class.kind in METRIC_KINDS else KERAS2_ORDER

        def rewrite(call: cst.Call) -> cst.Call:
            args = positionals_by_keyword(call, count, order)
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_variable":
                call = call.with_changes(func=call.func.with_changes(attr=cst.Name("add_weight")))
            return call.with_changes(args=args)

        return Edit(rewrites=[(site.node, rewrite)])

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in analysis.calls:
            ctx, node = site.context, site.node
            cls = ctx.keras_class
            if cls is None or cls.flavor != KERAS3 or not (cls.is_layer or cls.kind in METRIC_KINDS):
                continue
            if not (isinstance(node.func, ast.Attribute) and node.func.attr in METHODS) or not node.args:
                continue
            if not written_for_keras2(node):
                continue
            order = KERAS2_METRIC_ORDER if cls.kind in METRIC_KINDS else KERAS2_ORDER
            keywords = {k.arg for k in node.keywords}
            fixable = not any(isinstance(a, ast.Starred) for a in node.args) and len(node.args) <= len(order) \
                and not keywords & set(order[:len(node.args)])
            slash = any("/" in text for text in _strings(node.args[0]))
            method = node.func.attr
            yield self.finding(
                node,
                f"`{method}` arguments by position in Keras 2's order: Keras 3 takes `shape` first (ValueError)",
                SAFE if fixable and not slash else None,
                reason="the name holds `/`, which Keras 3 rejects" if slash else None if fixable else
                "a `*args`, more arguments than Keras 2's order, or one also given by keyword cannot be mapped",
            )
