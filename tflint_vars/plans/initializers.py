"""How a `tf.Variable(...)` call maps to `self.add_weight(...)`: the one place that decides whether a safe fix exists
(the rules ask it, to say `fixable`) and what the fix writes (the fixes render its plan).

The initializer must keep the distribution of the initial value: Keras' "random_normal" has stddev 0.05 while
`tf.random.normal` has 1.0, so random initial values map to initializer classes with every moment spelled out.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable

from tflint_vars.analysis import BACKEND_VARIABLE_FUNCTIONS, BACKEND_VARIABLES

# tf.Variable's positional parameters, in order (TF 2.21).
VARIABLE_PARAMS = ("initial_value", "trainable", "validate_shape", "caching_device", "name", "variable_def", "dtype",
                   "import_scope", "constraint", "synchronization", "aggregation", "shape")
# tf.Variable keywords that add_weight takes under the same name and meaning.
_PASSED_THROUGH = ("name", "trainable", "dtype", "constraint")

# canonical name -> (keras initializer, positional parameter names of the TF function, {tf param: (keras kw, default)})
_RANDOM = {
    "tensorflow.random.normal": ("RandomNormal", ("shape", "mean", "stddev", "dtype", "seed"),
                                 {"mean": ("mean", "0.0"), "stddev": ("stddev", "1.0")}),
    "tensorflow.random_normal": ("RandomNormal", ("shape", "mean", "stddev", "dtype", "seed"),
                                 {"mean": ("mean", "0.0"), "stddev": ("stddev", "1.0")}),
    "tensorflow.random.truncated_normal": ("TruncatedNormal", ("shape", "mean", "stddev", "dtype", "seed"),
                                           {"mean": ("mean", "0.0"), "stddev": ("stddev", "1.0")}),
    "tensorflow.truncated_normal": ("TruncatedNormal", ("shape", "mean", "stddev", "dtype", "seed"),
                                    {"mean": ("mean", "0.0"), "stddev": ("stddev", "1.0")}),
    "tensorflow.random.uniform": ("RandomUniform", ("shape", "minval", "maxval", "dtype", "seed"),
                                  {"minval": ("minval", "0.0"), "maxval": ("maxval", "1.0")}),
    "tensorflow.random_uniform": ("RandomUniform", ("shape", "minval", "maxval", "dtype", "seed"),
                                  {"minval": ("minval", "0.0"), "maxval": ("maxval", "1.0")}),
}
_FILLED = {"tensorflow.zeros": "zeros", "tensorflow.ones": "ones"}
_NUMPY_FILLED = {"numpy.zeros": "zeros", "numpy.ones": "ones"}
# numpy random functions -> (Keras initializer, numpy parameters, {numpy param: (keras kw, default)}, size param).
_NUMPY_RANDOM = {
    "numpy.random.normal": ("RandomNormal", ("loc", "scale", "size"),
                            {"loc": ("mean", "0.0"), "scale": ("stddev", "1.0")}),
    "numpy.random.uniform": ("RandomUniform", ("low", "high", "size"),
                             {"low": ("minval", "0.0"), "high": ("maxval", "1.0")}),
}
_INITIALIZER_NAMESPACES = ("keras.initializers.", "tf_keras.initializers.", "tensorflow.initializers.",
                           "tensorflow.keras.initializers.")


@dataclass
class WeightPlan:
    """The arguments of the `add_weight` call that replaces a `tf.Variable`, as source text.

    `initializer` is either a string literal such as '"zeros"', a Keras initializer class to instantiate
    (`initializer_class` with `initializer_args`), or an expression kept verbatim."""

    shape: str
    initializer: str | None = None
    initializer_class: str | None = None
    initializer_args: list[tuple[str, str]] = field(default_factory=list)
    keywords: dict[str, str] = field(default_factory=dict)  # name, trainable, dtype, constraint
    # Keys ("initializer" or a keyword) whose string literal the plan wrote itself rather than copied from the
    # source: the fix may write them in the module's quote style.
    generated: set[str] = field(default_factory=set)
    unsafe: str | None = None  # why the fix is unsafe; None when it is safe
    computed: bool = False  # the weight is filled with the value itself, evaluated where the tf.Variable stood
    # (computed plans) the reason it is unsafe when only a string value breaks it: a numeric `dtype=` clears it
    string_risk: str | None = None
    # `self.<attr>` reads the fix wraps in `tf.convert_to_tensor(...)` (numpy operands, tf.Variable-only methods)
    tensor_reads: list = field(default_factory=list)
    # `w_init = tf.random.normal(...)` whose value the plan took for `tf.Variable(w_init)`: the fix removes it
    inlined: ast.Assign | None = None
    # (statement, attribute, `assign(value)`): made again by a method that runs after build: guarded (Edit.recreate)
    recreate: tuple | None = None
    # A comment the fix writes on the line before the statement (a get_variable regularizer Keras 2 never applied)
    comment: str | None = None


def bind_arguments(call: ast.Call, params: tuple[str, ...]) -> dict[str, ast.expr] | None:
    """Map a call's arguments to parameter names; None when *args/**kwargs make it unknowable."""
    bound: dict[str, ast.expr] = {}
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred) or index >= len(params):
            return None
        bound[params[index]] = arg
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        bound[keyword.arg] = keyword.value
    return bound


def _is_static_shape(node: ast.expr, scope: Scope | None = None) -> bool:
    """A shape built from literals, names, attributes and subscripts: no call, so no tensor op at run time. With a
    scope, `int(...)` of such a shape item too (the builtin, where nothing rebinds `int`): a Python int."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and scope is not None and isinstance(n.func, ast.Name) and n.func.id == "int" \
                and len(n.args) == 1 and not n.keywords and not _rebinds(scope, "int"):
            continue
        if isinstance(n, (ast.Call, ast.Lambda, ast.Await, ast.Yield, ast.NamedExpr)):
            return False
    return True


def _rebinds(scope: Scope, name: str) -> bool:
    """The function or the module binds `name` (assigns, defines, imports, takes it as a parameter)."""
    for holder in (scope.function, scope.module):
        for n in ast.walk(holder) if holder is not None else ():
            if (isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)) \
                    or (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name) \
                    or (isinstance(n, ast.alias) and (n.asname or n.name) == name) \
                    or (isinstance(n, ast.arg) and n.arg == name):
                return True
    return False


def _scalar_literal(node: ast.expr) -> ast.Constant | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node
    return None


# The line ends ast.get_source_segment splits on: \r\n, \r, \n (not \f, \v, ... as str.splitlines would).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|[\r\n])|[^\r\n]+")


@functools.lru_cache(maxsize=4)
def _source_lines(source: str) -> list[str]:
    return _LINE.findall(source)


def source_segment(source: str, node: ast.AST) -> str | None:
    """`ast.get_source_segment(source, node)`, with the source split into lines once per source rather than on every
    call: that split is a Python loop over every character (0.2 s of 1.2 s checking tf-keras, on its largest file)."""
    try:
        if node.end_lineno is None or node.end_col_offset is None:
            return None
        first_line, last_line = node.lineno - 1, node.end_lineno - 1
        start, end = node.col_offset, node.end_col_offset
    except AttributeError:
        return None
    lines = _source_lines(source)
    if first_line == last_line:
        return lines[first_line].encode()[start:end].decode()
    return "".join([lines[first_line].encode()[start:].decode(), *lines[first_line + 1:last_line],
                    lines[last_line].encode()[:end].decode()])


def has_comment(source: str, node: ast.AST) -> bool:
    """A comment inside the node's source: rewriting the call from its parts would lose it."""
    segment = source_segment(source, node) or ""
    if "#" not in segment:
        return False
    try:
        return any(token.type == tokenize.COMMENT for token in tokenize.generate_tokens(io.StringIO(segment).readline))
    except (tokenize.TokenError, SyntaxError):
        return True



# ---------------------------------------------------------------------------------------------------------------
# What the value of a tf.Variable is, read statically. Every precondition below cites a fact measured by
# bench/keras_fix_facts.py under Keras 3 (tf.keras in TF 2.21) and Keras 2 (tf-keras 2.21).


@dataclass
class Scope:
    """Where the call stands, for what the value's names mean: the function holding it (its single-assignment locals
    resolve), the module (its single-assignment globals), `build`'s input-shape parameter (its items are numbers), and
    the local name of `tensorflow` to spell `TensorShape` with."""

    function: ast.AST | None = None
    module: ast.Module | None = None
    input_shape_param: str | None = None
    imports: dict[str, str] = field(default_factory=dict)
    klass: ast.ClassDef | None = None  # the layer class holding `function`, when `function` is one of its methods

    def binding(self, name: str) -> ast.expr | None:
        """The value of `name` when it is bound exactly once, by `name = value`, in the function (or, when the
        function never binds it, the module)."""
        for holder in (self.function, self.module):
            if holder is None:
                continue
            values, count = [], 0
            nodes = ast.walk(holder) if holder is self.function else iter(_module_level(holder))
            for node in nodes:
                if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, (ast.Store, ast.Del)):
                    count += 1
                elif isinstance(node, ast.arg) and node.arg == name:
                    count += 1
                elif isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
                    count += 100
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                        and node.targets[0].id == name:
                    values.append(node.value)
            if count:
                return values[0] if count == 1 and len(values) == 1 else None
        return None

    def tensorflow_name(self) -> str | None:
        """A module-level name bound to `tensorflow` (`import tensorflow as tf`, or its compat.v1/v2 module)."""
        for local, target in self.imports.items():
            if target in ("tensorflow", "tensorflow.compat.v1", "tensorflow.compat.v2"):  # all have TensorShape
                return local
        return None


def _module_level(module: ast.Module):
    for statement in module.body:
        yield from ast.walk(statement) if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                    ast.ClassDef)) else ()


def _int_literal(node: ast.expr) -> bool:
    literal = _scalar_literal(node)
    return literal is not None and type(literal.value) is int


def _is_number(node: ast.expr, scope: Scope, depth: int = 0) -> bool:
    """`node` is provably a number (not a sequence): an int literal, an item of `build`'s input shape, arithmetic
    that a sequence would make raise, or a local bound once to one of those."""
    if depth > 4:
        return False
    if _int_literal(node):
        return True
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
        base = node.value
        if isinstance(base, ast.Name) and base.id == scope.input_shape_param:
            return True
        if isinstance(base, ast.Attribute) and base.attr == "shape":
            return True  # an item of a TensorShape
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.FloorDiv, ast.Mod, ast.Pow,
                                                            ast.Mult)):
        left, right = _is_number(node.left, scope, depth + 1), _is_number(node.right, scope, depth + 1)
        if isinstance(node.op, ast.Mult):
            return left and right  # a tuple * int repeats the tuple
        return left or right  # a sequence + - // % ** a number raises
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "len") \
            and scope.binding(node.func.id) is None:
        return True
    if isinstance(node, ast.Name):
        value = scope.binding(node.id)
        return value is not None and _is_number(value, scope, depth + 1)
    return False


def _is_sequence(node: ast.expr, scope: Scope, depth: int = 0) -> bool:
    if isinstance(node, (ast.Tuple, ast.List)):
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        return True
    if isinstance(node, ast.Attribute) and node.attr == "shape":
        return True
    if isinstance(node, ast.Name) and node.id == scope.input_shape_param:
        return True
    if isinstance(node, ast.Name) and depth < 4:
        value = scope.binding(node.id)
        return value is not None and _is_sequence(value, scope, depth + 1)
    return False


class _NoFix(Exception):
    """No fix: the reason follows `(no safe fix: ...)`."""


class _Unread(_NoFix):
    """No initializer can be written because the value (its shape, length or dtype) is known only by running the
    code: nothing about the value is wrong, so filling the weight with the value itself (`_computed_plan`) keeps it
    exactly, and is safe where that plan's own precondition is shown."""


def _shape(node: ast.expr, text: Callable[[ast.AST], str], scope: Scope) -> str:
    """The add_weight shape for the shape argument of tf.zeros & co, which also take a bare number. Keras 3's
    add_weight raises on a number ("Cannot convert '4' to a shape", fact scalar_shape) where Keras 2 took it; a
    `TensorShape` of either is taken by both (fact tensorshape_of_int_shape)."""
    if not _is_static_shape(node, scope):
        raise _Unread("the shape of its initial value is computed at run time")
    if _is_sequence(node, scope):
        return text(node)
    if _is_number(node, scope):
        return f"({text(node)},)"
    tf_name = scope.tensorflow_name()
    if tf_name is None:
        raise _NoFix(f"its shape `{text(node)}` may be a number or a sequence, and no `import tensorflow` spells "
                     f"`TensorShape` to take both")
    return f"{tf_name}.TensorShape({text(node)})"


_FLOAT_DTYPE = re.compile(r"(b?float\d*|half|double)\b")
_INT_DTYPE = re.compile(r"(u?int\d*)\b")


def dtype_kind(dtype: str | None) -> str | None:
    """'float', 'int', 'other' (bool, complex, string) for a dtype written as text, None when not known."""
    if dtype is None:
        return None
    spelled = dtype.strip("'\" ").rsplit(".", 1)[-1]
    if _FLOAT_DTYPE.fullmatch(spelled) or spelled == "floatx()":  # `K.floatx()`: Keras takes only float floatx
        return "float"
    if _INT_DTYPE.fullmatch(spelled):
        return "int"
    if spelled in ("bool", "bool_", "complex64", "complex128", "string"):
        return "other"
    return None


def _literal_array(node: ast.expr) -> tuple[tuple[int, ...], str] | None:
    """(shape, 'int' or 'float') of a rectangular nested list/tuple of number literals, else None."""
    if isinstance(node, (ast.List, ast.Tuple)):
        if not node.elts:
            return None
        parts = [_literal_array(element) for element in node.elts]
        if any(p is None for p in parts) or len({p[0] for p in parts}) != 1:
            return None
        kind = "float" if any(p[1] == "float" for p in parts) else "int"
        return (len(parts), *parts[0][0]), kind
    literal = _scalar_literal(node)
    if literal is None or type(literal.value) is bool:
        return None
    return (), "float" if isinstance(literal.value, float) else "int"


def _tuple_text(shape: tuple[int, ...]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(map(str, shape))})"


def _value_plan(value: ast.expr, text, qualify, scope: Scope) -> tuple[WeightPlan, str | None]:
    """(plan without the tf.Variable's own keywords, the value's dtype as text or None when unknown)."""
    # A number literal, or tf.constant of one (with a shape: a filled tensor).
    literal = _scalar_literal(value)
    if isinstance(value, ast.Call) and qualify(value.func) == "tensorflow.constant":
        args = bind_arguments(value, ("value", "dtype", "shape", "name"))
        if args is None or "value" not in args:
            raise _NoFix("its tf.constant arguments are passed with * or **")
        inner = args["value"]
        inner_literal, array = _scalar_literal(inner), _literal_array(inner)
        if inner_literal is None and (array is None or "shape" in args):
            raise _NoFix("its tf.constant value is not a number or a list of numbers (with no `shape=`)")
        dtype = text(args["dtype"]) if "dtype" in args else None
        if inner_literal is not None:
            shape = _shape(args["shape"], text, scope) if "shape" in args else "()"
            if dtype is None:
                if type(inner_literal.value) is bool:
                    raise _NoFix("its value is a bool")
                dtype = '"float32"' if isinstance(inner_literal.value, float) else '"int32"'
            return WeightPlan(shape=shape, initializer_class="Constant",
                              initializer_args=[("value", text(inner))]), dtype
        value = inner
        literal = None
        if dtype is not None:
            return WeightPlan(shape=_tuple_text(array[0]), initializer_class="Constant",
                              initializer_args=[("value", text(value))]), dtype
    if literal is not None:
        if type(literal.value) is bool:
            raise _NoFix("its initial value is a bool")
        dtype = '"float32"' if isinstance(literal.value, float) else '"int32"'
        return WeightPlan(shape="()", initializer_class="Constant", initializer_args=[("value", text(value))]), dtype

    # A list of numbers: tf.Variable makes float32 of floats, int32 of ints.
    array = _literal_array(value) if isinstance(value, (ast.List, ast.Tuple)) else None
    if array is not None:
        return WeightPlan(shape=_tuple_text(array[0]), initializer_class="Constant",
                          initializer_args=[("value", text(value))]), '"float32"' if array[1] == "float" else '"int32"'
    # [c] * n: n copies of a number.
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        for items, count in ((value.left, value.right), (value.right, value.left)):
            if isinstance(items, ast.List) and len(items.elts) == 1 and _scalar_literal(items.elts[0]) is not None \
                    and type(_scalar_literal(items.elts[0]).value) is not bool:
                if not _is_number(count, scope) or not _is_static_shape(count):
                    raise _Unread(f"its length `{text(count)}` is not a number known without running the code")
                kind = '"float32"' if isinstance(_scalar_literal(items.elts[0]).value, float) else '"int32"'
                return WeightPlan(shape=f"({text(count)},)", initializer_class="Constant",
                                  initializer_args=[("value", text(items.elts[0]))]), kind
        # c * tf.ones(s): a filled tensor.
        for factor, ones in ((value.left, value.right), (value.right, value.left)):
            if _scalar_literal(factor) is not None and type(_scalar_literal(factor).value) is not bool \
                    and isinstance(ones, ast.Call) and qualify(ones.func) == "tensorflow.ones":
                args = bind_arguments(ones, ("shape", "dtype", "name"))
                if not args or "shape" not in args:
                    raise _Unread("the shape of its initial value is not given")
                dtype = text(args["dtype"]) if "dtype" in args else '"float32"'
                if dtype_kind(dtype) == "int" and isinstance(_scalar_literal(factor).value, float):
                    raise _NoFix("a float times an integer tensor raises")
                return WeightPlan(shape=_shape(args["shape"], text, scope), initializer_class="Constant",
                                  initializer_args=[("value", text(factor))]), dtype

    if not isinstance(value, ast.Call):
        return _computed_plan(value, text, scope)
    callee = qualify(value.func) or ""

    if callee in _FILLED or callee == "tensorflow.fill" or callee in _RANDOM:
        if callee == "tensorflow.fill":
            args = bind_arguments(value, ("dims", "value", "name"))
            shape_node = args and args.get("dims")
        elif callee in _FILLED:
            args = bind_arguments(value, ("shape", "dtype", "name"))
            shape_node = args and args.get("shape")
        else:
            args = bind_arguments(value, _RANDOM[callee][1] + ("name",))
            shape_node = args and args.get("shape")
        if not args or shape_node is None:
            raise _Unread("the shape of its initial value is not given")
        plan = WeightPlan(shape=_shape(shape_node, text, scope))
        if callee in _FILLED:
            plan.initializer = f'"{_FILLED[callee]}"'
            plan.generated.add("initializer")
            return plan, text(args["dtype"]) if "dtype" in args else '"float32"'
        if callee == "tensorflow.fill":
            if "value" not in args:
                raise _NoFix("tf.fill has no value")
            fill = _scalar_literal(args["value"])
            if fill is None or type(fill.value) is bool:
                raise _Unread("the dtype of its tf.fill value is not known")
            plan.initializer_class = "Constant"
            plan.initializer_args = [("value", text(args["value"]))]
            return plan, '"float32"' if isinstance(fill.value, float) else '"int32"'
        initializer, _, moments = _RANDOM[callee]
        dtype = text(args["dtype"]) if "dtype" in args else '"float32"'
        kind = dtype_kind(dtype)
        if kind in ("int", "other") and initializer != "RandomUniform":
            raise _NoFix(f"a {initializer} of dtype {dtype} is not a distribution Keras draws")
        plan.initializer_class = initializer
        for tf_param, (keras_kw, default) in moments.items():
            if tf_param in args:
                plan.initializer_args.append((keras_kw, text(args[tf_param])))
            elif kind == "float":
                plan.initializer_args.append((keras_kw, default))
            elif kind is None:
                raise _NoFix(f"its dtype {dtype} is not known, so neither is the default `{tf_param}` to write")
            elif keras_kw == "minval":
                # Keras 2 casts the bounds to the dtype and raises on 0.0 for an integer (fact
                # int_random_uniform_float_bounds); 0 and 1 are the same bounds for a float.
                plan.initializer_args.append((keras_kw, "0"))
            else:
                raise _NoFix("an integer tf.random.uniform needs `maxval=`")
        if "seed" in args:
            plan.initializer_args.append(("seed", text(args["seed"])))
        return plan, dtype

    if callee in _NUMPY_FILLED or callee in ("numpy.array", "numpy.asarray") or callee in _NUMPY_RANDOM \
            or callee == "numpy.random.randn":
        return _numpy_plan(value, callee, text, scope)

    # An initializer object called with a shape: `Init(...)(shape)`, or `init(shape)` with `init = Init(...)` bound
    # once where the call can see it (the TF guide's `w_init = tf.random_normal_initializer()`). add_weight takes the
    # same object as its initializer, so the distribution cannot change.
    factory_call = value.func if isinstance(value.func, ast.Call) else None
    initializer_text = text(value.func)
    if factory_call is None and isinstance(value.func, ast.Name):
        bound = scope.binding(value.func.id)
        factory_call = bound if isinstance(bound, ast.Call) else None
    if factory_call is not None:
        factory = qualify(factory_call.func) or ""
        if factory.startswith(_INITIALIZER_NAMESPACES) or factory.endswith("_initializer") \
                or factory.startswith("tensorflow.keras.initializers."):
            args = bind_arguments(value, ("shape", "dtype"))
            if not args or "shape" not in args:
                raise _NoFix("the initializer is not called with a shape")
            factory_args = bind_arguments(factory_call, ())
            dtype = text(args["dtype"]) if "dtype" in args else (
                text(factory_args["dtype"]) if factory_args and "dtype" in factory_args else '"float32"')
            return WeightPlan(shape=_shape(args["shape"], text, scope), initializer=initializer_text), dtype
    return _computed_plan(value, text, scope)


def _fresh_name(scope: Scope, base: str = "initial_value") -> str:
    taken: set[str] = set()
    for holder in (scope.function, scope.module):
        if holder is not None:
            taken.update(n.id if isinstance(n, ast.Name) else n.arg for n in ast.walk(holder)
                         if isinstance(n, (ast.Name, ast.arg)))
    name = base
    while name in taken:
        name += "_"
    return name


_MAX_DEPTH = 100


def _depth(node: ast.AST) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > _MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(current))
    return deepest


def _computed_plan(value: ast.expr, text, scope: Scope) -> tuple[WeightPlan, str | None]:
    """Any other value (a constructor argument, an attribute, a computed tensor): evaluated once, where it was, into a
    fresh name (`shape=(initial_value := tf.init_scope()(lambda: tf.convert_to_tensor(value))()).shape`, arguments
    are evaluated left to right, outside any graph being traced)
    and given to add_weight through a Constant initializer, which both Kerases fill from a tensor, a numpy array or
    a list (facts constant_tensor_value, constant_ndarray_value, constant_list_value), with the dtype tf.Variable
    would give it. Safe when every name the value reads exists outside a traced graph (`_graph_read`) and the value
    is shown not to be a string (`_not_string`); else unsafe, saying which does not hold."""
    if _depth(value) > _MAX_DEPTH:  # libcst recurses per level: it would spend minutes before giving up
        raise _NoFix("its initial value is nested too deeply to rewrite")
    if any(isinstance(n, (ast.Lambda, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)) for n in ast.walk(value)):
        raise _NoFix("its initial value holds a lambda, await, yield or `:=`")
    tf_name = scope.tensorflow_name()
    if tf_name is None or scope.function is None:
        raise _NoFix(f"its initial value `{text(value)}` does not map to a Keras initializer, and no "
                     f"`import tensorflow` spells the shape and dtype it has")
    local = _fresh_name(scope)
    if isinstance(value, ast.JoinedStr) or (isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes))):
        # Measured: Keras 3 raises "Cannot convert 1 to EagerTensor of dtype string" (tf-keras fills it).
        raise _NoFix("its initial value is a string, and Keras 3's Constant initializer cannot fill a string weight")
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "super"
           for n in ast.walk(value)):
        raise _NoFix("its initial value calls `super()`, which cannot run inside the lambda the fix evaluates it in")
    # Evaluated inside `tf.init_scope()` (a context decorator): Keras 3 builds an RNN cell in a scratch graph, where
    # the value would be a symbolic tensor of that graph, and Constant then raises "out of scope" (fact
    # computed_value_in_trace).
    unshown = _graph_read(value, scope)
    string_risk = None if unshown is not None or _not_string(value, scope) else (
        f"its initial value `{_short(text(value))}` does not map to a Keras initializer: the fix fills the weight "
        f"with it, and it is not shown to be a number (a string value Keras 3's Constant initializer cannot fill, "
        f"where tf.Variable took it)")
    plan = WeightPlan(shape=f"({local} := {tf_name}.init_scope()(lambda: {tf_name}.convert_to_tensor("
                            f"{text(value)}{_DTYPE_MARK}))()).shape",
                      initializer_class="Constant", initializer_args=[("value", local)], computed=True,
                      unsafe=string_risk if unshown is None else
                      f"its initial value `{_short(text(value))}` does not map to a Keras initializer: the fix fills "
                      f"the weight with it, computed outside any graph being traced, and `{unshown}` may be a tensor "
                      f"of such a graph (Keras 3 builds an RNN cell in one), which cannot be read there",
                      string_risk=string_risk)
    return plan, f"{local}.dtype"


# Calls whose result is a number, or numbers, whatever their arguments (or they raise).
_NUMERIC_CALLS = ("tensorflow.eye", "tensorflow.ones", "tensorflow.zeros", "tensorflow.random.", "tensorflow.range",
                  "tensorflow.linspace", "tensorflow.linalg.eye", "tensorflow.math.", "tensorflow.sqrt",
                  "tensorflow.exp", "tensorflow.matmul", "tensorflow.truncated_normal", "tensorflow.random_normal",
                  "tensorflow.random_uniform", "numpy.random.", "numpy.zeros", "numpy.ones", "numpy.eye",
                  "numpy.identity", "numpy.arange", "numpy.linspace", "numpy.sqrt", "numpy.exp")
# Calls whose result has the kind of their first argument (or of their `dtype=`).
_KIND_OF_ARGUMENT = ("tensorflow.fill", "tensorflow.constant", "tensorflow.convert_to_tensor", "tensorflow.cast",
                     "numpy.full", "numpy.array", "numpy.asarray")


def _canonical_tf(qualified: str) -> str:
    for prefix in ("tensorflow.compat.v1.", "tensorflow.compat.v2."):
        if qualified.startswith(prefix):
            return "tensorflow." + qualified[len(prefix):]
    return qualified


def _not_string(value: ast.expr, scope: Scope, depth: int = 0) -> bool:
    """`value` is shown to be a number, a bool or an array or tensor of them, never a string: Keras 3's Constant
    initializer cannot fill a string weight (measured: TypeError), where tf.Variable and tf-keras take one. Shown by
    a number or bool literal, a call that makes numbers (tf.eye, tf.random.*, np.zeros, int(), ...), arithmetic a
    string would make raise, `.astype(...)`, a numeric `dtype=`, or a local bound once to such a value."""
    if depth > 4:
        return False
    if isinstance(value, ast.Constant):
        return not isinstance(value.value, (str, bytes)) and value.value is not None and value.value is not ...
    if isinstance(value, ast.BoolOp):  # `a or b` is one of its operands, not a bool
        return all(_not_string(operand, scope, depth + 1) for operand in value.values)
    if isinstance(value, (ast.Compare, ast.UnaryOp)):
        return True  # bools; a unary -, + or ~ of a string raises
    if isinstance(value, ast.BinOp):
        if isinstance(value.op, (ast.Sub, ast.Div, ast.FloorDiv, ast.Pow, ast.MatMult)):
            return True  # a string operand raises
        left, right = _not_string(value.left, scope, depth + 1), _not_string(value.right, scope, depth + 1)
        # `"a" * 3` and `"a" + "b"` are strings: one side must be an array or tensor of numbers, or both numbers.
        return (left and right) or _numeric_array(value.left, scope) or _numeric_array(value.right, scope)
    if isinstance(value, (ast.List, ast.Tuple)):
        return bool(value.elts) and all(_not_string(e, scope, depth + 1) for e in value.elts)
    if isinstance(value, ast.IfExp):
        return _not_string(value.body, scope, depth + 1) and _not_string(value.orelse, scope, depth + 1)
    if isinstance(value, ast.Subscript):
        return _not_string(value.value, scope, depth + 1)
    if isinstance(value, ast.Name):
        if _number_default(scope, value.id):
            return True
        bound = scope.binding(value.id)
        return bound is not None and _not_string(bound, scope, depth + 1)
    if isinstance(value, ast.Call):
        if _numeric_array(value, scope):
            return True
        callee = value.func
        if isinstance(callee, ast.Name) and callee.id in ("int", "float", "bool", "len", "abs", "round") \
                and scope.binding(callee.id) is None:
            return True
        if isinstance(callee, ast.Attribute) and callee.attr == "astype" and value.args:
            return dtype_kind(_dtype_text(value.args[0])) in ("float", "int")
        qualified = _canonical_tf(_qualified(callee, scope) or "")
        if qualified in _KIND_OF_ARGUMENT:
            dtype = next((k.value for k in value.keywords if k.arg == "dtype"), None)
            if dtype is not None and dtype_kind(_dtype_text(dtype)) in ("float", "int"):
                return True
            argument = value.args[1] if qualified in ("tensorflow.fill", "numpy.full") and len(value.args) > 1 \
                else value.args[0] if value.args else None
            return argument is not None and _not_string(argument, scope, depth + 1)
    return False


def _number_default(scope: Scope, name: str) -> bool:
    """`name` is a parameter of the layer's `__init__` (the function holding the value), never rebound there, whose
    default is an int, float or bool literal (`init=0.3`, `-1`): the evidence TFV014 also takes a literal default as
    (a caller may still pass a string; the Fix safety sections say so)."""
    function = scope.function
    if scope.klass is None or not isinstance(function, ast.FunctionDef) or function.name != "__init__":
        return False
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    pairs = [*zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults),
             *zip(arguments.kwonlyargs, arguments.kw_defaults)]
    default = next((d for a, d in pairs if a.arg == name), None)
    if isinstance(default, ast.UnaryOp) and isinstance(default.op, (ast.USub, ast.UAdd)) \
            and isinstance(default.operand, ast.Constant) and type(default.operand.value) in (int, float):
        default = default.operand
    if not (isinstance(default, ast.Constant) and type(default.value) in (int, float, bool)):
        return False
    parameter = next(a for a, _ in pairs if a.arg == name)
    return not any((isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load))
                   or (isinstance(n, ast.arg) and n.arg == name and n is not parameter) for n in ast.walk(function))


def _dtype_text(node: ast.expr) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ast.unparse(node)


def _numeric_array(value: ast.expr, scope: Scope) -> bool:
    """A call that makes numbers whatever its arguments (tf.ones, tf.random.normal, np.zeros, ...), or arithmetic
    with one: an array or tensor, so `*` and `+` with it raise for a string rather than repeat or join it."""
    if isinstance(value, ast.BinOp):
        return _numeric_array(value.left, scope) or _numeric_array(value.right, scope)
    if not isinstance(value, ast.Call):
        return False
    qualified = _canonical_tf(_qualified(value.func, scope) or "")
    return any(qualified == name or (name.endswith(".") and qualified.startswith(name)) for name in _NUMERIC_CALLS)


def numeric_dtype_shown(plan: WeightPlan, dtype: str | None) -> None:
    """A numeric `dtype=` on the variable rules out a string value: the computed plan's string risk goes."""
    if plan.string_risk and plan.unsafe == plan.string_risk and dtype_kind(dtype) in ("float", "int"):
        plan.unsafe = None
    elif plan.string_risk and plan.unsafe == plan.string_risk:
        # A value that may be a string (a layer constructed with dtype="string" holds a string variable, fact
        # layer_string_dtype_variable): filled by an initializer that returns the value itself, converted with the
        # weight's own dtype, which both Kerases take for a string weight as for a number (fact
        # callable_initializer_string_weight), where Keras 3's Constant raises.
        local = dict(plan.initializer_args)["value"]
        plan.initializer_class, plan.initializer_args = None, []
        # The value bound when the lambda is made, as Constant binds it: Keras 3 may call an initializer later (a
        # sub-layer built in its parent's symbolic call), when a second weight's `:=` has rebound the local.
        plan.initializer = f"lambda shape, dtype=None, value={local}: value"
        plan.unsafe = plan.string_risk = None


_LAYER_DTYPES = frozenset({"self.dtype", "self.compute_dtype", "self.variable_dtype"})


# Where the computed plan's `tf.convert_to_tensor(value)` takes the variable's own `dtype=` (`_finish` fills it in):
# tf.Variable converts its value with that dtype (`tf.Variable(2, dtype=tf.float32)` is 2.0), and tf-keras'
# Constant raises on a tensor of another dtype (measured: "Expected tensor 2 with dtype tf.float32, but got int32").
_DTYPE_MARK = "\x00dtype\x00"


# Builtins whose result holds no tensor of a graph unless an argument does.
_PLAIN_BUILTINS = frozenset({"int", "float", "bool", "len", "min", "max", "abs", "round", "range", "list", "tuple",
                             "sum", "pow", "divmod", "sorted", "reversed", "zip", "enumerate"})
# Keras' own layer attributes that hold Python values (strings, bools) in both Kerases.
_KERAS_PLAIN_ATTRIBUTES = frozenset({"dtype", "compute_dtype", "variable_dtype", "name", "trainable"})


def _graph_read(value: ast.expr, scope: Scope, plain_only: bool = False, depth: int = 0) -> str | None:
    """None when no name `value` reads can hold a tensor of a graph being traced; else the first that may.

    The computed plan evaluates the value inside `tf.init_scope()`: outside any graph, where tf-keras also ran
    `__init__` and `build` (it builds under `maybe_init_scope`). Keras 3 may run `build` inside a graph (an RNN
    cell's, fact computed_value_in_trace), where a tensor the method computed before the statement belongs to that
    graph and raises "out of scope" when read outside it; calls written in the value itself run outside it, as
    under Keras 2. So each name the value reads must be: a module-level name or builtin (module code runs at
    import); a parameter of `__init__` (a layer is constructed outside traced code) or `build`'s input shape (numbers);
    `self.x` where the class sets `x` only in `__init__`, or Keras' own `self.dtype`/`self.name`/...; or a local bound
    once to a value that qualifies and holds no call but numpy, math, plain builtins and methods of such values
    (`plain_only`: a tensor the method computed belongs to the graph the method runs in, `__init__` included, since
    a layer constructed in another's `build` is constructed in that graph)."""
    if depth > 4:
        return ast.unparse(value)
    function = scope.function
    in_init = isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and function.name == "__init__" \
        and scope.klass is not None and function in scope.klass.body
    parents = {child: node for node in ast.walk(value) for child in ast.iter_child_nodes(node)}
    inner = {n.id for c in ast.walk(value) if isinstance(c, ast.comprehension) for n in ast.walk(c.target)
             if isinstance(n, ast.Name)}
    params = set()
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        arguments = function.args
        params = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                  arguments.vararg, arguments.kwarg) if a is not None}
    for node in ast.walk(value):
        if plain_only and isinstance(node, ast.Call):
            callee = node.func
            qualified = _qualified(callee, scope)
            if qualified is not None:
                if qualified.split(".")[0] not in ("numpy", "math"):
                    return ast.unparse(callee)
            elif isinstance(callee, ast.Name):
                if callee.id not in _PLAIN_BUILTINS or callee.id in params or scope.binding(callee.id) is not None:
                    return callee.id
            elif not isinstance(callee, ast.Attribute) or (isinstance(callee.value, ast.Name)
                                                           and callee.value.id == "self"):
                return ast.unparse(callee)
        if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load) or node.id in inner:
            continue
        name = node.id
        if name == "self" and name in params:
            attribute = parents.get(node)
            if not isinstance(attribute, ast.Attribute) or attribute.value is not node \
                    or (isinstance(parents.get(attribute), ast.Call) and parents[attribute].func is attribute):
                return "self"
            if attribute.attr not in _KERAS_PLAIN_ATTRIBUTES and not set_only_in_init(scope.klass, attribute.attr):
                return f"self.{attribute.attr}"
            continue
        if name in params:
            if (in_init and not plain_only) or name == scope.input_shape_param:
                continue
            return name
        if function is not None and any(isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
                                        for n in ast.walk(function)):
            bound = scope.binding(name)
            if bound is None:
                return name
            # A local's value must be plain even in `__init__`: a layer constructed inside another's `build`
            # (which Keras 3 may run in a scratch graph) runs its `__init__` there too.
            if _graph_read(bound, scope, True, depth + 1) is not None:
                return name  # the local, whose own value reads (or calls) what may be a graph's tensor
            continue
        # Not bound in the function: a module-level name (an import, a constant, a function) or a builtin.
    return None


def _qualified(node: ast.expr, scope: Scope) -> str | None:
    """The imported module path a Name/Attribute chain starts with (`np.random.randn` -> numpy.random.randn)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in scope.imports:
        return None
    return ".".join([scope.imports[node.id], *reversed(parts)])


def set_only_in_init(klass: ast.ClassDef | None, attribute: str) -> bool:
    """`self.<attribute>` is assigned only in the class's `__init__` (not a method name), and nothing sets
    attributes by name (`setattr`)."""
    if klass is None:
        return False
    for statement in klass.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == attribute:
            return False
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(isinstance(n, ast.Name) and n.id == attribute for n in ast.walk(statement)):
                return False  # a class attribute (or a property) of that name
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
                return False
            if statement.name != "__init__" and isinstance(node, ast.Attribute) and node.attr == attribute \
                    and isinstance(node.ctx, (ast.Store, ast.Del)) and isinstance(node.value, ast.Name) \
                    and node.value.id == "self":
                return False
    return True


def _computed_reason(reason: _NoFix, plan: WeightPlan) -> str | None:
    """Why the computed plan taken after `reason` is unsafe, or None: `reason` only says the value cannot be read
    statically (`_Unread`) and the plan's precondition holds."""
    if isinstance(reason, _Unread) and plan.unsafe is None:
        return None
    detail = plan.unsafe.split(": the fix fills the weight with it", 1)[-1] if plan.unsafe else ""
    return f"{reason}: the fix fills the weight with the value" + (detail or "")


def _short(code: str, limit: int = 40) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[:limit - 3] + "..."


def _numpy_plan(value: ast.Call, callee: str, text, scope: Scope) -> tuple[WeightPlan, str | None]:
    """numpy arrays: tf.Variable keeps numpy's dtype, float64 (int64 for integer literals)."""
    if callee in ("numpy.array", "numpy.asarray"):
        args = bind_arguments(value, ("object", "dtype"))
        array = _literal_array(args["object"]) if args and "object" in args else None
        if array is None or set(args) - {"object", "dtype"}:
            raise _Unread("its numpy array is not a literal list of numbers")
        dtype = text(args["dtype"]) if "dtype" in args else ('"float64"' if array[1] == "float" else '"int64"')
        return WeightPlan(shape=_tuple_text(array[0]), initializer_class="Constant",
                          initializer_args=[("value", text(args["object"]))]), dtype
    if callee == "numpy.random.randn":
        if value.keywords or not value.args or not all(_is_number(a, scope) and _is_static_shape(a)
                                                       for a in value.args):
            raise _Unread("its np.random.randn dimensions are not numbers known without running the code")
        shape = f"({text(value.args[0])},)" if len(value.args) == 1 else f"({', '.join(map(text, value.args))})"
        return WeightPlan(shape=shape, initializer_class="RandomNormal",
                          initializer_args=[("mean", "0.0"), ("stddev", "1.0")]), '"float64"'
    if callee in _NUMPY_FILLED:
        args = bind_arguments(value, ("shape", "dtype"))
        if not args or "shape" not in args or set(args) - {"shape", "dtype"}:
            raise _Unread("the shape of its numpy array is not given")
        plan = WeightPlan(shape=_shape(args["shape"], text, scope), initializer=f'"{_NUMPY_FILLED[callee]}"')
        plan.generated.add("initializer")
        return plan, text(args["dtype"]) if "dtype" in args else '"float64"'
    initializer, params, moments = _NUMPY_RANDOM[callee]
    args = bind_arguments(value, params)
    if not args or "size" not in args:
        raise _Unread("the size of its numpy array is not given")
    plan = WeightPlan(shape=_shape(args["size"], text, scope), initializer_class=initializer,
                      initializer_args=[(kw, text(args[p]) if p in args else default)
                                        for p, (kw, default) in moments.items()])
    return plan, '"float64"'


# tf.Variable keywords add_weight has no counterpart for, and the value that means "not given" (then dropped).
_DEFAULT_ONLY = {"validate_shape": True, "caching_device": None, "variable_def": None, "import_scope": None}
_NO_EQUIVALENT = {
    "shape": "`shape=` sets a shape add_weight cannot keep (Keras 3 needs a fully defined shape, fact none_dim_shape)",
    "synchronization": "Keras 3's add_weight takes no `synchronization=` (fact add_weight_synchronization_aggregation)",
    "aggregation": "Keras 3's add_weight takes no `aggregation=` (fact add_weight_synchronization_aggregation)",
}


def _is_counter(node: ast.expr, scope: Scope) -> bool:
    """A name that only a `for` over `range(...)` (or the index of `enumerate(...)`) binds: an int, never `/`."""
    if not isinstance(node, ast.Name) or scope.function is None:
        return False
    binders = [n for n in ast.walk(scope.function)
               if isinstance(n, ast.Name) and n.id == node.id and isinstance(n.ctx, (ast.Store, ast.Del))]
    loops = [n for n in ast.walk(scope.function) if isinstance(n, (ast.For, ast.comprehension))]
    for target in binders:
        loop = next((candidate for candidate in loops if candidate.target is target or (
            isinstance(candidate.target, ast.Tuple) and candidate.target.elts and candidate.target.elts[0] is target
            and isinstance(candidate.iter, ast.Call) and isinstance(candidate.iter.func, ast.Name)
            and candidate.iter.func.id == "enumerate")), None)
        if loop is None:
            return False
        if loop.target is target and not (isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name)
                                          and loop.iter.func.id == "range"):
            return False
    return bool(binders)


def _literal_names(klass: ast.ClassDef | None) -> set[str]:
    """The string literals a class passes as `name=` (or as add_weight/get_variable's first argument)."""
    names = set()
    for node in ast.walk(klass) if klass is not None else ():
        if isinstance(node, ast.Call):
            values = [k.value for k in node.keywords if k.arg == "name"]
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("add_weight", "get_variable") \
                    and node.args:
                values.append(node.args[0])
            names.update(v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return names


def name_check(node: ast.expr, text, scope: Scope | None = None) -> tuple[str, str | None]:
    """(the name to write, why the fix becomes unsafe or None). Keras 3 raises on `/` in a weight name (fact
    slash_in_name) where Keras 2 took it."""
    if isinstance(node, ast.Constant) and node.value is None:
        return text(node), None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if "/" in node.value:
            # The name changes, and a weight's name is part of what the fix keeps (tests/prove.py holds it): unsafe,
            # though Keras 2 weights saved from the original (TF checkpoint and HDF5, which match by attribute and
            # by order) load into the renamed ones (fact slash_rename_checkpoint).
            new = text(node).replace("/", "_")
            if scope is not None and node.value.replace("/", "_") in _literal_names(scope.klass):
                return new, f"Keras 3 rejects `/` in a weight name, and {new}, the name it would become, is " \
                            f"another weight's in the class"
            return new, f"Keras 3 rejects `/` in a weight name, so the name becomes {new} (Keras 2 checkpoints " \
                        f"still load into it; code that reads the name sees the new one)"
        return text(node), None
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.Constant) and "/" in str(v.value)
                                               for v in node.values):
        raise _NoFix("its name holds `/`, which Keras 3 rejects in a weight name")
    if isinstance(node, ast.IfExp) and all(isinstance(n, ast.Constant) and isinstance(n.value, str) and "/" not in
                                           n.value for n in (node.body, node.orelse)):
        return text(node), None
    if isinstance(node, ast.JoinedStr) and scope is not None and all(
            isinstance(v, ast.Constant) or (isinstance(v, ast.FormattedValue) and _is_counter(v.value, scope))
            for v in node.values):
        return text(node), None
    if scope is not None and _name_without_slash(node, scope):
        return text(node), None
    return text(node), f"its name `{text(node)}` is computed, and Keras 3 raises if it holds `/`"


def _clean_string(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and "/" not in node.value


def _name_without_slash(node: ast.expr, scope: Scope) -> bool:
    """A name joined (`+`, an f-string) from string literals without `/` and parameters of a private method of the
    layer that every call in the class passes such a literal (`self._dense_params(d, "value")`), where the method is
    only ever called, never passed on."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _name_without_slash(node.left, scope) and _name_without_slash(node.right, scope)
    if isinstance(node, ast.JoinedStr):
        return all(_clean_string(v) or (isinstance(v, ast.FormattedValue) and v.format_spec is None
                                        and _name_without_slash(v.value, scope)) for v in node.values)
    if _clean_string(node):
        return True
    return isinstance(node, ast.Name) and _argument_always_clean(node.id, scope)


def _argument_always_clean(name: str, scope: Scope) -> bool:
    method, klass = scope.function, scope.klass
    if not isinstance(method, ast.FunctionDef) or klass is None or method not in klass.body \
            or not method.name.startswith("_") or method.name.startswith("__"):
        return False
    if method.args.vararg or method.args.kwarg or any(
            isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load) for n in ast.walk(method)):
        return False  # rebound in the method, or arguments that could arrive through * or **
    positional = [a.arg for a in (*method.args.posonlyargs, *method.args.args)]
    if name not in positional[1:] and name not in {a.arg for a in method.args.kwonlyargs}:
        return False
    index = positional.index(name) - 1 if name in positional else None
    defaults = dict(zip(positional[len(positional) - len(method.args.defaults):], method.args.defaults))
    defaults.update((a.arg, d) for a, d in zip(method.args.kwonlyargs, method.args.kw_defaults) if d is not None)
    calls = 0
    parents = {child: parent for parent in ast.walk(klass) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(klass):
        if not (isinstance(node, ast.Attribute) and node.attr == method.name):
            continue
        call = parents.get(node)
        if not (isinstance(node.value, ast.Name) and node.value.id == "self" and isinstance(call, ast.Call)
                and call.func is node) or any(isinstance(a, ast.Starred) for a in call.args) \
                or any(k.arg is None for k in call.keywords):
            return False  # passed on, called through another object, or with * / ** arguments
        calls += 1
        given = next((k.value for k in call.keywords if k.arg == name), None)
        if given is None and index is not None and index < len(call.args):
            given = call.args[index]
        if not _clean_string(given if given is not None else defaults.get(name)):
            return False
    return calls > 0


def _finish(plan: WeightPlan, dtype: str | None, keywords: dict[str, str], bound: dict[str, ast.expr], text,
            unsafe: list[str], scope: Scope) -> WeightPlan:
    """Add the tf.Variable's own keywords to `plan`: name, trainable, constraint as written; the dtype always, so a
    layer of another dtype (float64, a mixed policy) does not change the variable's (facts
    float64_layer_default_weight_dtype, float64_layer_explicit_float32); `autocast=False` for a float or unknown
    dtype, since both Kerases autocast an add_weight variable in a mixed-policy `call` and a raw tf.Variable is never
    autocast (facts mixed_float16_float32_weight_read_in_call, mixed_float16_float32_weight_autocast_false)."""
    if plan.unsafe:
        unsafe.insert(0, plan.unsafe)
    if plan.computed:
        plan.shape = plan.shape.replace(_DTYPE_MARK, f", dtype={keywords['dtype']}" if "dtype" in keywords else "")
    if "name" in bound:
        name, why = name_check(bound["name"], text, scope)
        keywords["name"] = name
        if why:
            unsafe.append(why)
    if "dtype" not in keywords:
        if dtype is None:
            raise _NoFix("the dtype of its initial value is not known")
        keywords["dtype"] = dtype
        plan.generated.add("dtype")
    if dtype_kind(keywords["dtype"]) != "int" and dtype_kind(keywords["dtype"]) != "other":
        keywords["autocast"] = "False"
    plan.keywords = keywords
    plan.unsafe = "; ".join(unsafe) if unsafe else None
    return plan


def _is_callable_value(value: ast.expr, qualify, scope: Scope) -> bool:
    """`functools.partial(...)`, a lambda, or a name bound to one or to a function of the module: tf.Variable calls
    such an initial value (measured: `tf.convert_to_tensor` of a partial raises under both runtimes)."""
    if isinstance(value, ast.Name):
        if scope.module is not None and any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                                            and s.name == value.id for s in scope.module.body):
            return True
        value = scope.binding(value.id) or value
    return isinstance(value, ast.Lambda) or (isinstance(value, ast.Call) and qualify(value.func) == "functools.partial")


def plan_add_weight(call: ast.Call, source: str, qualify: Callable[[ast.AST], str | None],
                    scope: Scope | None = None) -> WeightPlan | str:
    """The add_weight plan for a tf.Variable call (with `unsafe` set when it is not safe), or the reason no fix
    exists."""
    text = functools.partial(source_segment, source)
    scope = scope or Scope()
    if has_comment(source, call):
        return "a comment inside the call would be lost"
    bound = bind_arguments(call, VARIABLE_PARAMS)
    if bound is None:
        return "its arguments are passed with * or **"
    for key in sorted(set(bound) - {"initial_value", *_PASSED_THROUGH}):
        if key in _DEFAULT_ONLY:
            node = bound[key]
            if isinstance(node, ast.Constant) and node.value is _DEFAULT_ONLY[key]:
                continue
            return f"`{key}=` has no add_weight equivalent"
        return _NO_EQUIVALENT.get(key, f"`{key}=` has no add_weight equivalent")
    value = bound.get("initial_value")
    if value is None:
        return "it has no initial value"
    if _is_callable_value(value, qualify, scope):
        return ("its initial value is a callable, which tf.Variable calls; add_weight needs an initializer that takes "
                "a shape and dtype")
    keywords = {key: text(bound[key]) for key in ("trainable", "dtype", "constraint") if key in bound}
    try:
        inlined = _inlined_plan(value, text, qualify, scope)
        try:
            if inlined is not None:
                plan, dtype = inlined
            else:
                plan, dtype = _value_plan(value, text, qualify, scope)
            numeric_dtype_shown(plan, keywords.get("dtype"))
        except _NoFix as reason:
            # No initializer keeps this value: fill the weight with the value itself, safe only where the value is
            # merely unreadable statically and the computed plan's precondition is shown; else unsafe, saying why.
            plan, dtype = _computed_plan(value, text, scope)
            numeric_dtype_shown(plan, keywords.get("dtype"))
            plan.unsafe = _computed_reason(reason, plan)
        return _finish(plan, dtype, keywords, bound, text, [], scope)
    except _NoFix as reason:
        return str(reason)


def _inlined_plan(value: ast.expr, text, qualify, scope: Scope) -> tuple[WeightPlan, str | None] | None:
    """The plan of `tf.Variable(w_init)` as if `w_init`'s call were written in it (`_inlinable_local`), when that
    call maps to an initializer that draws or fills by recipe (not the computed plan, which fills the value where
    it was); else None."""
    local = _inlinable_local(value, scope)
    if local is None:
        return None
    try:
        plan, dtype = _value_plan(local.value, text, qualify, scope)
    except _NoFix:
        return None
    if plan.computed:  # the value itself, filled where it was: no different from the local
        return None
    plan.inlined = local
    return plan, dtype


def _inlinable_local(value: ast.expr, scope: Scope) -> ast.Assign | None:
    """`w_init = tf.random.normal(shape, stddev=s)` then `tf.Variable(w_init)` (StyleGAN ports): the local's one
    assignment, when the variable is the local's only reader, made by the very next statement of the same block
    (nothing runs in between, and no loop turns one draw into several variables), the local is not `global`, and
    every name its value reads is bound at most once in the function, before it. The plan then maps the call as if
    written in the variable, and the fix removes the assignment: a tensor the method computed may belong to a graph
    Keras 3 traces `build` in, where an initializer runs as the original call ran."""
    function = scope.function
    if not isinstance(value, ast.Name) or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) \
            or function.name in ("call", "__call__"):  # TFV002 moves the statement to `build`, not the local
        return None
    names = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == value.id]
    stores = [n for n in names if not isinstance(n.ctx, ast.Load)]
    if len(stores) != 1 or len(names) != 2 or any(isinstance(n, ast.arg) and n.arg == value.id
                                                 for n in ast.walk(function.args)) \
            or any(isinstance(n, (ast.Global, ast.Nonlocal)) and value.id in n.names for n in ast.walk(function)):
        return None
    for block in (getattr(n, field_name, None) for n in ast.walk(function) for field_name in ("body", "orelse")):
        if not isinstance(block, list):
            continue
        for position, statement in enumerate(block):
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and statement.targets[0] is stores[0]:
                # The very next statement makes the variable of it, directly: nothing runs in between (a mutation
                # of what the call reads), and no loop makes one draw several variables.
                following = block[position + 1] if position + 1 < len(block) else None
                holder = following.value if isinstance(following, (ast.Assign, ast.Expr)) else None
                if not isinstance(statement.value, ast.Call) or not isinstance(holder, ast.Call) or not any(
                        a is value for a in (*holder.args, *(k.value for k in holder.keywords))):
                    return None
                for read in ast.walk(statement.value):
                    if isinstance(read, ast.Name) and isinstance(read.ctx, ast.Load):
                        bound = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == read.id
                                 and not isinstance(n.ctx, ast.Load)]
                        if len(bound) > 1 or any(n.lineno >= statement.lineno for n in bound):
                            return None
                return statement
    return None


# The parameters of Keras 2's backend functions that create a variable (tf_keras 2.21 `backend.py`); each makes
# `tf.Variable(value, dtype=dtype or floatx())` (see tflint_vars.analysis.BACKEND_VARIABLES).
BACKEND_VARIABLE_PARAMS = {
    "variable": ("value", "dtype", "name", "constraint"),
    "zeros": ("shape", "dtype", "name"),
    "ones": ("shape", "dtype", "name"),
    "eye": ("size", "dtype", "name"),
    "random_uniform_variable": ("shape", "low", "high", "dtype", "name", "seed"),
    "random_normal_variable": ("shape", "mean", "scale", "dtype", "name", "seed"),
}
assert set(BACKEND_VARIABLE_PARAMS) == set(BACKEND_VARIABLE_FUNCTIONS)


def plan_variable(call: ast.Call, source: str, qualify: Callable[[ast.AST], str | None],
                  scope: Scope | None = None) -> WeightPlan | str:
    """The add_weight plan for a `tf.Variable(...)` or a Keras backend constructor (`K.zeros(...)`)."""
    if (qualify(call.func) or "") in BACKEND_VARIABLES:
        return plan_backend_variable(call, source, qualify, scope)
    return plan_add_weight(call, source, qualify, scope)


def plan_backend_variable(call: ast.Call, source: str, qualify: Callable[[ast.AST], str | None],
                          scope: Scope | None = None) -> WeightPlan | str:
    """The add_weight plan for `K.variable/zeros/ones/eye/random_*_variable(...)`: the backend makes
    `tf.Variable(value, dtype=dtype or K.floatx())`, trainable, so the weight gets that dtype (`K.floatx()` spelled
    through the same backend name when none is given) and the value's initializer."""
    text = functools.partial(source_segment, source)
    scope = scope or Scope()
    if has_comment(source, call):
        return "a comment inside the call would be lost"
    function = (qualify(call.func) or "").rpartition(".")[2]
    params = BACKEND_VARIABLE_PARAMS[function]
    bound = bind_arguments(call, params)
    if bound is None:
        return "its arguments are passed with * or **"
    unknown = sorted(set(bound) - set(params))
    if unknown:
        return f"`{unknown[0]}=` is not a parameter of `{function}`"
    if "dtype" in bound:
        dtype = text(bound["dtype"])
    elif isinstance(call.func, ast.Attribute):
        dtype = f"{text(call.func.value)}.floatx()"  # the backend's own default, whatever floatx is set to
    else:
        return f"no backend name spells `floatx()`, its default dtype (imported as `{function}` alone)"
    keywords = {"dtype": dtype}
    if "constraint" in bound:
        keywords["constraint"] = text(bound["constraint"])
    try:
        if function == "variable":
            if "value" not in bound:
                return "it has no value"
            try:
                plan, value_dtype = _value_plan(bound["value"], text, qualify, scope)
                numeric_dtype_shown(plan, dtype)
            except _NoFix as reason:
                plan, value_dtype = _computed_plan(bound["value"], text, scope)
                numeric_dtype_shown(plan, dtype)
                plan.unsafe = _computed_reason(reason, plan)
            # The backend casts a constant to the dtype; a random draw of another kind is another distribution.
            if plan.initializer_class not in (None, "Constant") and dtype_kind(value_dtype) != dtype_kind(dtype):
                raise _NoFix(f"its value's dtype {value_dtype} differs from the variable's {dtype}")
        elif function in ("zeros", "ones"):
            if "shape" not in bound:
                return "it has no shape"
            plan = WeightPlan(shape=_shape(bound["shape"], text, scope), initializer=f'"{function}"')
            plan.generated.add("initializer")
        elif function == "eye":
            if "size" not in bound:
                return "it has no size"
            size = bound["size"]  # a number: `tf.eye(size)` raises on a pair
            if not _is_static_shape(size):
                return f"its size `{text(size)}` is computed at run time, and the fix would write it twice"
            plan = WeightPlan(shape=f"({text(size)}, {text(size)})", initializer_class="Identity")
        else:
            moments = (("low", "minval"), ("high", "maxval")) if function == "random_uniform_variable" \
                else (("mean", "mean"), ("scale", "stddev"))
            missing = [p for p in ("shape", *(m for m, _ in moments)) if p not in bound]
            if missing:
                return f"it has no `{missing[0]}`"
            plan = WeightPlan(shape=_shape(bound["shape"], text, scope),
                              initializer_class="RandomUniform" if function == "random_uniform_variable"
                              else "RandomNormal",
                              initializer_args=[(keras, text(bound[param])) for param, keras in moments])
            if "seed" in bound:
                plan.initializer_args.append(("seed", text(bound["seed"])))
        if function != "variable" and dtype_kind(dtype) in ("int", "other"):
            raise _NoFix(f"a `{function}` of dtype {dtype} is not a distribution Keras draws")
        return _finish(plan, dtype, keywords, bound, text, [], scope)
    except _NoFix as reason:
        return str(reason)


# Why a get_variable regularizer makes the fix unsafe, unless no file of the project reads the collection Keras 2 put
# the loss in (then the fix leaves the regularizer out: rules/tfv004's `_own_plan`).
REGULARIZER_REASON = ("add_weight adds its regularizer to `layer.losses`, which Keras 2 did not for get_variable: "
                      "`fit` now minimises a loss it did not before")


# tf.compat.v1.get_variable's positional parameters, in order.
GET_VARIABLE_PARAMS = ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "collections",
                       "caching_device", "partitioner", "validate_shape", "use_resource", "custom_getter", "constraint")
# TF1 initializer factories -> (Keras initializer, {tf1 param: keras kw}); random ones need their moments spelled out
# because the v1 and v2 functions of the same name have different defaults (stddev 1.0 vs 0.05).
_TF1_INITIALIZERS = {
    "tensorflow.glorot_uniform_initializer": ("GlorotUniform", ("seed", "dtype"), {"seed": "seed"}, ()),
    "tensorflow.glorot_normal_initializer": ("GlorotNormal", ("seed", "dtype"), {"seed": "seed"}, ()),
    "tensorflow.zeros_initializer": ("Zeros", ("dtype",), {}, ()),
    "tensorflow.ones_initializer": ("Ones", ("dtype",), {}, ()),
    "tensorflow.constant_initializer": ("Constant", ("value", "dtype", "verify_shape"), {"value": "value"}, ("value",)),
    "tensorflow.random_normal_initializer": ("RandomNormal", ("mean", "stddev", "seed", "dtype"),
                                             {"mean": "mean", "stddev": "stddev", "seed": "seed"}, ("stddev",)),
    "tensorflow.truncated_normal_initializer": ("TruncatedNormal", ("mean", "stddev", "seed", "dtype"),
                                                {"mean": "mean", "stddev": "stddev", "seed": "seed"}, ("stddev",)),
    "tensorflow.random_uniform_initializer": ("RandomUniform", ("minval", "maxval", "seed", "dtype"),
                                              {"minval": "minval", "maxval": "maxval", "seed": "seed"},
                                              ("minval", "maxval")),
}
_STRING_INITIALIZERS = {"GlorotUniform": '"glorot_uniform"', "GlorotNormal": '"glorot_normal"', "Zeros": '"zeros"',
                        "Ones": '"ones"'}


def plan_get_variable(call: ast.Call, source: str, qualify: Callable[[ast.AST], str | None],
                      scope: Scope | None = None) -> WeightPlan | str:
    """The add_weight plan for a `get_variable` call (with `unsafe` set when it is not safe), or why none exists."""
    text = functools.partial(source_segment, source)
    scope = scope or Scope()
    if has_comment(source, call):
        return "a comment inside the call would be lost"
    bound = bind_arguments(call, GET_VARIABLE_PARAMS)
    if bound is None:
        return "its arguments are passed with * or **"
    for key in sorted(set(bound) - {"name", "shape", "dtype", "initializer", "regularizer", "trainable",
                                    "constraint"}):
        node = bound[key]
        if key in ("collections", "caching_device", "partitioner", "custom_getter", "use_resource") \
                and isinstance(node, ast.Constant) and node.value is None:
            continue
        if key in ("validate_shape", "use_resource") and isinstance(node, ast.Constant) and node.value is True:
            continue  # the defaults in TF2: add_weight makes resource variables of a validated shape
        return f"`{key}=` has no add_weight equivalent"
    if "shape" not in bound:
        return "it has no shape"
    unsafe: list[str] = []
    try:
        plan = WeightPlan(shape=_shape(bound["shape"], text, scope))
        keywords = {key: text(bound[key]) for key in ("dtype", "trainable", "regularizer", "constraint")
                    if key in bound}
        if "regularizer" in bound and not (isinstance(bound["regularizer"], ast.Constant)
                                           and bound["regularizer"].value is None):
            # Keras 2 did not collect get_variable's regularizer into `layer.losses`; add_weight's is collected and
            # `fit` minimises it (fact get_variable_regularizer_in_layer_losses: 0 losses before, 1 after).
            unsafe.append(REGULARIZER_REASON)
        init = bound.get("initializer")
        if init is not None:
            _get_variable_initializer(plan, init, text, qualify)
        # get_variable's default dtype is float32 whatever the layer's (TF1 variable store).
        return _finish(plan, '"float32"', keywords, {k: v for k, v in bound.items() if k == "name"}, text, unsafe,
                       scope)
    except _NoFix as reason:
        return str(reason)


def _get_variable_initializer(plan: WeightPlan, init: ast.expr, text, qualify) -> None:
    if isinstance(init, ast.Call):
        factory = qualify(init.func) or ""
        if factory in _TF1_INITIALIZERS:
            keras_class, params, mapping, required = _TF1_INITIALIZERS[factory]
            args = bind_arguments(init, params)
            if args is None:
                raise _NoFix("its initializer's arguments are passed with * or **")
            missing = [p for p in required if p not in args]
            if missing:
                raise _NoFix(f"`{factory.rsplit('.', 1)[1]}` needs `{missing[0]}=` spelled out (v1 and v2 defaults "
                             f"differ)")
            kwargs = [(mapping[p], text(args[p])) for p in params if p in mapping and p in args]
            if not kwargs and keras_class in _STRING_INITIALIZERS:
                plan.initializer = _STRING_INITIALIZERS[keras_class]
                plan.generated.add("initializer")
            else:
                plan.initializer_class, plan.initializer_args = keras_class, kwargs
            return
        if factory.startswith(_INITIALIZER_NAMESPACES):
            plan.initializer = text(init)
            return
    if isinstance(init, ast.Constant) and isinstance(init.value, str):
        plan.initializer = text(init)
        return
    raise _NoFix(f"its initializer `{text(init)}` does not map to a Keras initializer")
