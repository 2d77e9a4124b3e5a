"""The proving ground's worker: one TensorFlow process per runtime that runs many generated layer modules.

Protocol as `worker.py`'s (one JSON job per line on stdin, one JSON answer per line on the original stdout): a job is
one module (original or fixed) with the layer to construct and its input; the answer is the evidence the parent
compares across runtimes: variables (name, shape, dtype, trainable, tracked), initial values (exact ones, or the
distribution of random ones over fresh constructions), which variables get a gradient, the output, the output after
taking the reference's variable values, and a `.keras` save/load round trip. Shares `worker.py`'s loading and
instruments (imported by path: neither file imports tflint_vars, so any interpreter with TensorFlow runs them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from typing import Any

_spec = importlib.util.spec_from_file_location("_tflint_verify_worker",
                                               os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)  # type: ignore[union-attr]

np: Any = None
tf: Any = None
# Fresh constructions drawn per random variable: up to TARGET_VALUES values, at least MIN_DRAWS constructions, and no
# more once DRAW_SECONDS have passed.
MAX_DRAWS, MIN_DRAWS, TARGET_VALUES, DRAW_SECONDS = 60, 8, 2000, 0.6


def setup(cls: Any, job: dict, x: Any) -> tuple[Any, list[Any]]:
    """Construct, call once, run the after-build method (e.g. reset) and call again: the layer and its variables."""
    with base.Recorder() as recorder:
        layer = cls(**job["kwargs"])
        layer(x)
        if job.get("after_build"):
            getattr(layer, job["after_build"])()
            layer(x)
    return layer, base._without_baseline(recorder.created, base._baseline(layer))


def _values(variables: list[Any]) -> list[Any]:
    return [np.asarray(v.numpy()) for v in variables]


def _describe(variables: list[Any], layer: Any) -> list[dict[str, Any]]:
    tracked = {id(base._underlying(w)) for w in layer.weights}
    return [{**base._describe(v, tracked), "explicit_name": not base._short_name(v).startswith("Variable")}
            for v in variables]


def _distributions(cls: Any, job: dict, x: Any, first: list[Any]) -> tuple[list[bool], list[dict | None]]:
    """Which variables are random (a second construction gives other values), and their sampled mean and std."""
    _, second = setup(cls, job, x)
    second_values = _values(second)
    random = [i < len(second_values) and not np.array_equal(a, second_values[i]) for i, a in enumerate(first)]
    stats: list[dict | None] = [None] * len(first)
    if not any(random):
        return random, stats
    draws: list[list[Any]] = [[a] if r else [] for a, r in zip(first, random)]
    smallest = min(max(1, first[i].size) for i, r in enumerate(random) if r)
    wanted = max(MIN_DRAWS, min(MAX_DRAWS, -(-TARGET_VALUES // smallest)))
    started = time.monotonic()
    for count in range(wanted):
        if count >= MIN_DRAWS and time.monotonic() - started > DRAW_SECONDS:
            break
        _, created = setup(cls, job, x)
        for i, v in enumerate(created[:len(draws)]):
            if random[i]:
                draws[i].append(v.numpy())
    for i, values in enumerate(draws):
        if values:
            flat = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])
            stats[i] = {"n": int(flat.size), "mean": float(flat.mean()), "std": float(flat.std())}
    return random, stats


def _gradients(layer: Any, variables: list[Any], x: Any) -> list[bool]:
    with tf.GradientTape() as tape:
        tape.watch([v for v in variables if v.dtype.is_floating])
        out = layer(x)
        loss = tf.reduce_sum(tf.cast(out, tf.float32))
    grads = tape.gradient(loss, variables)
    return [g is not None for g in grads]


def _copy_reference(layer: Any, variables: list[Any], x: Any, reference: dict,
                    pairs: list[tuple[int, int]]) -> dict[str, Any]:
    """Assign the reference's values to this layer's variables (`pairs`: reference index, own index), compare
    outputs."""
    for i, j in pairs:
        value = np.asarray(reference["values"][i])
        target = variables[j]
        if list(value.shape) != target.shape.as_list():
            return {"equal": False, "error": f"cannot copy {base._short_name(target)}: shape {list(value.shape)} -> "
                                             f"{target.shape.as_list()}"}
        target.assign(tf.cast(value, target.dtype))
    out = np.asarray(tf.cast(layer(x), tf.float64))
    expected = np.asarray(reference["output"], dtype=np.float64)
    if out.shape != expected.shape:
        return {"equal": False, "error": f"output shape {list(expected.shape)} -> {list(out.shape)}"}
    tolerance = 1e-2 if reference.get("low_precision") else 1e-5
    difference = float(np.max(np.abs(out - expected), initial=0.0))
    return {"equal": bool(np.allclose(out, expected, rtol=tolerance, atol=tolerance)), "max_abs_diff": difference}


def run_case(job: dict) -> dict[str, Any]:
    answer: dict[str, Any] = {"case": job["case"], "version": job["version"], "error": None}
    tf.random.set_seed(0)
    np.random.seed(0)
    stage = "import"
    try:
        module = base.load_module(job["source"], job["path"], job["version"])
        cls = base._lookup(module, job["class_name"], "class")
        base.set_policy(job.get("policy"))  # after the import: set on the Keras the module loaded
        x = tf.constant(base.make_values(np.random.RandomState(0), job["input_shape"],
                                         job.get("input_dtype") or "float32", job.get("input_range")))
        stage = "construct and call"
        layer, variables = setup(cls, job, x)
        answer["variables"] = _describe(variables, layer)
        first = _values(variables)
        answer["values"] = [v.tolist() for v in first]
        stage = "output"
        answer["output"] = np.asarray(tf.cast(layer(x), tf.float64)).tolist()
        stage = "initial values"
        answer["random"], answer["stats"] = _distributions(cls, job, x, first)
        stage = "gradients"
        answer["grads"] = _gradients(layer, variables, x)
        if job.get("reference"):
            stage = "copy the reference's values"
            answer["pairs"] = base.pair(job["reference"]["variables"], answer["variables"])
            answer["copied"] = _copy_reference(layer, variables, x, job["reference"], answer["pairs"])
        if job.get("save"):
            stage = "save"
            fresh, _ = setup(cls, job, x)
            answer["save"] = base.save_round_trip(fresh, cls, x)
    except base.ExerciseError as error:
        answer["error"] = {"stage": stage, "type": "ExerciseError", "message": str(error), "where": None}
    except Exception as error:
        answer["error"] = base.describe_error(error, stage)
    finally:
        base.set_policy(None)
        for name in [n for n in sys.modules if n.startswith("_tflint_verify_") and n != "_tflint_verify_worker"]:
            del sys.modules[name]
        base.reset_tf1_state()
    return answer


def main() -> int:
    global np, tf
    base.stay_below_the_verifier()
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        import numpy
        import tensorflow
    except ImportError as error:
        print(f"the interpreter {sys.executable} cannot import TensorFlow ({error})", file=sys.stderr)
        return 3
    np, tf = numpy, tensorflow
    base.np, base.tf = numpy, tensorflow
    keras_top = tf.keras.__name__.split(".")[0]
    protocol.write(json.dumps({"ready": True, "tensorflow": tf.__version__, "python": sys.executable,
                               "tf.keras": f"{keras_top} {getattr(sys.modules[keras_top], '__version__', '?')}"})
                   + "\n")
    for line in sys.stdin:
        answer = run_case(json.loads(line))
        answer["restart"] = not tf.executing_eagerly()
        protocol.write(json.dumps(answer, default=str) + "\n")
        if answer["restart"]:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
