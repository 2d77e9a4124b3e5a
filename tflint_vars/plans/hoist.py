"""Whether state created in `call` can move into `build(self, input_shape)`, and how.

TFV002 (a raw `tf.Variable` in `call`) and TFV006 (`add_weight` or a sublayer constructed in `call`) ask this module
whether to offer their unsafe fix; the fix itself (`tflint_vars.fixes.transform`) executes the plan. Stdlib `ast`
only, so detection never loads libcst.

A statement can move when it is `x = <call>` or `self.x = <call>` on its own lines, either at the top of `call` or
in a guard such as `if self.x is None:` whose body only creates state, and when everything the call reads exists in
`build`: module names, `self` attributes that `call` does not set, and the input's `.shape` (which becomes
`input_shape`).
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

from tflint_vars.analysis import CallSite, KerasClass, ModuleAnalysis, is_self_method_call, keras_flavor_of, \
    keras_layer_class_flavor, RAW_VARIABLES
from tflint_vars.plans.initializers import Scope, WeightPlan, set_only_in_init, plan_variable


# Attributes a Keras Layer already has: a local hoisted to `self.<name>` must not shadow them.
LAYER_ATTRIBUTES = frozenset({
    "activity_regularizer", "built", "compute_dtype", "dtype", "dtype_policy", "dynamic", "inbound_nodes", "input",
    "input_shape", "input_spec", "layers", "losses", "metrics", "name", "non_trainable_variables",
    "non_trainable_weights", "outbound_nodes", "output", "path", "quantization_mode", "stateful",
    "supports_masking", "trainable", "trainable_variables", "trainable_weights", "updates", "variable_dtype",
    "variables", "weights",
})

# The public members of a compiled Keras Model, Keras 3.15 and tf-keras 2.21 together
# (tests/test_inline_fix.py recomputes them): an attribute the fix adds must not be one of them.
KERAS_MEMBERS = frozenset({
    "activity_regularizer", "add_loss", "add_metric", "add_update", "add_variable", "add_weight", "autocast",
    "autotune_steps_per_execution", "build", "build_from_config", "built", "call", "call_signature_parameters",
    "compile", "compile_from_config", "compiled", "compiled_loss", "compiled_metrics", "compute_dtype",
    "compute_loss", "compute_mask", "compute_metrics", "compute_output_shape", "compute_output_signature",
    "compute_output_spec", "count_params", "distribute_reduction_method", "distribute_strategy", "dtype",
    "dtype_policy", "dynamic", "evaluate", "evaluate_generator", "export", "finalize_state", "fit", "fit_generator",
    "from_config", "get_build_config", "get_compile_config", "get_config", "get_input_at", "get_input_mask_at",
    "get_input_shape_at", "get_layer", "get_metrics_result", "get_output_at", "get_output_mask_at",
    "get_output_shape_at", "get_quantization_layer_structure", "get_state_tree", "get_weight_paths", "get_weights",
    "history", "inbound_nodes", "input", "input_dtype", "input_mask", "input_names", "input_shape", "input_spec",
    "inputs", "jit_compile", "layers", "load_own_variables", "load_weights", "loss", "losses",
    "make_predict_function", "make_test_function", "make_train_function", "metrics", "metrics_names",
    "metrics_variables", "name", "name_scope", "non_trainable_variables", "non_trainable_weights", "operations",
    "optimizer", "outbound_nodes", "output", "output_mask", "output_names", "output_shape", "outputs", "path",
    "predict", "predict_function", "predict_generator", "predict_on_batch", "predict_step", "quantization_mode",
    "quantize", "quantized_build", "quantized_call", "rematerialized_call", "reset_metrics", "reset_states",
    "run_eagerly", "save", "save_own_variables", "save_spec", "save_weights", "set_state_tree", "set_weights",
    "state_updates", "stateful", "stateless_call", "stateless_compute_loss", "steps_per_execution", "stop_training",
    "submodules", "summary", "supports_jit", "supports_masking", "symbolic_call", "test_function", "test_on_batch",
    "test_step", "to_json", "to_yaml", "train_function", "train_on_batch", "train_step", "train_tf_function",
    "trainable", "trainable_variables", "trainable_weights", "unrolled_steps_per_execution", "updates",
    "variable_dtype", "variables", "weights", "with_name_scope",
})


@dataclass
class HoistPlan:
    """Move `statement` from `call` into `build`."""

    statement: ast.Assign
    guard: ast.If | None  # the `if self.x is None:` around it, removed once all its statements moved
    attribute: str  # the statement stores `self.<attribute>`
    local_name: str | None  # `x = tf.Variable(...)`: the local becomes `self.x`
    local_uses: list[ast.Name] = field(default_factory=list)  # loads of local_name in `call`
    input_param: str | None = None  # call's input; `<input>.shape` becomes `<build_param>`
    shape_uses: list[ast.Attribute] = field(default_factory=list)  # the `<input>.shape` nodes in the statement
    build_param: str = "input_shape"
    has_build: bool = False
    super_build: bool = False  # a synthesised build calls super().build(input_shape): the base builds weights too
    weight_plan: WeightPlan | None = None  # for a tf.Variable: the add_weight call replacing it


def _positional(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [a.arg for a in function.args.posonlyargs + function.args.args]


def _bound_names(function: ast.AST) -> dict[str, int]:
    """How many times each name is bound anywhere in `function` (parameters, stores, deletes, defs, imports)."""
    counts: dict[str, int] = {}

    def add(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            add(node.id)
        elif isinstance(node, ast.arg):
            add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not function:
            add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                add((alias.asname or alias.name).partition(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                counts[name] = counts.get(name, 0) + 1000  # never movable
    return counts


def _self_attribute(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def guarded_attributes(test: ast.expr) -> set[str] | None:
    """The attributes a lazy-creation guard tests (`self.x is None`, `not hasattr(self, "x")`, `not self.x`,
    `not self.built`, joined by and/or), or None when `test` is not such a guard."""
    if isinstance(test, ast.BoolOp):
        names: set[str] = set()
        for value in test.values:
            part = guarded_attributes(value)
            if part is None:
                return None
            names |= part
        return names
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        attribute = _self_attribute(test.left)
        return {attribute} if attribute else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        operand = test.operand
        attribute = _self_attribute(operand)
        if attribute:
            return set() if attribute == "built" else {attribute}
        if isinstance(operand, ast.Call) and isinstance(operand.func, ast.Name) and operand.func.id == "hasattr" \
                and len(operand.args) == 2 and isinstance(operand.args[0], ast.Name) \
                and operand.args[0].id == "self" and isinstance(operand.args[1], ast.Constant) \
                and isinstance(operand.args[1].value, str):
            return {operand.args[1].value}
    return None


def state_kind(analysis: ModuleAnalysis, call: ast.Call) -> str | None:
    """'variable' (tf.Variable, `K.variable`...), 'add_weight', 'layer' (a Keras layer constructed), or None."""
    if analysis.qualify(call.func) in RAW_VARIABLES:
        return "variable"
    if is_self_method_call(call, "add_weight"):
        return "add_weight"
    name = analysis.qualify(call.func)
    if name and keras_layer_class_flavor(name):
        return "layer"
    if isinstance(call.func, ast.Name) and call.func.id in {c.name for c in analysis.keras_classes.values()}:
        return "layer"
    return None


def plain_layer_base(analysis: ModuleAnalysis, keras_class: KerasClass) -> bool:
    """Every base is Keras' own Layer or Model, whose build creates nothing: a synthesised build need not call it
    (tf_keras' Model.build would even trace `call`)."""
    for base in keras_class.node.bases:
        name = analysis.qualify(base)
        if not (name and keras_flavor_of(name) and name.rsplit(".", 1)[-1] in ("Layer", "Model")):
            return False
    return bool(keras_class.node.bases)


def created_once(analysis: ModuleAnalysis, cls: KerasClass, plan: HoistPlan) -> str | None:
    """None when the state the plan moves was created exactly once, on the first call, from what `build` sees the
    same: then creating it at the end of `build` (which Keras runs just before that first call, with that call's
    input shape) makes the same weight, in the same place among the layer's weights. Else why that is not shown.

    Shown when: the statement is alone in an `if self.x is None:` or `if not hasattr(self, "x"):` guard on its own
    attribute; `call` makes no state before it (that state would then come after it among the weights); nothing
    else in the class sets or deletes `self.x` but one `self.x = None` at the top of `__init__` (for the `is None`
    form), nor sets attributes by name; every `self.y` the value reads is set only in `__init__`; and the bases are
    Keras's own Layer or Model (whose build makes no weight that would then come after it)."""
    guard = plan.guard
    if guard is None:
        return "it is made on every call, and the fix makes it once, in `build`"
    attribute = plan.attribute
    test = guard.test
    is_none = isinstance(test, ast.Compare) and _self_attribute(test.left) == attribute
    has_attr = isinstance(test, ast.UnaryOp) and isinstance(test.operand, ast.Call)
    if len(guard.body) != 1 or guard.body[0] is not plan.statement or guarded_attributes(test) != {attribute} \
            or not (is_none or has_attr):
        return f"its guard `if {ast.unparse(test)}` is not one on `self.{attribute}` alone"
    if not plain_layer_base(analysis, cls):
        return "a base class's `build` may make weights, which would then come before it"
    call_fn = cls.method("call")
    earlier = [n for n in ast.walk(call_fn) if isinstance(n, ast.Call) and n.lineno < guard.lineno
               and state_kind(analysis, n)] if call_fn is not None else []
    if earlier:
        return f"`call` makes other state first (line {earlier[0].lineno}), which would then come after it"
    init = cls.method("__init__")
    sets = []
    for node in ast.walk(cls.node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            return f"`{cls.name}` sets attributes by name (`{node.func.id}`), which may set `self.{attribute}` again"
        if isinstance(node, ast.Attribute) and node.attr == attribute and _self_attribute(node) \
                and isinstance(node.ctx, (ast.Store, ast.Del)):
            sets.append(node)
    expected = {id(plan.statement.targets[0])}
    if is_none and init is not None:
        expected |= {id(n.targets[0]) for n in init.body if isinstance(n, ast.Assign) and len(n.targets) == 1
                     and _self_attribute(n.targets[0]) == attribute and isinstance(n.value, ast.Constant)
                     and n.value.value is None}
    if {id(n) for n in sets} != expected or (is_none and len(expected) != 2):
        return f"`self.{attribute}` is set elsewhere too, so the guard may create it again"
    for node in ast.walk(plan.statement.value):
        name = _self_attribute(node) if isinstance(node, ast.Attribute) else None
        if name and name != attribute and not set_only_in_init(cls.node, name):
            return f"it reads `self.{name}`, which code other than `__init__` sets"
    return None


class _Refused(Exception):
    """Why a statement cannot move; the rule shows it after `no fix:`."""


def _check_reads(value: ast.expr, parents: dict, call_locals: dict[str, int], input_param: str | None,
                 call_sets: set[str]) -> list[ast.Attribute]:
    """The `<input>.shape` nodes of `value`; raises _Refused when `value` reads something `build` cannot see."""
    shape_uses = []
    for node in ast.walk(value):
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda)):
            raise _Refused(f"its arguments contain `{type(node).__name__.lower()}`")
        attribute = _self_attribute(node)
        if attribute and attribute in call_sets:
            raise _Refused(f"it reads `self.{attribute}`, which `call` sets")
        if not isinstance(node, ast.Name) or node.id == "self":
            continue
        if node.id == input_param:
            if call_locals.get(input_param, 0) > 1:
                raise _Refused(f"`{node.id}` is reassigned in `call`, so `{node.id}.shape` may not be the input's "
                               f"shape")
            parent = parents.get(node)
            if isinstance(parent, ast.Attribute) and parent.attr == "shape" \
                    and not isinstance(parents.get(parent), ast.Attribute):
                shape_uses.append(parent)
                continue
            raise _Refused(f"it reads `{node.id}` other than as `{node.id}.shape[...]`")
        if node.id in call_locals:
            raise _Refused(f"it reads `{node.id}`, a local of `call`")
    return shape_uses


def _movable(plan: WeightPlan | str) -> bool:
    return isinstance(plan, WeightPlan) and not plan.computed


def _bound_names_of(analysis: ModuleAnalysis, function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, int]:
    """_bound_names, once per function and analysis: every site in `call` asks it."""
    key = ("bound names", function)
    if key not in analysis.memos:
        analysis.memos[key] = _bound_names(function)
    return analysis.memos[key]


def _self_attributes_set(analysis: ModuleAnalysis, function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The `self.<name>` attributes `function` assigns, once per function and analysis."""
    key = ("self attributes set", function)
    if key not in analysis.memos:
        analysis.memos[key] = {a for node in ast.walk(function)
                               if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                               for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                               for a in [_self_attribute(target)] if a}
    return analysis.memos[key]


def _alone_on_its_lines(stmt: ast.stmt, body: list[ast.stmt]) -> bool:
    index = body.index(stmt)
    before = body[index - 1].end_lineno if index else 0
    after = body[index + 1].lineno if index + 1 < len(body) else None
    return before < stmt.lineno and (after is None or after > stmt.end_lineno)


def plan_hoist(analysis: ModuleAnalysis, site: CallSite) -> HoistPlan | str:
    """The plan to move the state created by `site` (in `call`) into `build`, or why it cannot move. Computed once
    per site and analysis: the rule's check and its fix ask for the same plan."""
    key = ("hoist plan", site.node)
    if key not in analysis.memos:
        analysis.memos[key] = _plan_or_reason(analysis, site)
    return analysis.memos[key]


def _plan_or_reason(analysis: ModuleAnalysis, site: CallSite) -> HoistPlan | str:
    try:
        return _plan(analysis, site)
    except _Refused as reason:
        return str(reason)


def _plan(analysis: ModuleAnalysis, site: CallSite) -> HoistPlan:
    cls = site.context.keras_class
    if site.context.method == "__call__":
        raise _Refused("`__call__` overrides Keras' own, which calls `build`: move the variable into `build` by hand")
    call_fn = cls.method("call") if cls else None
    if call_fn is None or site.context.function is not call_fn:
        raise _Refused("it is created in a function nested in `call`")
    params = _positional(call_fn)
    if not params or params[0] != "self":
        raise _Refused("`call` has no `self`")
    input_param = params[1] if len(params) > 1 else None
    parents = analysis.index(call_fn).parents
    stmt = parents.get(site.node)
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and stmt.value is site.node):
        raise _Refused("it is not assigned on a line of its own (`x = ...` or `self.x = ...`)")
    container = parents[stmt]
    guard = None
    if container is call_fn and stmt in call_fn.body:
        body = call_fn.body
    elif isinstance(container, ast.If) and stmt in container.body and container in call_fn.body:
        guard, body = container, container.body
    else:
        raise _Refused("it is inside a block other than a top-level `if self.x is None:` guard of `call`")
    if not _alone_on_its_lines(stmt, body) or (guard and not _alone_on_its_lines(guard, call_fn.body)):
        raise _Refused("it shares its line with another statement")

    call_locals = _bound_names_of(analysis, call_fn)
    scope = Scope(function=call_fn, module=analysis.tree, imports=analysis.imports)
    call_sets = _self_attributes_set(analysis, call_fn)

    if guard is not None:
        if guard.orelse:
            raise _Refused("its guard has an `else`")
        if stmt.lineno == guard.lineno:
            raise _Refused("its guard is on the same line")
        tested = guarded_attributes(guard.test)
        assigned = set()
        for member in guard.body:
            if not (isinstance(member, ast.Assign) and len(member.targets) == 1
                    and _self_attribute(member.targets[0]) and isinstance(member.value, ast.Call)
                    and state_kind(analysis, member.value)):
                raise _Refused("its guard does more than create state on `self`")
            if state_kind(analysis, member.value) == "variable" and \
                    not _movable(plan_variable(member.value, analysis.source, analysis.qualify, scope)):
                raise _Refused("a tf.Variable in the same guard has no add_weight equivalent")
            assigned.add(_self_attribute(member.targets[0]))
            _check_reads(member.value, parents, call_locals, input_param, call_sets - assigned)
        if tested is None or not tested <= assigned:
            raise _Refused("its `if` is not a guard on the state it creates (`if self.x is None:`)")

    target = stmt.targets[0]
    attribute = _self_attribute(target)
    local_name = None
    local_uses: list[ast.Name] = []
    if attribute is None:
        if not isinstance(target, ast.Name):
            raise _Refused("its target is neither a name nor `self.<name>`")
        local_name = attribute = target.id
        if call_locals.get(local_name, 0) != 1:
            raise _Refused(f"`{local_name}` is bound more than once in `call`")
        if attribute in LAYER_ATTRIBUTES:
            raise _Refused(f"`self.{attribute}` would shadow a Layer attribute")
        if any(_self_attribute(n) == attribute for n in ast.walk(cls.node)) or cls.method(attribute):
            raise _Refused(f"the class already uses `self.{attribute}`")
        local_uses = [n for n in ast.walk(call_fn) if isinstance(n, ast.Name) and n.id == local_name
                      and isinstance(n.ctx, ast.Load)]
    shape_uses = _check_reads(stmt.value, parents, call_locals, input_param, call_sets - {attribute})

    plan = HoistPlan(statement=stmt, guard=guard, attribute=attribute, local_name=local_name,
                     local_uses=local_uses, input_param=input_param, shape_uses=shape_uses)
    if state_kind(analysis, site.node) == "variable":
        weight_plan = plan_variable(site.node, analysis.source, analysis.qualify, scope)
        if not isinstance(weight_plan, WeightPlan):
            raise _Refused(weight_plan)
        if weight_plan.computed:  # its value is evaluated where it stands, in `call`: it cannot move
            raise _Refused(weight_plan.unsafe.split(": the fix fills")[0] if weight_plan.unsafe else
                           "its initial value does not map to a Keras initializer, and `build` cannot compute the "
                           "value `call` computes")
        plan.weight_plan = weight_plan

    build = cls.method("build")
    if build is None:
        if any(isinstance(n, ast.Name) and n.id == "input_shape" for n in ast.walk(stmt.value)):
            raise _Refused("it reads a global `input_shape`, which `build(self, input_shape)` would shadow")
        plan.super_build = not plain_layer_base(analysis, cls)
        return plan
    build_params = _positional(build)
    if len(build_params) < 2:
        raise _Refused("`build` takes no input shape")
    plan.has_build, plan.build_param = True, build_params[1]
    if build.body[0].lineno == build.lineno:
        raise _Refused("`build` is written on one line")
    returns = [n for n in ast.walk(build) if isinstance(n, ast.Return)]
    if any(r is not build.body[-1] for r in returns):
        raise _Refused("`build` returns early")
    build_locals = _bound_names_of(analysis, build)
    reads = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)} - {"self", input_param}
    shadowed = sorted(reads & set(build_locals))
    if shadowed:
        raise _Refused(f"`{shadowed[0]}` means something else in `build`")
    return plan


def move_after_super(analysis: ModuleAnalysis, site: CallSite) -> tuple[ast.Assign, ast.stmt] | None:
    """(the statement creating the variable, the `super().__init__(...)` statement) when the variable is created in
    `__init__` before `super().__init__()` and its statement can move to just after that call without changing what
    it reads or what reads it, else None.

    The statement must be `target = <call>` directly in `__init__`'s body, on its own line; its value must read only
    the constructor's parameters that nothing rebinds before the super call, and names `__init__` never binds
    (module names, builtins), never `self`; its target (`self.x` or a local) must not be read, or `self.x` set, by
    any statement from it to the super call (which may pass the local on)."""
    cls = site.context.keras_class
    init = cls.method("__init__")
    if site.context.method != "__init__" or init is None or site.context.function is not init:
        return None
    index = analysis.index(init)
    anchor_at, statement_at = index.super_init, index.statement_position(site.node)
    if anchor_at is None or statement_at is None:
        return None
    anchor, statement = init.body[anchor_at], init.body[statement_at]
    if not isinstance(anchor, ast.Expr) or not isinstance(statement, ast.Assign) \
            or len(statement.targets) != 1 or statement.lineno >= anchor.lineno:
        return None
    target = statement.targets[0]
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        key = ("self", target.attr)
    elif isinstance(target, ast.Name):
        key = ("local", target.id)
    else:
        return None
    params = {a.arg for a in init.args.posonlyargs + init.args.args + init.args.kwonlyargs}
    params |= {a.arg for a in (init.args.vararg, init.args.kwarg) if a is not None}
    read = set()
    for node in ast.walk(statement.value):
        if isinstance(node, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)):
            return None
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and not _lambda_arg(statement.value, node):
            if node.id == "self" or (node.id in params and index.bound_in(node.id, 0, anchor_at + 1)) or \
                    (node.id not in params and node.id in index.stored_names):
                return None
            read.add(node.id)
    # Names the value uses through an attribute or item (`kwargs.pop(...)`, `config["k"]`): it may change them.
    used = {node.value.id for node in ast.walk(statement.value)
            if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.value, ast.Name)}
    # The statements after it, up to and including the super call (the anchor, at anchor_at).
    between = (statement_at + 1, anchor_at + 1)
    if key[0] == "local" and index.name_in(key[1], *between):
        return None
    if key[0] == "self" and (any(index.name_in(name, *between) for name in ("getattr", "setattr", "vars"))
                             or index.self_attribute_in(key[1], *between)):
        return None
    # A statement in between may change what the value reads, or the value what the super call reads
    # (`tf.Variable(kwargs.pop("init"))`).
    if any(index.name_in(name, statement_at + 1, anchor_at)
           or (name in used and index.name_in(name, anchor_at, anchor_at + 1)) for name in read):
        return None
    return statement, anchor


def _lambda_arg(value: ast.expr, name: ast.Name) -> bool:
    """`name` is a parameter of a lambda in `value` that holds it (`constraint=lambda z: ...`)."""
    for node in ast.walk(value):
        if isinstance(node, ast.Lambda) and name.id in {a.arg for a in node.args.args} \
                and any(inner is name for inner in ast.walk(node.body)):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# A layer constructed and called at once in `call` (`layers.Dropout(self.rate)(x)`): the construction moves to the
# end of `__init__` as `self.<fresh name> = ...`, and the call site calls `self.<fresh name>`.


@dataclass
class InlinePlan:
    """Move the construction of a layer called at once in `call` to the end of `__init__`."""

    construction: ast.Call  # `layers.Dropout(self.rate)`, the callee of the call in `call`
    # the class's `__init__`, which gets `self.<attribute> = <construction>` last; the class itself when it has no
    # `__init__` of its own: the fix then adds `def __init__(self, *args, **kwargs): super().__init__(*args, **kwargs)`
    init: ast.FunctionDef | ast.ClassDef
    attribute: str  # a fresh attribute name


# Comprehensions, loops and nested scopes: a construction inside one runs once per pass, or per call of the nested
# function, where the fix makes one layer.
_REPEATING = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
              ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)
_REPEATING_WORDS = {ast.For: "a `for` loop", ast.AsyncFor: "an `async for` loop", ast.While: "a `while` loop",
                    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
                    ast.GeneratorExp: "a generator expression", ast.Lambda: "a `lambda`",
                    ast.FunctionDef: "a function nested in `call`", ast.AsyncFunctionDef: "a function nested in `call`"}


def inline_construction(analysis: ModuleAnalysis, site: CallSite) -> bool:
    """The site constructs a layer that is called at once (`Layer(...)(x)`) in `call` of a Keras layer."""
    cls = site.context.keras_class
    call_fn = cls.method("call") if cls else None
    if call_fn is None or state_kind(analysis, site.node) != "layer":
        return False
    parent = analysis.index(call_fn).parents.get(site.node)
    return isinstance(parent, ast.Call) and parent.func is site.node


def snake_case(name: str) -> str:
    """Keras's own spelling of a layer class as a name (`SpatialDropout1D` -> `spatial_dropout1d`)."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def plan_inline(analysis: ModuleAnalysis, site: CallSite, shared_ok: bool) -> InlinePlan | str:
    """The plan to construct the layer `site` constructs (and `call` calls at once) in `__init__` instead, or why it
    cannot move. `shared_ok`: the layer has no state in Keras 2 (the Dropout family), so one layer may serve every
    pass of a loop, where a layer with weights would share them."""
    key = ("inline plan", site.node, shared_ok)
    if key not in analysis.memos:
        try:
            analysis.memos[key] = _inline_plan(analysis, site, shared_ok)
        except _Refused as reason:
            analysis.memos[key] = str(reason)
    return analysis.memos[key]


def _inline_plan(analysis: ModuleAnalysis, site: CallSite, shared_ok: bool) -> InlinePlan:
    cls = site.context.keras_class
    call_fn = cls.method("call")
    parents = analysis.index(call_fn).parents
    node: ast.AST = site.node
    while node is not call_fn:
        node = parents[node]
        if isinstance(node, _REPEATING) and node is not call_fn and not shared_ok:
            raise _Refused(f"it is constructed in {_REPEATING_WORDS[type(node)]}: the original makes a new layer, "
                           f"with weights of its own, each time, where the fix would make one that every pass shares")
    call_locals = _bound_names_of(analysis, call_fn)
    if call_locals.get("self", 0) != 1:
        raise _Refused("`self` is bound again in `call`")
    init = cls.method("__init__")
    if init is not None and not isinstance(init, ast.FunctionDef):
        raise _Refused("`__init__` is not a plain function")
    if init is None and any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name in (
            "__init__", "__new__") or isinstance(n, ast.Name) and n.id in ("__init__", "__new__")
            for statement in cls.node.body for n in ast.walk(statement)):
        raise _Refused(f"`{cls.name}` sets `__init__` or `__new__` otherwise than by a method")
    if init is not None:
        if init.body[0].lineno == init.lineno:
            raise _Refused("`__init__` is written on one line")
        if not any(isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
                   and s.value.func.attr == "__init__" for s in init.body):
            raise _Refused("`__init__` does not call `super().__init__(...)` in its own body")
        if any(isinstance(n, ast.Return) for n in _own_nodes(init)):
            raise _Refused("`__init__` has a `return`, which could skip the construction added at its end")
        own_methods = {f.name for f in cls.node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for n in _own_nodes(init):  # `self(...)`, `self.build(...)`: `call` would run before the construction
            if isinstance(n, ast.Call) and ((isinstance(n.func, ast.Name) and n.func.id == "self") or (
                    isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                    and n.func.value.id == "self" and n.func.attr in own_methods | {"build", "call", "__call__"})):
                raise _Refused(f"`__init__` calls `{ast.unparse(n.func)}` (line {n.lineno}), which may run `call` "
                               f"before the construction added at its end")
    related = _related_classes(analysis, cls)
    if isinstance(related, str):
        raise _Refused(related)
    taken = _class_names(related)
    if isinstance(taken, str):
        raise _Refused(taken)
    taken |= set(call_locals)  # another fix may make a local `x` of `call` `self.x`
    _check_inline_reads(analysis, cls, site.node, call_locals, related)
    return InlinePlan(construction=site.node, init=init or cls.node,
                      attribute=_fresh_names(analysis, cls, taken)[id(site.node)])


def _own_nodes(function: ast.AST):
    """The nodes of `function`, without those of functions and classes nested in it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _module_bindings(analysis: ModuleAnalysis) -> dict[str, int]:
    """How many times each name is bound by the module's top-level code (and `global` statements anywhere)."""
    key = ("module bindings",)
    if key not in analysis.memos:
        counts: dict[str, int] = {}
        for statement in analysis.tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                counts[statement.name] = counts.get(statement.name, 0) + 1
                continue
            for name, count in _bound_names(statement).items():
                counts[name] = counts.get(name, 0) + count
        for node in ast.walk(analysis.tree):
            if isinstance(node, ast.Global):
                for name in node.names:
                    counts[name] = counts.get(name, 0) + 1000  # set by a function: not a constant
        analysis.memos[key] = counts
    return analysis.memos[key]


def _check_inline_reads(analysis: ModuleAnalysis, cls: KerasClass, construction: ast.Call,
                        call_locals: dict[str, int], related: list[ast.ClassDef]) -> None:
    """Raises _Refused unless the construction reads only literals, module-level names bound once, and `self`
    attributes `__init__` sets once in its own body and nothing else sets or changes: then it makes the same layer
    at the end of `__init__` as in `call`."""
    module = _module_bindings(analysis)
    init = cls.method("__init__")
    for node in ast.walk(construction):
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda, ast.comprehension)):
            raise _Refused(f"its arguments contain `{type(node).__name__.lower()}`")
        if isinstance(node, ast.Call) and node is not construction:
            raise _Refused(f"its arguments call `{ast.unparse(node.func)}`, which `__init__` would call once, "
                           f"before the layer's first call, where `call` calls it on every call")
        attribute = _self_attribute(node)
        if attribute is not None:
            reason = _init_constant(cls, init, attribute) or _set_by_related(cls, related, attribute) \
                or _set_from_outside(analysis, attribute)
            if reason:
                raise _Refused(reason)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Name) and child.id == "self" and not _self_attribute(node):
                raise _Refused("its arguments read `self` other than as `self.<attribute>`")
        if not isinstance(node, ast.Name) or node.id == "self":
            continue
        if node.id in call_locals:
            raise _Refused(f"it reads `{node.id}`, a local of `call`, which `__init__` does not have")
        bound = module.get(node.id, 0)
        if bound == 0 and node.id in _BUILTINS:
            continue
        if bound != 1:
            raise _Refused(f"it reads `{node.id}`, which is not a name the module binds once")


_BUILTINS = frozenset(dir(builtins))


def _set_from_outside(analysis: ModuleAnalysis, attribute: str) -> str | None:
    """Why the module's own code may set `<layer>.<attribute>` from outside the class (`layer.rate = 0.0` in a
    function that turns dropout off), else None."""
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.Attribute) and node.attr == attribute and isinstance(node.ctx, (ast.Store, ast.Del)) \
                and not (isinstance(node.value, ast.Name) and node.value.id == "self"):
            return f"it reads `self.{attribute}`, and line {node.lineno} sets `.{attribute}` on another object"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            return f"it reads `self.{attribute}`, and line {node.lineno} sets attributes by name"
    return None


def _init_constant(cls: KerasClass, init: ast.FunctionDef | None, attribute: str) -> str | None:
    """None when `self.<attribute>` is set exactly once, by a statement of `__init__`'s own body (not in a branch),
    and nothing else in the class sets, deletes or changes it in place; else why not."""
    if init is None:
        return f"it reads `self.{attribute}`, and `{cls.name}` has no `__init__` of its own to set it"
    stores = [n for n in ast.walk(init) if _self_attribute(n) == attribute and isinstance(n.ctx, (ast.Store, ast.Del))]
    top = [s for s in init.body if isinstance(s, (ast.Assign, ast.AnnAssign))
           and any(_self_attribute(t) == attribute for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))]
    if len(stores) != 1 or len(top) != 1 or (isinstance(top[0], ast.AnnAssign) and top[0].value is None):
        return f"it reads `self.{attribute}`, which `__init__` does not set exactly once in its own body"
    if not set_only_in_init(cls.node, attribute):
        return f"it reads `self.{attribute}`, which code other than `__init__` sets"
    for method in cls.node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or method is init:
            continue
        for node in ast.walk(method):
            # `self.x[0] = ...`, `self.x.y = ...`, `del self.x[0]`, `self.x.append(...)`: changed in place
            if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)) \
                    and _self_attribute(node.value) == attribute:
                return f"it reads `self.{attribute}`, which `{method.name}` changes in place"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and _self_attribute(node.func.value) == attribute:
                return f"it reads `self.{attribute}`, whose methods `{method.name}` calls (it may change it)"
    return None


def _related_classes(analysis: ModuleAnalysis, cls: KerasClass) -> list[ast.ClassDef] | str:
    """The class, its bases in the module and its subclasses in the module; or why the attributes `self` may have
    are not all there (a base that is neither Keras's own Layer or Model nor a class of the module)."""
    by_name = analysis.keras_classes_by_name
    local = {c.name: c.node for c in analysis.keras_classes.values()}
    related: list[ast.ClassDef] = []
    pending = [cls.node]
    while pending:  # the class and its bases in the module
        node = pending.pop()
        if node in related:
            continue
        related.append(node)
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in local:
                pending.append(local[base.id])
                continue
            qualified = analysis.qualify(base)
            if not (qualified and keras_flavor_of(qualified) and qualified.rsplit(".", 1)[-1] in ("Layer", "Model")):
                return f"its base `{ast.unparse(base)}` is not Keras's own Layer or Model nor a class of this " \
                       f"module, so a new attribute may collide with one of that base's own"
    changed = True
    while changed:  # and its subclasses in the module
        changed = False
        for other in by_name.values():
            if other.node not in related and any(isinstance(b, ast.Name) and b.id in {r.name for r in related}
                                                 for b in other.node.bases):
                related.append(other.node)
                changed = True
    return related


def _set_by_related(cls: KerasClass, related: list[ast.ClassDef], attribute: str) -> str | None:
    """Why `self.<attribute>` may hold another value in `call` than at the end of the class's `__init__`: a base or
    subclass of the module sets it too (a subclass's `__init__` after the super call), else None."""
    for node in related:
        if node is cls.node:
            continue
        if any(_self_attribute(n) == attribute and isinstance(n.ctx, (ast.Store, ast.Del)) for n in ast.walk(node)):
            return f"it reads `self.{attribute}`, which `{node.name}` sets too"
    return None


def _class_names(related: list[ast.ClassDef]) -> set[str] | str:
    """Every name `self.<name>` may mean in the related classes (`_related_classes`): their methods, class
    attributes, `self` attributes, and Keras's own Layer and Model members; or why that set is not known
    (`setattr`)."""
    names = set(LAYER_ATTRIBUTES) | KERAS_MEMBERS
    for node in related:
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(statement.name)
            else:
                names.update(n.id for n in ast.walk(statement) if isinstance(n, ast.Name))
        for inner in ast.walk(node):
            attribute = _self_attribute(inner)
            if attribute:
                names.add(attribute)
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in (
                    "setattr", "getattr", "delattr", "hasattr"):
                return f"`{node.name}` uses attributes by name (`{inner.func.id}`), so a new attribute may " \
                       f"collide with one"
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str) and inner.value.isidentifier():
                names.add(inner.value)  # `self.__dict__["x"]`, `vars(self)["x"]`
    return names


def _fresh_names(analysis: ModuleAnalysis, cls: KerasClass, taken: set[str]) -> dict[int, str]:
    """id(construction) -> its attribute, for every layer constructed and called at once in `call`, in source
    order: `dropout`, `dropout_1`, ... (the layer class in snake case), skipping every name the class may use."""
    key = ("inline names", cls.node)
    if key not in analysis.memos:
        call_fn = cls.method("call")
        parents = analysis.index(call_fn).parents
        sites = sorted((n for n in ast.walk(call_fn) if isinstance(n, ast.Call) and state_kind(analysis, n) == "layer"
                        and isinstance(parents.get(n), ast.Call) and parents[n].func is n),
                       key=lambda n: (n.lineno, n.col_offset))
        used = set(taken)
        names = {}
        for node in sites:
            base = snake_case((ast.unparse(node.func).rsplit(".", 1)[-1]).lstrip("_")) or "layer"
            name, number = base, 0
            while name in used or not name.isidentifier():
                number += 1
                name = f"{base}_{number}"
            used.add(name)
            names[id(node)] = name
        analysis.memos[key] = names
    return analysis.memos[key]
