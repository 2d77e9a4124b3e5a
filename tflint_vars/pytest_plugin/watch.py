"""What the enabled plugin does while the tests run (imports TensorFlow: loaded only when the plugin is enabled).

Each test runs inside `tf.variable_creator_scope`, which sees every variable created, under Keras 3 and under
tf-keras (Keras 2), with the Python stack that created it. Walking that stack from the creation outwards:
- a Keras `add_weight` frame or Keras 3's `keras.Variable` constructor means Keras' API made it: tracked, ignored;
- otherwise the first user-code frame whose `self` is a Keras Layer/Model/Metric is the owner: its method and line
  are the finding's (a factory or `K.variable` wrapper deeper in the stack is only the `created_at`).
When the test ends, a candidate counts only if its owner holds it (reachable from the owner's attributes, as Keras 2's
auto-tracking saw it): a scratch variable the layer drops is untracked under both Kerases and left alone.

For replay, the constructor arguments and the first call's input shapes of user classes are recorded by wrapping
each user class's `__init__` and the Keras base classes' `__call__` while the session runs (restored at the end).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import tflint_vars

KERAS_TOPS = ("keras", "tf_keras")
KERAS_VARIABLE_FILE = os.path.join("keras", "src", "backend", "common", "variables.py")
GET_VARIABLE_FILE = os.path.join("tensorflow", "python", "ops", "variable_scope.py")
OWN_DIRECTORY = os.path.dirname(os.path.abspath(tflint_vars.__file__))
THIRD_PARTY = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")
BATCH_FOR_UNKNOWN = 4  # a first call traced symbolically (batch dimension None) replays with this batch


@dataclass
class Candidate:
    """A raw variable a Keras object's method created during one test; a finding if the object still holds it."""
    variable: Any
    owner: Any
    method: str
    path: str
    line: int
    created_at: str
    get_variable: bool


@dataclass
class RuntimeFinding:
    cls: type
    method: str
    path: str
    line: int
    created_at: str
    get_variable: bool
    in_weights: bool  # in the owner's `weights` (`variables` for a metric) under the running Keras
    runtime: str  # keras3 | keras2
    tests: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        if self.get_variable:
            return "TFV004"
        return {"__init__": "TFV001", "call": "TFV002"}.get(self.method, "TFV003")


@dataclass
class ClassRecord:
    """How the tests first built and called a user class: for `tflint-vars verify --replay`."""
    cls: type
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    unserializable: list[str] = field(default_factory=list)
    inputs: dict[str, Any] | None = None
    input_note: str | None = None
    tests: list[str] = field(default_factory=list)


def _serializable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def describe_inputs(value: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Shapes and dtype of a call's first argument (a tensor, or a list of tensors of one dtype)."""
    tensors = list(value) if isinstance(value, (list, tuple)) else [value]
    if not tensors or not all(hasattr(t, "shape") and hasattr(t, "dtype") for t in tensors):
        return None, f"the first call's input is a {type(value).__name__}, not a tensor or a list of tensors"
    shapes = []
    for tensor in tensors:
        try:
            dims = list(tensor.shape)
        except (TypeError, ValueError):
            return None, "the first call's input has an unknown rank"
        shapes.append([BATCH_FOR_UNKNOWN if d is None else int(d) for d in dims])
    dtypes = {getattr(t.dtype, "name", str(t.dtype)) for t in tensors}
    if len(dtypes) != 1:
        return None, f"the first call's inputs mix dtypes {sorted(dtypes)}"
    if not all(shape for shape in shapes) or len({shape[0] for shape in shapes}) != 1:
        return None, "the first call's inputs have no common batch dimension"
    return {"shape": shapes if isinstance(value, (list, tuple)) else shapes[0], "dtype": dtypes.pop()}, None


class Watcher:
    """Registered as a plugin when `--tflint-vars` (or the ini option) is on."""

    def __init__(self, rootpath: Path, packages: list[str], *, fail: bool = False, report: str | None = None):
        self.root = str(rootpath) + os.sep
        self.packages = tuple(packages)
        self.fail = fail
        self.report_path = report
        self.tf: Any = None
        self.scope: Any = None
        self.test: str = ""
        self.candidates: list[Candidate] = []
        self.findings: dict[tuple, RuntimeFinding] = {}
        self.classes: dict[type, ClassRecord] = {}
        self.constructing: set[int] = set()
        self.patched: list[tuple[type, str, Any]] = []  # (class, attribute, previous value or None) to restore
        self.kinds: dict[str, str] = {}
        self.bases: tuple[type, ...] = ()
        self.results: Any = None

    # ------------------------------------------------------------------ what is user code, what is Keras

    def _kind(self, filename: str, module_name: str | None = None) -> str:
        kind = self.kinds.get(filename)
        if kind is None:
            path = os.path.abspath(filename)
            if path.startswith(OWN_DIRECTORY + os.sep):
                kind = "tflint-vars"
            elif any(f"{os.sep}{top}{os.sep}" in path for top in KERAS_TOPS) and any(p in path for p in THIRD_PARTY):
                kind = "keras"
            elif self.packages:
                kind = "user" if module_name and module_name.split(".")[0] in self.packages else "other"
            else:
                kind = "user" if path.startswith(self.root) and not any(p in path for p in THIRD_PARTY) else "other"
            self.kinds[filename] = kind
        return kind

    def _keras_bases(self) -> tuple[type, ...]:
        if not self.bases:
            bases = []
            for top in KERAS_TOPS:
                module = sys.modules.get(top)
                if module is None:
                    continue
                for holder, name in (("layers", "Layer"), ("metrics", "Metric")):
                    base = getattr(getattr(module, holder, None), name, None)
                    if isinstance(base, type):
                        bases.append(base)
            self.bases = tuple(bases)
        return self.bases

    def _owner(self, frame: Any) -> Any:
        code = frame.f_code
        if not code.co_argcount:
            return None
        obj = frame.f_locals.get(code.co_varnames[0])
        return obj if isinstance(obj, self._keras_bases()) else None

    # ------------------------------------------------------------------ the creator

    def creator(self, next_creator: Any, **kwargs: Any) -> Any:
        variable = next_creator(**kwargs)
        try:
            self._note(variable, sys._getframe(1))
        except Exception:  # the watcher must never break the user's test
            pass
        return variable

    def _note(self, variable: Any, frame: Any) -> None:
        created_at = None
        get_variable = False
        while frame is not None:
            code = frame.f_code
            filename = code.co_filename
            kind = self._kind(filename, frame.f_globals.get("__name__"))
            if kind == "keras" and (code.co_name == "add_weight" or filename.endswith(KERAS_VARIABLE_FILE)):
                return  # Keras' own API made it
            if code.co_name == "get_variable" and filename.endswith(GET_VARIABLE_FILE):
                get_variable = True
            elif kind == "user":
                if created_at is None:
                    created_at = f"{filename}:{frame.f_lineno}"
                owner = self._owner(frame)
                if owner is not None:
                    self.candidates.append(Candidate(variable, owner, code.co_name, filename, frame.f_lineno,
                                                     created_at, get_variable))
                    return
            frame = frame.f_back

    # ------------------------------------------------------------------ recording constructions and first calls

    def _is_user_class(self, cls: type) -> bool:
        module = sys.modules.get(cls.__module__)
        filename = getattr(module, "__file__", None)
        return bool(filename) and self._kind(filename, cls.__module__) == "user"

    def _wrap_user_classes(self) -> None:
        """Wrap `__init__` of the user's Keras classes defined since the last look (one walk of the subclasses)."""
        stack = list(self._keras_bases())
        seen: set[type] = set()
        while stack:
            for sub in stack.pop().__subclasses__():
                if sub not in seen:
                    seen.add(sub)
                    stack.append(sub)
        for cls in seen:
            if "_tflint_vars_init" not in cls.__dict__ and self._is_user_class(cls):
                self._patch(cls, "__init__", self._recording_init(cls.__init__))
                self._patch(cls, "_tflint_vars_init", True)

    def _patch(self, cls: type, name: str, value: Any) -> None:
        self.patched.append((cls, name, cls.__dict__.get(name)))
        setattr(cls, name, value)

    def _recording_init(self, original: Any) -> Any:
        watcher = self

        @functools.wraps(original)
        def __init__(self, *args, **kwargs):
            outermost = id(self) not in watcher.constructing
            if outermost:
                watcher.constructing.add(id(self))
                watcher._record_construction(type(self), args, kwargs)
            try:
                return original(self, *args, **kwargs)
            finally:
                if outermost:
                    watcher.constructing.discard(id(self))

        try:  # tf-keras reads the argument names with getfullargspec, which ignores __wrapped__
            __init__.__signature__ = inspect.signature(original)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            pass
        return __init__

    def _record_construction(self, cls: type, args: tuple, kwargs: dict) -> None:
        record = self.classes.get(cls)
        if record is None:
            record = self.classes[cls] = ClassRecord(cls)
            for index, value in enumerate(args):
                if _serializable(value):
                    record.args.append(value)
                else:
                    record.args.append(None)
                    record.unserializable.append(f"argument {index + 1} ({type(value).__name__})")
            for name, value in kwargs.items():
                if _serializable(value):
                    record.kwargs[name] = value
                else:
                    record.unserializable.append(f"`{name}` ({type(value).__name__})")
        if self.test and self.test not in record.tests:
            record.tests.append(self.test)

    def _wrap_base_calls(self) -> None:
        watcher = self
        for base in self._keras_bases():
            original = base.__dict__.get("__call__")
            if original is None or getattr(original, "_tflint_vars", False):
                continue

            @functools.wraps(original)
            def __call__(self, *args, __original=original, **kwargs):
                record = watcher.classes.get(type(self))
                if record is not None and record.inputs is None and record.input_note is None:
                    try:
                        first = args[0] if args else kwargs.get("inputs", kwargs.get("y_true"))
                        record.inputs, record.input_note = describe_inputs(first)
                    except Exception as error:  # recording must never break the call
                        record.input_note = f"the first call's input could not be described: {error}"
                return __original(self, *args, **kwargs)

            __call__._tflint_vars = True  # type: ignore[attr-defined]
            self._patch(base, "__call__", __call__)

    # ------------------------------------------------------------------ pytest hooks

    def _start(self) -> None:
        if self.tf is None:
            import tensorflow

            self.tf = tensorflow
            tensorflow.keras.layers.Layer  # noqa: B018  (loads the Keras that tf.keras is)
            self._wrap_base_calls()
        self._wrap_user_classes()
        self.scope = self.tf.variable_creator_scope(self.creator)
        self.scope.__enter__()

    def _finish(self) -> None:
        if self.scope is not None:
            try:
                self.scope.__exit__(None, None, None)
            except Exception:  # the test replaced the default graph (reset_default_graph): its scope went with it
                pass
            self.scope = None
        candidates, self.candidates = self.candidates, []
        for candidate in candidates:
            if not holds(candidate.owner, candidate.variable):
                continue
            key = (type(candidate.owner), candidate.path, candidate.line, candidate.get_variable)
            finding = self.findings.get(key)
            if finding is None:
                finding = self.findings[key] = RuntimeFinding(
                    type(candidate.owner), candidate.method, candidate.path, candidate.line, candidate.created_at,
                    candidate.get_variable, in_weights(candidate.owner, candidate.variable),
                    runtime_of(candidate.owner))
            if self.test not in finding.tests:
                finding.tests.append(self.test)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        self.test = item.nodeid
        self._start()
        try:
            yield
        finally:
            self._finish()
            self.test = ""

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from tflint_vars.pytest_plugin.findings import collect, write_report

        for cls, name, previous in reversed(self.patched):
            if previous is None:
                delattr(cls, name)
            else:
                setattr(cls, name, previous)
        self.patched.clear()
        self.results = collect(self)
        if self.report_path:
            write_report(self.results, self.report_path)
        if self.fail and self.results.findings and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from tflint_vars.pytest_plugin.findings import write_summary

        if self.results is not None:
            write_summary(self.results, terminalreporter, self.report_path)


def _reachable(value: Any, target: Any, depth: int) -> bool:
    if value is target:
        return True
    if depth == 0:
        return False
    if isinstance(value, dict):
        return any(_reachable(v, target, depth - 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_reachable(v, target, depth - 1) for v in value)
    return False


def holds(owner: Any, variable: Any) -> bool:
    """Whether `variable` is reachable from the owner's attributes (directly, or in lists, tuples and dicts)."""
    return any(_reachable(value, variable, 2) for value in vars(owner).values())


def in_weights(owner: Any, variable: Any) -> bool:
    weights = getattr(owner, "weights", None)
    if weights is None:
        weights = getattr(owner, "variables", [])
    return any(w is variable or getattr(w, "_value", None) is variable for w in weights)


def runtime_of(obj: Any) -> str:
    for klass in type(obj).__mro__:
        if klass.__module__.split(".")[0] == "tf_keras":
            return "keras2"
    return "keras3"
