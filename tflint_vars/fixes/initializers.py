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


def _is_static_shape(node: ast.expr) -> bool:
    """A shape built from literals, names, attributes and subscripts: no call, so no tensor op at run time."""
    return not any(isinstance(n, (ast.Call, ast.Lambda, ast.Await, ast.Yield, ast.NamedExpr)) for n in ast.walk(node))


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


def plan_add_weight(call: ast.Call, source: str, qualify: Callable[[ast.AST], str | None]) -> WeightPlan | str:
    """The add_weight plan for a tf.Variable call, or the reason no safe fix exists."""
    text = functools.partial(source_segment, source)
    if has_comment(source, call):
        return "a comment inside the call would be lost"
    bound = bind_arguments(call, VARIABLE_PARAMS)
    if bound is None:
        return "its arguments are passed with * or **"
    extra = sorted(set(bound) - {"initial_value", "shape", *_PASSED_THROUGH})
    if extra:
        return f"`{extra[0]}=` has no add_weight equivalent"
    value = bound.get("initial_value")
    if value is None:
        return "it has no initial value"
    keywords = {key: text(bound[key]) for key in _PASSED_THROUGH if key in bound}

    literal = _scalar_literal(value)
    if literal is None and isinstance(value, ast.Call) and qualify(value.func) == "tensorflow.constant" \
            and len(value.args) == 1 and not value.keywords:
        literal = _scalar_literal(value.args[0])
        value = value.args[0] if literal is not None else value
    if literal is not None:
        plan = WeightPlan(shape="()", initializer_class="Constant", initializer_args=[("value", text(value))],
                          keywords=keywords)
        if isinstance(literal.value, float) or "dtype" in keywords:
            return plan
        trainable = bound.get("trainable")
        if isinstance(trainable, ast.Constant) and trainable.value is False:
            # tf.Variable(0) is int32; add_weight defaults to float, so the dtype is spelled out.
            plan.keywords["dtype"] = '"int32"'
            plan.generated.add("dtype")
            return plan
        return "its initial value is an integer: add_weight would make a float variable (pass `dtype=` or " \
               "`trainable=False`)"

    if not isinstance(value, ast.Call):
        return "its initial value is not a call that maps to a Keras initializer"
    callee = qualify(value.func)

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
            return "the shape of its initial value is not given"
        if not _is_static_shape(shape_node):
            return "the shape of its initial value is computed at run time"
        if "dtype" in args and "dtype" not in keywords:
            keywords["dtype"] = text(args["dtype"])
        plan = WeightPlan(shape=text(shape_node), keywords=keywords)
        if callee in _FILLED:
            plan.initializer = f'"{_FILLED[callee]}"'
            plan.generated.add("initializer")
        elif callee == "tensorflow.fill":
            if "value" not in args:
                return "tf.fill has no value"
            plan.initializer_class = "Constant"
            plan.initializer_args = [("value", text(args["value"]))]
        else:
            initializer, _, moments = _RANDOM[callee]
            plan.initializer_class = initializer
            for tf_param, (keras_kw, default) in moments.items():
                plan.initializer_args.append((keras_kw, text(args[tf_param]) if tf_param in args else default))
            if "seed" in args:
                plan.initializer_args.append(("seed", text(args["seed"])))
        return plan

    # SomeInitializer(...)(shape): the initializer object itself.
    if isinstance(value.func, ast.Call):
        factory = qualify(value.func.func) or ""
        if factory.startswith(_INITIALIZER_NAMESPACES) or factory.endswith("_initializer"):
            args = bind_arguments(value, ("shape", "dtype"))
            if not args or "shape" not in args:
                return "the initializer is not called with a shape"
            if not _is_static_shape(args["shape"]):
                return "the shape of its initial value is computed at run time"
            if "dtype" in args and "dtype" not in keywords:
                keywords["dtype"] = text(args["dtype"])
            return WeightPlan(shape=text(args["shape"]), initializer=text(value.func), keywords=keywords)
    return f"its initial value `{text(value.func)}(...)` does not map to a Keras initializer"


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


def plan_get_variable(call: ast.Call, source: str, qualify: Callable[[ast.AST], str | None]) -> WeightPlan | str:
    """The add_weight plan for a `get_variable` call, or the reason no safe fix exists."""
    text = functools.partial(source_segment, source)
    if has_comment(source, call):
        return "a comment inside the call would be lost"
    bound = bind_arguments(call, GET_VARIABLE_PARAMS)
    if bound is None:
        return "its arguments are passed with * or **"
    extra = sorted(set(bound) - {"name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint"})
    if extra:
        return f"`{extra[0]}=` has no add_weight equivalent"
    if "shape" not in bound:
        return "it has no shape"
    if not _is_static_shape(bound["shape"]):
        return "its shape is computed at run time"
    plan = WeightPlan(shape=text(bound["shape"]))
    plan.keywords = {key: text(bound[key]) for key in ("name", "dtype", "trainable", "regularizer", "constraint")
                     if key in bound}
    init = bound.get("initializer")
    if init is None:
        return plan  # get_variable and add_weight both default to glorot_uniform for float variables
    if isinstance(init, ast.Call):
        factory = qualify(init.func) or ""
        if factory in _TF1_INITIALIZERS:
            keras_class, params, mapping, required = _TF1_INITIALIZERS[factory]
            args = bind_arguments(init, params)
            if args is None:
                return "its initializer's arguments are passed with * or **"
            missing = [p for p in required if p not in args]
            if missing:
                return f"`{factory.rsplit('.', 1)[1]}` needs `{missing[0]}=` spelled out (v1 and v2 defaults differ)"
            kwargs = [(mapping[p], text(args[p])) for p in params if p in mapping and p in args]
            if not kwargs and keras_class in _STRING_INITIALIZERS:
                plan.initializer = _STRING_INITIALIZERS[keras_class]
                plan.generated.add("initializer")
            else:
                plan.initializer_class, plan.initializer_args = keras_class, kwargs
            return plan
        if factory.startswith(_INITIALIZER_NAMESPACES):
            plan.initializer = text(init)
            return plan
    if isinstance(init, ast.Constant) and isinstance(init.value, str):
        plan.initializer = text(init)
        return plan
    return f"its initializer `{text(init)}` does not map to a Keras initializer"
