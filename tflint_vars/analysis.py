"""What the rules need to know about one module, computed in a single walk of the stdlib ``ast``.

Detection runs on ``ast``, not libcst: parsing the tf-keras 2.21.0 sources takes 0.76 s with ``ast`` and 7.4 s
with libcst, and still 6.6 s for libcst on the files holding a trigger word (`python bench/parse_cost.py
.bench/corpus/tf-keras`, 2026-11-22, 2 cores). libcst is loaded only to rewrite files that have a fixable finding
(see ``tflint_vars.fixes``).

The walk answers, for every call: its canonical qualified name (through every import form and alias), the Keras class
and method it stands in, whether it runs in a loop, and which ``variable_scope`` blocks enclose it.
"""

from __future__ import annotations

import ast
import functools
from collections import deque
from dataclasses import dataclass, field
from typing import Iterator

KERAS3 = "keras3"  # tf.keras in TF >= 2.16, or the standalone `keras` package
KERAS2 = "keras2"  # tf_keras (TF_USE_LEGACY_KERAS=1), or tensorflow.python.keras

# Prefix rewrites that bring every spelling of one API to one canonical name. Applied until none matches, so
# `tensorflow.compat.v1.keras.layers.Layer` becomes `keras.layers.Layer`.
_CANONICAL_PREFIXES = (
    ("tensorflow.compat.v1.compat.v1.", "tensorflow."),
    ("tensorflow.compat.v1.", "tensorflow."),
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow._api.v2.compat.v1.", "tensorflow."),
    ("tensorflow._api.v2.", "tensorflow."),
    ("tensorflow.python.keras.", "tf_keras."),
    ("tensorflow.contrib.keras.api.keras.", "tf_keras."),
    ("tensorflow.contrib.keras.", "tf_keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.src.", "tf_keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("tensorflow.python.ops.variables.", "tensorflow."),
    ("tensorflow.python.ops.variable_v1.", "tensorflow."),
    ("tensorflow.python.ops.variable_scope.", "tensorflow."),
)

# Keras names that are Layer/Model classes wherever they live in the keras namespace.
_LAYER_CLASS_NAMES = frozenset({"Layer", "Model", "Sequential", "Functional", "Wrapper", "RNN", "AbstractRNNCell"})
# Submodules whose capitalised names are layer or model classes.
_LAYER_MODULES = frozenset({"layers", "models", "engine", "applications"})
# Capitalised names in those modules that are not layers.
_NOT_LAYERS = frozenset({"InputSpec", "Input", "Node", "KerasTensor", "InputLayer"})


@functools.lru_cache(maxsize=8192)  # the same few hundred names recur in every file of a project
def canonical_name(qualified: str) -> str:
    """`tensorflow.compat.v1.get_variable` -> `tensorflow.get_variable`; `tensorflow.keras.X` -> `keras.X`."""
    name = qualified + "."
    changed = True
    while changed:
        changed = False
        for prefix, replacement in _CANONICAL_PREFIXES:
            if name.startswith(prefix):
                name = replacement + name[len(prefix):]
                changed = True
    return name[:-1]


def keras_flavor_of(canonical: str) -> str | None:
    """The Keras of a canonical name, or None when it is not a Keras name."""
    if canonical == "keras" or canonical.startswith("keras."):
        return KERAS3
    if canonical == "tf_keras" or canonical.startswith("tf_keras."):
        return KERAS2
    return None


def keras_layer_class_flavor(canonical: str) -> str | None:
    """The Keras flavour when `canonical` names a Keras Layer or Model class (Dense, Layer, Model, ...), else None."""
    flavor = keras_flavor_of(canonical)
    if flavor is None:
        return None
    parts = canonical.split(".")[1:]
    if not parts or not parts[-1][:1].isupper():
        return None
    last = parts[-1]
    if last in _LAYER_CLASS_NAMES:
        return flavor
    if len(parts) >= 2 and parts[0] in _LAYER_MODULES and last not in _NOT_LAYERS:
        return flavor
    return None


def dotted_name(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of Name/Attribute nodes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


@dataclass
class KerasClass:
    """A class that is a Keras Layer or Model subclass."""

    node: ast.ClassDef
    flavor: str  # KERAS3 or KERAS2

    @property
    def name(self) -> str:
        return self.node.name

    def method(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for stmt in self.node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                return stmt
        return None


@dataclass(frozen=True)
class ScopeEntry:
    """A `with variable_scope(...)` block: its call, and whether it is entered in a loop of its function."""

    call: ast.Call
    loop: ast.AST | None  # the innermost loop of its function around the `with`, if any
    function: ast.FunctionDef | ast.AsyncFunctionDef | None


@dataclass(frozen=True)
class Context:
    """Where a node stands. Immutable: the walk hands each child its parent's context or a changed copy."""

    keras_class: KerasClass | None = None
    method: str | None = None  # the method of keras_class (outermost function in the class body)
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None  # innermost enclosing function
    loop: ast.AST | None = None  # innermost for/while/comprehension of the innermost function around the node
    scopes: tuple[ScopeEntry, ...] = ()  # enclosing `with variable_scope(...)` blocks, outermost first

    @property
    def in_loop(self) -> bool:
        return self.loop is not None


@dataclass
class CallSite:
    node: ast.Call
    name: str | None  # canonical qualified name of the callee, or None when it is not an imported name
    context: Context


@dataclass
class ModuleAnalysis:
    tree: ast.Module
    source: str
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    keras_classes: dict[ast.ClassDef, KerasClass] = field(default_factory=dict)
    calls: list[CallSite] = field(default_factory=list)
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = field(default_factory=dict)

    def qualify(self, node: ast.AST) -> str | None:
        """Canonical qualified name of a Name/Attribute chain whose head is imported, else None."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self.imports.get(head)
        if target is None:
            return None
        return canonical_name(f"{target}.{rest}" if rest else target)

    def calls_named(self, *names: str) -> Iterator[CallSite]:
        for site in self.calls:
            if site.name in names:
                yield site


# Fields that hold nested statements. Imports and classes are statements, and statements never sit inside an
# expression, so walking these fields alone finds them all while skipping the expressions, most of a tree's nodes.
_STATEMENT_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")


def statements(tree: ast.Module) -> Iterator[ast.AST]:
    """Statements, except handlers and match cases, in the order `ast.walk` yields them (breadth first, fields in
    declaration order): the imports' last-wins and the classes' order stay those of a full walk."""
    queue = deque([tree])
    while queue:
        node = queue.popleft()
        yield node
        for name in _STATEMENT_FIELDS:
            value = getattr(node, name, None)
            if type(value) is list:
                queue.extend(value)


def _bound_names(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
    """(local name, qualified name) for each name an import binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                head = alias.name.partition(".")[0]
                yield head, head
    elif node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{node.module}.{alias.name}"


_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
_TRY = (ast.Try, getattr(ast, "TryStar", ast.Try))  # `except*` (3.11+)


def _record_fallbacks(node: ast.Try, fallbacks: dict[int, set[str]]) -> None:
    """For `try: import tf_keras as keras / except ImportError: import keras`: note, per import in such a handler,
    the names the try body binds. The try body's binding is what runs wherever its package is installed
    (transformers binds `keras` so), so the fallback must not replace it."""
    primary = {name for statement in node.body if isinstance(statement, (ast.Import, ast.ImportFrom))
               for name, _ in _bound_names(statement)}
    if not primary:
        return
    for handler in node.handlers:
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if handler.type is not None and not any(dotted_name(c) in _IMPORT_ERRORS for c in caught if c):
            continue
        for statement in handler.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                fallbacks[id(statement)] = primary


def _collect_imports(tree: ast.Module, module_statements: list[ast.AST] | None = None) -> dict[str, str]:
    imports: dict[str, str] = {}
    fallbacks: dict[int, set[str]] = {}  # filled as each `try` is met: breadth first, it precedes its handlers
    for node in statements(tree) if module_statements is None else module_statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            kept = fallbacks.get(id(node), ())
            for name, qualified in _bound_names(node):
                if name not in kept:
                    imports[name] = qualified
        elif isinstance(node, _TRY):
            _record_fallbacks(node, fallbacks)
    return imports


def _classify_classes(analysis: ModuleAnalysis, module_statements: list[ast.AST] | None = None) -> None:
    """Find Keras classes: bases resolved through imports, or a Keras class of this module (to a fixpoint)."""
    classes = [n for n in (statements(analysis.tree) if module_statements is None else module_statements)
               if isinstance(n, ast.ClassDef)]
    local_flavor: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls in analysis.keras_classes:
                continue
            for base in cls.bases:
                flavor = None
                if isinstance(base, ast.Name) and base.id in local_flavor:
                    flavor = local_flavor[base.id]
                else:
                    qualified = analysis.qualify(base)
                    if qualified is not None:
                        flavor = keras_layer_class_flavor(qualified)
                if flavor:
                    analysis.keras_classes[cls] = KerasClass(cls, flavor)
                    local_flavor[cls.name] = flavor
                    changed = True
                    break


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _is_variable_scope(analysis: ModuleAnalysis, node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and analysis.qualify(node.func) == "tensorflow.variable_scope"


# Nodes the walk neither acts on nor needs to enter (their children are at most these again): never pushed.
_LEAVES = frozenset({
    ast.Name, ast.Constant, ast.alias,
    *ast.expr_context.__subclasses__(), *ast.operator.__subclasses__(), *ast.boolop.__subclasses__(),
    *ast.unaryop.__subclasses__(), *ast.cmpop.__subclasses__(),
})
# Fields that never hold a node worth entering (identifiers, numbers, strings, and the _LEAVES above).
_SCALAR_FIELDS = frozenset({"name", "id", "attr", "arg", "asname", "module", "level", "kind", "type_comment",
                            "conversion", "is_async", "simple", "tag", "rest", "kwd_attrs", "names", "ctx", "op",
                            "ops", "lineno"})
# Per node type, the fields to enter, last first, so pushing them in this order pops them in declaration order.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}

_CLASS, _FUNCTION, _LAMBDA, _LOOP, _WITH, _CALL = range(6)
_KINDS = {ast.ClassDef: _CLASS, ast.FunctionDef: _FUNCTION, ast.AsyncFunctionDef: _FUNCTION, ast.Lambda: _LAMBDA,
          ast.With: _WITH, ast.AsyncWith: _WITH, ast.Call: _CALL, **{loop: _LOOP for loop in _LOOPS}}


def _child_fields(node_type: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        fields = _CHILD_FIELDS[node_type] = tuple(f for f in reversed(node_type._fields) if f not in _SCALAR_FIELDS)
    return fields


def _walk(analysis: ModuleAnalysis) -> None:
    """Depth first, in source order, over every node but the _LEAVES: the profile's hot loop, so it dispatches on
    the exact node type and pushes children itself rather than through `ast.iter_child_nodes`.
    Iterative, so a deeply nested expression cannot exhaust the interpreter's recursion limit."""
    calls, functions, keras_classes, qualify = analysis.calls, analysis.functions, analysis.keras_classes, \
        analysis.qualify
    stack: list[tuple[ast.AST, Context]] = [(analysis.tree, Context())]
    pop, push, leaves, kinds, node_class = stack.pop, stack.append, _LEAVES, _KINDS, ast.AST
    while stack:
        node, ctx = pop()
        node_type = type(node)
        child_ctx = ctx
        kind = kinds.get(node_type)
        if kind is not None:
            if kind == _CALL:
                calls.append(CallSite(node, qualify(node.func), ctx))
            elif kind == _CLASS:
                child_ctx = Context(keras_class=keras_classes.get(node))
            elif kind == _FUNCTION:
                functions.setdefault(node.name, []).append(node)
                in_class_body = ctx.keras_class is not None and ctx.method is None
                child_ctx = Context(
                    keras_class=ctx.keras_class,
                    method=node.name if in_class_body else ctx.method,
                    function=node,
                    loop=None,
                    scopes=ctx.scopes,
                )
                # Decorators and defaults are evaluated where the function is defined.
                for outer in (*node.decorator_list, *node.args.defaults, *node.args.kw_defaults):
                    if outer is not None:
                        push((outer, ctx))
                stack.extend((stmt, child_ctx) for stmt in reversed(node.body))
                continue
            elif kind == _LAMBDA:
                child_ctx = Context(ctx.keras_class, ctx.method, ctx.function, None, ctx.scopes)
            elif kind == _LOOP:
                child_ctx = Context(ctx.keras_class, ctx.method, ctx.function, node, ctx.scopes)
            else:  # _WITH
                scopes = tuple(ScopeEntry(item.context_expr, ctx.loop, ctx.function) for item in node.items
                               if _is_variable_scope(analysis, item.context_expr))
                if scopes:
                    inner = Context(ctx.keras_class, ctx.method, ctx.function, ctx.loop, ctx.scopes + scopes)
                    stack.extend((stmt, inner) for stmt in reversed(node.body))
                    stack.extend((item, ctx) for item in reversed(node.items))
                    continue
        for name in _CHILD_FIELDS.get(node_type) or _child_fields(node_type):
            value = getattr(node, name, None)
            if type(value) is list:
                for item in reversed(value):
                    if isinstance(item, node_class) and type(item) not in leaves:
                        push((item, child_ctx))
            elif isinstance(value, node_class) and type(value) not in leaves:
                push((value, child_ctx))


def analyze(tree: ast.Module, source: str) -> ModuleAnalysis:
    analysis = ModuleAnalysis(tree=tree, source=source)
    module_statements = list(statements(tree))
    analysis.imports = _collect_imports(tree, module_statements)
    _classify_classes(analysis, module_statements)
    _walk(analysis)
    return analysis


def is_self_method_call(call: ast.Call, method: str) -> bool:
    """`self.<method>(...)` (or any receiver named like the first parameter convention: self)."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == method and isinstance(func.value, ast.Name) \
        and func.value.id == "self"
