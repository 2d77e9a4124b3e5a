from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import LAYER_KINDS, ModuleAnalysis, dotted_name
from tflint_vars.diagnostics import SAFE, UNSAFE
from tflint_vars.rules._raw_variables import is_keras3_class, single_bindings
from tflint_vars.rules.base import Finding, Rule

# What makes an initializer object: Keras's `initializers.get(...)` and initializer classes, TensorFlow's own
# (`tf.random_normal_initializer()`, `tf.initializers.*`, the v1 `*_initializer` factories).
_KERAS_INITIALIZERS = ("keras.initializers.", "tf_keras.initializers.", "tensorflow.initializers.")
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _makes_initializer(analysis: ModuleAnalysis, node: ast.AST) -> bool:
    """`node` is a call that returns an initializer object."""
    if not isinstance(node, ast.Call):
        return False
    name = analysis.qualify(node.func) or ""
    return name.startswith(_KERAS_INITIALIZERS) or (name.startswith("tensorflow.") and name.endswith("_initializer"))


def _self_stores(cls: ast.ClassDef) -> dict[str, list[ast.expr]]:
    """`self.<attr>` -> the values the class's methods store in it."""
    stores: dict[str, list[ast.expr]] = {}
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id == "self":
                    stores.setdefault(target.attr, []).append(node.value)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Attribute) \
                and isinstance(node.target.value, ast.Name) and node.target.value.id == "self":
            stores.setdefault(node.target.attr, []).append(node.value)
    return stores


def _in_init_scope(analysis: ModuleAnalysis, statement: ast.stmt) -> bool:
    """`with tf.init_scope():`: what it holds is drawn eagerly already."""
    return isinstance(statement, (ast.With, ast.AsyncWith)) and any(
        isinstance(item.context_expr, ast.Call) and analysis.qualify(item.context_expr.func) == "tensorflow.init_scope"
        for item in statement.items)


def initializer_draws(analysis: ModuleAnalysis, cls: ast.ClassDef, build: ast.AST) -> Iterator[ast.Assign]:
    """`self.x = init(shape)` statements in `build` (outside nested functions) whose callee is an initializer object:
    made inline (`GlorotUniform()(shape)`), by a local bound once to one, or by a `self.<attr>` the class binds
    only to one (`self.kernel_initializer = initializers.get(...)` in `__init__`)."""
    local = single_bindings(analysis, build)
    attributes = None
    pending = list(build.body)
    while pending:
        statement = pending.pop(0)
        if isinstance(statement, _NESTED) or _in_init_scope(analysis, statement):
            continue
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Attribute) \
                and isinstance(statement.targets[0].value, ast.Name) and statement.targets[0].value.id == "self" \
                and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Name):
                made = _makes_initializer(analysis, local.get(func.id))
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                if attributes is None:
                    attributes = _self_stores(cls)
                values = attributes.get(func.attr, [])
                made = bool(values) and all(_makes_initializer(analysis, v) for v in values)
            else:
                made = _makes_initializer(analysis, func)
            if made:
                yield statement
        for field in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(statement, field, None) or [])


def _graph_free(call: ast.Call, build: ast.AST) -> str | None:
    """Why the draw's arguments may read a graph tensor when `build` runs inside a traced call, or None: they read
    literals, `self.<attr>` and `build`'s shape argument only (Python values in both Kerases)."""
    params = {a.arg for a in build.args.args[1:]} if isinstance(build, (ast.FunctionDef, ast.AsyncFunctionDef)) \
        else set()
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        for node in ast.walk(arg):
            if isinstance(node, ast.Name) and node.id not in params and node.id not in ("self", "int", "len"):
                return f"its argument reads `{node.id}`, which may be a tensor of the traced call"
            if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in ("int", "len")):
                return f"its argument calls `{dotted_name(node.func) or 'a function'}`, which may make a tensor"
    return None


class InitializerDrawInBuild(Rule):
    """An initializer's draw kept as layer state in `build`: under Keras 3, a graph tensor that fails outside it.

    ## What it does
    Finds `self.x = init(shape)` in a Keras 3 layer's `build`, where `init` is an initializer object
    (`initializers.get(...)`, `tf.keras.initializers.GlorotUniform()`, `tf.random_normal_initializer()`): the layer
    keeps the tensor the initializer draws, not a weight made from it. Classes on `tf_keras` (Keras 2) are not
    reported.

    ## Why is this bad?
    tf-keras runs `build` inside `tf.init_scope()`, so the draw is an eager tensor however the layer is first
    called. Keras 3 does not: a layer built inside another layer's `call` (or first called in a `tf.function`) draws
    a symbolic tensor of that trace, and the next call raises `TypeError: ... is out of scope and cannot be used
    here`. Measured (bench/keras_fix_facts.py, `initializer_draw_in_nested_build`): such a layer inside another
    layer of a `Sequential` model raises under Keras 3 and trains under Keras 2. Under both Kerases the draw is a
    constant, not a weight: it is never trained, and it is drawn anew when a saved model is loaded.

    ## Example
    ```python
    import tensorflow as tf

    class Step(tf.keras.layers.Layer):
        def build(self, input_shape):
            init = tf.keras.initializers.get("glorot_uniform")
            self.W = init((input_shape[-1], 4))

        def call(self, x):
            return tf.matmul(x, self.W)
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Step(tf.keras.layers.Layer):
        def build(self, input_shape):
            init = tf.keras.initializers.get("glorot_uniform")
            with tf.init_scope():
                self.W = init((input_shape[-1], 4))

        def call(self, x):
            return tf.matmul(x, self.W)
    ```
    If `W` was meant to learn (deepchem's LSTMStep calls these "learnable weights"), make it a weight instead:
    `self.W = self.add_weight(shape=(input_shape[-1], 4), initializer=init)`; that changes what the layer trains
    and saves, so no fix does it for you.

    ## Fix safety
    Safe: the fix wraps the statement in `with tf.init_scope():`, which is how tf-keras already runs every `build`
    (`initializer_draw_in_nested_build`: the draw is an eager tensor under Keras 2 in either form, and under Keras 3
    in the fixed form). The layer keeps the same constant as before, untrained and unsaved, under both Kerases.
    Unsafe when the draw's arguments read anything but literals, `self` attributes and `build`'s shape argument: a
    tensor of the traced call read inside `tf.init_scope()` raises. No fix without an `import tensorflow` to spell
    `tf.init_scope()`.
    """

    code = "TFV018"
    name = "initializer-draw-in-build"
    fix = SAFE
    fix_title = "Draw it inside `with tf.init_scope():`"
    VALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(shape=(2,), initializer=tf.keras.initializers.get('ones'))\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        init = tf.keras.initializers.get('ones')\n        with tf.init_scope():\n"
        "            self.w = init((2,))\n",
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = tf_keras.initializers.get('ones')((2,))\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self):\n"
        "        super().__init__()\n        self.w = tf.keras.initializers.get('ones')((2,))\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        init = tf.keras.initializers.get('ones')\n        init = self.other\n        self.w = init((2,))\n",
        "import tensorflow as tf\nclass M(tf.Module):\n    def build(self, s):\n"
        "        self.w = tf.keras.initializers.get('ones')((2,))\n",
    ]
    INVALID = [
        "import tensorflow as tf\nfrom tensorflow.keras import initializers\nclass L(tf.keras.layers.Layer):\n"
        "    def build(self, s):\n        init = initializers.get('orthogonal')\n"
        "        self.U = init((3, 12))\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self):\n"
        "        super().__init__()\n        self.kernel_initializer = tf.keras.initializers.get('glorot_uniform')\n"
        "    def build(self, s):\n        self.k = self.kernel_initializer((s[-1], 3))\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        if s:\n            self.w = tf.random_normal_initializer()(shape=(2,))\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.keras_classes.values():
            build = cls.method("build")
            if build is None or not is_keras3_class(cls) or cls.kind not in LAYER_KINDS:
                continue
            for statement in initializer_draws(analysis, cls.node, build):
                attribute = statement.targets[0].attr
                message = (f"`self.{attribute}` keeps an initializer's draw, not a weight: built in a traced call, "
                           f"Keras 3 leaves it out of scope (TypeError)")
                reason = _graph_free(statement.value, build)
                yield self.finding(statement, message, SAFE if reason is None else UNSAFE, reason=reason)

    def fix_edit(self, ctx, site):
        """The statement wrapped in `with tf.init_scope():`."""
        from tflint_vars.plans.edits import Edit

        tf_name = next((local for local, target in ctx.module_imports.items()
                        if target in ("tensorflow", "tensorflow.compat.v1", "tensorflow.compat.v2")), None)
        if tf_name is None:
            return "no `import tensorflow` spells `tf.init_scope()`"
        return Edit(wrap_with=(getattr(site, "node", site), f"{tf_name}.init_scope()"))
