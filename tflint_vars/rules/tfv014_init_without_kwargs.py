from __future__ import annotations

import ast
from typing import Callable, Iterator

from tflint_vars.analysis import KERAS3, KerasClass, ModuleAnalysis
from tflint_vars.diagnostics import SAFE
from tflint_vars.rules.base import Finding, Rule
from tflint_vars.rules.tfv013_super_init_keras2_arguments import super_init_call

# The keys of Keras' base layer config (`keras.layers.Layer().get_config()`, Keras 3.15.1): passed back through
# `**kwargs` on load, so `super().__init__` must not set them itself.
BASE_CONFIG_KEYS = frozenset({"name", "trainable", "dtype", "autocast", "activity_regularizer"})
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _own_nodes(function: ast.FunctionDef) -> Iterator[ast.AST]:
    """The nodes of `function`'s body, not those of functions or classes nested in it."""
    pending = list(function.body)
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, _NESTED):
            pending.extend(ast.iter_child_nodes(node))


def plan(cls: KerasClass, init: ast.FunctionDef) -> ast.Call | str:
    """The `super().__init__(...)` call the fix passes `**kwargs` to, or why there is no fix."""
    calls = [n for n in _own_nodes(init) if isinstance(n, ast.Call) and super_init_call(n, cls)]
    if len(calls) != 1:
        return "`__init__` does not call `super().__init__(...)` exactly once"
    call = calls[0]
    if any(k.arg is None for k in call.keywords):
        return "`super().__init__` already takes `**` arguments"
    if call.args:
        return "`super().__init__` passes arguments by position, which the saved config would pass again"
    params = {a.arg for a in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)}
    stores = [n.id for n in _own_nodes(init) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
    # `super().__init__(name=name)` passing `__init__`'s own `name` on (never rebound): the saved config's `name`
    # binds that parameter, so nothing reaches super twice (tensorflow-graphics' IdentityLayer, measured to save and
    # load under both Kerases with the fix).
    passed_on = {k.arg for k in call.keywords if isinstance(k.value, ast.Name) and k.value.id == k.arg
                 and k.arg in params and k.arg not in stores}
    explicit = sorted(BASE_CONFIG_KEYS & {k.arg for k in call.keywords} - passed_on)
    if explicit:
        return f"`super().__init__` sets `{explicit[0]}` itself, which the saved config would pass again"
    names = {a.arg for a in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)}
    names.update(n.id for n in _own_nodes(init) if isinstance(n, ast.Name))
    if init.args.vararg is not None:
        names.add(init.args.vararg.arg)
    if "kwargs" in names:
        return "the name `kwargs` is taken in `__init__`"
    return call


# Annotations of values Keras 3 serializes in a layer's automatic config.
_SERIALIZABLE_ANNOTATIONS = frozenset({"int", "float", "str", "bool"})


def _literal(node: ast.expr) -> bool:
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        return _literal(node.operand)
    return isinstance(node, ast.Constant)


def _arguments_serializable(init: ast.FunctionDef, cls: ast.ClassDef | None = None) -> bool:
    """Without `get_config`, Keras 3 saves a layer only when every constructor argument serializes: measured, a
    TensorSpec, a class or a numpy array makes `model.save` raise NotImplementedError ("non-serializable argument
    values") before `load_model` is reached. Shown here by a literal default or an int/float/str/bool annotation on
    each parameter (tf-agents' `Network(input_tensor_spec, ...)` shows neither), or by the class using it as a
    dimension (`_used_as_dimension`)."""
    args = init.args
    if args.vararg is not None:
        return False
    positional = [*args.posonlyargs, *args.args][1:]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]
    return all((default is not None and _literal(default))
               or (isinstance(arg.annotation, ast.Name) and arg.annotation.id in _SERIALIZABLE_ANNOTATIONS)
               or (cls is not None and _used_as_dimension(cls, init, arg.arg))
               for arg, default in pairs)


def _used_as_dimension(cls: ast.ClassDef, init: ast.FunctionDef, name: str) -> bool:
    """The parameter `name` (or `self.x` bound to it in `__init__`, and never rebound) is a dimension: an item of a
    `shape=` tuple or list, the argument of `range(...)`, or a Dense's `units`: an int (or an int-like that raises
    there), which Keras 3's automatic config serializes."""
    if any(isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load) for n in ast.walk(init)):
        return False  # rebound before any use: its value is not the argument's
    attributes = {t.attr for n in init.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name)
                  and n.value.id == name for t in n.targets
                  if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}
    stored = [t.attr for n in ast.walk(cls) if isinstance(n, (ast.Assign, ast.AugAssign))
              for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
              if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"]
    attributes = {a for a in attributes if stored.count(a) == 1}

    def is_argument(node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id == name and any(n is node for n in ast.walk(init))
        return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
            and node.attr in attributes

    for node in ast.walk(cls):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            dims = keyword.value.elts if isinstance(keyword.value, (ast.Tuple, ast.List)) else []
            if (keyword.arg == "shape" and any(is_argument(d) for d in dims)) or \
                    (keyword.arg == "units" and is_argument(keyword.value)):
                return True
        if isinstance(node.func, ast.Name) and node.func.id == "range" and any(is_argument(a) for a in node.args):
            return True
    return False


class InitWithoutKwargs(Rule):
    """A layer's `__init__` without `**kwargs`: Keras 3's `load_model` cannot rebuild it.

    ## What it does
    Finds `__init__` methods without a `**kwargs` parameter in `Layer` and `Model` subclasses built on `tf.keras`
    or `keras`. Not reported: classes that define `from_config` (they construct themselves), classes on
    `tf_keras` (Keras 2), and classes without `get_config` whose constructor arguments are not shown serializable
    (a literal default, an `int`/`float`/`str`/`bool` annotation, or use as a dimension: an item of a `shape=`
    tuple, `range(n)`, `units=`): Keras 3's `save` raises NotImplementedError for those before `load_model` is
    reached.

    ## Why is this bad?
    `keras.models.load_model` rebuilds each layer as `cls(**config)`, and Keras 3's `get_config` always holds the
    base keys (`trainable`, `dtype`, and `name` when `get_config` calls `super()`), beside the constructor's own
    arguments. Measured on TF 2.21 / Keras 3.15.1 (bench/keras_api_diff.py,
    `load_model_constructor_without_kwargs_default_config`): `def __init__(self, units=4): super().__init__()`
    saves, then `load_model` raises `TypeError: ... could not be deserialized properly` (an unexpected keyword
    argument `trainable`). tf-keras 2.21 saves an empty config for such a class and loads it.

    ## Example
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def __init__(self, units=4):
            super().__init__()
            self.units = units
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
    ```

    ## Fix safety
    Safe: the fix adds `**kwargs` to `__init__` and passes it to its one `super().__init__(...)` call. A call that
    passes no extra keywords builds the same layer as before in both Kerases, and `load_model` then rebuilds it
    (measured under both runtimes, `load_model_constructor_with_kwargs_default_config`). No fix when
    `super().__init__` is not called exactly once, already takes `**` arguments, passes arguments by position, or
    sets a base key itself (`name`, `trainable`, `dtype`, ...: the saved config would pass it twice) other than as
    `__init__`'s own parameter of that name, never rebound (`super().__init__(name=name)`: the config's `name` binds
    the parameter; fixture `tfv014_name_passed_on`, saved and loaded under both runtimes), or when `kwargs` is
    already a name there.
    """

    code = "TFV014"
    name = "init-without-kwargs"
    fix = SAFE
    VALID = [
        # tf-agents: a TensorSpec argument and no get_config: Keras 3's save raises first (NotImplementedError).
        "import tensorflow as tf\nclass N(tf.keras.layers.Layer):\n"
        "    def __init__(self, input_tensor_spec, name=None):\n"
        "        super().__init__(name=name)\n",
        "import keras\nclass L(keras.layers.Layer):\n    def __init__(self, units=4, **kwargs):\n"
        "        super().__init__(**kwargs)\n",
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def __init__(self, units=4):\n"
        "        super().__init__()\n",
        "import keras\nclass L(keras.layers.Layer):\n    def __init__(self, units=4):\n"
        "        super().__init__()\n    @classmethod\n    def from_config(cls, config):\n        return cls()\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass M(tf.keras.Model):\n    def __init__(self, units: int):\n"
        "        super(M, self).__init__(name='m')\n    def call(self, x):\n        return x\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.keras_classes.values():
            if cls.flavor != KERAS3 or not cls.is_layer or cls.method("from_config") is not None:
                continue
            init = cls.method("__init__")
            if not isinstance(init, ast.FunctionDef) or init.args.kwarg is not None:
                continue
            if cls.method("get_config") is None and not _arguments_serializable(init, cls.node):
                continue  # Keras 3's `save` raises NotImplementedError before any load (as tf-keras's does)
            planned = plan(cls, init)
            yield self.finding(
                init,
                "`__init__` without `**kwargs`: Keras 3's `load_model` passes it `trainable`, `dtype` (TypeError)",
                SAFE if isinstance(planned, ast.Call) else None,
                title="Accept `**kwargs` and pass them to `super().__init__`",
                reason=None if isinstance(planned, ast.Call) else planned,
            )

    @staticmethod
    def rewrite(node: ast.FunctionDef, analysis: ModuleAnalysis) -> tuple[ast.AST, Callable]:
        """`**kwargs` added to the parameters of `__init__` and to its `super().__init__(...)` call."""
        import libcst as cst  # only when fixing: detection never loads libcst

        from tflint_vars.plans.edits import Unfixable

        cls = next(c for c in analysis.keras_classes.values() if c.method("__init__") is node)
        call = plan(cls, node)
        if isinstance(call, str):
            raise Unfixable(call)

        class PassKwargs(cst.CSTTransformer):
            """Passes `**kwargs` to the `super(...).__init__(...)` call, the only one `plan` found."""

            def __init__(self):
                super().__init__()
                self.done = False

            def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
                func = updated.func
                if self.done or not (isinstance(func, cst.Attribute) and func.attr.value == "__init__"
                                     and isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Name)
                                     and func.value.func.value == "super"):
                    return updated
                self.done = True
                return updated.with_changes(args=[*updated.args, cst.Arg(value=cst.Name("kwargs"), star="**")])

        def apply(function: cst.FunctionDef) -> cst.FunctionDef:
            transformer = PassKwargs()
            body = function.body.visit(transformer)
            if not transformer.done:
                raise Unfixable("the `super().__init__` call could not be located in the libcst tree")
            params = function.params.with_changes(star_kwarg=cst.Param(name=cst.Name("kwargs"), star="**"))
            return function.with_changes(params=params, body=body)

        return node, apply
