from __future__ import annotations

import ast
from typing import Callable, Iterator

from tflint_vars.analysis import KERAS3, ModuleAnalysis, dotted_name
from tflint_vars.diagnostics import SAFE
from tflint_vars.plans.initializers import source_segment
from tflint_vars.rules.base import Finding, Rule

# tf.TensorShape's public API that a tuple lacks (`set(dir(tf.TensorShape)) - set(dir(tuple))`, TF 2.21).
TENSORSHAPE_ONLY = frozenset({
    "as_list", "as_proto", "assert_has_rank", "assert_is_compatible_with", "assert_is_fully_defined",
    "assert_same_rank", "concatenate", "dims", "experimental_as_proto", "is_compatible_with", "is_fully_defined",
    "is_subtype_of", "merge_with", "most_specific_common_supertype", "most_specific_compatible_shape", "ndims",
    "num_elements", "rank", "with_rank", "with_rank_at_least", "with_rank_at_most",
})
# Exceptions a `try` may catch around a use that expects it to fail on a tuple.
_CATCHES = {"AttributeError", "Exception", "BaseException"}
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

# The methods Keras 3 passes a shape tuple: `build`, and `compute_output_shape` when it computes a symbolic output
# (bench/keras_api_diff.py, `compute_output_shape_as_list`).
SHAPE_METHODS = ("build", "compute_output_shape")


def _shape_root(node: ast.AST, names: frozenset[str]) -> bool:
    """One of `names` (the parameter and its aliases), subscripted any number of times (`param[1:]`, `param[0]`,
    `param["query"]`): what `build` received."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return isinstance(node, ast.Name) and node.id in names


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _aliases(build: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> dict[str, ast.stmt]:
    """`shape = input_shape` or `query = input_shape["query"]` at the top of `build`, the alias bound nowhere else
    in it: alias -> its statement. It holds what Keras passed (a tuple, or a dict of tuples, under Keras 3)."""
    stores: dict[str, int] = {}
    for node in ast.walk(build):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores[node.id] = stores.get(node.id, 0) + 1
    return {statement.targets[0].id: statement for statement in build.body
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id != param
            and stores.get(statement.targets[0].id) == 1 and _shape_root(statement.value, frozenset({param}))}


def _raising_type_guard(statement: ast.stmt, names: frozenset[str]) -> bool:
    """`if <type test of the shape>: ... raise ...` with no else: the statements after it run only when it passes."""
    return isinstance(statement, ast.If) and not statement.orelse and bool(statement.body) \
        and isinstance(statement.body[-1], ast.Raise) and _mentions_type_test(statement.test, names)


def _rejects_tuple(test: ast.expr, names: frozenset[str]) -> ast.Call | None:
    """The `isinstance(param, tf.TensorShape)` call of `not isinstance(param, tf.TensorShape)`: true for a tuple."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call):
        call = test.operand
        if isinstance(call.func, ast.Name) and call.func.id == "isinstance" and len(call.args) == 2 \
                and isinstance(call.args[0], ast.Name) and call.args[0].id in names:
            kinds = call.args[1].elts if isinstance(call.args[1], ast.Tuple) else [call.args[1]]
            if kinds and all((dotted_name(k) or "").endswith("TensorShape") for k in kinds):
                return call
    return None


def _mentions_type_test(test: ast.AST, param: frozenset[str]) -> bool:
    """`isinstance(param, ...)`, `hasattr(param, ...)` or a TensorShape check in a condition: the code already
    tells a tuple from a TensorShape."""
    for node in ast.walk(test):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("isinstance", "hasattr") and node.args and _shape_root(node.args[0], param):
            return True
        if isinstance(node, (ast.Name, ast.Attribute)) and "TensorShape" in (dotted_name(node) or ""):
            return True
    return False


def _catches_attribute_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any((dotted_name(c) or "").rsplit(".", 1)[-1] in _CATCHES for c in caught)


class _Uses(ast.NodeVisitor):
    """The TensorShape-only uses of `build`'s shape parameter, outside nested functions, guards that test its type,
    and `try` blocks that catch AttributeError."""

    def __init__(self, param: frozenset[str]):
        self.param = param
        self.uses: list[tuple[ast.AST, str]] = []  # (node to report and rewrite, pattern)
        self.consumed: set[int] = set()

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, _NESTED):
            return
        if isinstance(node, (ast.If, ast.IfExp, ast.While)) and _mentions_type_test(node.test, self.param):
            return
        if isinstance(node, ast.BoolOp) and any(_mentions_type_test(v, self.param) for v in node.values):
            return
        if isinstance(node, ast.Try) and any(_catches_attribute_error(h) for h in node.handlers):
            for part in (*node.handlers, *node.orelse, *node.finalbody):
                self.visit(part)
            return
        self._match(node)
        super().generic_visit(node)

    def _match(self, node: ast.AST) -> None:
        if not isinstance(node, ast.Attribute) or id(node) in self.consumed:
            return
        base = node.value
        if node.attr == "value" and isinstance(base, ast.Subscript) and not isinstance(base.slice, ast.Slice):
            inner = base.value
            if isinstance(inner, ast.Attribute) and inner.attr == "dims" and _shape_root(inner.value, self.param):
                self.consumed.add(id(inner))  # `param.dims[i].value`: one finding, at the outer attribute
                self.uses.append((node, "dims-value"))
            elif _shape_root(inner, self.param):
                self.uses.append((node, "value"))
            return
        if node.attr in TENSORSHAPE_ONLY and _shape_root(base, self.param):
            self.uses.append((node, node.attr))


def rebinding_ends(build: ast.AST, param: str) -> list[tuple[int, int]]:
    """Where each rebinding of `param` anywhere in `build` is complete: uses after one no longer see the tuple Keras
    passed (`input_shape = tf.TensorShape(input_shape)`), whatever branch it sits in."""
    ends = []
    for node in ast.walk(build):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            parts = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            parts = [item.optional_vars for item in node.items if item.optional_vars is not None]
        elif isinstance(node, ast.NamedExpr) or isinstance(node, ast.stmt) and not hasattr(node, "body"):
            parts = [node]
        else:
            continue
        for part in parts:
            if any(isinstance(n, ast.Name) and n.id == param and isinstance(n.ctx, (ast.Store, ast.Del))
                   for n in ast.walk(part)):
                ends.append((part.end_lineno, part.end_col_offset))
    return ends


def build_parameter(build: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    positional = [a.arg for a in build.args.posonlyargs + build.args.args]
    return positional[1] if len(positional) >= 2 else None


class TensorShapeApiInBuild(Rule):
    """TensorShape API on `build`'s input shape in a Keras 3 class: Keras 3 passes a tuple, which lacks it.

    ## What it does
    Finds, in `build(self, input_shape)` and `compute_output_shape(self, input_shape)` of a class built on
    `tf.keras` or `keras`, the TensorShape-only API used on the shape parameter or a subscript of it:
    `input_shape.as_list()`, `input_shape[-1].value`, `input_shape.dims[i].value`, `input_shape.ndims`, `.rank`,
    `.is_fully_defined()`, `.num_elements()`, `.with_rank(...)`, `.concatenate(...)` and the rest of
    `tf.TensorShape`'s methods a tuple lacks. Not reported: uses after the parameter is rebound (`input_shape =
    tf.TensorShape(input_shape)`), under a condition that tests its type (`isinstance`, `hasattr`, `TensorShape`),
    in a `try` that catches AttributeError, and classes on `tf_keras`.
    A local alias bound once at the top of `build` (`shape = input_shape`, `query = input_shape["query"]` for a dict
    of shapes) is the parameter too. After `if <type test>: raise ...` nothing is reported (it runs only on a
    TensorShape); `if not isinstance(input_shape, tf.TensorShape): raise ...` is itself reported, with no fix: under
    Keras 3 it always raises. So is `isinstance(input_shape, Sequence)` (or `tuple`, or another ABC a tuple is an
    instance of), which code uses to tell one input from several: Keras 2 passed one input's shape as a TensorShape
    (not a Sequence) and several as a list; Keras 3 passes one as a tuple, which passes the test (fact
    build_single_shape_is_sequence), so the branch for several inputs runs (deepchem's Highway: `input_shape[0]`
    then is the batch size). Not reported in a guard that requires several inputs (`if not isinstance(input_shape,
    (tuple, list)): raise ...`): both Kerases pass those as a list; nor where a branch of the test uses TensorShape
    API (`list(s) if isinstance(s, tuple) else s.as_list()`): that test already tells a tuple from a TensorShape.

    ## Why is this bad?
    Keras 3 calls `build` with a tuple (`(None, 3)`), where Keras 2 passed a `tf.TensorShape`; so does it call
    `compute_output_shape` on a symbolic input (bench/keras_api_diff.py, `compute_output_shape_as_list`: there
    `input_shape.as_list()` raises AttributeError in Keras 3 and gives `(None, 6)` in Keras 2). Measured on TF 2.21 /
    Keras 3.15.1: `input_shape.as_list()` raises `AttributeError: 'tuple' object has no attribute 'as_list'`, and so
    do `.ndims`, `.rank`, `.dims` and the other methods. `input_shape[-1].value` raises `AttributeError: 'int' object
    has no attribute 'value'`; it also does under tf-keras with TF2's shapes (a dimension is an int or None), and
    only worked with TF1's `Dimension`.

    ## Example
    ```python
    import tensorflow as tf

    class Project(tf.keras.layers.Layer):
        def build(self, input_shape):
            units = input_shape.as_list()[-1]
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1].value, units))
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Project(tf.keras.layers.Layer):
        def build(self, input_shape):
            units = list(input_shape)[-1]
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], units))
    ```

    ## Fix safety
    Safe for the rewrites that give the same value on Keras 3's tuple as the original gave on Keras 2's TensorShape
    (measured on both): `X.as_list()` becomes `list(X)` (a list of ints and None on a tuple, as `as_list()` gives),
    `X[i].value` and `X.dims[i].value` become `X[i]` (an int or None), and `X.ndims` and `X.rank` become `len(X)`
    (Keras 3 shapes always have a known rank). Under TF_USE_LEGACY_KERAS=1 the rewrites also work on tf-keras'
    TensorShape (TF2 shapes iterate as ints). No fix for the other methods, which have no one-expression equivalent
    on a tuple: wrap the parameter, `input_shape = tf.TensorShape(input_shape)`, at the top of `build`.
    `isinstance(X, Sequence)` becomes `(isinstance(X, Sequence) and any(not isinstance(d, (int, type(None))) for d in
    X))` where it is the whole test of an `if` whose branch takes one of several shapes (`X = X[0]`): one input's
    shape holds dimensions (ints and None), several inputs' shapes hold shapes. No fix elsewhere (what the test
    means is not shown), and no finding after `X` is rebound (`X = X.as_list()`: no longer what Keras passes).
    Measured on what `build` receives for one input, one rank-0 input, two in a list and two in a tuple (fact
    sequence_test_rewrite): under Keras 3 the rewritten test answers False, False, True, True, as the original did
    under Keras 2 (where one input's TensorShape is no Sequence), and under Keras 2 it answers as the original.
    """

    code = "TFV010"
    name = "tensorshape-api-in-build"
    fix = SAFE
    VALID = [
        # qkeras: the test tells Keras 3's tuple from Keras 2's TensorShape, as a fix would.
        "import keras\nclass Q(keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        dims = list(input_shape) if isinstance(input_shape, tuple) else input_shape.as_list()\n",
        # Several inputs required (Keras 3's own Dot): a list in both Kerases, so the test answers alike.
        "import keras\nclass Dot(keras.layers.Layer):\n    def compute_output_shape(self, input_shape):\n"
        "        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:\n"
        "            raise ValueError(input_shape)\n        return input_shape[0]\n",
        # `list`: several inputs' shapes are a list in both Kerases, one input's never is.
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        if isinstance(input_shape, list):\n            input_shape = input_shape[0]\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        input_shape = tf.TensorShape(input_shape)\n        self.n = input_shape.as_list()[-1]\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        if isinstance(input_shape, tf.TensorShape):\n            input_shape = input_shape.as_list()\n",
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        self.n = input_shape[-1].value\n",
        "import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n        return x.shape.as_list()\n"
        "    def build(self, input_shape):\n        self.n = tf.TensorShape(input_shape).as_list()\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, input_shape):\n        try:\n"
        "            n = input_shape.as_list()\n        except AttributeError:\n            n = list(input_shape)\n",
    ]
    INVALID = [
        "import collections.abc\nimport keras\nclass L(keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        if isinstance(input_shape, collections.abc.Sequence):\n            input_shape = input_shape[0]\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, shape):\n"
        "        if shape.ndims != 2:\n            raise ValueError(shape)\n",
        "from tensorflow import keras\nclass L(keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        self.n = input_shape[1:].num_elements()\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        self.n = input_shape.dims[-1].value\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.keras_classes.values():
            if cls.flavor != KERAS3:
                continue
            for method in SHAPE_METHODS:
                function = cls.method(method)
                param = build_parameter(function) if function is not None else None
                if param is None:
                    continue
                yield from self._check_method(analysis, f"{cls.name}.{method}", function, param)

    def _check_method(self, analysis: ModuleAnalysis, owner: str, function: ast.FunctionDef, param: str
                      ) -> Iterator[Finding]:
        aliases = _aliases(function, param)
        names = frozenset({param, *aliases})
        uses = _Uses(names)
        for statement in function.body:
            if _raising_type_guard(statement, names):
                # What follows runs only on a TensorShape: under Keras 3 the guard itself is the break.
                test = _rejects_tuple(statement.test, names)
                if test is not None:
                    yield self.finding(test, f"`{owner}` raises unless `{param}` is a TensorShape: Keras 3 passes a "
                                             f"tuple", title=f"Start with `{param} = tf.TensorShape({param})`",
                                       reason="the guard rejects what Keras 3 passes")
                break
            uses.visit(statement)
        yield from self._sequence_tests(analysis, owner, function, names, param)
        rebound = rebinding_ends(function, param) if uses.uses else []
        for node, pattern in uses.uses:
            root = _root_name(node)
            start = (node.lineno, node.col_offset) if root == param else \
                (aliases[root].lineno, aliases[root].col_offset)  # an alias of a rebound parameter is rebound
            if any(end <= start for end in rebound):
                continue
            yield self._finding(analysis, owner, node, pattern, param)

    def _sequence_tests(self, analysis: ModuleAnalysis, owner: str, function: ast.FunctionDef,
                        names: frozenset[str], param: str) -> Iterator[Finding]:
        """`isinstance(input_shape, Sequence)` (or `tuple`): Keras 2 passed one input's shape as a TensorShape, which
        fails the test, and several inputs' as a list; Keras 3 passes one input's as a tuple, which passes it (fact
        build_single_shape_is_sequence), so the branch for several inputs runs on one (deepchem's Highway)."""
        # `if not isinstance(input_shape, (tuple, list)) ...: raise`: the layer requires several inputs (Keras 3's own
        # Concatenate and Dot), which both Kerases pass as a list: the test answers alike.
        skipped = {id(test.operand) for statement in ast.walk(function) if isinstance(statement, ast.If)
                    and statement.body and isinstance(statement.body[-1], ast.Raise)
                    for test in ast.walk(statement.test)
                    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)}
        # `list(s) if isinstance(s, tuple) else s.as_list()`: the test tells Keras 3's tuple from Keras 2's
        # TensorShape, which is the fix itself (qkeras' QAdaptiveActivation).
        for branch in ast.walk(function):
            if isinstance(branch, (ast.If, ast.IfExp)) and _expects_tensorshape(branch, names):
                skipped.update(id(n) for n in ast.walk(branch.test) if isinstance(n, ast.Call))
        # The fix's own form: `isinstance(s, Sequence) and any(... for d in s)` tells one shape from several.
        for test in ast.walk(function):
            if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and any(
                    isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "any" and v.args
                    and isinstance(v.args[0], ast.GeneratorExp) and isinstance(v.args[0].generators[0].iter, ast.Name)
                    and v.args[0].generators[0].iter.id in names for v in test.values):
                skipped.update(id(v) for v in test.values if isinstance(v, ast.Call))
        pending = list(function.body)
        while pending:
            node = pending.pop()
            if isinstance(node, _NESTED) or id(node) in skipped:
                continue
            pending.extend(ast.iter_child_nodes(node))
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"
                    and "isinstance" not in analysis.imports and len(node.args) == 2
                    and isinstance(node.args[0], ast.Name) and node.args[0].id in names):
                continue
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            matched = next((k for k in kinds if _tuple_kind(analysis, k)), None)
            if matched is None:
                continue
            tested = node.args[0].id
            stores = sorted(n.lineno for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == tested
                            and isinstance(n.ctx, ast.Store))
            if len([line for line in stores if line < node.lineno]) > (tested != param):
                continue  # rebound first (`input_shape = input_shape.as_list()`): no longer what Keras passes
            text = source_segment(analysis.source, node) or "isinstance(...)"
            message = f"`{text}` in `{owner}`: true for one input's shape under Keras 3 (a tuple, not a TensorShape)"
            if _takes_first_shape(function, node, tested):
                yield self.finding(node, message, SAFE, title="Also require a shape among its items: `... and "
                                                              "any(not isinstance(d, (int, type(None))) for d in ...)`")
            else:
                yield self.finding(node, message, title="Tell one shape from several by its items",
                                   reason="the branch does not read the first of several shapes, so what the test "
                                          "means is not shown")

    def _finding(self, analysis: ModuleAnalysis, owner: str, node: ast.Attribute, pattern: str, param: str) -> Finding:
        text = source_segment(analysis.source, node) or pattern
        where = f"`{owner}`"
        method = owner.rsplit(".", 1)[1]
        if pattern in ("value", "dims-value"):
            subscript = node.value
            shape = subscript.value.value if pattern == "dims-value" else subscript.value
            segment = lambda part: source_segment(analysis.source, part)  # noqa: E731
            indexed = f"{segment(shape)}[{segment(subscript.slice)}]"
            if pattern == "dims-value":
                problem = f"Keras 3's `{method}` gets a tuple, with no `.dims` (AttributeError)"
            else:
                problem = "a Keras 3 dimension is an int or None, with no `.value` (AttributeError)"
            return self.finding(node, f"`{text}` in {where}: {problem}", SAFE, title=f"Replace with `{indexed}`")
        call = _called(analysis, node)
        target = call if call is not None else node
        receiver = source_segment(analysis.source, node.value)
        reason = None
        if pattern == "as_list" and call is not None and not call.args and not call.keywords:
            title, fix = f"Replace with `list({receiver})`", SAFE
        elif pattern in ("ndims", "rank") and call is None:
            title, fix = f"Replace with `len({receiver})`", SAFE
        else:
            title, fix = f"Rebind it first: `{param} = tf.TensorShape({param})`", None
            reason = f"`.{pattern}` has no one-expression equivalent on a tuple"
        return self.finding(
            target,
            f"`{source_segment(analysis.source, target) or text}` in {where}: Keras 3's `{method}` gets a "
            f"tuple, with no `.{pattern}` (AttributeError)",
            fix, title=title, reason=reason,
        )

    @staticmethod
    def rewrite(node: ast.AST, analysis: ModuleAnalysis) -> tuple[ast.AST, Callable]:
        """The fix of the finding at `node` (the `X.as_list()` call or the attribute): `node` itself and a libcst
        rewrite that replaces it with `list(X)`, `X[i]` or `len(X)`, keeping X's own text."""
        import libcst as cst  # only when fixing: detection never loads libcst

        def receiver(expr: cst.BaseExpression) -> cst.BaseExpression:
            return expr.func.value if isinstance(expr, cst.Call) else expr.value

        def apply(expr: cst.BaseExpression) -> cst.BaseExpression:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
                # isinstance(X, Sequence) -> (isinstance(X, Sequence) and any(not isinstance(d, ...) for d in X)):
                # one shape's items are dimensions, several shapes' items are shapes (fact sequence_test_rewrite)
                shape = cst.Module([]).code_for_node(expr.args[0].value)
                item = next(n for n in ("d", "dim", "dimension", "item_") if n not in shape)
                test = cst.parse_expression(
                    f"(isinstance(x) and any(not isinstance({item}, (int, type(None))) for {item} in {shape}))")
                return test.with_changes(left=expr.with_changes(lpar=[], rpar=[]))
            if isinstance(node, ast.Call):  # X.as_list() -> list(X)
                new = cst.Call(func=cst.Name("list"), args=[cst.Arg(receiver(expr))])
            elif node.attr in ("ndims", "rank"):  # X.ndims -> len(X)
                new = cst.Call(func=cst.Name("len"), args=[cst.Arg(expr.value)])
            elif isinstance(node.value.value, ast.Attribute):  # X.dims[i].value -> X[i]
                subscript = expr.value
                new = subscript.with_changes(value=subscript.value.value)
            else:  # X[i].value -> X[i]
                new = expr.value
            return new.with_changes(lpar=expr.lpar, rpar=expr.rpar)

        return node, apply


def _takes_first_shape(function: ast.FunctionDef, test: ast.Call, name: str) -> bool:
    """`if isinstance(X, Sequence): X = X[0]` (deepchem's Highway): the test is the whole condition of an `if` whose
    first statement takes one of several shapes, so it means "several inputs", which the fix keeps."""
    for statement in ast.walk(function):
        if isinstance(statement, ast.If) and statement.test is test and statement.body:
            first = statement.body[0]
            return isinstance(first, ast.Assign) and len(first.targets) == 1 \
                and isinstance(first.targets[0], ast.Name) and first.targets[0].id == name \
                and isinstance(first.value, ast.Subscript) and isinstance(first.value.value, ast.Name) \
                and first.value.value.id == name and isinstance(first.value.slice, ast.Constant) \
                and isinstance(first.value.slice.value, int)
    return False


def _expects_tensorshape(branch: ast.If | ast.IfExp, names: frozenset[str]) -> bool:
    """Whether a branch of `branch` uses TensorShape API on the shape, or names TensorShape: its test is there to
    tell a tuple from a TensorShape."""
    parts = [*branch.body, *branch.orelse] if isinstance(branch, ast.If) else [branch.body, branch.orelse]
    for part in parts:
        for node in ast.walk(part):
            if isinstance(node, ast.Attribute) and node.attr in TENSORSHAPE_ONLY and _shape_root(node.value, names):
                return True
            if isinstance(node, (ast.Name, ast.Attribute)) and "TensorShape" in (dotted_name(node) or ""):
                return True
    return False


# Types a tuple is an instance of and a TensorShape is not (collections.abc registers tuple; TensorShape is none).
_TUPLE_KINDS = frozenset({"collections.abc.Sequence", "collections.abc.Collection", "collections.abc.Iterable",
                          "collections.abc.Sized", "collections.abc.Container", "collections.abc.Reversible",
                          "typing.Sequence", "typing.Collection", "typing.Iterable", "typing.Sized",
                          "typing.Container", "typing.Reversible"})


def _tuple_kind(analysis: ModuleAnalysis, node: ast.AST) -> bool:
    if isinstance(node, ast.Name) and node.id == "tuple" and node.id not in analysis.imports:
        return True
    return analysis.qualify(node) in _TUPLE_KINDS


def _called(analysis: ModuleAnalysis, attribute: ast.Attribute) -> ast.Call | None:
    """The call whose function is `attribute` (`X.as_list()`), if any."""
    for site in analysis.calls:
        if site.node.func is attribute:
            return site.node
    return None
