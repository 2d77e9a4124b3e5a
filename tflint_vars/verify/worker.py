"""The verifier's worker: runs inside a subprocess with TensorFlow imported once, exercises fixtures, reports evidence.

Protocol: the parent writes one JSON job per line on stdin; the worker answers one JSON line per job on the file
descriptor that was stdout when it started. Everything the fixtures print (and TensorFlow's own output) goes to stderr,
so user code cannot corrupt the protocol. The worker only collects evidence; `judge.py` turns it into verdicts.

This module executes the code it is given: it is only ever started by `tflint-vars verify`, never by `check`.
"""

from __future__ import annotations

import builtins
import gc
import inspect
import json
import math
import os
import re
import sys
import time
import traceback
import types
from typing import Any

np: Any = None
tf: Any = None

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MODULE_COUNTER = [0]
# add_weight calls given a regularizer, recorded by the instrumented Layer.add_weight of each Keras.
_REGULARIZED: list[Any] = []
# Variables that the bare Keras base class (Layer or Model) creates itself, e.g. Keras 2's Model batch counters.
_BASELINES: dict[type, list[tuple]] = {}
_HARNESSES: dict[str, type] = {}
# Draws per version for the initial-value distribution check: enough for ~4000 values of the smallest random variable,
# at least MIN_DRAWS, and no more once DRAW_SECONDS have passed (a Model costs ~25 ms per construction).
MAX_DRAWS, MIN_DRAWS, TARGET_VALUES, DRAW_SECONDS = 400, 20, 4000, 1.0


class ExerciseError(Exception):
    """The exercise could not run for a reason that is not the fixture's own exception (e.g. a missing class)."""


def describe_error(error: BaseException, stage: str) -> dict[str, Any]:
    message = _ANSI.sub("", f"{error}").strip()
    frames = traceback.extract_tb(error.__traceback__)
    user = [f for f in frames if not f.filename.startswith(os.path.dirname(os.path.abspath(__file__)))]
    where = f"{user[-1].filename}:{user[-1].lineno}" if user else None
    return {"stage": stage, "type": type(error).__name__, "message": message[:1500], "where": where}


# ---------------------------------------------------------------------------------------------------- instruments

class Recorder:
    """A `tf.variable_creator_scope` creator that records every variable created while it is active."""

    def __init__(self) -> None:
        self.created: list[Any] = []

    def __call__(self, next_creator, **kwargs):
        variable = next_creator(**kwargs)
        self.created.append(variable)
        return variable

    def __enter__(self) -> Recorder:
        self._scope = tf.variable_creator_scope(self)
        self._scope.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._scope.__exit__(*exc)


def _instrument_add_weight() -> None:
    """Wrap each loaded Keras' Layer.add_weight to note calls given a regularizer (then call through unchanged)."""
    for top in ("keras", "tf_keras"):
        keras_module = sys.modules.get(top)
        layer_class = getattr(getattr(keras_module, "layers", None), "Layer", None)
        original = getattr(layer_class, "add_weight", None)
        if original is None or getattr(original, "_tflint_verify", False):
            continue
        signature = inspect.signature(original)

        def add_weight(self, *args, __original=original, __signature=signature, **kwargs):
            try:
                regularizer = __signature.bind(self, *args, **kwargs).arguments.get("regularizer")
            except TypeError:
                regularizer = None
            if regularizer is not None:
                _REGULARIZED.append(self)
            return __original(self, *args, **kwargs)

        add_weight._tflint_verify = True  # type: ignore[attr-defined]
        add_weight.__wrapped__ = original  # type: ignore[attr-defined]
        layer_class.add_weight = add_weight


def keras_of(obj: Any) -> Any:
    """The Keras package (keras = Keras 3, tf_keras = Keras 2) that the object's class is built on."""
    for klass in type(obj).__mro__:
        top = klass.__module__.split(".")[0]
        if top in ("keras", "tf_keras"):
            return sys.modules[top]
    return None


def _signature(variable: Any) -> tuple:
    return (_short_name(variable), tuple(variable.shape.as_list()), variable.dtype.name, bool(variable.trainable))


def _baseline(obj: Any) -> list[tuple]:
    """Variables the bare Keras base of `obj` creates on construction: Keras' own, not the user's."""
    keras_module = keras_of(obj)
    if keras_module is None:
        return []
    base = keras_module.Model if isinstance(obj, keras_module.Model) else keras_module.layers.Layer
    if base not in _BASELINES:
        with Recorder() as recorder:
            base()
        _BASELINES[base] = [_signature(v) for v in recorder.created]
    return _BASELINES[base]


def _without_baseline(created: list[Any], baseline: list[tuple]) -> list[Any]:
    remaining = list(created)
    for signature in baseline:
        for index, variable in enumerate(remaining):
            if _signature(variable) == signature:
                del remaining[index]
                break
    return remaining


def _short_name(variable: Any) -> str:
    return variable.name.split("/")[-1].split(":")[0]


def _underlying(weight: Any) -> Any:
    """The tf.Variable behind a tracked weight (Keras 3 wraps one in its own Variable)."""
    return weight if isinstance(weight, tf.Variable) else getattr(weight, "_value", weight)


def _describe(variable: Any, tracked: set[int] | None) -> dict[str, Any]:
    described = {"name": variable.name, "short": _short_name(variable), "shape": variable.shape.as_list(),
                 "dtype": variable.dtype.name, "trainable": bool(variable.trainable)}
    if tracked is not None:
        described["tracked"] = id(variable) in tracked
    return described


# ---------------------------------------------------------------------------------------------------- loading

def _v1_builtins() -> dict[str, Any]:
    """Builtins whose `import tensorflow` (the bare top-level import) yields tensorflow.compat.v1."""
    real_import = builtins.__import__

    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        module = real_import(name, globals, locals, fromlist, level)
        if name == "tensorflow" and not fromlist and level == 0:
            return tf.compat.v1
        return module

    namespace = dict(vars(builtins))
    namespace["__import__"] = import_
    return namespace


def load_module(source: str, path: str, version: str, tf1: bool = False) -> types.ModuleType:
    """Execute `source` as a fresh module (its module-level code runs, as on import)."""
    _MODULE_COUNTER[0] += 1
    name = f"_tflint_verify_{version}_{_MODULE_COUNTER[0]}"
    module = types.ModuleType(name)
    module.__file__ = path
    if tf1:
        module.__dict__["__builtins__"] = _v1_builtins()
    sys.modules[name] = module
    import_root, package = package_context(path)
    module.__package__ = package  # relative imports resolve as they do when the package imports this module
    if package:  # its sibling modules come from this version's tree (a fixed copy, on replay), not an earlier one's
        top = package.split(".")[0]
        for loaded in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
            del sys.modules[loaded]
    sys.path.insert(0, import_root)
    try:
        code = compile(source, path if version == "original" else f"{path} (fixed)", "exec")
        exec(code, module.__dict__)
    finally:
        sys.path.remove(import_root)
    return module


def package_context(path: str) -> tuple[str, str]:
    """Where `path` is imported from, and its package: pytest's "prepend" rule. In a package (a directory with
    __init__.py), the first directory above it without one is the root and the package is the dotted path below
    it, so the module's own package and its relative imports resolve; a lone file's root is its directory."""
    directory = os.path.dirname(os.path.abspath(path))
    parts: list[str] = []
    root = directory
    while os.path.isfile(os.path.join(root, "__init__.py")):
        root, name = os.path.split(root)
        parts.insert(0, name)
        if not name:
            break
    return root, ".".join(parts)


def _lookup(module: types.ModuleType, name: str, what: str) -> Any:
    if not hasattr(module, name):
        raise ExerciseError(f"the file defines no {what} `{name}`")
    return getattr(module, name)


# ---------------------------------------------------------------------------------------------------- eager kinds

def _floats(outputs: Any) -> list[Any]:
    return [o for o in tf.nest.flatten(outputs) if hasattr(o, "dtype") and o.dtype.is_floating]


def _harness(keras_module: Any) -> type:
    """A one-layer Keras Model (of the layer's own Keras) so that `fit` trains what the layer tracks."""
    key = keras_module.__name__
    if key not in _HARNESSES:
        class VerifyHarness(keras_module.Model):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def call(self, inputs):
                return self.inner(inputs)

        _HARNESSES[key] = VerifyHarness
    return _HARNESSES[key]


class TargetRun:
    """One version (original or fixed) of one exercise: the object, what it created, what it tracks."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.obj: Any = None
        self.cls: Any = None
        self.created: list[Any] = []
        self.initial: list[Any] = []
        self.error: dict[str, Any] | None = None
        self.evidence: dict[str, Any] = {}


def _tracked_sets(obj: Any, kind: str) -> tuple[set[int], set[int], dict[str, int]]:
    if kind == "tf-module":
        weights, trainable = list(obj.variables), list(obj.trainable_variables)
        non_trainable = [w for w in weights if not w.trainable]
    elif kind == "metric":  # what `reset_state` resets and the model saves; a metric is never trained
        weights, trainable = list(obj.variables), []
        non_trainable = weights
    else:
        weights, trainable, non_trainable = obj.weights, obj.trainable_weights, obj.non_trainable_weights
    counts = {"weights": len(weights), "trainable_weights": len(trainable), "non_trainable_weights": len(non_trainable)}
    tracked = {id(_underlying(w)) for w in weights}
    # Keras 3 keeps a random layer's seed state (a `Dropout`'s SeedGenerator) in `variables`, not `weights`: tracked
    # and saved all the same, not an untracked variable (held-out keras-cv ClassificationHead was judged so).
    tracked |= {id(_underlying(v)) for v in getattr(obj, "variables", ()) or ()}
    return tracked, {id(_underlying(w)) for w in trainable}, counts


def _construct(cls: Any, ex: dict, x: Any) -> tuple[Any, list[Any], int]:
    """Construct (and call once, when there is an input) under a recorder: object, its variables, regularized count."""
    _REGULARIZED.clear()
    with Recorder() as recorder:
        obj = cls(*ex["args"], **ex["kwargs"])
        if x is not None and ex["kind"] != "metric":  # a metric's initial values are before any update
            obj(x)
            if ex.get("after_build"):  # e.g. reset() between epochs: state re-created once the layer is built
                getattr(obj, ex["after_build"])()
                obj(x)
    regularized = len(_REGULARIZED)
    return obj, _without_baseline(recorder.created, _baseline(obj)), regularized


def run_target(module: types.ModuleType | None, ex: dict, x: Any, version: str) -> TargetRun:
    run = TargetRun(version)
    if module is None:
        return run
    run.cls = _lookup(module, ex["class_name"], "class")
    stage = "construct" if x is None else "construct and first call"
    try:
        run.obj, run.created, regularized = _construct(run.cls, ex, x)
    except Exception as error:  # the fixture's own failure: evidence, not a crash
        run.error = describe_error(error, stage)
        return run
    run.initial = [v.numpy() for v in run.created]
    tracked, _, counts = _tracked_sets(run.obj, ex["kind"])
    keras_module = keras_of(run.obj)
    run.evidence = {
        "keras": getattr(keras_module, "__version__", None) if keras_module else None,
        "created": [_describe(v, tracked) for v in run.created],
        **counts,
        "regularized": regularized,
    }
    if x is not None:
        try:
            with Recorder() as second:
                run.obj(x)
            run.evidence["created_per_call"] = len(second.created)
            run.evidence["made_per_call"] = sorted({_short_name(v) for v in second.created})
            if hasattr(run.obj, "losses"):
                run.evidence["losses"] = len(run.obj.losses)
        except Exception as error:
            run.error = describe_error(error, "second call")
    if ex["kind"] == "metric" and run.error is None:
        try:
            run.obj.reset_state()
            run.evidence["not_reset"] = [_short_name(v) for v in run.created if np.any(v.numpy() != 0)]
        except Exception as error:
            run.error = describe_error(error, "reset_state")
    return run


def _pair(original: list[Any], fixed: list[Any]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Match the original's variables to the fixed one's (see `pair`): pairs, unmatched original, unmatched fixed."""
    def brief(variables: list[Any]) -> list[dict[str, Any]]:
        return [{"short": _short_name(v), "shape": v.shape.as_list()} for v in variables]

    pairs = pair(brief(original), brief(fixed))
    unmatched_original = [i for i in range(len(original)) if i not in {p[0] for p in pairs}]
    unmatched_fixed = [j for j in range(len(fixed)) if j not in {p[1] for p in pairs}]
    return pairs, unmatched_original, unmatched_fixed


def pair(reference: list[dict], fixed: list[dict]) -> list[tuple[int, int]]:
    """Match each reference variable to a fixed one. A fix rewrites in place, so when both hold as many variables of
    the same shapes in the same order, creation order decides (a renamed variable keeps its partner). Otherwise, in
    creation order: same name and shape, else same shape, else same name, else the next unmatched one, so that a
    changed shape or dtype is reported as such."""
    if len(reference) == len(fixed) and all(r["shape"] == f["shape"] for r, f in zip(reference, fixed)):
        return [(i, i) for i in range(len(reference))]
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for i, r in enumerate(reference):
        free = [j for j in range(len(fixed)) if j not in used]
        for test in (lambda f, r=r: f["short"] == r["short"] and f["shape"] == r["shape"],
                     lambda f, r=r: f["shape"] == r["shape"], lambda f, r=r: f["short"] == r["short"],
                     lambda f: True):
            found = [j for j in free if test(fixed[j])]
            if found:
                pairs.append((i, found[0]))
                used.add(found[0])
                break
    return pairs


def _target(x: Any, outputs: Any, seed: int) -> list[Any]:
    rng = np.random.RandomState(seed)
    return [rng.normal(size=o.shape).astype(o.dtype.as_numpy_dtype) for o in _floats(outputs)]


def _gradients(run: TargetRun, ex: dict, x: Any) -> dict[str, Any]:
    _, trainable_ids, _ = _tracked_sets(run.obj, ex["kind"])
    trainable = [v for v in run.created if id(v) in trainable_ids]
    with tf.GradientTape() as tape:
        outputs = run.obj(x)
        floats = _floats(outputs)
        loss = tf.add_n([tf.reduce_mean(tf.square(o - t)) for o, t in zip(floats, _target(x, outputs, 1))])
    grads = tape.gradient(loss, trainable)
    return {"checked": [_short_name(v) for v in trainable],
            "missing": [_short_name(v) for v, g in zip(trainable, grads) if g is None]}


def _fit(run: TargetRun, ex: dict, x: Any) -> dict[str, Any]:
    keras_module = keras_of(run.obj)
    if keras_module is None:
        return {"error": {"stage": "fit", "type": "NotKeras", "message": "the object is not a Keras layer"}}
    model = run.obj if ex["kind"] == "model" else _harness(keras_module)(run.obj)
    outputs = model(x)
    targets = _target(x, outputs, 2)
    if len(targets) != 1:
        return {"error": {"stage": "fit", "type": "Unsupported", "message": f"{len(targets)} float outputs"}}
    trainable = [v for v in run.created if v.trainable]
    before = [v.numpy() for v in trainable]
    model.compile(optimizer=keras_module.optimizers.SGD(learning_rate=0.1), loss="mse")
    # One epoch of two steps: a weight whose gradient is exactly zero at initialization (it multiplies a
    # zero-initialized one, as in a gated mixture) still changes on the second step when training reaches it.
    batch = int(tf.nest.flatten(x)[0].shape[0])
    model.fit(x, targets[0], batch_size=max(1, batch // 2), epochs=1, verbose=0, shuffle=False)
    changed = [not np.array_equal(b, v.numpy()) for b, v in zip(before, trainable)]
    return {"checked": [_short_name(v) for v in trainable],
            "unchanged": [_short_name(v) for v, c in zip(trainable, changed) if not c]}


def _stats(values: list[Any]) -> dict[str, float]:
    flat = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])
    return {"n": int(flat.size), "mean": float(flat.mean()), "std": float(flat.std())}


def _draw(run: TargetRun, ex: dict, x: Any, count: int) -> list[list[Any]]:
    """Initial values of `count` fresh constructions, per created variable (creation order)."""
    draws: list[list[Any]] = [[] for _ in run.created]
    started = time.monotonic()
    for drawn in range(count):
        if drawn >= MIN_DRAWS and time.monotonic() - started > DRAW_SECONDS:
            break
        _, created, _ = _construct(run.cls, ex, x)
        for index, variable in enumerate(created[:len(draws)]):
            draws[index].append(variable.numpy())
    return draws


def _initial_values(original: TargetRun, fixed: TargetRun, pairs: list[tuple[int, int]], ex: dict,
                    x: Any) -> list[dict[str, Any]]:
    """Per matched pair: equal initial values (deterministic ones) or the same distribution (random ones)."""
    probe = None if x is None else tf.nest.map_structure(lambda t: t[:1], x)
    first_o, first_f = _draw(original, ex, probe, 1), _draw(fixed, ex, probe, 1)
    report: list[dict[str, Any]] = []
    random_pairs = []
    for i, j in pairs:
        random_o = bool(first_o[i]) and not np.array_equal(first_o[i][0], original.initial[i])
        random_f = bool(first_f[j]) and not np.array_equal(first_f[j][0], fixed.initial[j])
        name = _short_name(original.created[i])
        if random_o or random_f:
            random_pairs.append((i, j, name, random_o, random_f))
        else:
            a, b = original.initial[i], fixed.initial[j]
            equal = a.shape == b.shape and bool(np.allclose(a, b))
            report.append({"variable": name, "random": False, "equal": equal,
                           "max_abs_diff": None if not equal and a.shape != b.shape else
                           float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))})
    if random_pairs:
        # The initial value's size: a variable of a partly unknown shape (`shape=[None, d]`) has one too.
        smallest = min(max(1, int(np.size(original.initial[i]))) for i, *_ in random_pairs)
        count = max(MIN_DRAWS, min(MAX_DRAWS, math.ceil(TARGET_VALUES / smallest)))
        draws_o, draws_f = _draw(original, ex, probe, count), _draw(fixed, ex, probe, count)
        for i, j, name, random_o, random_f in random_pairs:
            so, sf = _stats(draws_o[i]), _stats(draws_f[j])
            mean_tolerance = 5 * math.sqrt(so["std"] ** 2 / so["n"] + sf["std"] ** 2 / sf["n"]) + 1e-6
            # 5 standard errors of the ratio of two sample standard deviations (normal data; others are tighter).
            std_tolerance = max(0.02, 5 * math.sqrt(1 / (2 * so["n"]) + 1 / (2 * sf["n"])))
            mean_ok = abs(so["mean"] - sf["mean"]) <= mean_tolerance
            std_ok = (so["std"] == sf["std"] == 0) or (
                so["std"] > 0 and abs(sf["std"] / so["std"] - 1) <= std_tolerance)
            report.append({"variable": name, "random": True, "original_random": random_o, "fixed_random": random_f,
                           "original": so, "fixed": sf, "mean_tolerance": mean_tolerance,
                           "std_relative_tolerance": std_tolerance, "equal": bool(mean_ok and std_ok and random_o
                                                                                   and random_f)})
    return report


def make_values(rng: Any, shape: list[int], dtype: str, value_range: list | None) -> Any:
    """An input batch: integers uniform in [low, high) (default [0, 10)), floats normal or uniform in the range."""
    if np.dtype(dtype).kind in "iu":
        low, high = value_range or [0, 10]
        return rng.randint(low, high, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return rng.randint(0, 2, size=shape).astype(bool)
    if value_range:
        return rng.uniform(value_range[0], value_range[1], size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def set_policy(policy: str | None) -> None:
    """The global dtype policy of every Keras loaded (tf.keras, keras, tf_keras); None restores float32."""
    for name in ("keras", "tf_keras"):
        module = sys.modules.get(name)
        mixed = getattr(module, "mixed_precision", None)
        if mixed is not None and hasattr(mixed, "set_global_policy"):
            mixed.set_global_policy(policy or "float32")


def _outputs_match(a: list[Any], b: list[Any]) -> bool:
    return [x.shape for x in a] == [y.shape for y in b] and all(
        np.allclose(x, y, rtol=1e-5, atol=1e-6) for x, y in zip(a, b))


def _seeded_call(obj: Any, x: Any) -> Any:
    """`obj(x)` after the same global seed: a `call` that draws random numbers (a VAE's sampling) draws the same ones
    for the original and the fixed layer, so their outputs compare (review 4: a wrong fix hid behind such draws)."""
    tf.random.set_seed(1234)
    return obj(x)


def _reproducible(run: TargetRun, ex: dict, x: Any) -> bool:
    """Whether the original's outputs follow from its variables: a second instance given its values computes what
    it computes next (both calls start from the same values and the same seed, so state updated in `call` and
    random draws in `call` are no difference). Not so when it keeps state outside its variables that each instance
    draws anew (deepchem's LSTMStep keeps initializer
    draws as W and U): then no fix can be held to the original's outputs."""
    try:
        twin, created, _ = _construct(run.cls, ex, x)
        if [v.shape.as_list() for v in created] != [v.shape.as_list() for v in run.created]:
            return True  # not comparable: judged as reproducible, so the difference still counts
        for source, target in zip(run.created, created):
            target.assign(source.read_value())
        mine = [np.asarray(o, dtype=np.float64) for o in _floats(_seeded_call(run.obj, x))]
        again = [np.asarray(o, dtype=np.float64) for o in _floats(_seeded_call(twin, x))]
    except Exception:
        return True
    return _outputs_match(mine, again)


def save_round_trip(layer: Any, cls: Any, x: Any) -> dict[str, Any]:
    """`.keras` save and load of a model holding `layer` (its own Keras): does it load, with the same weights and
    the same outputs?"""
    import tempfile

    keras_module = keras_of(layer)
    if keras_module is None:
        return {"ok": False, "error": "not a Keras layer"}
    directory = tempfile.mkdtemp(prefix="tflint-verify-save-")
    path = os.path.join(directory, "model.keras")
    try:
        flat = tf.nest.flatten(x)
        inputs = [keras_module.Input(shape=tuple(t.shape[1:]), dtype=t.dtype.name) for t in flat]
        model = keras_module.Model(inputs, layer(inputs if isinstance(x, (list, tuple)) else inputs[0]))
        model(x)  # a layer whose call updates its state (a step counter, a running mean) saves it after one call
        weights = [np.asarray(w.numpy(), dtype=np.float64) for w in model.weights]
        model.save(path)
        # Both models' next call starts from the state saved: the weights are read before it, the outputs compared.
        before = [np.asarray(o, dtype=np.float64) for o in tf.nest.flatten(model(x))]
        loaded = keras_module.models.load_model(path, custom_objects={cls.__name__: cls}, compile=False)
        loaded_weights = [np.asarray(w.numpy(), dtype=np.float64) for w in loaded.weights]
        after = [np.asarray(o, dtype=np.float64) for o in tf.nest.flatten(loaded(x))]
    except Exception as error:
        return {"ok": False, "error": "{type}: {message}".format(**describe_error(error, "save"))[:400]}
    finally:
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)
    same_weights = len(weights) == len(loaded_weights) and all(
        a.shape == b.shape and np.allclose(a, b) for a, b in zip(weights, loaded_weights))
    same_outputs = [a.shape for a in before] == [b.shape for b in after] and all(
        np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(before, after))
    error = None if same_weights and same_outputs else (
        f"{len(weights)} weights saved, {len(loaded_weights)} loaded" if len(weights) != len(loaded_weights) else
        "weights differ after loading" if not same_weights else "outputs differ after loading")
    return {"ok": error is None, "error": error, "weights": len(weights)}


def exercise_eager(ex: dict, modules: dict[str, Any], same: bool) -> dict[str, Any]:
    x = None
    if ex["input_shape"]:
        shapes = ex["input_shape"] if isinstance(ex["input_shape"][0], list) else [ex["input_shape"]]
        rng = np.random.RandomState(0)
        inputs = [tf.constant(make_values(rng, shape, ex.get("input_dtype") or "float32", ex.get("input_range")))
                  for shape in shapes]
        x = inputs if isinstance(ex["input_shape"][0], list) else inputs[0]
    runs = {version: run_target(modules[version], ex, x, version) for version in ("original", "fixed")
            if modules.get(version) is not None and not (same and version == "fixed")}
    result: dict[str, Any] = {}
    for version, run in runs.items():
        result[version] = {**run.evidence, "error": run.error}
        if ex.get("save") and x is not None and run.obj is not None and not run.error:
            try:  # a fresh layer: the checks below use this run's own
                fresh, _, _ = _construct(run.cls, ex, x)
                result[version]["save"] = save_round_trip(fresh, run.cls, x)
            except Exception as error:
                result[version]["save"] = {"ok": False, "error": "{type}: {message}".format(
                    **describe_error(error, "save"))[:400]}
    fixed = runs.get("fixed") or runs.get("original")
    original = runs.get("original")
    if fixed is None or fixed.error or fixed.obj is None:
        return result
    checks: dict[str, Any] = {}
    if original is not None and fixed is not original and original.obj is not None and not original.error:
        pairs, unmatched_o, unmatched_f = _pair(original.created, fixed.created)
        checks["unmatched_original"] = [original.created[i].name for i in unmatched_o]
        checks["unmatched_fixed"] = [fixed.created[j].name for j in unmatched_f]
        # Keras makes a metric's variables non-trainable, and a metric is never trained: not compared for metrics.
        checks["trainable_changed"] = [
            {"variable": _short_name(original.created[i]), "original": bool(original.created[i].trainable),
             "fixed": bool(fixed.created[j].trainable)}
            for i, j in pairs if bool(original.created[i].trainable) != bool(fixed.created[j].trainable)
            and ex["kind"] != "metric"]
        for key, read in (("dtype_changed", lambda v: v.dtype.name), ("shape_changed", lambda v: v.shape.as_list())):
            checks[key] = [{"variable": _short_name(original.created[i]), "original": read(original.created[i]),
                            "fixed": read(fixed.created[j])}
                           for i, j in pairs if read(original.created[i]) != read(fixed.created[j])]
        same_shape = [(i, j) for i, j in pairs
                      if original.created[i].shape.as_list() == fixed.created[j].shape.as_list()]
        checks["initial_values"] = _initial_values(original, fixed, same_shape, ex, x)
        if x is not None and len(same_shape) == len(pairs):
            try:
                for i, j in pairs:
                    fixed.created[j].assign(tf.cast(original.created[i].read_value(), fixed.created[j].dtype))
                out_o = [np.asarray(o, dtype=np.float64) for o in _floats(_seeded_call(original.obj, x))]
                out_f = [np.asarray(o, dtype=np.float64) for o in _floats(_seeded_call(fixed.obj, x))]
            except Exception as error:  # e.g. a weight of another dtype breaks the math in `call`
                checks["outputs"] = {"equal": False, "error": describe_error(error, "outputs")}
            else:
                shapes_equal = [a.shape for a in out_o] == [b.shape for b in out_f]
                checks["outputs"] = {
                    "equal": bool(shapes_equal and all(np.allclose(a, b, rtol=1e-5, atol=1e-6)
                                                       for a, b in zip(out_o, out_f))),
                    "max_abs_diff": float(max((np.max(np.abs(a - b), initial=0.0) for a, b in zip(out_o, out_f)),
                                              default=0.0)) if shapes_equal else None}
                if shapes_equal and not checks["outputs"]["equal"]:
                    checks["outputs"]["original_reproducible"] = _reproducible(original, ex, x)
    if x is not None:
        for name, check in (("grads", _gradients), ("fit", _fit)):
            if (name == "fit" and ex["kind"] == "tf-module") or ex["kind"] == "metric":
                continue
            try:
                checks[name] = check(fixed, ex, x)
            except Exception as error:
                checks[name] = {"error": describe_error(error, name)}
        if original is not None and original is not fixed and not original.error \
                and ex["kind"] not in ("tf-module", "metric"):
            # What training does to the original (under Keras 3: nothing, for untracked variables): evidence only.
            try:
                result["original"]["fit"] = _fit(original, ex, x)
            except Exception as error:
                result["original"]["fit"] = {"error": describe_error(error, "fit")}
    result["checks"] = checks
    return result


def exercise_script(ex: dict, modules: dict[str, Any], same: bool, recorders: dict[str, Recorder]) -> dict[str, Any]:
    return {version: {"created": [_describe(v, None) for v in recorders[version].created]}
            for version in ("original", "fixed") if version in recorders and not (same and version == "fixed")}


# ---------------------------------------------------------------------------------------------------- TF1 graphs

def _relative_names(graph: Any, scope: str) -> list[str]:
    prefix = scope.rstrip("/") + "/"
    names = [v.name for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)]
    return sorted(n[len(prefix):].split(":")[0] for n in names if n.startswith(prefix))


def run_graph(source: str, path: str, version: str, ex: dict) -> dict[str, Any]:
    v1 = tf.compat.v1
    graph = tf.Graph()
    evidence: dict[str, Any] = {"error": None}
    outputs: list[Any] = []
    with graph.as_default(), Recorder() as recorder:
        stage = "import"
        try:
            module = load_module(source, path, version, tf1=True)
            for call in ex["calls"]:
                stage = f"call {call['function']}"
                function = _lookup(module, call["function"], "function")
                inputs = [v1.placeholder(tf.float32, shape=shape) for shape in call["input_shapes"]]
                outputs.append(function(*inputs))
            for name in ex["outputs"]:
                outputs.append(_lookup(module, name, "output"))
        except ExerciseError:
            raise
        except Exception as error:
            evidence["error"] = describe_error(error, stage)
        global_variables = graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
        evidence["created"] = [_describe(v, {id(g) for g in global_variables}) for v in recorder.created]
        evidence["global_variables"] = [v.name for v in global_variables]
        evidence["scopes"] = {scope: _relative_names(graph, scope) for scope in ex["scopes"]}
        floats = _floats(outputs)
        if floats and evidence["error"] is None:
            trainable = graph.get_collection(v1.GraphKeys.TRAINABLE_VARIABLES)
            total = tf.add_n([tf.reduce_sum(o) for o in floats])
            grads = tf.gradients(total, trainable)
            evidence["grads"] = {"checked": [v.name for v in trainable],
                                 "missing": [v.name for v, g in zip(trainable, grads) if g is None]}
    return evidence


def exercise_graph(ex: dict, job: dict, same: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for version in ("original", "fixed"):
        if same and version == "fixed":
            continue
        result[version] = run_graph(job["sources"][version], job["path"], version, ex)
    return result


# ---------------------------------------------------------------------------------------------------- jobs

def run_job(job: dict) -> dict[str, Any]:
    same = job["sources"]["original"] == job["sources"]["fixed"]
    exercises = job["exercises"]
    result: dict[str, Any] = {"fixture": job["fixture"], "same_source": same, "exercises": []}
    eager_modules: dict[str, Any] = {}
    recorders: dict[str, Recorder] = {}
    load_errors: dict[str, Any] = {}
    if any(ex["kind"] in ("layer", "model", "tf-module", "metric", "script") for ex in exercises):
        for version in ("original", "fixed"):
            if same and version == "fixed":
                eager_modules["fixed"], recorders["fixed"] = eager_modules["original"], recorders["original"]
                continue
            tf.random.set_seed(0)
            np.random.seed(0)
            recorders[version] = Recorder()
            try:
                with recorders[version]:
                    eager_modules[version] = load_module(job["sources"][version],
                                                         job.get("paths", {}).get(version, job["path"]), version)
                _instrument_add_weight()
            except Exception as error:
                eager_modules[version] = None
                load_errors[version] = describe_error(error, "import")
    for ex in exercises:
        entry: dict[str, Any] = {"kind": ex["kind"], "label": ex["class_name"] or ex["kind"]}
        try:
            if ex["kind"] == "skip":
                pass
            elif ex["kind"] == "tf1-graph":
                entry.update(exercise_graph(ex, job, same))
            else:
                if ex["kind"] == "script":
                    entry.update(exercise_script(ex, eager_modules, same, recorders))
                else:
                    set_policy(ex.get("policy"))
                    try:
                        entry.update(exercise_eager(ex, eager_modules, same))
                    finally:
                        set_policy(None)
                for version, error in load_errors.items():
                    entry.setdefault(version, {})["error"] = error
        except ExerciseError as error:
            entry["exercise_error"] = str(error)
        except Exception as error:  # a failure in the verifier's own steps on this object: reported, not hidden
            entry["exercise_error"] = "{type}: {message}".format(**describe_error(error, "exercise"))
        result["exercises"].append(entry)
    for name in [n for n in sys.modules if n.startswith("_tflint_verify_")]:
        del sys.modules[name]
    reset_tf1_state()
    gc.collect()
    return result


def reset_tf1_state() -> None:
    """Forget what one job left in the default graph: get_variable's store lives there even under eager execution, so
    a variable one fixture (or version) created would be found again by the next one's get_variable."""
    if tf.executing_eagerly():
        tf.compat.v1.reset_default_graph()


def stay_below_the_verifier() -> None:
    """Linux: die with the verify process (PR_SET_PDEATHSIG), and keep whatever the fixtures start below this
    process even when they orphan it or leave the session (PR_SET_CHILD_SUBREAPER), so that the verifier can find
    and kill it (tflint_vars/verify/processes.py). Elsewhere a no-op."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return
    if str(os.getppid()) != os.environ.get("TFLINT_VARS_VERIFY_PARENT", str(os.getppid())):
        os._exit(4)  # the verifier died before the death signal was armed


def main() -> int:
    global np, tf
    stay_below_the_verifier()
    # Started as a script: its own directory heads sys.path, where fixtures would import judge.py, report.py... as
    # top-level modules. Drop it.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # prints of the fixtures, and native output, go to stderr
    sys.stdout = sys.stderr
    try:
        import numpy
        import tensorflow
    except ImportError as error:
        print(f"the interpreter {sys.executable} cannot import TensorFlow ({error}); name one that can with --python",
              file=sys.stderr)
        return 3

    np, tf = numpy, tensorflow
    keras_top = tf.keras.__name__.split(".")[0]
    protocol.write(json.dumps({"ready": True, "tensorflow": tf.__version__, "python": sys.executable,
                               "tf.keras": f"{keras_top} {getattr(sys.modules[keras_top], '__version__', '?')}"})
                   + "\n")
    for line in sys.stdin:
        job = json.loads(line)
        result = run_job(job)
        result["restart"] = not tf.executing_eagerly()  # a fixture switched eager off: the next one needs a new worker
        protocol.write(json.dumps(result, default=str) + "\n")
        if result["restart"]:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
