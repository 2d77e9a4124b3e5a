"""The `[verify]` table of a fixture's TOML: how `tflint-vars verify` exercises the Python file beside it.

One exercise is a `[verify]` table; several are an array, `[[verify]]`. Keys (all optional except `kind`):

    kind           "layer"     construct `class(*args, **kwargs)`, call it on a batch of `input_shape`, train it
                               inside a one-layer Keras model;
                   "model"     the same for a Keras Model, trained directly;
                   "tf-module" a `tf.Module`: tracked through `.trainable_variables`, no `fit`;
                   "metric"    a Keras Metric: called (`update_state` then `result`) on `input_shape`, tracked through
                               `metric.variables`, then `reset_state()` must set every variable to zero; no gradients
                               or `fit` (a metric is not trained, and Keras makes its variables non-trainable);
                   "tf1-graph" run the file in a fresh `tf.Graph` with `import tensorflow as tf` bound to
                               `tensorflow.compat.v1`, then call `calls` on placeholders;
                   "script"    only run the file (its module-level code), recording the variables it creates;
                   "skip"      do not run it; `reason` says why.
    class, args, kwargs, input_shape   (layer, model, tf-module) the object and its input, batch dimension first;
                   a list of shapes, e.g. [[4, 3], [4, 3]], calls it on a list of inputs (one batch size);
                   without `input_shape` the object is only constructed (no call, gradients or fit).
    input_dtype    (layer, model, tf-module) the inputs' dtype, e.g. "int32" for an Embedding (default "float32").
    input_range    [low, high]: integer inputs are drawn uniformly from [low, high) (default [0, 10]); float inputs
                   uniformly from the range (default: standard normal).
    policy         a Keras dtype policy, e.g. "mixed_float16", set as the global policy (keras and tf_keras
                   `mixed_precision.set_global_policy`) while the exercise runs, for the original and the fixed code.
    after_build    a method to call once the layer is built (after its first call), then call the layer again: e.g.
                   "reset", for state a layer re-creates between epochs.
    save           true: also save a model holding the layer as `.keras` and load it back (class passed as a custom
                   object); the fixed layer fails unless it loads with the same weights and outputs. The original's
                   round trip is recorded as evidence.
    fix            "safe" (default) or "unsafe": which fixes produce the fixed code.
    claim          what the diagnostic says the original does: "untracked" (creates variables its layer does not
                   track), "per-call" (creates new variables on every call), "raises" (fails with `error`, a regex).
    expect_claim   {keras3 = bool, keras2 = bool}: whether the claim holds under each runtime (default: both).
    allow_untracked  variable names that may stay untracked after the fix (no fix exists for them, or `# noqa`).
    unused         variable names the forward pass does not use: no gradient or fit change is expected.
    calls          (tf1-graph) [{function = "name", input_shapes = [[2, 4]]}]: functions to call on placeholders.
    outputs        (tf1-graph) module globals holding output tensors, to take gradients of.
    scopes         (tf1-graph) {scope = ["var", ...]}: the variables GLOBAL_VARIABLES must hold per scope after the fix.
    reason         (skip) why the file is not run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from tflint_vars.sources import MAX_CONFIG_BYTES, read_regular_file

KINDS = ("layer", "model", "tf-module", "metric", "tf1-graph", "script", "skip")
CLAIMS = ("untracked", "per-call", "raises")
RUNTIMES = ("keras3", "keras2")
_KEYS = {"kind", "class", "args", "kwargs", "input_shape", "fix", "claim", "error", "expect_claim", "allow_untracked",
         "unused", "calls", "outputs", "scopes", "reason", "input_dtype", "input_range", "policy", "save",
         "after_build"}
INPUT_DTYPES = ("float16", "float32", "float64", "int32", "int64", "bool")


class DeclarationError(ValueError):
    """A `[verify]` table that cannot be used; the message names the file and the key."""


@dataclass
class Exercise:
    kind: str
    class_name: str | None = None
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    input_shape: list[int] | list[list[int]] | None = None
    input_dtype: str = "float32"
    input_range: list | None = None
    policy: str | None = None
    save: bool = False
    after_build: str | None = None
    fix: str = "safe"
    claim: str | None = None
    error: str | None = None
    expect_claim: dict[str, bool] = field(default_factory=dict)
    allow_untracked: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    scopes: dict[str, list[str]] = field(default_factory=dict)
    reason: str | None = None

    @property
    def label(self) -> str:
        return self.class_name or self.kind

    def claim_expected(self, runtime: str) -> bool:
        return self.expect_claim.get(runtime, True)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Fixture:
    name: str
    path: Path
    exercises: list[Exercise]

    @property
    def unsafe(self) -> bool:
        return any(ex.fix == "unsafe" for ex in self.exercises)

    @property
    def skip_reason(self) -> str | None:
        if all(ex.kind == "skip" for ex in self.exercises):
            return "; ".join(ex.reason or "kind = \"skip\"" for ex in self.exercises)
        return None


def _expect(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise DeclarationError(f"{where}: {message}")


def _shape(value: Any, where: str, key: str) -> list[int]:
    _expect(isinstance(value, list) and all(isinstance(d, int) and d > 0 for d in value) and value,
            where, f"`{key}` must be a non-empty list of positive integers, got {value!r}")
    return value


def _input_shape(value: Any, where: str) -> list[int] | list[list[int]]:
    """One shape, or a list of shapes for a layer called on a list of inputs; a fit needs one batch size."""
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        shapes = [_shape(v, where, "input_shape") for v in value]
        _expect(len({shape[0] for shape in shapes}) == 1, where,
                f"the shapes in `input_shape` must share the batch dimension (the first), got {value!r}")
        return shapes
    return _shape(value, where, "input_shape")


def parse_exercise(table: Any, where: str) -> Exercise:
    _expect(isinstance(table, dict), where, "[verify] must be a table or an array of tables")
    unknown = sorted(set(table) - _KEYS)
    _expect(not unknown, where, f"unknown key `{unknown[0] if unknown else ''}` (known: {', '.join(sorted(_KEYS))})")
    kind = table.get("kind")
    _expect(kind in KINDS, where, f"`kind` must be one of {', '.join(KINDS)}, got {kind!r}")
    ex = Exercise(kind=kind)
    if kind == "skip":
        _expect(isinstance(table.get("reason"), str) and table["reason"], where, "kind = \"skip\" needs a `reason`")
        ex.reason = table["reason"]
        return ex
    if kind in ("layer", "model", "tf-module", "metric"):
        _expect(isinstance(table.get("class"), str), where, f"kind = {kind!r} needs `class`, the name to construct")
        ex.class_name = table["class"]
        ex.args = table.get("args", [])
        _expect(isinstance(ex.args, list), where, "`args` must be a list")
        ex.kwargs = table.get("kwargs", {})
        _expect(isinstance(ex.kwargs, dict), where, "`kwargs` must be a table")
        if "input_shape" in table:
            ex.input_shape = _input_shape(table["input_shape"], where)
        ex.input_dtype = table.get("input_dtype", "float32")
        _expect(ex.input_dtype in INPUT_DTYPES, where,
                f"`input_dtype` must be one of {', '.join(INPUT_DTYPES)}, got {ex.input_dtype!r}")
        if "input_range" in table:
            value = table["input_range"]
            _expect(isinstance(value, list) and len(value) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
                    and value[0] < value[1], where, f"`input_range` must be [low, high] with low < high, got {value!r}")
            _expect(not ex.input_dtype.startswith("int") or all(isinstance(v, int) for v in value), where,
                    f"`input_range` of integer inputs must hold integers, got {value!r}")
            ex.input_range = value
        ex.policy = table.get("policy")
        _expect(ex.policy is None or (isinstance(ex.policy, str) and ex.policy), where,
                f"`policy` must be a Keras dtype policy name such as \"mixed_float16\", got {ex.policy!r}")
        ex.save = table.get("save", False)
        _expect(isinstance(ex.save, bool), where, f"`save` must be true or false, got {ex.save!r}")
        _expect(not ex.save or ex.input_shape is not None, where, "`save` needs `input_shape`")
        ex.after_build = table.get("after_build")
        _expect(ex.after_build is None or (isinstance(ex.after_build, str) and ex.after_build.isidentifier()
                                           and ex.input_shape is not None), where,
                "`after_build` must be a method name, and needs `input_shape`")
    else:
        for key in ("class", "args", "kwargs", "input_shape", "input_dtype", "input_range", "policy", "save",
                    "after_build"):
            _expect(key not in table, where, f"`{key}` does not apply to kind = {kind!r}")
    ex.fix = table.get("fix", "safe")
    _expect(ex.fix in ("safe", "unsafe"), where, f"`fix` must be \"safe\" or \"unsafe\", got {ex.fix!r}")
    ex.claim = table.get("claim")
    _expect(ex.claim is None or ex.claim in CLAIMS, where, f"`claim` must be one of {', '.join(CLAIMS)}")
    ex.error = table.get("error")
    _expect((ex.claim == "raises") == isinstance(ex.error, str), where,
            "claim = \"raises\" needs `error` (a regex the message matches), and `error` needs that claim")
    expect_claim = table.get("expect_claim", {})
    _expect(isinstance(expect_claim, dict) and set(expect_claim) <= set(RUNTIMES)
            and all(isinstance(v, bool) for v in expect_claim.values()),
            where, "`expect_claim` must be a table like {keras3 = true, keras2 = false}")
    _expect(not expect_claim or ex.claim, where, "`expect_claim` needs a `claim`")
    ex.expect_claim = expect_claim
    for key in ("allow_untracked", "unused", "outputs"):
        value = table.get(key, [])
        _expect(isinstance(value, list) and all(isinstance(v, str) for v in value), where,
                f"`{key}` must be a list of names")
        setattr(ex, key.replace("-", "_"), value)
    if kind == "tf1-graph":
        calls = table.get("calls", [])
        _expect(isinstance(calls, list), where, "`calls` must be an array of tables")
        for call in calls:
            _expect(isinstance(call, dict) and isinstance(call.get("function"), str), where,
                    "each of `calls` needs `function`")
            for shape in call.setdefault("input_shapes", []):
                _shape(shape, where, "calls.input_shapes")
        ex.calls = calls
        scopes = table.get("scopes", {})
        _expect(isinstance(scopes, dict) and all(isinstance(v, list) for v in scopes.values()), where,
                "`scopes` must be a table of scope name -> list of variable names")
        ex.scopes = scopes
    else:
        for key in ("calls", "outputs", "scopes"):
            _expect(key not in table, where, f"`{key}` applies to kind = \"tf1-graph\" only")
    return ex


def load_fixture(py_path: Path) -> Fixture:
    """The fixture at `py_path`, from the `[verify]` of the TOML beside it."""
    toml_path = py_path.with_suffix(".toml")
    where = str(toml_path)
    if not toml_path.exists():
        reason = f"no {toml_path.name} with a [verify] table"
        return Fixture(py_path.stem, py_path, [Exercise(kind="skip", reason=reason)])
    try:
        data = tomllib.loads(read_regular_file(toml_path, MAX_CONFIG_BYTES).decode("utf-8"))
    except OSError as error:
        raise DeclarationError(f"{where}: cannot read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise DeclarationError(f"{where}: {'nested too deeply' if isinstance(error, RecursionError) else error}"
                               ) from None
    tables = data.get("verify")
    if tables is None:
        return Fixture(py_path.stem, py_path, [Exercise(kind="skip", reason=f"{toml_path.name} has no [verify] table")])
    if isinstance(tables, dict):
        tables = [tables]
    _expect(isinstance(tables, list) and tables, where, "[verify] must be a table or a non-empty array of tables")
    exercises = [parse_exercise(table, f"{where} [verify #{i + 1}]") for i, table in enumerate(tables)]
    return Fixture(py_path.stem, py_path, exercises)


def discover_fixtures(paths: list[str]) -> tuple[list[Path], list[str]]:
    """The .py files named, or found (recursively) under the directories named; and the paths that do not exist."""
    found: list[Path] = []
    missing: list[str] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.py")
                                if not any(part.startswith(".") for part in p.relative_to(path).parts)))
        elif path.suffix == ".toml" and path.with_suffix(".py").is_file():
            found.append(path.with_suffix(".py"))
        elif path.is_file():
            found.append(path)
        else:
            missing.append(name)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, missing
