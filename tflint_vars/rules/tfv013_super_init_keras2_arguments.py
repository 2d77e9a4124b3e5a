from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS3, LAYER, METRIC, KerasClass, ModuleAnalysis
from tflint_vars.diagnostics import SAFE, UNSAFE
from tflint_vars.rules.base import Finding, Rule
from tflint_vars.rules.tfv007_add_weight_positional import positionals_by_keyword

# Keras 2's positional order of the base constructor (bench/keras_api_diff.py, "signature.Layer.__init__"); Keras 3's
# takes keywords only. Keras 2's Model took `*args` (functional inputs and outputs): not mapped.
KERAS2_ORDER = {LAYER: ("trainable", "name", "dtype", "dynamic"), METRIC: ("name", "dtype")}
BASES = {LAYER: "Layer", METRIC: "Metric"}
DYNAMIC_UNSAFE = ("Keras 3 has no eager-only layers: `fit` then traces `call`, so code that needs eager tensors "
                  "(`.numpy()`, Python branches on values) must compile with `run_eagerly=True`")


def super_init_call(node: ast.Call, cls: KerasClass) -> bool:
    """`super().__init__(...)` or `super(Cls, self).__init__(...)`."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "__init__" and isinstance(func.value, ast.Call)):
        return False
    inner = func.value
    return isinstance(inner.func, ast.Name) and inner.func.id == "super" and \
        (not inner.args or isinstance(inner.args[0], ast.Name) and inner.args[0].id == cls.name)


def keras_base(analysis: ModuleAnalysis, cls: KerasClass) -> str | None:
    """"Layer", "Metric" or "Model" when a direct base of `cls` is Keras' own class of that name (not a subclass
    such as Dense, or a class of the project, whose constructors take their own arguments)."""
    for base in cls.node.bases:
        last = (analysis.qualify(base) or "").rsplit(".", 1)[-1]
        if last in ("Layer", "Metric", "Model"):
            return last
    return None


class SuperInitKeras2Arguments(Rule):
    """`super().__init__` with Keras 2's positional arguments or `dynamic=`: Keras 3 raises.

    ## What it does
    Finds, in `__init__` of a class whose direct base is `tf.keras`/`keras`'s own `Layer`, `Model` or `Metric`, a
    `super().__init__(...)` call that passes positional arguments (Keras 2's `Layer(trainable, name, dtype,
    dynamic)`, `Metric(name, dtype)`) or the keyword `dynamic`. Classes on `tf_keras` (Keras 2) are not reported.

    ## Why is this bad?
    Keras 3's `Layer.__init__(self, *, activity_regularizer, trainable, dtype, autocast, name, **kwargs)` takes
    keywords only, and its `Metric.__init__(dtype=None, name=None)` swaps Keras 2's order. Measured on TF 2.21 /
    Keras 3.15.1 (bench/keras_api_diff.py): `super().__init__(True, "named", None, False)` raises `TypeError:
    Layer.__init__() takes 1 positional argument but 5 were given`, and `super().__init__(dynamic=True)` (or
    `False`) raises `ValueError: Unrecognized keyword arguments passed to L: {'dynamic': True}`. tf-keras 2.21
    runs both.

    ## Example
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(True, name, dynamic=False)
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(trainable=True, name=name)
    ```

    ## Fix safety
    Safe: each positional argument gets the keyword it had in Keras 2's order, which both Kerases accept
    (`trainable`, `name`, `dtype`), and `dynamic=False`, Keras 2's default, is removed: Keras 2 builds the same
    layer without it. Unsafe: removing `dynamic=True` (or a value that is not a literal): Keras 3 has no eager-only
    layers, so `fit` traces `call`; code that needs eager tensors must compile with `run_eagerly=True`. No fix for
    `*args`, more positional arguments than Keras 2 took, or a keyword also passed by position.
    """

    code = "TFV013"
    name = "super-init-keras2-arguments"
    fix = SAFE
    VALID = [
        "import keras\nclass L(keras.layers.Layer):\n    def __init__(self, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n",
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def __init__(self):\n"
        "        super().__init__(True, 'l', dynamic=True)\n",
        "import keras\nclass L(keras.layers.Layer):\n    def __init__(self, **kwargs):\n"
        "        super().__init__(trainable=False, **kwargs)\n",
        "import keras\nclass L(keras.layers.Dense):\n    def __init__(self):\n        super().__init__(4)\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self):\n"
        "        super(L, self).__init__(dynamic=True)\n",
        "import tensorflow as tf\nclass M(tf.keras.metrics.Metric):\n    def __init__(self):\n"
        "        super().__init__('m')\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in analysis.calls:
            cls, node = site.context.keras_class, site.node
            if cls is None or cls.flavor != KERAS3 or site.context.method != "__init__" or \
                    not super_init_call(node, cls):
                continue
            base = keras_base(analysis, cls)
            if base is None:
                continue
            plan = _plan(node, base)
            if plan is None:
                continue
            fix, problems, detail = plan
            titles = {"order": "Pass the arguments by keyword", "dynamic": "Drop `dynamic=`"}
            yield self.finding(node, f"`super().__init__` {' and '.join(p for _, p in problems)}", fix,
                               title="; ".join(titles[k] for k, _ in problems),
                               reason=detail if fix is None else DYNAMIC_UNSAFE if fix == UNSAFE else None)

    def fix_edit(self, ctx, site):
        """Positional arguments get their Keras 2 keywords; `dynamic` is removed."""
        import libcst as cst

        from tflint_vars.plans.edits import Edit

        plan = _plan(site.node, keras_base(ctx.analysis, site.context.keras_class))
        if plan is None or plan[0] is None:
            return plan[2] if plan else "nothing to fix"
        order = plan[2]
        count = len(site.node.args)

        def rewrite(call: cst.Call) -> cst.Call:
            args = positionals_by_keyword(call, count, order)
            kept = [a for a in args if not (a.keyword is not None and a.keyword.value == "dynamic")]
            if kept and kept[-1] is not args[-1]:  # the last went: keep the layout without a trailing comma
                kept[-1] = kept[-1].with_changes(comma=args[-1].comma)
            return call.with_changes(args=kept)

        return Edit(rewrites=[(site.node, rewrite)])


def _plan(node: ast.Call, base: str) -> tuple[str | None, list[str], tuple[str, ...] | str] | None:
    """(fix safety, the problems, Keras 2's order of the positional arguments or why there is no fix), or None
    when the call is valid Keras 3."""
    problems, fix = [], SAFE
    order = KERAS2_ORDER.get(LAYER if base in ("Layer", "Model") else METRIC) if base != "Model" else ()
    keywords = {k.arg for k in node.keywords}
    # `super().__init__(*args, **kwargs)` only forwards what callers pass (stellargraph, tensorflow-graphics'
    # Conv2D subclass): nothing positional is known to reach Keras.
    if node.args and not all(isinstance(a, ast.Starred) for a in node.args):
        if base == "Model":
            return None  # Keras 2's Model took the functional inputs and outputs by position: another API
        problems.append(("order", f"passes arguments in Keras 2's order (Keras 3's {base} raises)"))
    values = [k.value for k in node.keywords if k.arg == "dynamic"]
    if node.args and len(node.args) == 4 and base == "Layer":
        values.append(node.args[3])
    if values:
        problems.append(("dynamic", "passes `dynamic` (Keras 3: ValueError)"))
        if not all(isinstance(v, ast.Constant) and v.value is False for v in values):
            fix = UNSAFE
    if not problems:
        return None
    if any(isinstance(a, ast.Starred) for a in node.args):
        return None, problems, "`*args` cannot be mapped to keywords"
    if len(node.args) > len(order):
        return None, problems, f"more positional arguments than Keras 2's {base} took"
    if keywords & set(order[:len(node.args)]):
        return None, problems, "a keyword is also passed by position"
    return fix, problems, order
