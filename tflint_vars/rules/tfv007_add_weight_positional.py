from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS3, ModuleAnalysis
from tflint_vars.diagnostics import SAFE
from tflint_vars.rules.base import Finding, Rule

# Keras 2's add_weight(name, shape, dtype, initializer, regularizer, trainable, constraint, ...): the order the code
# was written for.
KERAS2_ORDER = ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint")


def written_for_keras2(call: ast.Call) -> bool:
    """Positional arguments in Keras 2's order, i.e. a name first. Keras 3's own order starts with the shape, so
    `add_weight((3,), "zeros")` is valid Keras 3 and not reported."""
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) or isinstance(first, ast.JoinedStr):
        return True
    if isinstance(first, (ast.Tuple, ast.List)) or isinstance(first, ast.Constant) and isinstance(first.value, int):
        return False  # a shape: Keras 3's own order, even beside `shape=` (keras/src/layers/layer_test.py)
    if isinstance(first, ast.BinOp) and any(isinstance(n, (ast.Constant, ast.JoinedStr)) and
                                            isinstance(getattr(n, "value", ""), str) for n in (first.left,)):
        return True
    if any(k.arg == "shape" for k in call.keywords):
        return True  # the first positional cannot be the shape
    return isinstance(first, (ast.Name, ast.Attribute)) and "name" in ast.unparse(first).lower()


class AddWeightPositional(Rule):
    """`add_weight` with positional arguments in Keras 2's order, in a Keras 3 class: Keras 3 raises.

    ## What it does
    Finds `add_weight("name", shape, ...)` (the name, or other arguments, passed by position in Keras 2's order) in a
    class built on `tf.keras` or `keras`. Classes on `tf_keras` (Keras 2, whose signature takes `name` first) are
    not reported.

    ## Why is this bad?
    Keras 3's signature is `add_weight(shape=None, initializer=None, dtype=None, ..., name=None)`. A name passed
    first lands in `shape`: Keras 3.15 raises `ValueError: name must be passed as a keyword argument`, older 3.x
    raised `TypeError: got multiple values for argument 'shape'`.

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
    regularizer, trainable, constraint), which is what the code meant; nothing else changes.
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
    ]

    def fix_edit(self, ctx, site):
        """Each positional argument gets its Keras 2 keyword; nothing else changes."""
        import libcst as cst

        from tflint_vars.plans.edits import Edit, Unfixable

        count = len(site.node.args)

        def rewrite(call: cst.Call) -> cst.Call:
            args = list(call.args)
            positional = [i for i, arg in enumerate(args) if arg.keyword is None and not arg.star]
            if len(positional) != count:
                raise Unfixable("the call changed under another fix")
            for index, position in enumerate(positional):
                args[position] = args[position].with_changes(
                    keyword=cst.Name(KERAS2_ORDER[index]),
                    equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                          whitespace_after=cst.SimpleWhitespace("")))
            return call.with_changes(args=args)

        return Edit(rewrites=[(site.node, rewrite)])

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in analysis.calls:
            ctx, node = site.context, site.node
            # A Metric's add_weight has its own order in each Keras (Keras 3: shape first; tf_keras: name, shape,
            # aggregation, ...): not this rule's Keras 2 Layer order.
            if ctx.keras_class is None or ctx.keras_class.flavor != KERAS3 or not ctx.keras_class.is_layer:
                continue
            if not (isinstance(node.func, ast.Attribute) and node.func.attr == "add_weight") or not node.args:
                continue
            if not written_for_keras2(node):
                continue
            keywords = {k.arg for k in node.keywords}
            fixable = not any(isinstance(a, ast.Starred) for a in node.args) and len(node.args) <= len(KERAS2_ORDER) \
                and not keywords & set(KERAS2_ORDER[:len(node.args)])
            yield self.finding(
                node,
                "`add_weight` arguments by position in Keras 2's order: Keras 3 takes `shape` first (ValueError)",
                SAFE if fixable else None,
                reason=None if fixable else "a `*args`, more arguments than Keras 2's order, or one also given by "
                                            "keyword cannot be mapped",
            )
