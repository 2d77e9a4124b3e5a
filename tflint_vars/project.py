"""The project index: whether a class a module imports from another module of the project is a Keras class.

`class Scale(BaseLayer)` is a Keras layer when `BaseLayer` is one in the module it comes from, whether it is imported
absolutely (`from pkg.base import BaseLayer`), relatively (`from ..base import BaseLayer`, `from . import base` then
`base.BaseLayer`), through a re-export (`from .base import BaseLayer` or `from .base import *` in `pkg/__init__.py`),
or through a chain of such modules of any depth. A base found neither in the project nor in the environment's
installed packages is not a Keras class unless its name is a Keras name (tflint_vars.analysis.keras_class_kind).

Modules are found on disk as Python finds them, from the importing file, so every front end gets the same answer for
a file whatever else it was given: a relative import from the file's own package directory; an absolute import under
the file's package root (the first directory upward without an `__init__.py`, as pytest's rootdir rule), then under
each directory above it up to the project root (the nearest directory upward holding pyproject.toml, setup.cfg,
setup.py or .git; without one, up to the file system's root), then under the project root's `src/`, then under the
file's own directory and the package directories above it (a script's directory is sys.path[0]: `from tf2 import x`
in a script of `efficientdet/`, which holds an `__init__.py`), last on the environment's sys.path
(tflint_vars.environment: installed packages, read, never imported; never for tensorflow, keras, tf_keras or the
standard library, whose Keras classes are known by name). A module of an installed package imports from sys.path
only. Namespace packages (directories without `__init__.py`) are found the same way, since the lookup is by path.

Besides bases, the index says which TensorFlow or Keras name an imported module or name stands for (`alias`): a
project module that star-imports TensorFlow (`# pkg/compat.py: from tensorflow.compat.v2 import *`) imported as
`from pkg import compat as tf` makes `tf.Variable` TensorFlow's. The analysis asks only for imports its calls use as
TensorFlow.

Cheap by construction: a module is read only when some checked file's class has a base imported from it that is not
a Keras name, and then only its summary is kept (its classes' bases and its import bindings, from the stdlib ast).
Answers are memoised per process; a cycle of imports ends, unresolved, the second time it reaches a name.

The CLI's result cache stores each file's questions and answers (its dependencies) and the summaries it read; a file
is checked again when an answer changed (tflint_vars.cache). The flake8 plugin, `--no-cache`, `--fix` and `verify`
use the index of their process (`shared_index`), built lazily as the files they check ask.
"""

from __future__ import annotations

import ast
import functools
import os
import stat
import sys
import time

from tflint_vars.analysis import (FRAMEWORKS, _collect_imports, canonical_name, dotted_name, keras_class_kind,
                                  qualifier, returned_variable, returned_variables)
from tflint_vars.environment import Environment
from tflint_vars.sources import RACY_NS, content_digest, decode_source, read_regular_file

KerasKind = tuple[str, str]  # (flavour, kind): ("keras3", "layer"); for a function ref ("variable", constructor)
# A module's summary, JSON-able: {"c": {class name: [base, ...]}, "b": {name: import target}, "s": [star modules],
# "f": {function name: the raw variable constructor it returns}, "m": {"Class.method": [constructor, several]} for
# a method of a module-level class returning a raw variable, or a list or tuple holding one (several: true)}. A base
# is its qualified name as imported, or "=Name" for a name the module neither defines nor imports by name.
# A ref ending in "()" asks about a function rather than a class: whether it returns a raw variable. A method of a
# class answers RETURNS_VARIABLES when it returns several (a list or tuple).
FUNCTION = "()"
RETURNS_VARIABLE = "variable"
RETURNS_VARIABLES = "variables"
# Decorators under which a method still returns what its body returns when called on an instance.
_PLAIN_METHOD_DECORATORS = frozenset({"staticmethod", "classmethod"})
Summary = dict
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
# Top-level packages never read from the environment: the frameworks' Keras classes are known by name
# (keras_class_kind), any other class of theirs is not a Keras class, and their sources are large. The standard
# library is never Keras.
NEVER_INSTALLED_KERAS = FRAMEWORKS | frozenset(sys.stdlib_module_names)


def summarize(tree: ast.Module) -> Summary:
    """A module's classes (their bases as qualified names) and its import bindings."""
    stars: list[str] = []
    imports = _collect_imports(tree, None, stars)
    classes: dict[str, list[str]] = {}
    functions: dict[str, str] = {}
    methods: dict[str, list] = {}
    qualify = qualifier(imports)
    pending = list(tree.body)
    while pending:  # module-level classes, also those defined under if/try
        node = pending.pop()
        if type(node) is ast.ClassDef:
            bases = []
            for base in node.bases:
                dotted = dotted_name(base)
                if dotted is None:
                    continue
                head, _, rest = dotted.partition(".")
                if head in imports:
                    bases.append(f"{imports[head]}.{rest}" if rest else imports[head])
                elif not rest:
                    bases.append(f"={head}")
            if node.name not in classes:
                for method in node.body:
                    if type(method) in (ast.FunctionDef, ast.AsyncFunctionDef) and all(
                            getattr(d, "id", None) in _PLAIN_METHOD_DECORATORS for d in method.decorator_list):
                        made = returned_variables(method, qualify)
                        if made:
                            methods[f"{node.name}.{method.name}"] = list(made)  # the last definition wins
            classes.setdefault(node.name, bases)
        elif type(node) in (ast.FunctionDef, ast.AsyncFunctionDef):
            created = returned_variable(node, qualify)
            if created:
                functions[node.name] = created
        elif isinstance(node, (ast.If, ast.Try, getattr(ast, "TryStar", ast.Try))):
            pending.extend(node.body)
            pending.extend(node.orelse)
            for handler in getattr(node, "handlers", ()):
                pending.extend(handler.body)
    return {"c": classes, "b": imports, "s": stars, "f": functions, "m": methods}


@functools.lru_cache(maxsize=4096)
def package_root(directory: str) -> str:
    """The first directory upward from `directory` (itself included) without an `__init__.py`."""
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory


@functools.lru_cache(maxsize=4096)
def project_root(directory: str) -> str | None:
    """The nearest directory upward from `directory` holding a project marker (pyproject.toml, .git, ...)."""
    while True:
        if any(os.path.exists(os.path.join(directory, marker)) for marker in PROJECT_MARKERS):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


@functools.lru_cache(maxsize=4096)
def search_roots(directory: str) -> tuple[str, ...]:
    """Where an absolute import made by a module in `directory` is looked for in the project, in order: its package
    root, then each directory above it up to the project root (where a namespace package or a script's directory may
    put the importable top), then the project root's `src/`. Without a project root, every directory above. Last,
    the module's own directory and the package directories between it and the package root: a script run from one
    of them has it on sys.path[0] (`from tf2 import x` in a script of `efficientdet/`, which holds an
    `__init__.py`)."""
    root = package_root(directory)
    top = project_root(directory)
    roots = [root]
    while root != top:
        parent = os.path.dirname(root)
        if parent == root:
            break
        roots.append(parent)
        root = parent
    if top is not None:
        roots.append(os.path.join(top, "src"))
    inner = directory
    while inner != roots[0]:
        roots.append(inner)
        parent = os.path.dirname(inner)
        if parent == inner:
            break
        inner = parent
    return tuple(dict.fromkeys(roots))


def fingerprint(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


# The question whether any file of the project reads TF1's regularization-loss collection, which
# `get_variable(regularizer=...)` fills under Keras 2 while `layer.losses` stays empty (facts
# get_variable_regularizer_in_layer_losses, get_variable_regularizer_collection): `tf.compat.v1.losses.
# get_regularization_loss(es)`, `GraphKeys.REGULARIZATION_LOSSES`, "regularization_losses", `get_total_loss`.
REGULARIZATION_READERS = "?reads:regularization-collection"
_READER_NEEDLES = (b"regularization_loss", b"get_total_loss")
# Directories a project scan skips: caches and installed packages, whose copies of TensorFlow name the collection. A
# virtual environment (a directory holding pyvenv.cfg) is skipped too; a directory named `env` or `build` is not.
_NOT_PROJECT_DIRS = frozenset({"site-packages", "dist-packages", "node_modules", "__pycache__"})
# Larger files are not read: taken as readers (the scan cannot show they are not).
_READER_LIMIT = 100 * 1024 * 1024


def _script(path: str, name: str) -> bool:
    """A file Python may run: .py, .pyw, a notebook, or an extensionless file starting with a `#!...python` line."""
    if name.endswith((".py", ".pyw", ".ipynb")):
        return True
    if "." in name:
        return False
    try:
        with open(path, "rb") as handle:
            first = handle.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def first_reader(root: str) -> str:
    """The first Python file under `root` (.py, .pyw, .ipynb, or a `#!` python script; its path relative to `root`)
    whose text names the regularization-loss collection or a reader of it (case-insensitive), or one that cannot be
    read whole; "" when none does. Hidden directories, caches and virtual environments are skipped."""
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and d not in _NOT_PROJECT_DIRS
                                   and not os.path.isfile(os.path.join(directory, d, "pyvenv.cfg")))
        for name in sorted(files):
            path = os.path.join(directory, name)
            if not _script(path, name):
                continue
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    continue
                with open(path, "rb") as handle:
                    data = handle.read(_READER_LIMIT + 1).lower()
            except OSError:
                return os.path.relpath(path, root)
            if len(data) > _READER_LIMIT or any(needle in data for needle in _READER_NEEDLES):
                return os.path.relpath(path, root)
    return ""


class ProjectIndex:
    """Module summaries, read as resolution needs them, and the answers given. `known` seeds it with summaries
    remembered by the cache: {absolute path: [stat fingerprint, content digest, summary]}, used while the file's
    stat fingerprint is unchanged. `environment` is where installed packages are looked for (default: the
    interpreter of `use_python`, else the one running tflint-vars)."""

    def __init__(self, known: dict[str, list] | None = None, environment: Environment | None = None):
        self.known = known or {}
        self.environment = environment or Environment()
        self.read: dict[str, list] = {}  # summaries this process computed, same layout as `known`, for the cache
        self._summaries: dict[str, Summary | None] = {}
        self._modules: dict[tuple[str, tuple[str, ...]], str | None] = {}
        self._answers: dict[tuple[str, str], KerasKind | None] = {}
        self._resolving: set[tuple[str, str]] = set()
        self._aliases: dict[tuple[str, str], str | None] = {}
        self._aliasing: set[tuple[str, str]] = set()
        self._installed: set[str] = set()  # module files found on the environment's sys.path
        self._readers: dict[str, str] = {}  # project root -> `first_reader`
        self._consulted: dict[str, list] = {}
        self.fresh: dict[str, list] = {}  # consulted since the last `take_fresh`

    def consulted(self) -> dict[str, list]:
        """The summaries this process used, read or remembered: what the cache keeps for the next run."""
        return self._consulted

    def take_fresh(self) -> dict[str, list]:
        """The summaries consulted since the last call (a worker hands them to the parent with each file)."""
        fresh, self.fresh = self.fresh, {}
        return fresh

    # Modules

    def summary(self, path: str) -> Summary | None:
        """The summary of the module file at absolute `path`, None when it cannot be read or parsed."""
        if path in self._summaries:
            return self._summaries[path]
        summary = None
        try:
            stat = os.stat(path)
            remembered = self.known.get(path)
            if remembered and isinstance(remembered, list) and len(remembered) == 3 \
                    and remembered[0] == fingerprint(stat) and isinstance(remembered[2], dict):
                summary = remembered[2]
                self._consulted[path] = self.fresh[path] = remembered
            else:
                data = read_regular_file(path)  # a FIFO or /dev/zero named like a module is not waited on
                summary = self._summarize(data, path)
                if summary is not None:
                    # A stat taken within the clock's resolution of a write may miss a later write: not kept.
                    racy = time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < RACY_NS
                    self.read[path] = self._consulted[path] = self.fresh[path] = [None if racy else fingerprint(stat),
                                                               content_digest(data), summary]
        except (OSError, ValueError, SyntaxError, LookupError, RecursionError, MemoryError):
            summary = None  # unreadable, undecodable or unparsable: it defines nothing the index can use
        self._summaries[path] = summary
        return summary

    @staticmethod
    def _summarize(data: bytes, path: str) -> Summary | None:
        if b"class" not in data and b"import" not in data and b"def" not in data:  # defines and re-exports nothing
            return {"c": {}, "b": {}, "s": [], "f": {}, "m": {}}
        return summarize(ast.parse(decode_source(data), filename=path))

    def module_file(self, directory: str, parts: tuple[str, ...]) -> str | None:
        """`directory/a/b.py` or `directory/a/b/__init__.py` for parts (a, b); `directory/__init__.py` for ()."""
        key = (directory, parts)
        if key in self._modules:
            return self._modules[key]
        base = os.path.join(directory, *parts)
        found = None
        if parts and os.path.isfile(base + ".py"):
            found = base + ".py"
        elif os.path.isfile(os.path.join(base, "__init__.py")):
            found = os.path.join(base, "__init__.py")
        self._modules[key] = found
        return found

    # Resolution

    def resolve(self, importer: str, ref: str) -> KerasKind | None:
        """Whether `ref`, a name as the module at absolute path `importer` imports it (absolute, or relative with
        its dots), is a Keras class: its (flavour, kind), or None."""
        key = (importer, ref)
        if key in self._answers:
            return self._answers[key]
        if key in self._resolving:  # an import cycle: this path leads nowhere new
            return None
        self._resolving.add(key)
        try:
            answer = self._resolve(importer, ref)
        finally:
            self._resolving.discard(key)
        self._answers[key] = answer
        return answer

    def _resolve(self, importer: str, ref: str) -> KerasKind | None:
        if ref.startswith("="):  # a name of the importer itself: its class, or from its star imports
            return self._resolve_in_module(importer, ref[1:], ())
        if not ref.startswith(".") and not ref.endswith(FUNCTION):
            kind = keras_class_kind(canonical_name(ref))
            if kind is not None:
                return kind
        located = self._locate(importer, ref, whole=False)
        return self._resolve_in_module(*located, ref.endswith(FUNCTION)) if located is not None else None

    def _locate(self, importer: str, ref: str, whole: bool) -> tuple[str, str | None, tuple[str, ...]] | None:
        """The module file `ref` (absolute, or relative with its dots) leads to from `importer`, the name in it and
        the attributes after it: the longest prefix of `ref` that is a module file is the module. With `whole`, the
        module may be all of `ref` (the name is then None). Looked for as Python would: relative to the importer's
        package, else in the project (search_roots), else on the environment's sys.path; a module of an installed
        package looks on sys.path only."""
        level = len(ref) - len(ref.lstrip("."))
        parts = tuple(p for p in ref[level:].removesuffix(FUNCTION).split(".") if p)
        if not parts:
            return None
        directory = os.path.dirname(importer)
        installed = importer in self._installed
        if level:
            for _ in range(level - 1):
                directory = os.path.dirname(directory)
            # `from . import X`: X may be a name of the package's __init__
            return self._find((directory,), parts, 0, whole, installed)
        if not installed:
            found = self._find(search_roots(directory), parts, 1, whole, False)
            if found is not None or parts[0] in NEVER_INSTALLED_KERAS:
                return found
        elif parts[0] in NEVER_INSTALLED_KERAS:
            return None
        return self._find(self.environment.search_path(), parts, 1, whole, True)

    def _find(self, roots: tuple[str, ...], parts: tuple[str, ...], shortest: int, whole: bool, installed: bool
              ) -> tuple[str, str | None, tuple[str, ...]] | None:
        for root in roots:
            for split in range(len(parts) if whole else len(parts) - 1, shortest - 1, -1):
                module = self.module_file(root, parts[:split])
                if module is not None:
                    if installed:
                        self._installed.add(module)
                    return module, parts[split] if split < len(parts) else None, parts[split + 1:]
        return None

    def _resolve_in_module(self, module: str, name: str | None, rest: tuple[str, ...], function: bool = False
                           ) -> KerasKind | None:
        summary = self.summary(module)
        if summary is None or name is None:
            return None
        classes, bindings, stars = summary.get("c", {}), summary.get("b", {}), summary.get("s", [])
        suffix = FUNCTION if function else ""
        if function and not rest and name in summary.get("f", {}):
            return RETURNS_VARIABLE, summary["f"][name]
        if name in classes:
            if function and len(rest) == 1:  # `Cls.method()`: whether the method returns a raw variable
                made = summary.get("m", {}).get(f"{name}.{rest[0]}")
                return None if not made else (RETURNS_VARIABLES if made[1] else RETURNS_VARIABLE, made[0])
            if rest or function:
                return None  # a nested class: not followed
            for base in classes[name]:
                kind = self.resolve(module, base)
                if kind is not None:
                    return kind
            return None
        if name in bindings:
            return self.resolve(module, ".".join((bindings[name], *rest)) + suffix)
        for star in stars:
            separator = "" if star.endswith(".") else "."
            kind = self.resolve(module, f"{star}{separator}{'.'.join((name, *rest))}{suffix}")
            if kind is not None:
                return kind
        return None

    # Aliases of TensorFlow and Keras

    def alias(self, importer: str, ref: str) -> str | None:
        """The TensorFlow or Keras name (`tensorflow.compat.v2`, `tensorflow.Variable`) that `ref`, a module or a
        name as `importer` imports it, stands for: through the bindings and star imports of project and installed
        modules (`# pkg/compat.py: from tensorflow.compat.v2 import *`, then `from pkg import compat as tf`).
        None when it leads elsewhere."""
        key = (importer, ref)
        if key in self._aliases:
            return self._aliases[key]
        if key in self._aliasing:  # an import cycle
            return None
        self._aliasing.add(key)
        try:
            if not ref.startswith(".") and ref.partition(".")[0] in FRAMEWORKS:
                answer: str | None = ref
            else:
                located = self._locate(importer, ref, whole=True)
                answer = self._alias_in_module(*located) if located is not None else None
        finally:
            self._aliasing.discard(key)
        self._aliases[key] = answer
        return answer

    def _alias_in_module(self, module: str, name: str | None, rest: tuple[str, ...]) -> str | None:
        summary = self.summary(module)
        if summary is None:
            return None
        bindings, stars = summary.get("b", {}), summary.get("s", [])
        if name is not None:
            if name in summary.get("c", {}):
                return None
            if name in bindings:
                return self.alias(module, ".".join((bindings[name], *rest)))
        # The module itself stands for the namespace it star-imports; a name missing from it comes from its star
        # imports, the last one first as Python binds them.
        for star in reversed(stars):
            separator = "" if star.endswith(".") else "."
            target = self.alias(module, star if name is None else f"{star}{separator}{'.'.join((name, *rest))}")
            if target is not None:
                return target
        return None

    def answer(self, importer: str, question: str) -> list | str | None:
        """A question as the cache stores it, answered now: `@ref` asks `alias`, `REGULARIZATION_READERS` the project
        scan (`first_reader` of the importer's project root; None without one), any other `resolve`."""
        if question == REGULARIZATION_READERS:
            root = project_root(os.path.dirname(importer))
            if root is None:
                return None
            if root not in self._readers:
                self._readers[root] = first_reader(root)
            return self._readers[root]
        if question.startswith("@"):
            return self.alias(importer, question[1:])
        kind = self.resolve(importer, question)
        return list(kind) if kind else None


class FileResolver:
    """The index as one file sees it: answers the analysis' questions and records them (the file's dependencies,
    which the cache re-asks before it trusts the file's remembered diagnostics), as `ProjectIndex.answer` gives
    them."""

    def __init__(self, index: ProjectIndex, path: str):
        self.index = index
        self.path = path
        self.asked: dict[str, list | str | None] = {}
        self._absolute: str | None = None

    def _importer(self) -> str:
        if self._absolute is None:
            # A file on disk only: "<string>", "-" or a path that is not a file has no project to look in.
            self._absolute = os.path.abspath(self.path) if os.path.isfile(self.path) else ""
        return self._absolute

    def __call__(self, ref: str) -> KerasKind | None:
        """Whether the base class `ref` is a Keras class: (flavour, kind) or None."""
        answer = self._ask(ref)
        return (answer[0], answer[1]) if isinstance(answer, list) else None

    def alias(self, ref: str) -> str | None:
        """The TensorFlow or Keras name the imported module or name `ref` stands for, or None."""
        answer = self._ask(f"@{ref}")
        return answer if isinstance(answer, str) else None

    def regularization_reader(self) -> str | None:
        """A file of this file's project that reads the regularization-loss collection, "" when none does, None when
        the file has no project root to scan."""
        answer = self._ask(REGULARIZATION_READERS)
        return answer if isinstance(answer, str) else None

    def _ask(self, question: str) -> list | str | None:
        importer = self._importer()
        try:
            answer = self.index.answer(importer, question) if importer else None
        except RecursionError:  # a chain of modules deeper than the interpreter's stack: not followed to its end
            answer = None
        self.asked[question] = answer
        return answer


_shared: ProjectIndex | None = None


def shared_index() -> ProjectIndex:
    """The index of this process: a flake8 run's plugin instances, a `--no-cache` or `--fix` run, `verify`'s fixer.
    It lives as long as the process, which checks files that do not change meanwhile."""
    global _shared
    if _shared is None:
        _shared = ProjectIndex()
    return _shared


def set_shared_index(index: ProjectIndex) -> None:
    """Install `index` (seeded from the cache) as this process's; worker processes forked later inherit it."""
    global _shared
    _shared = index


def resolver_for(path: str) -> FileResolver:
    return FileResolver(shared_index(), path)
