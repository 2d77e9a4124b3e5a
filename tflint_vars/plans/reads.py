"""Reads of a converted weight that the add_weight fix routes through `tf.convert_to_tensor(self.w)`.

A Keras 3 weight is not a tf.Variable, and two of its differences break code that ran on the raw variable: it
promotes with numpy values (`w * np.sqrt(2.0)` is float64 where the tf.Variable's product was float32, and
`np.float32(0.9) * w` in a traced step raises NotImplementedError), and it lacks tf.Variable-only methods such as
`get_shape()` (AttributeError). `tf.convert_to_tensor(w)` reads the weight as a Tensor, which is what a tf.Variable
operator did before operating (`a.value()`), under both Kerases: measured on TF 2.21 / Keras 3.15.1 and tf-keras
2.21 (bench/keras_fix_facts.py, `tensor_read_*`): the product with a numpy float64 stays float32, a numpy float32
scalar on the left works in a traced step, `get_shape()` answers, gradients reach the weight and `fit` trains it,
and under a `mixed_float16` policy the read is autocast as the weight's own read is.

The plan is a list of `self.<attr>` nodes to wrap, or why the class's uses of the weight cannot all be seen."""

from __future__ import annotations

import ast

from tflint_vars.analysis import ModuleAnalysis, dotted_name

# Public attributes of a tf.Variable that Keras 3's variable lacks (measured on TF 2.21 / Keras 3.15.1: a built
# Dense's kernel against `tf.Variable(tf.zeros((3, 2)))`; the rest of tf.Variable's public names it has).
KERAS3_VARIABLE_LACKS = frozenset({
    "SaveSliceInfo", "batch_scatter_update", "count_up_to", "create", "device", "eval", "experimental_ref",
    "from_proto", "gather_nd", "get_shape", "graph", "initial_value", "initialized_value", "initializer",
    "is_initialized", "load", "op", "read_value", "read_value_no_copy", "ref", "scatter_add", "scatter_div",
    "scatter_max", "scatter_min", "scatter_mul", "scatter_nd_add", "scatter_nd_max", "scatter_nd_min",
    "scatter_nd_sub", "scatter_nd_update", "scatter_sub", "scatter_update", "set_shape", "sparse_read", "to_proto",
})

# What a helper may do with a parameter that now receives a Tensor read instead of the variable: read these
# attributes (a Tensor has them, with the meaning they had on the tf.Variable) or use it as an operand or argument.
_TENSOR_ATTRIBUTES = frozenset({"get_shape", "shape", "dtype"})
# Calls that need the variable itself, not a read of it.
_NEEDS_VARIABLE = ("assign", "scatter", "watch", "apply_gradients", "Variable")
_FRAMEWORK_ROOTS = frozenset({"tensorflow", "keras", "tf_keras", "numpy"})


def _self_attribute(node: ast.AST, attribute: str) -> bool:
    return type(node) is ast.Attribute and node.attr == attribute and type(node.value) is ast.Name \
        and node.value.id == "self"


def _functions(body: list[ast.stmt]) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {f.name: f for f in body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}


def tensor_reads(analysis: ModuleAnalysis, klass: ast.ClassDef, attribute: str,
                 numpy: bool) -> list[ast.Attribute] | str:
    """The reads of `self.<attribute>` in the class to wrap in `tf.convert_to_tensor(...)`, or why not every use
    is shown safe. Always wrapped: the receiver of `.get_shape()`, and an argument to a method or module function
    of the module that calls `.get_shape()` on it. When `numpy` (the class may combine the weight with numpy
    values), also every operand of an arithmetic or comparison operator, and every argument to such a helper; then
    any other way the weight leaves sight (an alias, a return, a container, a call of unseen code, a read outside
    the class) makes the plan unsafe."""
    methods = _functions(klass.body)
    module_functions = _functions(analysis.tree.body)
    parents = {child: node for node in ast.walk(klass) for child in ast.iter_child_nodes(node)}
    stores = [n for n in ast.walk(klass) if _self_attribute(n, attribute) and not isinstance(n.ctx, ast.Load)]
    if len(stores) != 1:  # `self.b = None` beside the variable: a read may meet something else
        return f"`self.{attribute}` is set on {len(stores)} lines, not only to the variable"
    for node in ast.walk(klass):  # the class reaching its attributes by other names
        hidden = _reached_otherwise(node)
        if hidden:
            return f"line {node.lineno} reaches the layer's attributes through {hidden}"
    wraps: list[ast.Attribute] = []
    for node in ast.walk(klass):
        if not _self_attribute(node, attribute) or not isinstance(node.ctx, ast.Load):
            continue
        parent = parents.get(node)
        line = node.lineno
        if type(parent) is ast.Attribute:  # self.w.<name>
            called = type(parents.get(parent)) is ast.Call and parents[parent].func is parent
            if parent.attr == "get_shape":
                wraps.append(node)
            elif parent.attr in KERAS3_VARIABLE_LACKS or (parent.attr == "value" and called):
                return f"line {line} uses `.{parent.attr}` on `self.{attribute}`, which a Keras 3 weight lacks" \
                    if parent.attr != "value" else f"line {line} calls `self.{attribute}.value()`, a property of a " \
                                                    f"Keras 3 weight"
            continue
        if type(parent) in (ast.Subscript, ast.UnaryOp) or (type(parent) is ast.AugAssign and parent.target is node):
            if type(parent) is ast.AugAssign:
                return f"line {line} rebinds `self.{attribute}` with an augmented assignment"
            continue
        if type(parent) is ast.Compare and any(type(op) in (ast.Is, ast.IsNot, ast.In, ast.NotIn)
                                               for op in parent.ops):
            continue  # identity and membership: no arithmetic, and `tf.convert_to_tensor(None)` would raise
        if type(parent) in (ast.BinOp, ast.Compare) or (type(parent) is ast.AugAssign and parent.value is node):
            if numpy:
                wraps.append(node)
            continue
        call = parent if type(parent) is ast.Call and node in parent.args else None
        if type(parent) is ast.keyword:
            call = parents.get(parent)
        if call is not None and call.func is not node:
            helper, offset = _helper(call, methods, module_functions)
            if helper is not None:
                parameter = _parameter(helper, call, node, offset)
                why = _helper_refuses(helper, parameter) if parameter else "its parameter is not known"
                if why is None and (numpy or _calls_get_shape(helper, parameter)):
                    wraps.append(node)
                elif why is not None and (numpy or _calls_get_shape(helper, parameter)):
                    return f"line {line} passes `self.{attribute}` to `{helper.name}`, where {why}"
                elif not numpy and not _calls_get_shape(helper, parameter):
                    escape = _helper_refuses(helper, parameter, strict=True) if parameter else "it is not known"
                    if escape:
                        return f"line {line} passes `self.{attribute}` to `{helper.name}`, where {escape}"
                continue
            root = (analysis.qualify(call.func) or "").split(".")[0]
            if root in _FRAMEWORK_ROOTS:  # TensorFlow converts the weight as it converted the variable
                continue
            return f"line {line} passes `self.{attribute}` to `{dotted_name(call.func) or 'a call'}`, not seen"
        return f"line {line} hands `self.{attribute}` on where its uses are not seen"
    # Elsewhere in the module: code reading the attribute of an instance, or a subclass's methods. Another
    # class's `self.<attribute>` is its own.
    others = [c for c in ast.walk(analysis.tree) if type(c) is ast.ClassDef and c is not klass
              and not _inside(c, klass)]
    for node in ast.walk(analysis.tree):
        if type(node) is not ast.Attribute or node.attr != attribute or not isinstance(node.ctx, ast.Load) \
                or _inside(node, klass):
            continue
        holder = next((c for c in others if _inside(node, c)), None)
        if holder is not None and type(node.value) is ast.Name and node.value.id == "self" and klass.name not in {
                (dotted_name(b) or "").rpartition(".")[2] for b in holder.bases}:
            continue
        return f"line {node.lineno} reads `.{attribute}` outside the class"
    return wraps


# The layer's own lists of its weights: a read through them is a read of the weight under another name.
_WEIGHT_LISTS = frozenset({"weights", "trainable_weights", "non_trainable_weights", "variables",
                           "trainable_variables", "non_trainable_variables"})


def _reached_otherwise(node: ast.AST) -> str | None:
    """How `node` reaches the layer's attributes other than as `self.<name>`: `getattr(self, ...)`, `vars(self)`,
    `self.__dict__`, or the layer's weight lists; else None."""
    if type(node) is ast.Call and type(node.func) is ast.Name and node.func.id in ("getattr", "vars") and node.args \
            and type(node.args[0]) is ast.Name and node.args[0].id == "self":
        return f"`{node.func.id}(self, ...)`"
    if type(node) is ast.Attribute and type(node.value) is ast.Name and node.value.id == "self" \
            and (node.attr in _WEIGHT_LISTS or node.attr == "__dict__"):
        return f"`self.{node.attr}`"
    return None


def _inside(node: ast.AST, klass: ast.ClassDef) -> bool:
    return klass.lineno <= node.lineno <= (klass.end_lineno or klass.lineno) and node is not klass


def _helper(call: ast.Call, methods: dict, module_functions: dict):
    func = call.func
    if type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == "self" \
            and func.attr in methods:
        method = methods[func.attr]
        static = any(dotted_name(d) == "staticmethod" for d in method.decorator_list)
        return method, 0 if static else 1
    if type(func) is ast.Name and func.id in module_functions:
        return module_functions[func.id], 0
    return None, 0


def _parameter(helper: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, node: ast.AST,
               offset: int) -> str | None:
    params = [a.arg for a in (*helper.args.posonlyargs, *helper.args.args)][offset:]
    for index, argument in enumerate(call.args):
        if argument is node:
            return params[index] if index < len(params) and not any(
                type(a) is ast.Starred for a in call.args[:index + 1]) else None
    for keyword in call.keywords:
        if keyword.value is node:
            names = {a.arg for a in (*helper.args.args, *helper.args.kwonlyargs)}
            return keyword.arg if keyword.arg in names else None
    return None


def _calls_get_shape(helper: ast.AST, parameter: str | None) -> bool:
    return parameter is not None and any(
        type(n) is ast.Attribute and n.attr in KERAS3_VARIABLE_LACKS and type(n.value) is ast.Name
        and n.value.id == parameter for n in ast.walk(helper))


def _helper_refuses(helper: ast.AST, parameter: str, strict: bool = False) -> str | None:
    """Why the helper needs the variable itself in `parameter`, else None: it reads an attribute a Tensor lacks
    or means otherwise, or hands it to a call that assigns or watches it. `strict`: also where the parameter leaves
    sight (bound to another name, returned, put in a container, given to a lambda)."""
    parents = {child: node for node in ast.walk(helper) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(helper):
        if type(node) is not ast.Name or node.id != parameter or not isinstance(node.ctx, ast.Load):
            continue
        parent = parents.get(node)
        if strict and type(parent) not in (ast.Attribute, ast.Call, ast.keyword, ast.BinOp, ast.Compare,
                                           ast.Subscript, ast.UnaryOp):
            return f"`{parameter}` leaves sight (line {node.lineno})"
        if type(parent) is ast.Attribute and parent.attr not in _TENSOR_ATTRIBUTES:
            return f"`{parameter}.{parent.attr}` needs the variable"
        call = parents.get(parent) if type(parent) is ast.keyword else parent
        if type(call) is ast.Call and call.func is not node:
            name = dotted_name(call.func) or ""
            if any(word in name.rsplit(".", 1)[-1] for word in _NEEDS_VARIABLE):
                return f"`{name}` needs the variable"
    return None
