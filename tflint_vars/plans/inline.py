"""Inlining a helper that returns raw variables at the call that keeps them (`self.s = make_state(n)` ->
`self.s = [backend.zeros(n), backend.zeros(n)]`), so that the variable rules see, and fix, the constructors where the
layer keeps them. Planned on the `ast`; the text is substituted by source positions."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from tflint_vars.plans.initializers import source_segment

# Expressions that evaluate to the same value however often they are evaluated, with no effect: an argument a
# helper's parameter may be read several times from, once inlined.
_PURE = (ast.Name, ast.Attribute, ast.Constant, ast.List, ast.Tuple, ast.Set, ast.BinOp, ast.UnaryOp, ast.Subscript,
         ast.Slice, ast.Load, ast.operator, ast.unaryop, ast.expr_context)
# What the inlined expression may not hold: a nested scope or an effect of its own.
_SCOPED = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.Await, ast.Yield,
           ast.YieldFrom)


@dataclass
class InlinePlan:
    """The replacement text of the helper call."""

    text: str


# Builtins whose result is the same for the same argument, with no effect: `int(input_shape[-1])`.
_PURE_BUILTINS = frozenset({"int", "float", "len", "bool", "abs", "min", "max"})


def _pure(node: ast.AST, shadowed: set[str]) -> bool:
    return all(isinstance(n, _PURE) or isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
               and n.func.id in _PURE_BUILTINS and n.func.id not in shadowed and not n.keywords
               for n in ast.walk(node))


def local_names(function: ast.AST) -> set[str]:
    """Names `function` binds (parameters, stores, imports, nested definitions): they shadow module globals there."""
    names: set[str] = set()
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = function.args
        names.update(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
        names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not function:
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def _returned(helper: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | str:
    body = list(helper.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return f"`{helper.name}` does more than return one expression"
    return body[0].value


def plan_helper_inline(source: str, call: ast.Call, helper: ast.FunctionDef | ast.AsyncFunctionDef, method: bool,
                caller: ast.AST) -> InlinePlan | str:
    """The helper's returned expression with its parameters replaced by the call's arguments, or why not. `method`:
    `helper` is an instance method called through an object (its first parameter is skipped, and may not be read);
    `caller` is the function holding the call, whose own names must not shadow the ones the expression reads."""
    if helper.decorator_list or isinstance(helper, ast.AsyncFunctionDef):
        return f"`{helper.name}` is decorated or async"
    value = _returned(helper)
    if isinstance(value, str):
        return value
    if any(isinstance(n, _SCOPED) for n in ast.walk(value)):
        return f"`{helper.name}` returns an expression with a scope or an effect of its own"
    args = helper.args
    if args.vararg or args.kwarg or args.posonlyargs or args.kwonlyargs:
        return f"`{helper.name}` takes `*`, `**` or keyword-only parameters"
    params = [a.arg for a in args.args]
    if method:
        if not params:
            return f"`{helper.name}` takes no `self`"
        receiver, params = params[0], params[1:]
    else:
        receiver = None
    defaults = dict(zip(params[len(params) - len(args.defaults):], args.defaults))
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords) \
            or len(call.args) > len(params):
        return "the call passes `*` or `**` arguments, or too many"
    bound: dict[str, ast.expr] = dict(zip(params, call.args))
    for keyword in call.keywords:
        if keyword.arg not in params or keyword.arg in bound:
            return f"the call passes `{keyword.arg}=`, which `{helper.name}` does not take once"
        bound[keyword.arg] = keyword.value
    for param in params:
        if param not in bound:
            default = defaults.get(param)
            if not isinstance(default, ast.Constant):
                return f"`{param}` is not passed and its default is not a literal"
            bound[param] = default
    shadowed = local_names(caller)
    impure = [p for p, a in bound.items() if not _pure(a, shadowed)]
    if impure:
        return f"the argument for `{impure[0]}` may differ when evaluated again in the helper's place"
    names = [n for n in ast.walk(value) if isinstance(n, ast.Name)]
    for name in names:
        if name.id == receiver:
            return f"`{helper.name}` reads `{receiver}`, its own object"
        if name.id not in bound and name.id in shadowed:
            return f"`{name.id}` names something else where the helper is called"
    text = source_segment(source, value)
    if text is None or "\n" in text and "#" in text:
        return f"`{helper.name}`'s returned expression could not be copied"
    lines = source.splitlines(keepends=True)

    def offset(line: int, col: int) -> int:  # ast columns are UTF-8 byte offsets
        return len(lines[line - 1].encode("utf-8")[:col].decode("utf-8", "replace"))

    start_line, start_col = value.lineno, offset(value.lineno, value.col_offset)
    pieces, cursor = [], (start_line, start_col)
    replaced = sorted((n for n in names if n.id in bound), key=lambda n: (n.lineno, n.col_offset))
    for name in replaced:
        begin = (name.lineno, offset(name.lineno, name.col_offset))
        pieces.append(_between(lines, cursor, begin))
        argument = source_segment(source, bound[name.id])
        if argument is None:
            return f"the argument for `{name.id}` could not be copied"
        atomic = isinstance(bound[name.id], (ast.Name, ast.Attribute, ast.Constant, ast.List, ast.Tuple, ast.Subscript))
        pieces.append(argument if atomic else f"({argument})")
        cursor = (name.end_lineno, offset(name.end_lineno, name.end_col_offset))
    pieces.append(_between(lines, cursor, (value.end_lineno, offset(value.end_lineno, value.end_col_offset))))
    inlined = "".join(pieces)
    if "\n" in inlined:
        inlined = " ".join(part.strip() for part in inlined.splitlines())
    if not isinstance(value, (ast.List, ast.Tuple, ast.Call, ast.Name, ast.Attribute, ast.Dict, ast.Set)):
        inlined = f"({inlined})"
    return InlinePlan(inlined)


def _between(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    """The source text from (line, column) `start` up to `end` (1-based lines, character columns)."""
    (l1, c1), (l2, c2) = start, end
    if l1 == l2:
        return lines[l1 - 1][c1:c2]
    return lines[l1 - 1][c1:] + "".join(lines[l1:l2 - 1]) + lines[l2 - 1][:c2]
