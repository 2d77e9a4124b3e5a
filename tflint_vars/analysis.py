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
import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

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

# Kinds of Keras classes: each holds state differently (see rules/_raw_variables.py for what each does with a raw
# tf.Variable, measured).
LAYER, MODEL, METRIC, OPTIMIZER, LOSS = "layer", "model", "metric", "optimizer", "loss"
# A subclass of one of Keras' own metrics (Mean, AUC, ...) rather than of Metric: Keras 3's built-in metrics reset only
# their own variables in `reset_state`, where Keras 2's reset every variable of the metric.
BUILTIN_METRIC = "builtin-metric"
METRIC_KINDS = frozenset({METRIC, BUILTIN_METRIC})
LAYER_KINDS = frozenset({LAYER, MODEL})  # the classes the layer rules (TFV004, TFV006, TFV007) are about

# Keras names that are Layer/Model classes wherever they live in the keras namespace.
_LAYER_CLASS_NAMES = frozenset({"Layer", "Model", "Sequential", "Functional", "Wrapper", "RNN", "AbstractRNNCell"})
# Keras class names, wherever they live in the keras namespace, and their kind (`keras.Metric`, `keras.Loss`).
_CLASS_KINDS = {"Layer": LAYER, "Wrapper": LAYER, "RNN": LAYER, "AbstractRNNCell": LAYER, "Model": MODEL,
                "Sequential": MODEL, "Functional": MODEL, "Metric": METRIC, "Optimizer": OPTIMIZER, "Loss": LOSS}
# Submodules whose capitalised names are layer or model classes.
_LAYER_MODULES = frozenset({"layers", "models", "engine", "applications"})
# Submodules whose capitalised names are classes of one kind (`keras.metrics.Mean`, `keras.optimizers.Adam`).
_KIND_MODULES = {"metrics": METRIC, "optimizers": OPTIMIZER, "losses": LOSS}
# Capitalised names in those modules that are not layers.
_NOT_LAYERS = frozenset({"InputSpec", "Input", "Node", "KerasTensor", "InputLayer"})
# Capitalised names in the kind modules that are not of the kind (`keras.losses.Reduction` is an enum,
# `keras.optimizers.schedules.*` are learning-rate schedules).
_NOT_OF_KIND = frozenset({"Reduction", "ReductionV2", "schedules", "LearningRateSchedule"})


VARIABLE = "tensorflow.Variable"
# Keras 2's backend functions that create a variable (tf_keras 2.21 `backend.py`; Keras 3 keeps them in
# `tf.keras.backend` only, as `keras.src.legacy.backend`). Each makes `tf.Variable(value, dtype=dtype or floatx())`:
# measured, a plain `tf.Variable` under both runtimes, tracked by Keras 2 only. `zeros_like`/`ones_like` return
# tensors in both (measured), so they are not here.
BACKEND_VARIABLE_FUNCTIONS = ("variable", "zeros", "ones", "eye", "random_uniform_variable", "random_normal_variable")
BACKEND_VARIABLES = frozenset(f"{package}.backend.{function}" for package in ("keras", "tf_keras")
                              for function in BACKEND_VARIABLE_FUNCTIONS)
RAW_VARIABLES = BACKEND_VARIABLES | {VARIABLE}


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


@functools.lru_cache(maxsize=4096)
def keras_class_kind(canonical: str) -> tuple[str, str] | None:
    """(flavour, kind) when `canonical` names a Keras Layer, Model, Metric, Optimizer or Loss class, else None."""
    flavor = keras_layer_class_flavor(canonical)
    if flavor is not None:
        last = canonical.rpartition(".")[2]
        return flavor, _CLASS_KINDS.get(last) or (MODEL if ".models." in canonical or ".applications." in canonical
                                                  else LAYER)
    flavor = keras_flavor_of(canonical)
    if flavor is None:
        return None
    parts = canonical.split(".")[1:]
    if not parts or not parts[-1][:1].isupper() or _NOT_OF_KIND.intersection(parts):
        return None
    kind = _CLASS_KINDS.get(parts[-1])
    if kind is None and len(parts) >= 2:
        kind = _KIND_MODULES.get(parts[0])
        if kind == METRIC:
            kind = BUILTIN_METRIC
    return (flavor, kind) if kind else None


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
    """A class that is a Keras Layer, Model, Metric, Optimizer or Loss subclass."""

    node: ast.ClassDef
    flavor: str  # KERAS3 or KERAS2
    kind: str = LAYER  # LAYER, MODEL, METRIC, BUILTIN_METRIC, OPTIMIZER or LOSS

    @property
    def is_layer(self) -> bool:
        """A Layer or Model (a Metric is a Layer in Keras 2, not in Keras 3)."""
        return self.kind in LAYER_KINDS

    @property
    def name(self) -> str:
        return self.node.name

    def method(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        return self._methods.get(name)

    @functools.cached_property
    def _methods(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        """The class body's methods by name, the first of a name winning (asked once per call site)."""
        methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for stmt in self.node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods.setdefault(stmt.name, stmt)
        return methods

    @functools.cached_property
    def self_calls(self) -> dict[str, list[tuple[str, ast.Call]]]:
        """Method name -> (calling method, call) for every `self.<name>(...)` in the class's methods, in the order
        of the class body and, within a method, of `ast.walk`."""
        found: dict[str, list[tuple[str, ast.Call]]] = {}
        for function in self.node.body:
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self":
                        found.setdefault(node.func.attr, []).append((function.name, node))
        return found


class FunctionIndex:
    """What questions asked once per call site need from the whole function around it, each part computed on first
    use by one walk of the function: walking the function per call site made a method with N findings cost N^2
    (issue 16: 87 s for 1,000 `tf.Variable`s in one `__init__`). Get one with `ModuleAnalysis.index(function)`."""

    def __init__(self, function: ast.FunctionDef | ast.AsyncFunctionDef):
        self.function = function

    @functools.cached_property
    def parents(self) -> dict[ast.AST, ast.AST]:
        return {child: node for node in ast.walk(self.function) for child in ast.iter_child_nodes(node)}

    @functools.cached_property
    def loaded_names(self) -> frozenset[str]:
        """Names the function reads (`ast.Load`), nested functions and lambdas included."""
        return frozenset(n.id for n in ast.walk(self.function)
                         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))

    @functools.cached_property
    def stored_names(self) -> frozenset[str]:
        """Names the function binds by assignment (`ast.Store`), nested functions and lambdas included."""
        return frozenset(n.id for n in ast.walk(self.function)
                         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))

    def deferred(self, node: ast.AST) -> ast.Lambda | ast.GeneratorExp | None:
        """The outermost lambda or generator expression of the function holding `node`: code that may run later
        than the statement it stands in."""
        holder = None
        parent = self.parents.get(node)
        while parent is not None:
            if isinstance(parent, (ast.Lambda, ast.GeneratorExp)):
                holder = parent
            parent = self.parents.get(parent)
        return holder

    def statement_position(self, node: ast.AST) -> int | None:
        """The position in the function's body of the top-level statement holding `node`."""
        while node is not None and self.parents.get(node) is not self.function:
            node = self.parents.get(node)
        return self._positions.get(node) if node is not None else None

    @functools.cached_property
    def _positions(self) -> dict[ast.AST, int]:
        return {statement: position for position, statement in enumerate(self.function.body)}

    @functools.cached_property
    def super_init(self) -> int | None:
        """The position of the first top-level statement that calls `<something>.__init__(...)`
        (`super().__init__(...)`, `Base.__init__(self, ...)`), else None."""
        for position, statement in enumerate(self.function.body):
            for node in ast.walk(statement):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__":
                    return position
        return None

    @functools.cached_property
    def _name_positions(self) -> tuple[dict[str, list[int]], dict[str, list[int]], dict[str, list[int]]]:
        names: dict[str, list[int]] = {}
        bound: dict[str, list[int]] = {}
        self_attributes: dict[str, list[int]] = {}
        for position, statement in enumerate(self.function.body):
            for node in ast.walk(statement):
                if isinstance(node, ast.Name):
                    _add_position(names, node.id, position)
                    if isinstance(node.ctx, (ast.Store, ast.Del)):
                        _add_position(bound, node.id, position)
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                    _add_position(self_attributes, node.attr, position)
        return names, bound, self_attributes

    def name_in(self, name: str, start: int, stop: int) -> bool:
        """Some top-level statement at a position in [start, stop) holds the name `name`, in any context."""
        return _any_in(self._name_positions[0].get(name), start, stop)

    def bound_in(self, name: str, start: int, stop: int) -> bool:
        """Some top-level statement at a position in [start, stop) binds or deletes the name `name`."""
        return _any_in(self._name_positions[1].get(name), start, stop)

    def self_attribute_in(self, attribute: str, start: int, stop: int) -> bool:
        """Some top-level statement at a position in [start, stop) holds `self.<attribute>`."""
        return _any_in(self._name_positions[2].get(attribute), start, stop)


def _add_position(positions: dict[str, list[int]], key: str, position: int) -> None:
    found = positions.setdefault(key, [])
    if not found or found[-1] != position:
        found.append(position)


def _any_in(positions: list[int] | None, start: int, stop: int) -> bool:
    if not positions:
        return False
    index = bisect.bisect_left(positions, start)
    return index < len(positions) and positions[index] < stop


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
    # local name -> qualified name; a relative import's keeps its dots (`from ..base import B`: "..base.B")
    imports: dict[str, str] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)  # `from M import *`: the modules M, relative ones dotted
    keras_classes: dict[ast.ClassDef, KerasClass] = field(default_factory=dict)
    class_defs: list[ast.ClassDef] = field(default_factory=list)  # every class statement, in `statements` order
    calls: list[CallSite] = field(default_factory=list)
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = field(default_factory=dict)
    # Every outermost `a.b.c` chain read (Load) outside a call's callee, in walk order: the chains a rule may name
    # without a call (`conv = tf.layers.conv2d`); the inner links of a chain are not listed.
    attribute_chains: list[ast.Attribute] = field(default_factory=list)
    # Answers for names imported from the project's other modules (tflint_vars.project), or None
    resolver: Resolver | None = None
    # Answers the rules and fix plans compute once per module, class, function or call site rather than once per
    # call site or per asker: key -> value, the key naming the question and the node it is about. The askers fill it
    # themselves (no callback: this layer never calls up into theirs).
    memos: dict[tuple, object] = field(default_factory=dict, repr=False)

    def index(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionIndex:
        """The function's index, built on first use and kept for this analysis."""
        key = ("function index", function)
        if key not in self.memos:
            self.memos[key] = FunctionIndex(function)
        return self.memos[key]

    @functools.cached_property
    def keras_classes_by_name(self) -> dict[str, KerasClass]:
        return {keras_class.name: keras_class for keras_class in self.keras_classes.values()}

    def qualify(self, node: ast.AST) -> str | None:
        """Canonical qualified name of a Name/Attribute chain whose head is imported, else None. Not written as
        `canonical_name(self.qualify_raw(node))`: the walk calls it for every call of every file."""
        if type(node) is ast.Name:
            target = self.imports.get(node.id)
            return None if target is None else canonical_name(target)
        parts = []
        while type(node) is ast.Attribute:
            parts.append(node.attr)
            node = node.value
        if type(node) is not ast.Name:
            return None
        target = self.imports.get(node.id)  # looked up before the name is built: most heads are not imports
        if target is None:
            return None
        parts.append(target)
        return canonical_name(".".join(reversed(parts)))

    def qualify_raw(self, node: ast.AST) -> str | None:
        """The qualified name as imported, not canonical (`keras.src.x` stays): the module path on disk."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self.imports.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def calls_named(self, *names: str) -> Iterator[CallSite]:
        for site in self.calls:
            if site.name in names:
                yield site


# Fields that hold nested statements. Imports and classes are statements, and statements never sit inside an
# expression, so walking these fields alone finds them all while skipping the expressions, most of a tree's nodes.
_STATEMENT_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")


def statements(tree: ast.Module) -> list[ast.AST]:
    """Statements, except handlers and match cases, in the order `ast.walk` yields them (breadth first, fields in
    declaration order): the imports' last-wins and the classes' order stay those of a full walk."""
    found: list[ast.AST] = [tree]
    fields_of = _STATEMENT_FIELDS_BY_TYPE
    index = 0
    while index < len(found):
        node = found[index]
        index += 1
        node_type = type(node)
        fields = fields_of.get(node_type)
        if fields is None:
            fields = fields_of[node_type] = tuple(f for f in _STATEMENT_FIELDS if f in node_type._fields)
        for name in fields:  # most statements (expressions, assignments) have none
            found.extend(getattr(node, name))
    return found


_STATEMENT_FIELDS_BY_TYPE: dict[type, tuple[str, ...]] = {}


def _bound_names(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
    """(local name, qualified name) for each name an import binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                head = alias.name.partition(".")[0]
                yield head, head
    else:
        # A relative import keeps its dots: the project index resolves it against the importing file's package.
        module = "." * node.level + (node.module or "")
        if not module:
            return
        separator = "" if module.endswith(".") else "."
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{module}{separator}{alias.name}"


def _alias_target(node: ast.AST, imports: dict[str, str]) -> tuple[str, str] | None:
    """(name, qualified name) for a module alias, `K = tf.keras` or `L = K.layers`, whose head is imported."""
    if type(node) is not ast.Assign or len(node.targets) != 1 or type(node.targets[0]) is not ast.Name:
        return None
    dotted = dotted_name(node.value)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    target = imports.get(head)
    if target is None:
        return None
    return node.targets[0].id, f"{target}.{rest}" if rest else target


_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
_TRY = (ast.Try, getattr(ast, "TryStar", ast.Try))  # `except*` (3.11+)


def _record_fallbacks(node: ast.Try, fallbacks: dict[int, set[str]]) -> None:
    """For `try: import tf_keras as keras / except ImportError: import keras`: note, per import in such a handler,
    the names the try body binds. The try body's binding is what runs wherever its package is installed
    (transformers binds `keras` so), so the fallback must not replace it. Module aliases (`K = tf.keras`) count as
    bindings on both sides."""
    primary = {name for statement in node.body if isinstance(statement, (ast.Import, ast.ImportFrom))
               for name, _ in _bound_names(statement)}
    primary.update(statement.targets[0].id for statement in node.body
                   if type(statement) is ast.Assign and len(statement.targets) == 1
                   and type(statement.targets[0]) is ast.Name)
    if not primary:
        return
    for handler in node.handlers:
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if handler.type is not None and not any(dotted_name(c) in _IMPORT_ERRORS for c in caught if c):
            continue
        for statement in handler.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom, ast.Assign)):
                fallbacks[id(statement)] = primary


def _mentions_version(test: ast.AST) -> bool:
    """Whether an `if` test reads a version (`tf.keras.version()`, `version_fn`, `tf.__version__`)."""
    for node in ast.walk(test):
        text = (node.id if type(node) is ast.Name else node.attr if type(node) is ast.Attribute
                else node.value if type(node) is ast.Constant and type(node.value) is str else "")
        if "version" in text.lower():
            return True
    return False


def _branch_bindings(branch: list[ast.stmt], imports: dict[str, str]) -> dict[str, tuple[ast.stmt, str]]:
    """name -> (statement, qualified name) for the imports and module aliases directly in one `if` branch."""
    bound: dict[str, tuple[ast.stmt, str]] = {}
    for statement in branch:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for name, qualified in _bound_names(statement):
                bound[name] = (statement, qualified)
        else:
            alias = _alias_target(statement, imports)
            if alias is not None:
                bound[alias[0]] = (statement, alias[1])
    return bound


def _record_version_gate(node: ast.If, imports: dict[str, str], kept: dict[int, set[str]]) -> None:
    """For `if tf.keras.version().startswith("3."): import tf_keras as keras / else: keras = tf.keras`: the name is
    Keras 2 in both branches (tf.keras is Keras 2 wherever the test sends it there), so the tf.keras binding must
    not replace the tf_keras one. Only a version test: an `os.environ` test for TF_USE_LEGACY_KERAS really picks."""
    if not node.orelse:
        return
    body = _branch_bindings(node.body, imports)
    orelse = _branch_bindings(node.orelse, imports) if body else {}
    common = body.keys() & orelse.keys()
    if not common or not _mentions_version(node.test):  # the bindings first: most `if`s bind nothing
        return
    for name in common:
        first, second = body[name], orelse[name]
        first_flavor = keras_flavor_of(canonical_name(first[1]))
        second_flavor = keras_flavor_of(canonical_name(second[1]))
        if {first_flavor, second_flavor} == {KERAS2, KERAS3}:
            keras3_statement = first[0] if first_flavor == KERAS3 else second[0]
            kept.setdefault(id(keras3_statement), set()).add(name)


def _module_level(tree: ast.Module) -> set[int]:
    """ids of the statements that run at module level: the module's body and the blocks of its if/try/with."""
    found: set[int] = set()
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        found.add(id(node))
        if isinstance(node, (ast.If, ast.With, *_TRY)):
            pending.extend(node.body)
            pending.extend(getattr(node, "orelse", ()))
            pending.extend(getattr(node, "finalbody", ()))
            for handler in getattr(node, "handlers", ()):
                pending.extend(handler.body)
    return found


def _collect_imports(tree: ast.Module, module_statements: list[ast.AST] | None = None,
                     star_imports: list[str] | None = None) -> dict[str, str]:
    """Every import's bindings, last wins, and module-level aliases of imported names (`K = tf.keras`,
    `L = K.layers`): a simple `NAME = dotted.name` at module level whose head is imported by then. Star imports'
    modules go to `star_imports` when given."""
    imports: dict[str, str] = {}
    # statement id -> names it must not rebind; filled as each `try`/`if` is met (breadth first, before its blocks)
    fallbacks: dict[int, set[str]] = {}
    module_level: set[int] | None = None
    for node in statements(tree) if module_statements is None else module_statements:
        node_type = type(node)
        if node_type is ast.Import or node_type is ast.ImportFrom:
            kept = fallbacks.get(id(node), ())
            for name, qualified in _bound_names(node):
                if name not in kept:
                    imports[name] = qualified
            if star_imports is not None and node_type is ast.ImportFrom and node.names[0].name == "*":
                star_imports.append("." * node.level + (node.module or ""))
        elif node_type is ast.Assign:
            alias = _alias_target(node, imports)
            if alias is not None and alias[0] not in fallbacks.get(id(node), ()):
                if module_level is None:  # computed only for modules that alias an import
                    module_level = _module_level(tree)
                if id(node) in module_level:
                    imports[alias[0]] = alias[1]
        elif node_type in _TRY:
            _record_fallbacks(node, fallbacks)
        elif node_type is ast.If:
            _record_version_gate(node, imports, fallbacks)
    return imports


# Resolves a base class the module imports from elsewhere, by its name as imported (absolute, or relative with its
# dots): (flavour, kind) when it is a Keras class, else None. See tflint_vars.project. A resolver with an `alias`
# method also says which TensorFlow or Keras name an imported module or name stands for (`_follow_aliases`).
Resolver = Callable[[str], "tuple[str, str] | None"]

# The top-level packages whose names the rules know (every canonical name of TensorFlow or Keras is under one).
FRAMEWORKS = frozenset({"tensorflow", "keras", "tf_keras"})
_FRAMEWORK_PREFIXES = tuple(f"{framework}." for framework in sorted(FRAMEWORKS))
# Names by which a call through an imported project module may be TensorFlow's or Keras': only such calls make the
# analysis ask what the module stands for (`tf.Variable` where `tf` is a project module star-importing TensorFlow),
# so the other modules a file imports are not read for it. The functions a rule looks for, called; the namespaces
# that hold them, followed by an attribute (`tf.layers.dense`, not a project helper `common_layers.layers()`).
_FRAMEWORK_FUNCTIONS = frozenset({"Variable", "VariableV1", "get_variable", "variable_scope"})
_FRAMEWORK_NAMESPACES = frozenset({"layers", "keras", "compat", "v1", "v2", "initializers", "backend"})
# A first sieve on the whole name, import target included, so most calls are passed over without looking at their
# node: a name holding none of those words cannot qualify.
_FRAMEWORK_WORD = re.compile(rf"\.(?:{'|'.join(sorted(_FRAMEWORK_NAMESPACES))})\."
                             rf"|(?:^|\.)(?:{'|'.join(sorted(_FRAMEWORK_FUNCTIONS))})$")


def _classify_classes(analysis: ModuleAnalysis, module_statements: list[ast.AST] | None = None,
                      resolver: Resolver | None = None) -> None:
    """Find Keras classes: bases resolved through imports, or a Keras class of this module (to a fixpoint), or,
    with a resolver, a class of another module of the project that is one."""
    classes = analysis.class_defs = [n for n in (statements(analysis.tree) if module_statements is None
                                                 else module_statements) if isinstance(n, ast.ClassDef)]
    local_kind: dict[str, tuple[str, str]] = {}
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls in analysis.keras_classes:
                continue
            for base in cls.bases:
                found = None
                if isinstance(base, ast.Name) and base.id in local_kind:
                    found = local_kind[base.id]
                else:
                    qualified = analysis.qualify(base)
                    if qualified is not None:
                        found = keras_class_kind(qualified)
                if found:
                    analysis.keras_classes[cls] = KerasClass(cls, *found)
                    local_kind[cls.name] = found
                    changed = True
                    break
    if resolver is None:
        return
    # Bases from other modules, asked only for the classes still unknown: most classes' bases resolve by name.
    local_names = {cls.name for cls in classes}
    for cls in classes:
        if cls in analysis.keras_classes:
            continue
        for base in cls.bases:
            found = None
            if isinstance(base, ast.Name) and base.id in local_names and base.id not in analysis.imports:
                continue  # a class of this module: its own bases are resolved here, then the fixpoint below
            raw = analysis.qualify_raw(base)
            if raw is not None:
                found = resolver(raw)
            elif isinstance(base, ast.Name):
                for module in analysis.star_imports:
                    found = resolver(f"{module}{'' if module.endswith('.') else '.'}{base.id}")
                    if found:
                        break
            if found:
                analysis.keras_classes[cls] = KerasClass(cls, *found)
                local_kind[cls.name] = found
                break
    changed = True
    while changed:  # classes of this module on top of the ones just found
        changed = False
        for cls in classes:
            if cls not in analysis.keras_classes:
                for base in cls.bases:
                    if isinstance(base, ast.Name) and base.id in local_kind:
                        analysis.keras_classes[cls] = KerasClass(cls, *local_kind[base.id])
                        local_kind[cls.name] = local_kind[base.id]
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
# What a child field may hold that the walk never enters: the leaves, None (`Return.value`, `Dict.keys`) and the
# constants a leaf pushed anyway (a `def f(x=1.5)` default) or `MatchSingleton.value` holds. Every other value of a
# field outside _SCALAR_FIELDS is a node (tests/test_analysis.py reads the grammar for that).
_SKIPPED = _LEAVES | {type(None), bool, int, float, complex, str, bytes, type(Ellipsis)}
# Fields that never hold a node worth entering (identifiers, numbers, strings, and the _LEAVES above).
_SCALAR_FIELDS = frozenset({"name", "id", "attr", "arg", "asname", "module", "level", "kind", "type_comment",
                            "conversion", "is_async", "simple", "tag", "rest", "kwd_attrs", "names", "ctx", "op",
                            "ops", "lineno"})
# Per node type, the fields to enter, last first, so pushing them in this order pops them in declaration order.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}

_CLASS, _FUNCTION, _LAMBDA, _LOOP, _WITH, _CALL, _ATTRIBUTE = range(7)
_KINDS = {ast.ClassDef: _CLASS, ast.FunctionDef: _FUNCTION, ast.AsyncFunctionDef: _FUNCTION, ast.Lambda: _LAMBDA,
          ast.With: _WITH, ast.AsyncWith: _WITH, ast.Call: _CALL, ast.Attribute: _ATTRIBUTE,
          **{loop: _LOOP for loop in _LOOPS}}


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
    chains = analysis.attribute_chains
    stack: list[tuple[ast.AST, Context]] = [(analysis.tree, Context())]
    pop, push, leaves, kinds, skipped = stack.pop, stack.append, _LEAVES, _KINDS, _SKIPPED
    while stack:
        node, ctx = pop()
        node_type = type(node)
        child_ctx = ctx
        kind = kinds.get(node_type)
        if kind is not None:
            if kind == _ATTRIBUTE:
                # One entry per chain; its inner links hold nothing the walk acts on, so go straight to its base.
                if type(node.ctx) is ast.Load:
                    chains.append(node)
                base = node.value
                while type(base) is ast.Attribute:
                    base = base.value
                if type(base) not in leaves:
                    push((base, ctx))
                continue
            if kind == _CALL:
                calls.append(CallSite(node, qualify(node.func), ctx))
                func = node.func
                if type(func) is ast.Attribute:  # the callee is named by the call site: not listed as a chain
                    while type(func) is ast.Attribute:
                        func = func.value
                    for argument in reversed(node.keywords):  # pushed last first: popped in source order
                        push((argument, ctx))
                    for argument in reversed(node.args):
                        if type(argument) not in leaves:
                            push((argument, ctx))
                    if type(func) not in leaves:
                        push((func, ctx))
                    continue
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
            value_type = type(value)
            if value_type is list:
                for item in reversed(value):
                    if type(item) not in skipped:
                        push((item, child_ctx))
            elif value_type not in skipped:
                push((value, child_ctx))


def _follow_aliases(analysis: ModuleAnalysis, alias: Callable[[str], str | None]) -> None:
    """Rebind the imports that stand for TensorFlow or Keras through another module (`from pkg import compat as tf`
    where pkg/compat.py star-imports tensorflow.compat.v2), and name the calls through them anew. Asked only for an
    import a call uses as TensorFlow (_FRAMEWORK_FUNCTIONS, _FRAMEWORK_NAMESPACES): bases are resolved by the
    resolver itself."""
    asked: dict[str, str | None] = {}
    worded: dict[str, bool] = {}  # a file calls the same helpers again and again
    for site in analysis.calls:
        name = site.name
        if name is None or name.startswith(_FRAMEWORK_PREFIXES):
            continue
        sieved = worded.get(name)
        if sieved is None:
            sieved = worded[name] = _FRAMEWORK_WORD.search(name) is not None
        if not sieved:
            continue
        dotted = dotted_name(site.node.func)
        head, _, rest = dotted.partition(".")
        if head in asked:
            continue
        target = analysis.imports[head]
        if target.partition(".")[0] in FRAMEWORKS:
            continue  # a framework name that is no rule's business
        *namespaces, function = rest.split(".") if rest else (target.rpartition(".")[2],)
        if function not in _FRAMEWORK_FUNCTIONS and not _FRAMEWORK_NAMESPACES.intersection(namespaces):
            continue
        asked[head] = alias(target)
    rebound = {head: target for head, target in asked.items() if target is not None}
    if not rebound:
        return
    analysis.imports.update(rebound)
    for site in analysis.calls:
        if site.name is not None and dotted_name(site.node.func).partition(".")[0] in rebound:
            site.name = analysis.qualify(site.node.func)


def analyze(tree: ast.Module, source: str, resolver: Resolver | None = None) -> ModuleAnalysis:
    """`resolver` answers for bases imported from the project's other modules and installed packages
    (tflint_vars.project); without one, such a base is not a Keras class."""
    analysis = ModuleAnalysis(tree=tree, source=source, resolver=resolver)
    module_statements = list(statements(tree))
    analysis.imports = _collect_imports(tree, module_statements, analysis.star_imports)
    _classify_classes(analysis, module_statements, resolver)
    _walk(analysis)
    alias = getattr(resolver, "alias", None)
    if alias is not None:
        _follow_aliases(analysis, alias)
    return analysis


def qualifier(imports: dict[str, str]) -> Callable[[ast.AST], str | None]:
    """`ModuleAnalysis.qualify` for a module known only by its import bindings (a project module's summary)."""
    def qualify(node: ast.AST) -> str | None:
        head, _, rest = (dotted_name(node) or "").partition(".")
        target = imports.get(head)
        return None if target is None else canonical_name(f"{target}.{rest}" if rest else target)
    return qualify


def returned_variable(function: ast.FunctionDef | ast.AsyncFunctionDef,
                      qualify: Callable[[ast.AST], str | None]) -> str | None:
    """The canonical name of the raw variable constructor (`tensorflow.Variable`, `keras.backend.zeros` ...) whose
    variable `function` returns: `return tf.Variable(...)`, or `v = tf.Variable(...)` (its only binding of `v`) then
    `return v`; else None. The returns of nested functions and classes are theirs, not its own."""
    # Returns and assignments are statements: the statements alone are walked (a tenth of the nodes), and the
    # bindings of a name counted only for a name that is returned.
    for value, created in _returned_values(function, qualify):
        name = _made_variable(function, value, created, qualify)
        if name is not None:
            return name
    return None


def returned_variables(function: ast.FunctionDef | ast.AsyncFunctionDef,
                       qualify: Callable[[ast.AST], str | None]) -> tuple[str, bool] | None:
    """`returned_variable`'s answer and whether the function returns several: (the constructor, False) for what
    `returned_variable` finds, (the constructor, True) for a returned list or tuple holding such a variable
    (`return [K.zeros(s), K.zeros(s)]`, deepchem's `LSTMStep.get_initial_states`): a caller storing the list on a
    Keras 2 layer had each variable tracked. Else None."""
    for value, created in _returned_values(function, qualify):
        name = _made_variable(function, value, created, qualify)
        if name is not None:
            return name, False
        if type(value) in (ast.List, ast.Tuple):
            for element in value.elts:
                name = _made_variable(function, element, created, qualify)
                if name is not None:
                    return name, True
    return None


def _made_variable(function: ast.FunctionDef | ast.AsyncFunctionDef, value: ast.expr, created: dict[str, str],
                   qualify: Callable[[ast.AST], str | None]) -> str | None:
    """The constructor when `value` (returned by `function`) is a raw variable: a constructor call, or a local
    bound only once, to one."""
    if type(value) is ast.Call:
        name = qualify(value.func)
        if name in RAW_VARIABLES:
            return name
    if type(value) is ast.Name and value.id in created and _bindings(function, value.id) == 1:
        return created[value.id]
    return None


def _returned_values(function: ast.FunctionDef | ast.AsyncFunctionDef,
                     qualify: Callable[[ast.AST], str | None]) -> Iterator[tuple[ast.expr, dict[str, str]]]:
    """Each value `function`'s own `return` statements return, with the locals assigned a raw variable constructor
    call (name -> constructor)."""
    created: dict[str, str] = {}
    returns: list[ast.expr] = []
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        node_type = type(node)
        if node_type is ast.Return:
            if node.value is not None:
                returns.append(node.value)
        elif node_type is ast.Assign:
            if len(node.targets) == 1 and type(node.targets[0]) is ast.Name and type(node.value) is ast.Call:
                name = qualify(node.value.func)
                if name in RAW_VARIABLES:
                    created[node.targets[0].id] = name
        elif node_type not in _NESTED_SCOPES:
            for field_name in _STATEMENT_FIELDS:
                value = getattr(node, field_name, None)
                if type(value) is list:
                    pending.extend(value)
    for value in returns:
        yield value, created


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _bindings(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> int:
    """How many times `function`'s own code (not a nested function's or class's) stores to `name`."""
    count = 0
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (*_NESTED_SCOPES, ast.Lambda)):
            continue
        if type(node) is ast.Name and node.id == name and type(node.ctx) is ast.Store:
            count += 1
        pending.extend(ast.iter_child_nodes(node))
    return count


def is_self_method_call(call: ast.Call, method: str) -> bool:
    """`self.<method>(...)` (or any receiver named like the first parameter convention: self)."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == method and isinstance(func.value, ast.Name) \
        and func.value.id == "self"
