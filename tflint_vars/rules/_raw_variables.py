"""What TFV001, TFV002 and TFV003 share: raw `tf.Variable` calls inside a Keras class, and their fix plan.

Which Keras classes, measured with `tests/measure_keras_classes.py` (TF 2.21.0, Keras 3.15.1; tf-keras 2.21.0 with
TF_USE_LEGACY_KERAS=1), a subclass of each creating `self.v = tf.Variable(...)` in `__init__`:

- Layer, Model, Wrapper: Keras 3 leaves it out of `layer.weights`; Keras 2 tracks it (see TFV001).
- Metric (`keras.metrics.Metric`, and subclasses of `Mean` ...): Keras 3 prints `metric.variables []`, and after
  `update_state([1, 2, 3]); reset_state()` the variables still hold 6.0 and 3.0, so `update_state([10])` then gives
  4.0 instead of 10.0: the metric accumulates across epochs and is not saved. Keras 2 (whose Metric is a Layer)
  prints `['total:0', 'count:0']`, resets them to 0.0 and gives 10.0. Reported, with the `add_weight` fix:
  `self.add_weight(name=..., shape=..., initializer=..., dtype=...)` by keyword is Keras 3's
  `Metric.add_weight(shape=(), initializer=None, dtype=None, name=None)` and tf_keras'
  `Metric.add_weight(name, shape=(), aggregation, synchronization, initializer=None, dtype=None)`; both create a
  non-trainable variable that `reset_state` sets to zero, as Keras 2 did with the raw one. Neither takes
  `trainable`, `constraint` ..., so a `tf.Variable` with those keywords gets no fix. A subclass of a built-in
  metric (`Mean` ...) gets none either: Keras 3's `Mean.reset_state` assigns 0 to `total` and `count` only, so an
  `add_weight` variable is not reset (verify: "`reset_state()` leaves running unreset after the fix"), where Keras 2
  reset every variable (`extra after reset 0.0`), unless the class defines `reset_state` itself.
- Optimizer (a `keras.optimizers.SGD` subclass): both Kerases leave it out of `optimizer.variables`
  (Keras 3: `['raw_sgd/iteration', 'raw_sgd/learning_rate']`, Keras 2: `['iteration:0', 'SGD/m/Variable:0']`) and
  both write it to a `tf.train.Checkpoint` (`True` in both): no change on the move to Keras 3, not reported.
- Loss (a `keras.losses.Loss` subclass scaling its loss by a `tf.Variable(2.0)`): after `fit` it is 2.0 and not in
  `model.trainable_weights` under both: a loss is never trained, not reported.
"""

from __future__ import annotations

import ast
from typing import Iterator, NamedTuple

from tflint_vars.analysis import (BACKEND_VARIABLES, BUILTIN_METRIC, KERAS3, LAYER_KINDS, METRIC_KINDS, VARIABLE,
                                  CallSite, FunctionIndex, KerasClass, ModuleAnalysis, dotted_name, keras_flavor_of,
                                  returned_variables)
from tflint_vars.plans.hoist import KERAS_MEMBERS, move_after_super
from tflint_vars.plans.reads import KERAS3_VARIABLE_LACKS, tensor_reads
from tflint_vars.plans.tracking import tracking_hacks
from tflint_vars.plans.initializers import Scope, WeightPlan, plan_variable, source_segment
from tflint_vars.project import FUNCTION, RETURNS_VARIABLE, RETURNS_VARIABLES

# Methods that implement variable creation for their class (tf_keras' Metric.add_weight): a raw tf.Variable is
# their job, not a bug.
VARIABLE_FACTORIES = frozenset({"add_weight", "add_variable", "_add_variable_with_custom_getter"})
# The kinds of Keras class in which a raw tf.Variable stops being tracked under Keras 3 (see above).
REPORTED_KINDS = LAYER_KINDS | METRIC_KINDS
# The keywords a Metric's add_weight takes in both Kerases (besides shape and initializer).
METRIC_KEYWORDS = frozenset({"name", "dtype"})


# `@tf.__internal__.tracking.no_automatic_dependency_tracking`: the method opts out of tracking under Keras 2 too
# (tf_keras' step counters), so an untracked variable there is what its author meant.
UNTRACKED_BY_DESIGN = "no_automatic_dependency_tracking"


# The methods that run on every forward pass: `call`, and a `__call__` override (which wraps Keras' own).
CALL_METHODS = frozenset({"call", "__call__"})


def is_keras3_class(keras_class) -> bool:
    """A Keras 3 class (`tf.keras` since TF 2.16, or `keras`). A class on `tf_keras` (itself, or through a project
    module that imports it) is Keras 2 by construction: its raw variables stay tracked for as long as it runs, so
    the variable rules skip it, as TFV006/TFV007/TFV009/TFV010 do (issue 17's precision reading counted them
    false)."""
    return keras_class is not None and keras_class.flavor == KERAS3


def raw_variables(analysis: ModuleAnalysis, method_matches) -> Iterator[CallSite]:
    for site in analysis.calls_named(VARIABLE, *BACKEND_VARIABLES):
        ctx = site.context
        if is_keras3_class(ctx.keras_class) and ctx.method is not None and ctx.method not in VARIABLE_FACTORIES \
                and ctx.keras_class.kind in REPORTED_KINDS and method_matches(ctx.method) \
                and not _untracked_by_design(site) and not _other_backend_branch(analysis, site) \
                and (ctx.method in CALL_METHODS or ctx.function is None
                     or reaches_layer(analysis, ctx.function, site.node)):
            yield site  # (in `call`, a variable made on every call fails under `tf.function` wherever it goes)


# Packages whose functions are not project helpers: not looked up in the project index.
_NOT_PROJECT = frozenset({"tensorflow", "keras", "tf_keras", "numpy", "math", "functools", "builtins"})


class Made(NamedTuple):
    """What a helper returns: the constructor's canonical name, and whether several variables (a list or tuple); for
    a helper of this module, its definition and whether it is called through an object (its first parameter bound
    there), which the inlining fix reads."""

    name: str
    many: bool = False
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    through_object: bool = False


def helper_variables(analysis: ModuleAnalysis, method_matches) -> Iterator[tuple[CallSite, str, Made]]:
    """(the call, the helper as written, what it makes) for each call, in a method of a Keras class, of a function
    outside the class that returns a raw variable, or a list or tuple holding one (`returned_variables`), whose
    result reaches the layer (`_stored`). The helper is a module-level function of this module; one of another module
    of the project, through the project index (a single variable only: the index keeps no more); or a method of an
    object the class holds, `self.sub.make(...)` or `sub.make(...)`, when `self.sub` (the local `sub`) is bound once,
    to `Cls(...)` of a class of this module (`_held_object_method`; deepchem's `self.states_init =
    self.lstm.get_initial_states(...)`). The variable is made in the helper, where the class-bound rules do not look
    (a method's returned variable is reported at its constructor only when its own class keeps it: `_escapes`): it
    is reported where the layer gets it."""
    module_helpers = None
    for site in analysis.calls:
        ctx = site.context
        if not is_keras3_class(ctx.keras_class) or ctx.method is None or ctx.method in VARIABLE_FACTORIES \
                or ctx.keras_class.kind not in REPORTED_KINDS or not method_matches(ctx.method):
            continue
        func = site.node.func
        created = None
        if isinstance(func, ast.Name) and func.id not in analysis.imports:
            if module_helpers is None:
                module_helpers = {f.name: returned_variables(f, analysis.qualify) for f in analysis.tree.body
                                  if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
            found = module_helpers.get(func.id)
            created = None if found is None else Made(*found, _module_function(analysis, func.id))
            if func.id not in module_helpers and analysis.resolver is not None:  # maybe from a star import
                refs = [f"{star}{'' if star.endswith('.') else '.'}{func.id}" for star in analysis.star_imports]
                created = next(filter(None, (_project_helper(analysis, ref) for ref in refs)), None)
        else:
            if isinstance(func, ast.Attribute) and _held_receiver(analysis, func.value):
                created = _held_object_method(analysis, site, func)
            if created is None and analysis.resolver is not None and site.name is not None \
                    and site.name.split(".")[0] not in _NOT_PROJECT:
                created = _project_helper(analysis, analysis.qualify_raw(func))
        if created is None or _untracked_by_design(site):
            continue
        method = ctx.keras_class.method(ctx.method)
        if method is not None and _stored(analysis.index(method), site.node):
            yield site, dotted_name(func) or "the helper", created


def _held_receiver(analysis: ModuleAnalysis, node: ast.AST) -> bool:
    """`self.sub` or a local `sub` (not an imported name): a receiver `_held_object_method` may resolve."""
    return isinstance(node, ast.Name) and node.id != "self" and node.id not in analysis.imports or \
        isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _held_object_method(analysis: ModuleAnalysis, site: CallSite, func: ast.Attribute) -> Made | None:
    """What `self.sub.make(...)` (or `sub.make(...)`) returns when it is a raw variable or a list of them: `self.sub`
    is bound once in the class (the local `sub` once in the function, and not a parameter), by `self.sub =
    Cls(...)`, `Cls` a class defined once at this module's top level, and `make` is `Cls`'s own method (or one of its
    bases' in the module), undecorated or a static or class method; or `Cls` is imported from another module of the
    project and `make` is its own method there (the project index's summary). Anything else (bound twice, to another
    value, a method `Cls` inherits from another module) is not followed."""
    receiver = func.value
    if isinstance(receiver, ast.Attribute):
        value = single_bindings(analysis, site.context.keras_class.node).get(receiver.attr)
    else:
        value = single_bindings(analysis, site.context.function).get(receiver.id)
    if not isinstance(value, ast.Call):
        return None
    classes = _module_classes(analysis)
    if not isinstance(value.func, ast.Name) or value.func.id in analysis.imports or value.func.id not in classes:
        # A class of another module of the project (`from .cells import Cell`): its summary, through the index
        if analysis.resolver is None:
            return None
        refs = [analysis.qualify_raw(value.func)]
        if isinstance(value.func, ast.Name) and refs[0] is None:  # maybe from a star import
            refs = [f"{star}{'' if star.endswith('.') else '.'}{value.func.id}" for star in analysis.star_imports]
        return next(filter(None, (_project_helper(analysis, f"{ref}.{func.attr}") for ref in refs if ref)), None)
    cls = classes.get(value.func.id)
    method = None if cls is None else _class_method(classes, cls, func.attr, set())
    if method is None or any(getattr(d, "id", None) not in ("staticmethod", "classmethod")
                             for d in method.decorator_list):
        return None
    found = returned_variables(method, analysis.qualify)
    static = any(getattr(d, "id", None) == "staticmethod" for d in method.decorator_list)
    return None if found is None else Made(*found, method, not static)


def single_bindings(analysis: ModuleAnalysis, scope: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                     ) -> dict[str, ast.expr]:
    """For a class, `self.<attribute>` -> value; for a function, local -> value: each target the scope binds exactly
    once, by a plain `target = value` (not through a tuple, a loop, `with`, an augmented assignment, or a parameter;
    a class using `setattr`/`delattr`, or a function's `global`/`nonlocal` name, is not followed). One walk per
    scope, kept in the module's memos."""
    key = ("single bindings", scope)
    if key in analysis.memos:
        return analysis.memos[key]
    on_class = isinstance(scope, ast.ClassDef)
    counts: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    hidden: set[str] = set()
    if not on_class:
        arguments = scope.args
        hidden.update(a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs)
        hidden.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None)

    def target_name(node: ast.AST) -> str | None:
        if on_class:
            return node.attr if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "self" else None
        return node.id if isinstance(node, ast.Name) else None

    for node in ast.walk(scope):
        if isinstance(node, (ast.Attribute, ast.Name)) and not isinstance(node.ctx, ast.Load):
            name = target_name(node)
            if name is not None:
                counts[name] = counts.get(name, 0) + 1
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = target_name(node.targets[0])
            if name is not None:
                values[name] = node.value
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            hidden.update(node.names)
        elif on_class and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("setattr", "delattr"):
            values.clear()
            break
    found = {name: value for name, value in values.items() if counts.get(name) == 1 and name not in hidden}
    analysis.memos[key] = found
    return found


def _module_classes(analysis: ModuleAnalysis) -> dict[str, ast.ClassDef]:
    """The classes defined at the module's top level by name, a name defined twice left out (which one runs is
    not shown)."""
    key = ("module classes", analysis.tree)
    if key not in analysis.memos:
        found: dict[str, ast.ClassDef | None] = {}
        for node in analysis.tree.body:
            if isinstance(node, ast.ClassDef):
                found[node.name] = None if node.name in found else node
        analysis.memos[key] = {name: node for name, node in found.items() if node is not None}
    return analysis.memos[key]


def _class_method(classes: dict[str, ast.ClassDef], cls: ast.ClassDef, name: str,
                  seen: set) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """`cls`'s method `name` as Python finds it: the class body's last definition, else its bases' in the module,
    left to right (depth first, close enough to the MRO for the classes one module defines)."""
    if cls.name in seen:
        return None
    seen.add(cls.name)
    own = [s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == name]
    if own:
        return own[-1]
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            found = _class_method(classes, classes[base.id], name, seen)
            if found is not None:
                return found
    return None


def _project_helper(analysis: ModuleAnalysis, ref: str) -> Made | None:
    """The raw variable constructor the project function `ref` returns (tflint_vars.project), else None."""
    if ref.split(".")[0] in _NOT_PROJECT:
        return None
    answer = analysis.resolver(ref + FUNCTION)
    return Made(answer[1], answer[0] == RETURNS_VARIABLES) if answer and answer[0] in (RETURNS_VARIABLE,
                                                                                       RETURNS_VARIABLES) else None


def _module_function(analysis: ModuleAnalysis, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module's top-level function `name` when it is defined once and nothing at module level rebinds it."""
    bindings = []
    for node in analysis.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [(alias.asname or alias.name).split(".")[0] for alias in node.names]
        else:
            names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
        bindings += [node] * names.count(name)
    only = bindings[0] if len(bindings) == 1 else None
    return only if isinstance(only, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def inline_plan(analysis: ModuleAnalysis, site: CallSite, created: Made):
    """The inlining fix of a helper call (`tflint_vars.plans.inline`), or why there is none."""
    from tflint_vars.plans.inline import plan_helper_inline
    if created.function is None:
        return "the helper is defined in another module"
    refusal = _inline_refusal(analysis, site)
    if refusal is not None:
        return refusal
    caller = site.context.function or site.context.keras_class.node
    return plan_helper_inline(analysis.source, site.node, created.function, created.through_object, caller)


def _module_stores(analysis: ModuleAnalysis) -> dict[str, int]:
    """How many times the module's own scope binds each name: definitions, imports, assignments, loop and `with`
    targets, also inside if/for/while/try/with at top level, and any function's `global` name (counted twice, so
    never taken as bound once)."""
    key = ("module stores", analysis.tree)
    if key in analysis.memos:
        return analysis.memos[key]
    counts: dict[str, int] = {}

    def add(name: str, times: int = 1) -> None:
        counts[name] = counts.get(name, 0) + times

    pending: list[ast.AST] = list(analysis.tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(node.name)
            for inner in ast.walk(node):
                if isinstance(inner, ast.Global):
                    for name in inner.names:
                        add(name, 2)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                add((alias.asname or alias.name).split(".")[0])
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            add(node.id)
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            add(node.target.id)
        pending.extend(ast.iter_child_nodes(node))
    analysis.memos[key] = counts
    return counts


def _inline_refusal(analysis: ModuleAnalysis, site: CallSite) -> str | None:
    """Why the helper the call names may not be the one inlining would copy (review 4's counter-examples): the class
    or call is not at the module's top level or directly in a method (an enclosing scope may rebind the names the
    helper reads), the module binds the helper's name (or the held object's class name) more than once, the calling
    method binds it, or the held attribute is set anywhere else in the module (a subclass may hold another object)."""
    cls = site.context.keras_class
    if cls.node not in analysis.tree.body:
        return "the class is defined inside another scope, whose names may differ from the module's"
    function = site.context.function
    if function is None or function not in cls.node.body:
        return "the call is not directly in a method of the class"
    stores = _module_stores(analysis)
    func = site.node.func
    if isinstance(func, ast.Name):
        if stores.get(func.id, 0) != 1:
            return f"the module binds `{func.id}` more than once"
        if func.id in _bound_in(function):
            return f"`{func.id}` names something else in `{function.name}`"
        return None
    receiver = func.value if isinstance(func, ast.Attribute) else None
    if isinstance(receiver, ast.Attribute):  # self.sub.make(...)
        attribute = receiver.attr
        sets = sum(1 for node in ast.walk(analysis.tree) for target in _targets(node)
                   if isinstance(target, ast.Attribute) and target.attr == attribute
                   and isinstance(target.value, ast.Name) and target.value.id == "self")
        if sets != 1 or any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "setattr"
                            for n in ast.walk(analysis.tree)):
            return f"`self.{attribute}` is set more than once in the module"
        value = single_bindings(analysis, cls.node).get(attribute)
    elif isinstance(receiver, ast.Name):
        value = single_bindings(analysis, function).get(receiver.id)
    else:
        return "the helper's object is not named"
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
        return "the helper's object is not made by a class of the module"
    if stores.get(value.func.id, 0) != 1 or value.func.id in _bound_in(function):
        return f"`{value.func.id}` may name another class where the object is made"
    return None


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    return []


def _bound_in(function: ast.AST) -> set[str]:
    """The names `function` binds: parameters, stores, nested definitions and imports."""
    from tflint_vars.plans.inline import local_names
    return local_names(function)


def helper_site(analysis: ModuleAnalysis, site: CallSite) -> Made | None:
    """What the helper called at `site` makes, when `site` is a helper call the variable rules report."""
    for found, _, created in helper_variables(analysis, lambda method: True):
        if found is site:
            return created
    return None


def helper_finding(rule, site: CallSite, helper: str, created: Made, in_call: bool = False,
                   analysis: ModuleAnalysis | None = None):
    """The finding for a helper's variable (or variables) reaching the layer. Outside `call`, the fix inlines the
    helper's returned expression where the layer keeps it (`inline_plan`), so that the constructors are fixed where
    they stand; else no fix (made outside the class)."""
    from tflint_vars.diagnostics import SAFE
    made = "tf.Variable" if created.name == VARIABLE else f"backend.{created.name.rpartition('.')[2]}"
    inlined = inline_plan(analysis, site, created) if analysis is not None and not in_call else None
    if inlined is not None and not isinstance(inlined, str):
        message = (f"`{helper}` returns {f'`{made}` variables' if created.many else f'a `{made}`'} that "
                   f"{where(site)} keeps: Keras 3 never tracks, trains or saves {'them' if created.many else 'it'}")
        return rule.finding(site.node, message, SAFE, title=f"Inline `{helper}`'s returned expression")
    # Why it is not inlined, where that is not plain (another module's helper, or in `call`: made on every call).
    why = f", and it is not inlined: {inlined}" if isinstance(inlined, str) and created.function is not None else ""
    if created.many:
        if in_call:
            message = (f"`{helper}` makes `{made}` variables on every call of {where(site)}: `tf.function` raises "
                       f"ValueError, and Keras 3 does not track them")
        else:
            message = (f"`{helper}` returns `{made}` variables that {where(site)} keeps: Keras 3 never tracks, "
                       f"trains or saves them")
        return weight_finding(rule, site, message, f"they are made in `{helper}`, outside the layer{why}; make "
                                                   f"them with `self.add_weight(...)` in the layer")
    if in_call:
        message = (f"`{helper}` makes a `{made}` on every call of {where(site)}: `tf.function` raises ValueError, "
                   f"and Keras 3 does not track it")
    else:
        message = f"`{helper}` returns a `{made}` that {where(site)} keeps: Keras 3 never tracks, trains or saves it"
    return weight_finding(rule, site, message, f"it is made in `{helper}`, outside the layer{why}; make it with "
                                               f"`self.add_weight(...)` in the layer")


# Where a value flows on unchanged (the variable itself may be in the result).
_CARRIERS = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
             ast.Starred, ast.IfExp, ast.keyword, ast.comprehension, ast.NamedExpr, ast.Await)
# Where a value is consumed: the result is a tensor or nothing, never the variable.
_CONSUMERS = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Expr, ast.withitem, ast.JoinedStr,
              ast.FormattedValue, ast.If, ast.While, ast.Assert, ast.Delete)
# Methods of a variable whose result may be the variable itself (`v.assign(x)` returns it in TF2).
_RETURNS_SELF = frozenset({"assign", "assign_add", "assign_sub", "scatter_update", "scatter_add", "scatter_sub"})
# Functions whose result is a tensor or an op, never an object holding their arguments.
_TENSOR_FUNCTIONS = ("tensorflow.", "keras.backend.", "tf_keras.backend.", "keras.ops.")


def reaches_layer(analysis: ModuleAnalysis, function: ast.AST, call: ast.Call) -> bool:
    """Whether the variable `call` makes may end on the layer, where Keras 2 tracked it. Conservative: False only
    when every path provably drops it: consumed by an operation or a TensorFlow/backend function
    (`tf.reduce_sum(v)`, `K.moving_average_update(v, x, 0.9)`), bound to a local only used so, or returned by a
    method whose own class never keeps its result (`_result_kept`: a factory for its callers, such as deepchem's
    `LSTMStep.get_initial_states`, whose callers are reported where they keep it, `helper_variables`). A variable
    that never reaches the layer was untracked by Keras 2 as well: moving to Keras 3 changes nothing for it."""
    return _escapes(analysis, function, analysis.index(function).parents, call, set(), frozenset())


def _escapes(analysis: ModuleAnalysis, function: ast.AST, parents: dict, node: ast.AST, names: set[str],
             methods: frozenset) -> bool:
    """Whether the value of `node` (in `function`, whose parent links are `parents`) may reach the layer. `names`:
    the locals being followed; `methods`: the (class, method) pairs whose results are being followed."""
    while True:
        parent = parents.get(node)
        if isinstance(parent, ast.Return):
            return _returned_kept(analysis, function, parents, parent, methods)
        if parent is None or isinstance(parent, (ast.Yield, ast.YieldFrom)):
            return True  # yielded: a caller may keep it
        if isinstance(parent, _CARRIERS):
            node = parent
            continue
        if isinstance(parent, ast.Subscript):
            if parent.value is not node:
                return False  # an index
            node = parent  # `variables[0]` of a list is the variable (deepchem's `self.rc = vars[0]`)
            continue
        if isinstance(parent, ast.Attribute):  # `v.assign(...)`, `v.shape`, `v.numpy()`
            grand = parents.get(parent)
            if parent.attr in _RETURNS_SELF and isinstance(grand, ast.Call) and grand.func is parent:
                node = grand
                continue
            return False
        if isinstance(parent, ast.Call):
            if node is parent.func:
                return True
            func = parent.func
            if isinstance(func, ast.Name) and func.id == "setattr" or _on_self(func) \
                    or (isinstance(func, ast.Attribute) and _on_self(func.value)):
                return True  # `setattr(self, ...)`, `self.f(v)`, `self.items.append(v)`
            if isinstance(func, ast.Attribute) and func.attr in _CONTAINER_METHODS and isinstance(func.value, ast.Name):
                return _name_escapes(analysis, function, parents, func.value.id, names, methods)
            if (analysis.qualify(func) or "").startswith(_TENSOR_FUNCTIONS):
                return False
            node = parent  # any other callable may keep its argument in what it returns
            continue
        if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            for target in targets:
                for name in (target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]):
                    while isinstance(name, (ast.Subscript, ast.Starred)):
                        name = name.value
                    if not isinstance(name, ast.Name) \
                            or _name_escapes(analysis, function, parents, name.id, names, methods):
                        return True
            return False
        if isinstance(parent, _CONSUMERS):
            return False
        return True


def _name_escapes(analysis: ModuleAnalysis, function: ast.AST, parents: dict, name: str, names: set[str],
                  methods: frozenset) -> bool:
    """Whether a local's value may reach the layer: through any of its reads."""
    if name in names:
        return False  # already being followed
    names.add(name)
    if any(isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names for n in ast.walk(function)):
        return True
    return any(_escapes(analysis, function, parents, n, names, methods) for n in ast.walk(function)
               if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load))


# The methods Keras itself may call on a Layer, Model or Metric (besides dunders, which Python calls): the public
# members of a compiled Model (KERAS_MEMBERS), and those of Keras 3's and tf-keras' Layer, Model, Metric, Wrapper
# and (tf-keras) AbstractRNNCell beyond them, measured with `dir()` on TF 2.21.0, Keras 3.15.1 and tf-keras 2.21.0.
# Their callers are not in the module, so a variable they return is assumed kept, as before.
KERAS_CALLED = KERAS_MEMBERS | frozenset({
    "get_initial_state", "merge_state", "output_size", "reset_state", "result", "state_size",
    "stateless_reset_state", "stateless_result", "stateless_update_state", "update_state"})


def _returned_kept(analysis: ModuleAnalysis, function: ast.AST, parents: dict, ret: ast.Return,
                   methods: frozenset) -> bool:
    """A value `function` returns (at `ret`): whether its callers may keep it on the layer. Decided only for a method
    of a class of the module (`_result_kept`); a nested function's, a lambda's or a module function's callers are
    not followed (module helpers are reported where a layer keeps their result, `helper_variables`)."""
    owner = parents.get(ret)
    while owner is not None and not isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        owner = parents.get(owner)
    if owner is not None and owner is not function:
        return True  # a nested function's return
    cls = _method_classes(analysis).get(function)
    return True if cls is None else _result_kept(analysis, cls, function, methods)


def _method_classes(analysis: ModuleAnalysis) -> dict[ast.AST, ast.ClassDef]:
    """Each method (a function in a class body) -> its class."""
    key = ("method classes", analysis.tree)
    if key not in analysis.memos:
        analysis.memos[key] = {statement: node for node in analysis.class_defs for statement in node.body
                               if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return analysis.memos[key]


def _result_kept(analysis: ModuleAnalysis, cls: ast.ClassDef, method: ast.FunctionDef | ast.AsyncFunctionDef,
                 methods: frozenset) -> bool:
    """Whether what `cls.method` returns may be kept on the object itself (where Keras 2 tracked a variable): True
    unless every caller is seen and none keeps it. The callers are seen when the method is undecorated, not a
    dunder nor a method Keras may call (`KERAS_CALLED`: `build`, `call`, `get_initial_state` ...) nor one `call`
    runs (`_run_by_call`: a variable made on every call fails under `tf.function` wherever it goes), and the class,
    its bases and its subclasses in the module (`_family`) have no base but Keras's own Layer, Model or Metric
    (whose code calls only those) and classes of the module, and never use `self.<method>` but to call it
    (`self.<method>(...)` or `super().<method>(...)`). Each such call whose result escapes to `self` (`_escapes`,
    through the calling method's own return: a cycle counts as not kept) keeps it. A method none of them calls is
    a factory for outside callers when public, which are reported where a layer keeps its result
    (`helper_variables`); a private one none calls is kept (a subclass elsewhere may call it)."""
    pair = (cls, method.name)
    if pair in methods:
        return False  # already being followed
    key = ("result kept", cls, method.name)
    if not methods and key in analysis.memos:
        return analysis.memos[key]
    kept = _result_kept_uncached(analysis, cls, method, methods | {pair})
    if not methods:
        analysis.memos[key] = kept
    return kept


def _result_kept_uncached(analysis: ModuleAnalysis, cls: ast.ClassDef, method: ast.FunctionDef | ast.AsyncFunctionDef,
                          methods: frozenset) -> bool:
    name = method.name
    if method.decorator_list or (name.startswith("__") and name.endswith("__")) or name in KERAS_CALLED:
        return True
    family = _family(analysis, cls)
    if family is None or name in _run_by_call(analysis, cls, family):
        return True  # made on every call of the layer wherever it goes, which `tf.function` rejects (TFV002's case)
    calls = []
    for member in family:
        for function in member.body:
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            parents = analysis.index(function).parents
            for node in ast.walk(function):
                if not (isinstance(node, ast.Attribute) and node.attr == name and _self_or_super(node.value)):
                    continue
                call = parents.get(node)
                if not (isinstance(call, ast.Call) and call.func is node):
                    return True  # `self.make` passed on or stored: called where this module does not show
                calls.append((function, parents, call))
    if not calls:
        return name.startswith("_")
    return any(_escapes(analysis, function, parents, call, set(), methods) for function, parents, call in calls)


def _run_by_call(analysis: ModuleAnalysis, cls: ast.ClassDef, family: list[ast.ClassDef]) -> frozenset[str]:
    """The methods `call` (or `__call__`) of the family calls, directly or through others (`self.<name>(...)`)."""
    key = ("run by call", cls)
    if key not in analysis.memos:
        callees: dict[str, set[str]] = {}
        for member in family:
            for function in member.body:
                if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    callees.setdefault(function.name, set()).update(
                        node.func.attr for node in ast.walk(function) if isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute) and _self_or_super(node.func.value))
        reached: set[str] = set()
        pending = [name for name in CALL_METHODS if name in callees]
        while pending:
            for callee in callees.get(pending.pop(), ()):
                if callee not in reached:
                    reached.add(callee)
                    pending.append(callee)
        analysis.memos[key] = frozenset(reached)
    return analysis.memos[key]


def _self_or_super(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self" or isinstance(node, ast.Call) \
        and isinstance(node.func, ast.Name) and node.func.id == "super"


_KERAS_BASE_NAMES = frozenset({"Layer", "Model", "Metric"})


def _family(analysis: ModuleAnalysis, cls: ast.ClassDef) -> list[ast.ClassDef] | None:
    """`cls`, its bases in the module and its subclasses in the module (by name, the module's top-level classes);
    None when one of them has another base (Keras's `Dense`, a project class from another module, `tf.Module`),
    whose code may call any of their methods."""
    classes = _module_classes(analysis)
    family: list[ast.ClassDef] = []
    pending = [cls]
    while pending:
        node = pending.pop()
        if node in family:
            continue
        family.append(node)
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in classes:
                pending.append(classes[base.id])
                continue
            if isinstance(base, ast.Name) and base.id == "object":
                continue
            qualified = analysis.qualify(base)
            if not (qualified and keras_flavor_of(qualified) and qualified.rsplit(".", 1)[-1] in _KERAS_BASE_NAMES):
                return None
        for other in classes.values():
            if other not in family and other not in pending \
                    and any(isinstance(b, ast.Name) and b.id == node.name for b in other.bases):
                pending.append(other)
    return family


def _other_backend_branch(analysis: ModuleAnalysis, site: CallSite) -> bool:
    """Under `if K.backend() == "theano":` (keras-rl2's NAFLayer): never runs with TensorFlow's Keras."""
    method = site.context.keras_class.method(site.context.method)
    if method is None:
        return False
    key = ("other backend branches", method)
    if key not in analysis.memos:  # once per method, not once per variable in it
        analysis.memos[key] = {id(n) for node in ast.walk(method) if _tests_other_backend(node)
                               for statement in node.body for n in ast.walk(statement)}
    return id(site.node) in analysis.memos[key]


def _tests_other_backend(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) \
        and isinstance(test.left, ast.Call) and (dotted_name(test.left.func) or "").endswith("backend") \
        and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value in ("theano", "cntk")


def _untracked_by_design(site: CallSite) -> bool:
    method = site.context.keras_class.method(site.context.method)
    return method is not None and any((dotted_name(d) or "").endswith(UNTRACKED_BY_DESIGN)
                                      for d in method.decorator_list)


def has_self(site: CallSite) -> bool:
    method = site.context.keras_class.method(site.context.method)
    params = method.args.posonlyargs + method.args.args if method else []
    return bool(params) and params[0].arg == "self"


def fix_plan(analysis: ModuleAnalysis, site: CallSite, place: bool = True) -> WeightPlan | str:
    """The add_weight plan for a raw tf.Variable (its `unsafe` says why when the fix is not safe), or why there is
    no fix. The place must be one where `self.add_weight` runs as the tf.Variable did: see `place_check`. In a
    Metric, only the keywords a Metric's `add_weight` takes in both Kerases (see the module docstring).
    Computed once per site and analysis: the rule's check and its fix ask for the same plan, which neither changes."""
    key = ("fix plan", site.node, place)
    if key not in analysis.memos:
        analysis.memos[key] = _fix_plan(analysis, site, place)
    return analysis.memos[key]


def _fix_plan(analysis: ModuleAnalysis, site: CallSite, place: bool) -> WeightPlan | str:
    keras_class = site.context.keras_class
    if keras_class.kind == BUILTIN_METRIC and keras_class.method("reset_state") is None:
        return ("Keras 3's built-in metrics reset only their own variables in `reset_state`, so it would not reset "
                "this one as Keras 2 did; add the variable with `self.add_weight(...)` and reset it in `reset_state`")
    plan = planned_in_place(analysis, site, plan_variable, check_place=place)
    if isinstance(plan, WeightPlan):
        blocked = tracking_hacks(analysis, site)[1]
        if blocked:
            plan.unsafe = f"{plan.unsafe}; {blocked}" if plan.unsafe else blocked
    if keras_class.kind in METRIC_KINDS and isinstance(plan, WeightPlan):
        # Neither Metric.add_weight takes `autocast`; a metric's update_state runs outside a layer's autocast scope.
        plan.keywords.pop("autocast", None)
        unsupported = sorted(set(plan.keywords) - METRIC_KEYWORDS)
        if unsupported:
            return f"a Metric's `add_weight` takes no {', '.join(f'`{k}`' for k in unsupported)}"
    return plan


def creator(site: CallSite) -> str:
    """The call as messages name it: `tf.Variable`, or a backend constructor as written (`K.zeros`)."""
    if site.name == VARIABLE:
        return "`tf.Variable`"
    return f"`{dotted_name(site.node.func) or site.name}`"


def untracked_message(analysis: ModuleAnalysis, site: CallSite) -> str:
    """TFV001's and TFV003's message: what Keras 3 does with the variable."""
    raw = analysis.qualify_raw(site.node.func) or ""
    if site.name != VARIABLE and raw.startswith("keras."):
        # Measured: Keras 3's own `keras.backend` has none of the constructors (`tf.keras.backend` keeps them).
        return (f"{creator(site)} in {where(site)}: Keras 3's `keras.backend` has no "
                f"`{site.name.rpartition('.')[2]}` (AttributeError)")
    return untracked_text(where(site), untracked_effects(analysis, site), creator(site))


def untracked_effects(analysis: ModuleAnalysis, site: CallSite) -> str:
    """What being untracked costs the class, by kind."""
    keras_class = site.context.keras_class
    if keras_class.kind not in METRIC_KINDS:
        return effects_for(False)
    attribute = _stored_attribute(analysis, site)
    return effects_for(True, accumulates=attribute is None or attribute in _accumulating(analysis, keras_class.node))


def effects_for(metric: bool, accumulates: bool = True) -> str:
    if metric:
        # A metric that cannot carry the value over epochs only loses it on save (tensorflow-similarity's).
        return "`reset_state()` skips it" if accumulates else "not saved"
    return "not trained or saved"


# Variable methods that add to the value they hold: a metric that only `assign`s a value computed without the
# variable holds the last batch's value, and the base `reset_state` not resetting it changes nothing.
_ACCUMULATING = frozenset({"assign_add", "assign_sub", "scatter_add", "scatter_sub", "scatter_nd_add",
                           "scatter_nd_sub", "scatter_update", "scatter_nd_update", "scatter_max", "scatter_min"})


def _stored_attribute(analysis: ModuleAnalysis, site: CallSite) -> str | None:
    """X when the tf.Variable call is the whole value of `self.X = ...`."""
    function = site.context.function
    parent = analysis.index(function).parents.get(site.node) if function is not None else None
    if type(parent) is ast.Assign and parent.value is site.node and len(parent.targets) == 1:
        return _self_attribute(parent.targets[0])
    return None


def _self_attribute(node: ast.AST) -> str | None:
    if type(node) is ast.Attribute and type(node.value) is ast.Name and node.value.id == "self":
        return node.attr
    return None


def _accumulating(analysis: ModuleAnalysis, cls: ast.ClassDef) -> frozenset[str]:
    """The `self.<attribute>`s the metric may carry across epochs, computed once per class (every variable of the
    class asks). Not one whose own `reset_state` touches it (assigns or replaces it), nor one every write of which
    sets a value that does not read it and that is never handed to other code (which might add to it)."""
    key = ("accumulating attributes", cls)
    if key in analysis.memos:
        return analysis.memos[key]
    reset = {attribute for statement in cls.body if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
             and statement.name in ("reset_state", "reset_states")
             for n in ast.walk(statement) for attribute in [_self_attribute(n)] if attribute}
    parents = {child: node for node in ast.walk(cls) for child in ast.iter_child_nodes(node)}
    accumulating = set()
    for node in ast.walk(cls):
        attribute = _self_attribute(node)
        if attribute is None or attribute in reset or attribute in accumulating:
            continue
        parent = parents.get(node)
        if type(parent) is ast.Attribute:  # self.X.method(...)
            call = parents.get(parent)
            if parent.attr in _ACCUMULATING or (parent.attr == "assign" and type(call) is ast.Call
                                                and any(_self_attribute(n) == attribute for a in call.args
                                                        for n in ast.walk(a))):
                accumulating.add(attribute)
        elif type(parent) is ast.AugAssign or type(parent) is ast.Call or type(parent) is ast.keyword:
            accumulating.add(attribute)
        elif type(parent) is ast.Assign and node in parent.targets \
                and any(_self_attribute(n) == attribute for n in ast.walk(parent.value)):
            accumulating.add(attribute)
    analysis.memos[key] = frozenset(accumulating)
    return analysis.memos[key]


def planned_in_place(analysis: ModuleAnalysis, site: CallSite, planner, check_place: bool = True,
                     refuse=None) -> WeightPlan | str:
    """`planner(call, source, qualify, scope)`'s plan, when the place allows a fix: no fix where `place_check`
    refuses, the place's reason added to `plan.unsafe` where it makes the fix unsafe. `refuse(site)` may give one
    more reason for no fix."""
    if not has_self(site):
        return "the method has no `self`"
    place = place_check(analysis, site) if check_place else None
    if place is not None and not place.startswith("unsafe: "):
        return place
    refused = refuse(site) if refuse else None
    if refused:
        return refused
    plan = planner(site.node, analysis.source, analysis.qualify, weight_scope(analysis, site))
    if isinstance(plan, WeightPlan) and site.context.keras_class.kind in METRIC_KINDS \
            and "name" not in plan.keywords:
        # tf-keras's `Metric.add_weight(name, shape=(), ...)` requires the name (TypeError without it, measured on
        # tensorflow-similarity's DistanceMetric); the variable gave none ("Variable"): the attribute's name serves.
        parent = analysis.index(site.context.function).parents.get(site.node)
        stored = [t.attr for t in (parent.targets if isinstance(parent, ast.Assign) else [])
                  if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"]
        if len(stored) == 1:
            plan.keywords = {"name": f'"{stored[0]}"', **plan.keywords}
            plan.generated.add("name")
        else:
            return "tf-keras's `Metric.add_weight` requires a name, and the variable gives none to keep"
    if isinstance(plan, WeightPlan) and place is not None and place.startswith("unsafe: ") \
            and "after the layer is built" in place:
        again = _made_again(analysis, site) if plan.inlined is None else None  # its value text is the local's
        if again is not None:
            plan.recreate = again
            # Measured (fact recreated_in_reset_traced_fit): a traced fit kept updating the first variable.
            place = (place.split(" (safe ")[0] + ": the fix makes the weight once and assigns the value after, "
                     "where Keras 2 made a new variable, which a traced `fit` never used")
    if isinstance(plan, WeightPlan):
        for reason in (place.removeprefix("unsafe: ") if place is not None else None, _unread(analysis, site, plan)):
            if reason:
                plan.unsafe = f"{reason}; {plan.unsafe}" if plan.unsafe else reason
    return plan


def _made_again(analysis: ModuleAnalysis, site: CallSite) -> tuple[ast.stmt, str, str] | None:
    """For `self.x = tf.Variable(value, ...)`, a statement of its own at the top of a method that may run again
    after the layer is built (a public `reset()`): (the statement, `x`, `assign(value)`) when nothing else in the
    class stores `self.x`, so `hasattr(self, "x")` tells the first run from the later ones; else None."""
    function = site.context.function
    statement = analysis.index(function).parents.get(site.node) if function is not None else None
    qualified = analysis.qualify(site.node.func) or ""
    if type(statement) is not ast.Assign or statement not in function.body or statement.value is not site.node \
            or not (qualified == VARIABLE or (qualified in BACKEND_VARIABLES and qualified.endswith(".variable"))):
        return None  # tf.Variable(value) and K.variable(value) only: get_variable's first argument is a name
    attribute = _stored_attribute(analysis, site)
    value = site.node.args[0] if site.node.args else next(
        (k.value for k in site.node.keywords if k.arg in ("initial_value", "value")), None)
    if attribute is None or value is None:
        return None
    klass = site.context.keras_class.node
    if attribute in KERAS_MEMBERS or any(  # `hasattr` would be true before the first run
            isinstance(n, (ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef))
            and attribute in {t.id for t in ast.walk(n) if isinstance(t, ast.Name)} | {getattr(n, "name", None)}
            for n in klass.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) or n.name == attribute):
        return None
    stores = [n for n in ast.walk(site.context.keras_class.node)
              if _self_attribute(n) == attribute and not isinstance(n.ctx, ast.Load)]
    if len(stores) != 1 or any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in (
            "setattr", "delattr") for n in ast.walk(site.context.keras_class.node)):
        return None
    text = source_segment(analysis.source, value)
    return (statement, attribute, f"assign({text})") if text and "\n" not in text else None


def _unread(analysis: ModuleAnalysis, site: CallSite, plan: WeightPlan) -> str | None:
    """Where the class combines the weight with numpy values or uses tf.Variable-only methods on it, the fix reads
    it through `tf.convert_to_tensor` at those places (`plans/reads.py`, set on `plan.tensor_reads`); the reason the
    fix is unsafe when that cannot be shown to cover every use, else None."""
    numpy, lacking = numpy_operands(analysis, site), variable_only_api(analysis, site)
    if not numpy and not lacking:
        return None
    attribute = _stored_attribute(analysis, site)
    if attribute is None:
        return f"{numpy or lacking} (it is not stored on `self.<name>`, where the fix could follow its reads)"
    if weight_scope(analysis, site).tensorflow_name() is None:
        return f"{numpy or lacking} (no `tensorflow` import to read it through `tf.convert_to_tensor`)"
    reads = tensor_reads(analysis, site.context.keras_class.node, attribute, numpy=bool(numpy))
    if isinstance(reads, str):
        return f"{numpy or lacking} ({reads})"
    plan.tensor_reads = reads
    return None


def variable_only_api(analysis: ModuleAnalysis, site: CallSite) -> str | None:
    """Why the fix is unsafe when the class uses, on a `self` attribute, an attribute of tf.Variable that Keras 3's
    variable lacks (`self.w.get_shape()`, or `self.w` passed to a method or module function that calls
    `.get_shape()` on that parameter): the add_weight weight would raise AttributeError there (deepchem's GraphCNN,
    measured). Per class: the attributes so used; a variable stored elsewhere than `self.<x>` is unsafe when any is."""
    keras_class = site.context.keras_class
    key = ("variable-only api", keras_class.node)
    if key not in analysis.memos:
        analysis.memos[key] = _variable_only_uses(analysis, keras_class)
    uses = analysis.memos[key]
    if not uses:
        return None
    parent = analysis.index(site.context.function).parents.get(site.node)
    stored = {t.attr for t in (parent.targets if isinstance(parent, ast.Assign) else [])
              if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}
    hit = sorted(stored & set(uses)) if stored else sorted(uses)
    if not hit:
        return None
    if uses[hit[0]].startswith("`.value()`"):
        return f"the class calls `self.{hit[0]}.value()`, and a Keras 3 weight's `value` is a property (TypeError)"
    return f"the class uses {uses[hit[0]]} on `self.{hit[0]}`, which a Keras 3 weight lacks (AttributeError)"


def _variable_only_uses(analysis: ModuleAnalysis, keras_class: KerasClass) -> dict[str, str]:
    """`self.<x>` attribute -> the tf.Variable-only attribute the class uses on it, directly or through a parameter
    of one of its methods or of a module function it passes `self.<x>` to."""
    functions = {f.name: f for f in keras_class.node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    module_functions = {f.name: f for f in analysis.tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}

    def lacking_on(function: ast.AST, name: str) -> str | None:
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and node.attr in KERAS3_VARIABLE_LACKS \
                    and isinstance(node.value, ast.Name) and node.value.id == name:
                return f"`.{node.attr}`"
        return None

    uses: dict[str, str] = {}
    # `@property def kernel(self): return self.w`: a use on `self.kernel` is one on `self.w`
    properties = {f.name: f.body[-1].value.attr for f in functions.values()
                  if any(getattr(d, "id", None) == "property" for d in f.decorator_list)
                  and isinstance(f.body[-1], ast.Return) and _self_attribute(f.body[-1].value)}
    for node in ast.walk(keras_class.node):
        if isinstance(node, ast.Attribute) and node.attr in KERAS3_VARIABLE_LACKS \
                and isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name) \
                and node.value.value.id == "self":
            uses.setdefault(properties.get(node.value.attr, node.value.attr), f"`.{node.attr}`")
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "value" and not node.args \
                and _self_attribute(node.func.value):  # `self.w.value()`: Keras 3's `value` is a property
            uses.setdefault(_self_attribute(node.func.value), "`.value()`")
        callee, offset = None, 0
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id == "self" and node.func.attr in functions:
            callee, offset = functions[node.func.attr], 1
        elif isinstance(node.func, ast.Name) and node.func.id in module_functions:
            callee = module_functions[node.func.id]
        if callee is None:
            continue
        params = [a.arg for a in (*callee.args.posonlyargs, *callee.args.args)][offset:]
        passed = [(params[i] if i < len(params) else None, a) for i, a in enumerate(node.args)]
        passed += [(k.arg, k.value) for k in node.keywords if k.arg]
        for param, argument in passed:
            if param and isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name) \
                    and argument.value.id == "self":
                lacking = lacking_on(callee, param)
                if lacking:
                    uses.setdefault(argument.attr, f"{lacking} (through `{callee.name}`)")
    return uses


def _numpy_names(analysis: ModuleAnalysis) -> set[str]:
    """The module's names bound to numpy (`np`, `from numpy import sqrt`) and its top-level functions that use
    them (a helper returning numpy scalars)."""
    key = ("numpy names",)
    if key not in analysis.memos:
        analysis.memos[key] = _find_numpy_names(analysis)
    return analysis.memos[key]


def _find_numpy_names(analysis: ModuleAnalysis) -> set[str]:
    names = {local for local, target in analysis.imports.items() if target.split(".")[0] == "numpy"}
    if not names:
        return names
    for statement in analysis.tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and _reads(statement, names):
            names.add(statement.name)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None \
                and _reads(statement.value, names):  # a module constant such as `DECAY = np.float32(0.9)`
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _reads(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def numpy_operands(analysis: ModuleAnalysis, site: CallSite) -> str | None:
    """Why the fix is unsafe when the class may combine the weight with numpy values, else None.

    Keras 3's variable promotes with numpy float64 values (`w * np.sqrt(2.0)` is float64), where a tf.Variable, and
    Keras 2's add_weight variable, stay float32 (measured, see TFV001's Fix safety). A cheap over-approximation: a
    method other than `__init__`/`build` reads numpy, or one of those stores on `self` a value computed with numpy
    (through locals and the module's helpers that use numpy), other than a variable itself."""
    keras_class = site.context.keras_class
    key = ("numpy operands", keras_class.node)  # one answer per class: every site in it asks
    if key not in analysis.memos:
        analysis.memos[key] = _class_numpy_operands(analysis, keras_class)
    return analysis.memos[key]


def _class_numpy_operands(analysis: ModuleAnalysis, keras_class: KerasClass) -> str | None:
    names = _numpy_names(analysis)
    if not names:
        return None
    reason = (f"`{keras_class.name}` may combine the weight with a numpy value: a Keras 3 weight times "
              f"a numpy float64 gives float64 where the tf.Variable gave float32, and with a numpy scalar "
              f"(`np.float32`) in a traced step Keras 3 raises NotImplementedError")
    for method in keras_class.node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if method.name not in ("__init__", "build"):
            if _reads(method, names):
                return reason
            continue
        tainted = set(names)
        for node in ast.walk(method):
            if not isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) or node.value is None \
                    or not _reads(node.value, tainted):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            flat = [t for target in targets for t in (target.elts if isinstance(target, (ast.Tuple, ast.List))
                                                      else [target])]
            tainted.update(t.id for t in flat if isinstance(t, ast.Name))
            creates_variable = isinstance(node.value, ast.Call) and (
                (dotted_name(node.value.func) or "").split(".")[-1] in ("Variable", "add_weight", "get_variable")
                or analysis.qualify(node.value.func) in BACKEND_VARIABLES)
            if any(_on_self(t) for t in flat) and not creates_variable:
                return reason
            if creates_variable and any(_self_attribute(n) for n in ast.walk(node.value)):
                return reason  # `self.v = tf.Variable(self.w * np.sqrt(2.0))`: another weight meets numpy
    return None


def weight_scope(analysis: ModuleAnalysis, site: CallSite) -> Scope:
    method = site.context.keras_class.method(site.context.method)
    build_param = None
    if site.context.method == "build" and method is not None:
        params = method.args.posonlyargs + method.args.args
        build_param = params[1].arg if len(params) > 1 else None
    return Scope(function=site.context.function, module=analysis.tree, input_shape_param=build_param,
                 imports=analysis.imports, klass=site.context.keras_class.node)


def _super_init_line(analysis: ModuleAnalysis, init: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """The line of the first top-level statement of `__init__` that calls `super().__init__(...)` (or
    `Base.__init__(self, ...)`), else None."""
    position = analysis.index(init).super_init
    return None if position is None else init.body[position].lineno




def place_check(analysis: ModuleAnalysis, site: CallSite, seen: frozenset = frozenset()) -> str | None:
    """None when `self.add_weight` at the site runs where the tf.Variable ran and Keras 3 allows it; else the reason
    there is no fix, or "unsafe: <reason>".

    Keras 3 raises on add_weight before `super().__init__()` (fact add_weight_before_super_init; Keras 2 too) and
    after the layer is built (fact add_weight_after_build; Keras 2 allowed it). So the variable must be created in
    `__init__` after `super().__init__()`, in `build`, or in a helper that only those call; not in a nested function
    or lambda, which may run at any time."""
    cls = site.context.keras_class
    method = cls.method(site.context.method)
    if site.context.function in cls.node.body:
        method = site.context.function  # one of several defs of the name: a property's setter, an overload
    if method is None:
        return "its method could not be found"
    if site.context.function is not method:
        return "it is created in a nested function, which may run after the layer is built"
    index = analysis.index(method)
    holder = index.deferred(site.node)
    if holder is not None:
        return f"it is created in a {'lambda' if isinstance(holder, ast.Lambda) else 'generator'}, which may run " \
               f"after the layer is built"
    if not _stored(index, site.node):
        return "unsafe: it is not stored on the layer where this method shows it (it goes through a call or is " \
               "returned), so Keras 2 may not have tracked it, and add_weight tracks it (it joins `layer.weights` " \
               "and is trained)"
    decorators = {getattr(d, "id", getattr(d, "attr", "")) for d in method.decorator_list}
    kinds = {"staticmethod": "staticmethod", "classmethod": "classmethod", "property": "property",
             "setter": "property setter", "getter": "property", "deleter": "property deleter"}
    found = sorted(kinds[d] for d in decorators if d in kinds)
    if found:
        return f"`{site.context.method}` is a {found[0]}, which may run at any time, also after the layer is built"
    return _method_place(analysis, cls, site.context.method, site.node.lineno, seen, move_after_super(analysis, site))


# Methods a layer defines that Keras's own `Layer.__init__`/`Model.__init__` never runs (Keras 3.15 and tf-keras 2.21
# only read `call`'s signature there): with no others, nothing the base constructor runs reads the class's code.
_HOOKS_INIT_NEVER_RUNS = frozenset({"__init__", "build", "call", "get_config", "from_config", "compute_output_shape",
                                    "compute_mask"})
_KERAS_BASES = frozenset({"keras.layers.Layer", "keras.Layer", "keras.Model", "keras.models.Model"})


def move_unobserved(analysis: ModuleAnalysis, cls: KerasClass, statement: ast.Assign) -> str | None:
    """None when moving `statement` (the variable's, before `super().__init__()`) to just after that call cannot
    change what runs: `move_after_super` has shown that nothing from the statement to the call reads its target or
    changes what its value reads, so only the base constructor itself could see the difference, by reading
    `self.<target>`. A local target it cannot read. For `self.x` it cannot either when the class derives directly
    from Keras's own Layer or Model (whose constructors read no attribute of the subclass) and defines only methods
    Keras's constructor never runs, no property, decorator or class-level code. Else why not, for the reason."""
    target = statement.targets[0]
    if isinstance(target, ast.Name):
        return None
    attribute = f"`self.{target.attr}`" if isinstance(target, ast.Attribute) else "its target"
    for base in cls.node.bases:
        if analysis.qualify(base) not in _KERAS_BASES:
            return f"the base `{ast.unparse(base)}`'s constructor may read {attribute}, which is set only after it"
    if cls.node.keywords:
        return f"`{cls.name}` passes class keywords (a metaclass) that may read {attribute} first"
    for statement_ in cls.node.body:
        if isinstance(statement_, ast.Expr) and isinstance(statement_.value, ast.Constant):
            continue  # the docstring
        if isinstance(statement_, (ast.FunctionDef, ast.AsyncFunctionDef)) and not statement_.decorator_list \
                and statement_.name in _HOOKS_INIT_NEVER_RUNS:
            continue
        what = f"`{statement_.name}`" if isinstance(statement_, (ast.FunctionDef, ast.AsyncFunctionDef)) else \
            f"class-level code on line {statement_.lineno}"
        return f"`{cls.name}` defines {what}, which the base constructor may run before {attribute} is set"
    return None


_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "add", "update", "setdefault"})


def _on_self(node: ast.AST) -> bool:
    """`self.x`, `self.x[i]`, `self.x.y`: a place on the layer."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "self"


def _stored(index: FunctionIndex, call: ast.Call) -> bool:
    """The variable ends on the layer, where Keras 2 tracked it: assigned (maybe inside a list, dict or
    comprehension) to `self.<x>`, added to a container on `self`, returned (to a caller that stores it), or bound to
    a local the method reads again (assumed to flow onto the layer)."""
    parents = index.parents
    node = call
    while True:
        parent = parents.get(node)
        if isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp,
                               ast.Starred, ast.IfExp, ast.keyword, ast.comprehension)):
            node = parent
            continue
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "setattr" \
                and len(parent.args) == 3 and parent.args[2] is node:
            return _on_self(parent.args[0])  # `setattr(self, name, v)`: an attribute, tracked by Keras 2
        if isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Attribute) \
                and parent.func.attr in _CONTAINER_METHODS:
            target = parent.func.value
            return _on_self(target) or (isinstance(target, ast.Name) and target.id in index.loaded_names)
        break
    if isinstance(parent, ast.Return):
        return True
    if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is node:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        for target in targets:
            names = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            for name in names:
                if _on_self(name) or (isinstance(name, ast.Name) and name.id in index.loaded_names):
                    return True
    return False


def _method_place(analysis: ModuleAnalysis, cls: KerasClass, name: str, line: int, seen: frozenset,
                  move=None) -> str | None:
    method = cls.method(name)
    if name == "__init__":
        super_line = _super_init_line(analysis, method)
        if super_line is None:
            return "`__init__` does not call `super().__init__()`, which add_weight needs first"
        if line <= super_line:
            if move is None:
                return "it is created before `super().__init__()`, when add_weight cannot run yet, and its " \
                       "statement cannot move after it (it reads `self` or a name set before it, or changes what " \
                       "the call reads)"
            unseen = move_unobserved(analysis, cls, move[0])
            return None if unseen is None else \
                "unsafe: it is created before `super().__init__()`, when add_weight cannot run yet: the fix moves " \
                f"the statement to just after it, and {unseen}"
        return None
    if name == "build":
        return None
    if name in CALL_METHODS:
        return f"`{name}` runs after the layer is built, when Keras 3 raises on new state"
    if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
        # Code outside the class may call a public method again, after the layer is built (an epoch callback's
        # `layer.reset()`).
        return f"unsafe: `{cls.name}.{name}` is public, so it may run again after the layer is built, when Keras 3 " \
               f"raises on new state (safe in a private helper only `__init__` or `build` call)"
    callers = cls.self_calls.get(name, [])
    if not callers or name in seen:
        return f"unsafe: `{cls.name}.{name}` may run after the layer is built, when Keras 3 raises on new state " \
               f"(safe when only `__init__` or `build` call it)"
    for caller, call in callers:
        if caller == name:
            continue
        reason = _method_place(analysis, cls, caller, call.lineno, seen | {name})
        if reason is not None:
            return reason if reason.startswith("unsafe: ") or caller not in CALL_METHODS else \
                f"`{cls.name}.{name}` is called from `{caller}`, which runs after the layer is built"
    return None


def untracked_text(where: str, effects: str, created: str = "`tf.Variable`") -> str:
    """TFV001's and TFV003's message (the pytest plugin words its runtime findings with it too)."""
    return f"{created} in {where} is untracked under Keras 3: {effects}"


def per_call_message(where: str, created: str = "`tf.Variable`") -> str:
    """TFV002's message for a variable made on every call (the pytest plugin's too)."""
    return f"{created} in {where} is a new variable each call (`tf.function` raises ValueError)"


def get_variable_message(where: str) -> str:
    """TFV004's message."""
    return f"`get_variable` in {where} makes a variable Keras 3 does not track (Keras 2 did)"


def where(site: CallSite) -> str:
    return f"`{site.context.keras_class.name}.{site.context.method}`"


def weight_finding(rule, site: CallSite, message: str, plan: WeightPlan | str):
    """The finding for a raw variable with its fix level: safe, unsafe (and why) or none (and why)."""
    from tflint_vars.diagnostics import SAFE, UNSAFE
    if isinstance(plan, str):
        return rule.finding(site.node, message, reason=plan)
    if plan.unsafe:
        return rule.finding(site.node, message, UNSAFE, reason=plan.unsafe)
    return rule.finding(site.node, message, SAFE)
