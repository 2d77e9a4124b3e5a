from __future__ import annotations

import ast
from typing import Callable, Iterator

from tflint_vars.analysis import KERAS3, KerasClass, ModuleAnalysis
from tflint_vars.diagnostics import SAFE
from tflint_vars.plans.hoist import plain_layer_base
from tflint_vars.rules.base import Finding, Rule

_DTYPES = frozenset({
    "float16", "float32", "float64", "bfloat16", "half", "double", "int8", "int16", "int32", "int64", "uint8",
    "uint16", "uint32", "uint64", "bool", "complex64", "complex128", "string",
})


# TensorFlow's aliases, by the name `tf.as_dtype(...).name` gives.
_ALIASES = {"half": "float16", "double": "float64"}


def _canonical(qualified: str) -> str:
    for prefix in ("tensorflow.compat.v1.", "tensorflow.compat.v2."):
        if qualified.startswith(prefix):
            return "tensorflow." + qualified[len(prefix):]
    return qualified


def _dtype_name(analysis: ModuleAnalysis, node: ast.expr) -> str | None:
    """`"float32"` for `tf.float32`, `"float16"` for `tf.dtypes.half`, ...: the DType's `name`, else None."""
    head, _, name = _canonical(analysis.qualify(node) or "").rpartition(".")
    return _ALIASES.get(name, name) if head in ("tensorflow", "tensorflow.dtypes") and name in _DTYPES else None


def tf_dtype(analysis: ModuleAnalysis, node: ast.expr) -> str | None:
    """`tf.float32`, `tf.dtypes.int64`, ... (a `tf.DType` object) as written, else None."""
    return ast.unparse(node) if _dtype_name(analysis, node) is not None else None


# Calls whose `dtype=` takes a string and a tf.DType alike, by the qualified name's start (measured under both
# runtimes, bench/keras_api_diff.py `dtype_string_and_dtype_alike`: tf.zeros, tf.constant, tf.Variable, add_weight,
# the layer's own dtype).
_DTYPE_KEYWORD_CALLS = ("tensorflow.", "keras.", "tf_keras.")
_CASTS = frozenset({"tensorflow.cast", "tensorflow.dtypes.cast"})
_AS_DTYPE = frozenset({"tensorflow.as_dtype", "tensorflow.dtypes.as_dtype"})


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _super_init(call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "__init__" and isinstance(func.value, ast.Call) \
        and isinstance(func.value.func, ast.Name) and func.value.func.id == "super"


def _takes_a_name_alike(analysis: ModuleAnalysis, node: ast.expr, parents: dict[ast.AST, ast.AST]) -> bool:
    """`node` (the parameter, or `self.<attr>` holding it) is read where a dtype name and a tf.DType give the same
    result: the `dtype=` of a TensorFlow or Keras call, of `self.add_weight`/`self.add_variable` or of
    `super().__init__`, the dtype of `tf.cast(x, dtype)`, or the argument of `tf.as_dtype(dtype)`."""
    parent = parents.get(node)
    if isinstance(parent, ast.keyword) and parent.arg == "dtype" and parent.value is node:
        call = parents.get(parent)
        if not isinstance(call, ast.Call):
            return False
        if _super_init(call):
            return True
        func = call.func
        if isinstance(func, ast.Attribute) and _is_self(func.value) and func.attr in ("add_weight", "add_variable"):
            return True
        return _canonical(analysis.qualify(func) or "").startswith(_DTYPE_KEYWORD_CALLS)
    if isinstance(parent, ast.Call) and node in parent.args:
        qualified = _canonical(analysis.qualify(parent.func) or "")
        position = parent.args.index(node)
        return (qualified in _CASTS and position == 1) or (qualified in _AS_DTYPE and position == 0)
    return False


def alike_plan(analysis: ModuleAnalysis, cls: KerasClass, init: ast.FunctionDef, parameter: str) -> str | None:
    """None when a string default gives every use of `parameter` what the tf.DType gave it: each read of it in
    `__init__`, and of any `self.<attr>` it is stored in anywhere in the class, takes a name and a DType alike, and
    nothing else in the module reads `.<attr>` or assigns it. Else the first use that may tell them apart."""
    parents = {child: node for node in ast.walk(cls.node) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(cls.node):  # the arguments stored by name: their uses are not seen
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("locals", "setattr",
                                                                                              "vars"):
            return f"`{node.func.id}(...)` (line {node.lineno}) may store `{parameter}` where its uses are not seen"
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return f"`__dict__` (line {node.lineno}) may store `{parameter}` where its uses are not seen"
    attributes: set[str] = set()
    for node in ast.walk(init):
        if not (isinstance(node, ast.Name) and node.id == parameter):
            continue
        if not isinstance(node.ctx, ast.Load):
            return f"`{parameter}` is assigned in `__init__` (line {node.lineno})"
        parent = parents.get(node)
        if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1 \
                and isinstance(parent.targets[0], ast.Attribute) and _is_self(parent.targets[0].value):
            attributes.add(parent.targets[0].attr)
            continue
        if not _takes_a_name_alike(analysis, node, parents):
            return f"`{ast.unparse(parent) if isinstance(parent, ast.expr) else parameter}` (line {node.lineno}) " \
                   f"may tell a dtype name from a tf.DType"
    if not attributes:
        return None
    # `self.<attr>` of an unrelated class of the module is another object's; a subclass's is this one's.
    unrelated = set()
    for other in ast.walk(analysis.tree):
        if isinstance(other, ast.ClassDef) and other is not cls.node and not any(
                (ast.unparse(base).rpartition(".")[2]) == cls.node.name for base in other.bases):
            unrelated.update(id(n) for n in ast.walk(other) if isinstance(n, ast.Attribute) and _is_self(n.value))
    for other in ast.walk(analysis.tree):
        if isinstance(other, ast.ClassDef) and other is not cls.node and id(other) not in unrelated:
            parents.update({child: node for node in ast.walk(other) for child in ast.iter_child_nodes(node)})
    stores = {attribute: 0 for attribute in attributes}
    for node in ast.walk(analysis.tree):
        if not (isinstance(node, ast.Attribute) and node.attr in attributes) or id(node) in unrelated:
            continue
        if not (node in parents and _is_self(node.value)):
            return f"`.{node.attr}` is read outside the class's own methods (line {node.lineno})"
        if not isinstance(node.ctx, ast.Load):
            stores[node.attr] += 1
            continue
        if not _takes_a_name_alike(analysis, node, parents):
            return f"`self.{node.attr}` (line {node.lineno}) may tell a dtype name from a tf.DType"
    rebound = next((attribute for attribute, count in stores.items() if count != 1), None)
    if rebound is not None:
        return f"`self.{rebound}` is assigned more than once in the class"
    return None




class InitDtypeDefault(Rule):
    """A `tf.DType` default of a constructor argument in a layer without `get_config`: Keras 3 cannot save it.

    ## What it does
    Finds `__init__` parameters whose default is a TensorFlow dtype object (`tf.float32`, `tf.dtypes.int64`) in
    `Layer` and `Model` subclasses built on `tf.keras` or `keras` directly (Keras's own base classes) that define no
    `get_config`. Classes on `tf_keras` (Keras 2) are not reported.

    ## Why is this bad?
    Without `get_config`, Keras 3 saves a layer's constructor arguments as its config, defaulted ones included
    (tf-keras records only those passed), and only values it can serialize: measured on TF 2.21 / Keras 3.15.1
    (bench/keras_api_diff.py, `save_constructor_dtype_default`, `auto_config_dtype_default`), a layer constructed
    with the default `state_dtype=tf.float32` makes `model.save` raise NotImplementedError ("created by passing
    non-serializable argument values in `__init__()`"). tf-keras 2.21 saves and loads it.

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
    Safe: the fix writes the default as the dtype's name (`"float32"` for `tf.float32`, `"float16"` for
    `tf.half`), in the module's quote style, where every use of the parameter takes a name and a tf.DType alike:
    each read of it in `__init__`, and of any `self.<attr>` it is stored in (once) anywhere in the class, is the
    `dtype=` of a TensorFlow or Keras call, of `self.add_weight` or of `super().__init__`, the dtype of
    `tf.cast(x, dtype)`, or the argument of `tf.as_dtype`, and the module reads `.<attr>` nowhere else (a subclass
    in the module is held to the same uses). Measured
    under both runtimes (`dtype_string_and_dtype_alike`): each of these gives the same variable, tensor and layer
    dtypes for `"float32"` as for `tf.float32`; a caller that passes the argument is not affected, and the fixed
    layer saves and loads under both Kerases (`save_constructor_dtype_string_default`). Code in other modules that
    reads the stored attribute as a DType (`layer.state_dtype.name`) is not seen. No fix when another use may tell a
    name from a DType (`state_dtype.is_floating`, `state_dtype == tf.float32`, an f-string, a reassignment), or
    where the class stores arguments by name (`setattr`, `locals()`, `vars`, `__dict__`), whose uses are not seen:
    the message says which. A normalising `state_dtype = tf.as_dtype(state_dtype)` would change what callers passing
    `None` get (measured: `tf.as_dtype(None)` raises TypeError) and what numpy code receives for `np.float32`.
    """

    code = "TFV017"
    name = "init-dtype-default"
    fix = SAFE
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
        # A use that needs the DType's attributes: reported, no fix.
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self, dt=tf.float32, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.floating = dt.is_floating\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls, init, parameter, default in _sites(analysis):
            reason = alike_plan(analysis, cls, init, parameter.arg)
            yield self.finding(
                default,
                f"`{parameter.arg}={ast.unparse(default)}`, a `tf.DType`, and no `get_config`: Keras 3's "
                f"`model.save` raises NotImplementedError",
                SAFE if reason is None else None,
                title=f'Take the dtype as a string (`{parameter.arg}="{_dtype_name(analysis, default)}"`)'
                if reason is None else None,
                reason=None if reason is None else f"{reason}: a string default may change what it does")

    @staticmethod
    def rewrite(node: ast.expr, analysis: ModuleAnalysis) -> tuple[ast.AST, Callable]:
        """The default written as the dtype's name, in the module's quote style."""
        import libcst as cst  # only when fixing: detection never loads libcst

        from tflint_vars.plans.edits import Unfixable, module_quote

        site = next((s for s in _sites(analysis) if s[3] is node), None)
        if site is None:
            raise Unfixable("the default is no longer a tf.DType of a reported constructor")
        reason = alike_plan(analysis, site[0], site[1], site[2].arg)
        if reason is not None:
            raise Unfixable(reason)
        quote = module_quote(analysis.source)
        literal = f"{quote}{_dtype_name(analysis, node)}{quote}"

        def apply(default: cst.BaseExpression) -> cst.BaseExpression:
            return cst.SimpleString(literal, lpar=default.lpar, rpar=default.rpar)

        return node, apply


def _sites(analysis: ModuleAnalysis) -> Iterator[tuple[KerasClass, ast.FunctionDef, ast.arg, ast.expr]]:
    """(class, `__init__`, parameter, default) for each tf.DType default this rule reports."""
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
            if _dtype_name(analysis, default) is not None:
                yield cls, init, parameter, default
