"""What the rules need to know about one module, computed in a single walk of the stdlib ``ast``.

Detection runs on ``ast``, not libcst: parsing the tf-keras 2.21.0 sources takes 0.8 s with ``ast`` and 5.8 s with
libcst even after skipping files without a trigger word (measured with ``make bench``). libcst is loaded only to
rewrite files that have a fixable finding (see ``tflint_vars.fixes``).

The walk answers, for every call: its canonical qualified name (through every import form and alias), the Keras class
and method it stands in, whether it runs in a loop, and which ``variable_scope`` blocks enclose it.
"""

from __future__ import annotations

import ast
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


def _collect_imports(tree: ast.Module) -> dict[str, str]:
    imports: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    head = alias.name.partition(".")[0]
                    imports[head] = head
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return imports


def _classify_classes(analysis: ModuleAnalysis) -> None:
    """Find Keras classes: bases resolved through imports, or a Keras class of this module (to a fixpoint)."""
    classes = [n for n in ast.walk(analysis.tree) if isinstance(n, ast.ClassDef)]
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


def _walk(analysis: ModuleAnalysis) -> None:
    # Iterative, so a deeply nested expression cannot exhaust the interpreter's recursion limit.
    stack: list[tuple[ast.AST, Context]] = [(analysis.tree, Context())]
    while stack:
        node, ctx = stack.pop()
        child_ctx = ctx
        if isinstance(node, ast.ClassDef):
            child_ctx = Context(keras_class=analysis.keras_classes.get(node))
        elif isinstance(node, _FUNCTIONS):
            analysis.functions.setdefault(node.name, []).append(node)
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
                    stack.append((outer, ctx))
            stack.extend((stmt, child_ctx) for stmt in reversed(node.body))
            continue
        elif isinstance(node, ast.Lambda):
            child_ctx = Context(ctx.keras_class, ctx.method, ctx.function, None, ctx.scopes)
        elif isinstance(node, _LOOPS):
            child_ctx = Context(ctx.keras_class, ctx.method, ctx.function, node, ctx.scopes)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            scopes = tuple(ScopeEntry(item.context_expr, ctx.loop, ctx.function) for item in node.items
                           if _is_variable_scope(analysis, item.context_expr))
            if scopes:
                inner = Context(ctx.keras_class, ctx.method, ctx.function, ctx.loop, ctx.scopes + scopes)
                stack.extend((stmt, inner) for stmt in reversed(node.body))
                stack.extend((item, ctx) for item in reversed(node.items))
                continue
        elif isinstance(node, ast.Call):
            analysis.calls.append(CallSite(node, analysis.qualify(node.func), ctx))
        stack.extend((child, child_ctx) for child in reversed(list(ast.iter_child_nodes(node))))


def analyze(tree: ast.Module, source: str) -> ModuleAnalysis:
    analysis = ModuleAnalysis(tree=tree, source=source)
    analysis.imports = _collect_imports(tree)
    _classify_classes(analysis)
    _walk(analysis)
    return analysis


def is_self_method_call(call: ast.Call, method: str) -> bool:
    """`self.<method>(...)` (or any receiver named like the first parameter convention: self)."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == method and isinstance(func.value, ast.Name) \
        and func.value.id == "self"
