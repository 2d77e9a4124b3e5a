"""What TFV001, TFV002 and TFV003 share: raw `tf.Variable` calls inside a Keras class, and their fix plan."""

from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS2, CallSite, ModuleAnalysis
from tflint_vars.fixes.initializers import Scope, WeightPlan, plan_add_weight

VARIABLE = "tensorflow.Variable"
# Methods that implement variable creation for their class (tf_keras' Metric.add_weight): a raw tf.Variable is
# their job, not a bug.
VARIABLE_FACTORIES = frozenset({"add_weight", "add_variable", "_add_variable_with_custom_getter"})


def raw_variables(analysis: ModuleAnalysis, method_matches) -> Iterator[CallSite]:
    for site in analysis.calls_named(VARIABLE):
        ctx = site.context
        if ctx.keras_class is not None and ctx.method is not None and ctx.method not in VARIABLE_FACTORIES \
                and method_matches(ctx.method):
            yield site


def has_self(site: CallSite) -> bool:
    method = site.context.keras_class.method(site.context.method)
    params = method.args.posonlyargs + method.args.args if method else []
    return bool(params) and params[0].arg == "self"


def fix_plan(analysis: ModuleAnalysis, site: CallSite, place: bool = True) -> WeightPlan | str:
    """The add_weight plan for a raw tf.Variable (its `unsafe` says why when the fix is not safe), or why there is
    no fix. The place must be one where `self.add_weight` runs as the tf.Variable did: see `place_check`."""
    if not has_self(site):
        return "the method has no `self`"
    place = place_check(analysis, site) if place else None
    if place is not None and not place.startswith("unsafe: "):
        return place
    plan = plan_add_weight(site.node, analysis.source, analysis.qualify, weight_scope(analysis, site))
    if isinstance(plan, WeightPlan) and place is not None:
        reason = place.removeprefix("unsafe: ")
        plan.unsafe = f"{reason}; {plan.unsafe}" if plan.unsafe else reason
    return plan


def weight_scope(analysis: ModuleAnalysis, site: CallSite) -> Scope:
    method = site.context.keras_class.method(site.context.method)
    build_param = None
    if site.context.method == "build" and method is not None:
        params = method.args.posonlyargs + method.args.args
        build_param = params[1].arg if len(params) > 1 else None
    return Scope(function=site.context.function, module=analysis.tree, input_shape_param=build_param,
                 imports=analysis.imports)


def _super_init_line(init: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """The line of the first top-level statement of `__init__` that calls `super().__init__(...)` (or
    `Base.__init__(self, ...)`), else None."""
    for statement in init.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__":
                return statement.lineno
    return None


def _self_calls(cls_node: ast.ClassDef, method: str) -> list[tuple[str, ast.Call]]:
    """(calling method, call) for every `self.<method>(...)` in the class."""
    found = []
    for function in cls_node.body:
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method \
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "self":
                    found.append((function.name, node))
    return found


def place_check(analysis: ModuleAnalysis, site: CallSite, seen: frozenset = frozenset()) -> str | None:
    """None when `self.add_weight` at the site runs where the tf.Variable ran and Keras 3 allows it; else the reason
    there is no fix, or "unsafe: <reason>".

    Keras 3 raises on add_weight before `super().__init__()` (fact add_weight_before_super_init; Keras 2 too) and
    after the layer is built (fact add_weight_after_build; Keras 2 allowed it). So the variable must be created in
    `__init__` after `super().__init__()`, in `build`, or in a helper that only those call; not in a nested function
    or lambda, which may run at any time."""
    cls = site.context.keras_class
    method = cls.method(site.context.method)
    if method is None:
        return "its method could not be found"
    if site.context.function is not method:
        return "it is created in a nested function, which may run after the layer is built"
    for node in ast.walk(method):
        if isinstance(node, (ast.Lambda, ast.GeneratorExp)) and any(inner is site.node for inner in ast.walk(node)):
            return f"it is created in a {'lambda' if isinstance(node, ast.Lambda) else 'generator'}, which may run " \
                   f"after the layer is built"
    decorators = {getattr(d, "id", getattr(d, "attr", "")) for d in method.decorator_list}
    if decorators & {"staticmethod", "classmethod", "property"}:
        return f"`{site.context.method}` is a {sorted(decorators & {'staticmethod', 'classmethod', 'property'})[0]}"
    return _method_place(cls, site.context.method, site.node.lineno, seen)


def _method_place(cls, name: str, line: int, seen: frozenset) -> str | None:
    method = cls.method(name)
    if name == "__init__":
        super_line = _super_init_line(method)
        if super_line is None:
            return "`__init__` does not call `super().__init__()`, which add_weight needs first"
        if line <= super_line:
            return "it is created before `super().__init__()`, when add_weight cannot run yet"
        return None
    if name == "build":
        return None
    if name == "call":
        return "`call` runs after the layer is built, when Keras 3 raises on new state"
    callers = _self_calls(cls.node, name)
    if not callers or name in seen:
        return f"unsafe: `{cls.name}.{name}` may run after the layer is built, when Keras 3 raises on new state " \
               f"(safe when only `__init__` or `build` call it)"
    for caller, call in callers:
        if caller == name:
            continue
        reason = _method_place(cls, caller, call.lineno, seen | {name})
        if reason is not None:
            return reason if reason.startswith("unsafe: ") or caller != "call" else \
                f"`{cls.name}.{name}` is called from `call`, which runs after the layer is built"
    return None


def where(site: CallSite) -> str:
    return f"`{site.context.keras_class.name}.{site.context.method}`"


def keras2_note(site: CallSite) -> str:
    if site.context.keras_class.flavor == KERAS2:
        return " (this class is on tf_keras, Keras 2, which tracks it: it breaks on the move to Keras 3)"
    return ""


def weight_finding(rule, site: CallSite, message: str, plan: WeightPlan | str):
    """The finding for a raw variable with its fix level: safe, unsafe (and why) or none (and why)."""
    from tflint_vars.diagnostics import SAFE, UNSAFE
    if isinstance(plan, str):
        return rule.finding(site.node, f"{message} (no safe fix: {plan})")
    if plan.unsafe:
        return rule.finding(site.node, f"{message} (unsafe fix: {plan.unsafe})", UNSAFE)
    return rule.finding(site.node, message, SAFE)
