"""Keras 2's hand tracking of raw variables (`self._trainable_weights.append(v)`): the lines the add_weight fix
removes with the variable it converts (TFV001/TFV003), and what TFV030 reports."""

from __future__ import annotations

import ast

from tflint_vars.analysis import CallSite, dotted_name

# Keras 2's private tracking lists: measured, a Keras 3 layer has neither (AttributeError on any read), where Keras 2
# code appended raw variables to them to have them tracked.
TRACKING_LISTS = frozenset({"_trainable_weights", "_non_trainable_weights"})


def on_self_named(node: ast.AST, names: frozenset) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in names and isinstance(node.value, ast.Name) \
        and node.value.id == "self"


def tracking_items(call: ast.Call) -> list[ast.expr] | None:
    """The values `self._trainable_weights.append(v)` / `.extend([v, ...])` adds, or None for another call."""
    func = call.func
    if not isinstance(func, ast.Attribute) or not on_self_named(func.value, TRACKING_LISTS) or call.keywords:
        return None
    if func.attr == "append" and len(call.args) == 1:
        return list(call.args)
    if func.attr == "extend" and len(call.args) == 1 and isinstance(call.args[0], (ast.List, ast.Tuple)):
        return list(call.args[0].elts)
    return None


def tracking_hacks(site: CallSite) -> tuple[list[ast.Call], str | None]:
    """The statements that add the variable created at `site` to Keras 2's tracking lists: (the calls the add_weight
    fix removes with it, or why one cannot go). Removing them is right once the variable is an add_weight weight:
    add_weight tracks it in both Kerases, and under Keras 3 the line raises AttributeError."""
    cls, function = site.context.keras_class, site.context.function
    holder = next((s for s in ast.walk(function) if isinstance(s, ast.Assign) and s.value is site.node
                   and len(s.targets) == 1), None) if function is not None else None
    if holder is None:
        return [], None
    target = dotted_name(holder.targets[0])
    if target is None or (target.count(".") and not target.startswith("self.")) or target.count(".") > 1:
        return [], None
    scope = cls.node if target.startswith("self.") else function  # a local is the same only in its function
    removable, blocked = [], None
    for node in ast.walk(scope):
        if not isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)) \
                or not any(on_self_named(n, TRACKING_LISTS) for n in ast.walk(node)) \
                or not any(dotted_name(n) == target for n in ast.walk(node)
                           if isinstance(n, (ast.Name, ast.Attribute))):
            continue
        call = node.value if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) else None
        items = tracking_items(call) if call is not None else None
        if items is not None and all(dotted_name(item) == target for item in items):
            removable.append(call)
        else:
            blocked = (f"line {node.lineno} still uses Keras 2's tracking lists (`self._trainable_weights`), which "
                       f"raises AttributeError under Keras 3")
    return removable, blocked
