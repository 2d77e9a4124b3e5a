"""The differential proving ground: is each fix right on modules nobody wrote a fixture for?

For each generated layer module (`tests/prove_strategies.py`), the original runs under Keras 2 (tf-keras,
`TF_USE_LEGACY_KERAS=1`) as the reference, and the fixed code (`tflint_vars.fixes.fix_source`, or another fixer)
under Keras 3 and under Keras 2. A fix is WRONG when the fixed layer fails where the reference ran, or differs from it
in: the variables (count; name, where the original named it; shape; dtype; trainable), initial values (exact ones
equal, random ones of the same distribution: mean and std within 5 standard errors of the sample), which variables
get a gradient, the output after copying the reference's variable values in, or the `.keras` save/load round trip
(where the reference round-trips). Unsafe fixes are judged by a weaker standard: the fixed layer must run, with the
same variables (count, shape, dtype, trainable), gradients and outputs; names, initial values and the round trip may
differ.

Three worker processes (`prove_worker.py`, each importing TensorFlow once) run the whole batch: one runs the
references, and as each is done it is queued for the Keras 3 and the Keras 2 worker of the fixed code. Modules a fix
does not change are not run; a module whose original fails under Keras 2 is discarded (the generator's fault).
"""

from __future__ import annotations

import math
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tflint_vars.verify.runner import Fixer, Worker, WorkerCrashed
from tflint_vars.verify.worker import pair

PROVE_WORKER = str(Path(__file__).resolve().with_name("prove_worker.py"))
CASE_TIMEOUT = 120.0
JOBS_PER_WORKER = 250  # a restart costs a TensorFlow import; Keras' name counters are all that grows meanwhile


@dataclass
class Case:
    """One generated module and how to exercise its layer (class `class_name(**kwargs)` on a float batch)."""
    source: str
    class_name: str
    kwargs: dict = field(default_factory=dict)
    input_shape: list[int] = field(default_factory=lambda: [4, 3])
    policy: str | None = None
    after_build: str | None = None  # a method the harness calls once the layer is built (e.g. "reset")
    name: str = ""

    def describe(self) -> str:
        extra = [f"{key}={value!r}" for key, value in (("kwargs", self.kwargs), ("policy", self.policy),
                                                       ("after_build", self.after_build)) if value]
        return f"{self.class_name} on input {self.input_shape}" + (f" ({', '.join(extra)})" if extra else "")


@dataclass
class Wrong:
    runtime: str
    check: str
    message: str

    @property
    def kind(self) -> str:
        """The class of defect: the check and the message without the variable, numbers and quoted names."""
        message = self.message if self.check == "crash" else self.message.split(": ", 1)[-1]
        words = re.sub(r"'[^']*'|\"[^\"]*\"|\b\w*\d\w*\b", "_", message)
        return f"{self.check}: {words[:100]}"


@dataclass
class Outcome:
    case: Case
    fixed_source: str = ""
    fixes: int = 0
    status: str = "unchanged"  # unchanged | discarded | proven | wrong | error
    reference: dict | None = None
    fixed: dict[str, dict] = field(default_factory=dict)
    wrong: list[Wrong] = field(default_factory=list)
    untracked: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""


# ---------------------------------------------------------------------------------------------------- comparisons

def _first_line(error: dict) -> str:
    message = (error.get("message") or "").strip().splitlines()
    return f"{error.get('type')} during {error.get('stage')}: {message[0][:200] if message else ''}"


def _distribution_differs(a: dict, b: dict) -> str | None:
    mean_tolerance = 5 * math.sqrt(a["std"] ** 2 / a["n"] + b["std"] ** 2 / b["n"]) + 1e-6
    std_tolerance = max(0.02, 5 * math.sqrt(1 / (2 * a["n"]) + 1 / (2 * b["n"])))
    if abs(a["mean"] - b["mean"]) > mean_tolerance:
        return f"mean {a['mean']:.4f} -> {b['mean']:.4f} (tolerance {mean_tolerance:.4f})"
    if a["std"] == b["std"] == 0:
        return None
    if a["std"] == 0 or abs(b["std"] / a["std"] - 1) > std_tolerance:
        return f"std {a['std']:.4f} -> {b['std']:.4f} (relative tolerance {std_tolerance:.3f})"
    return None


def _equal_values(a: Any, b: Any) -> bool:
    import numpy as np  # the parent needs numpy only here (TensorFlow's dependency, present wherever this runs)

    left, right = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return left.shape == right.shape and bool(np.allclose(left, right, rtol=1e-6, atol=1e-6))


def compare(reference: dict, fixed: dict, runtime: str, standard: str = "safe") -> list[Wrong]:
    """The checks by which the fixed layer under `runtime` differs from the reference (the original under Keras 2)."""
    if fixed.get("error"):
        return [Wrong(runtime, "crash", _first_line(fixed["error"]))]
    wrong: list[Wrong] = []
    ref_vars, fix_vars = reference["variables"], fixed["variables"]
    if len(ref_vars) != len(fix_vars):
        wrong.append(Wrong(runtime, "variable count", f"{len(ref_vars)} -> {len(fix_vars)} variables "
                           f"({[v['short'] for v in ref_vars]} -> {[v['short'] for v in fix_vars]})"))
    for i, j in fixed.get("pairs") or pair(ref_vars, fix_vars):
        r, f = ref_vars[i], fix_vars[j]
        name = r["short"]
        if standard == "safe" and r["explicit_name"] and r["short"] != f["short"]:
            wrong.append(Wrong(runtime, "name", f"{r['short']!r} -> {f['short']!r}"))
        for key in ("shape", "dtype", "trainable"):
            if r[key] != f[key]:
                wrong.append(Wrong(runtime, key, f"{name}: {r[key]} -> {f[key]}"))
        if reference["grads"][i] != fixed["grads"][j]:
            change = "lost" if reference["grads"][i] else "gained"
            wrong.append(Wrong(runtime, "gradient", f"{name}: gradient {change}"))
        if standard != "safe" or r["shape"] != f["shape"]:
            continue
        random_r, random_f = reference["random"][i], fixed["random"][j]
        if random_r != random_f:
            wrong.append(Wrong(runtime, "initial value", f"{name}: {'random' if random_r else 'constant'} -> "
                               f"{'random' if random_f else 'constant'}"))
        elif not random_r and not _equal_values(reference["values"][i], fixed["values"][j]):
            wrong.append(Wrong(runtime, "initial value", f"{name}: constant value changed"))
        elif random_r and reference["stats"][i] and fixed["stats"][j]:
            why = _distribution_differs(reference["stats"][i], fixed["stats"][j])
            if why:
                wrong.append(Wrong(runtime, "initial distribution", f"{name}: {why}"))
    copied = fixed.get("copied") or {}
    if copied and not copied.get("equal"):
        wrong.append(Wrong(runtime, "outputs", copied.get("error") or
                           f"outputs differ after copying the reference's values (max |diff| "
                           f"{copied.get('max_abs_diff'):.3g})"))
    if standard == "safe":
        saved_r, saved_f = reference.get("save") or {}, fixed.get("save") or {}
        # A variable no fix reached is not saved under Keras 3: that is the original's defect, not the fix's.
        untracked = [v for v in fix_vars if not v.get("tracked")]
        if saved_r.get("ok") and not saved_f.get("ok") and not untracked:
            wrong.append(Wrong(runtime, "save/load", saved_f.get("error") or "failed"))
    return wrong


# ---------------------------------------------------------------------------------------------------- running

def _job(case: Case, path: str, source: str, version: str, reference: dict | None = None) -> str:
    import json

    return json.dumps({"case": case.name, "version": version, "path": path, "source": source,
                       "class_name": case.class_name, "kwargs": case.kwargs, "input_shape": case.input_shape,
                       "policy": case.policy, "after_build": case.after_build, "save": True,
                       "reference": reference}) + "\n"


def _ask(worker: Worker, payload: str, label: str, timeout: float) -> dict:
    try:
        return worker.request(payload, label, timeout)
    except (TimeoutError, WorkerCrashed) as error:
        return {"error": {"stage": "worker", "type": type(error).__name__, "message": str(error)}, "lost": True}


def _reference_for_copy(reference: dict, case: Case) -> dict:
    return {"variables": [{k: v[k] for k in ("short", "shape")} for v in reference["variables"]],
            "values": reference["values"], "output": reference["output"],
            "low_precision": case.policy is not None and "16" in case.policy}


def prove(cases: list[Case], fixer: Fixer, *, unsafe: bool = False, timeout: float = CASE_TIMEOUT,
          python: str | None = None, progress: Callable[[str], None] | None = None,
          count_fixes: Callable[[str, str], int] | None = None) -> tuple[list[Outcome], dict[str, Any]]:
    """Run `cases` through the proving ground; the outcomes (in case order) and facts (seconds, runtimes)."""
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="tflint-prove-"))
    outcomes = [Outcome(case) for case in cases]
    paths: dict[int, tuple[str, str]] = {}
    for index, outcome in enumerate(outcomes):
        case = outcome.case
        case.name = case.name or f"case_{index:04d}"
        original_path = scratch / f"{case.name}.py"
        original_path.write_text(case.source)
        try:
            outcome.fixed_source = fixer(case.source, str(original_path), unsafe=unsafe)
        except Exception as error:  # the fixer's crash is this case's finding, the others still run
            outcome.status, outcome.note = "error", f"the fixer raised {type(error).__name__}: {error}"
            continue
        if outcome.fixed_source == case.source:
            continue
        outcome.fixes = count_fixes(case.source, str(original_path)) if count_fixes else 1
        fixed_path = scratch / f"{case.name}_fixed.py"
        fixed_path.write_text(outcome.fixed_source)
        paths[index] = (str(original_path), str(fixed_path))
    runtimes = ("keras3", "keras2")
    queues = {runtime: queue.Queue() for runtime in runtimes}
    infos: dict[str, dict] = {}

    def references() -> None:
        worker = Worker("keras2", python, PROVE_WORKER, JOBS_PER_WORKER)
        try:
            for index, (original_path, _) in paths.items():
                outcome = outcomes[index]
                answer = _ask(worker, _job(outcome.case, original_path, outcome.case.source, "original"),
                              outcome.case.name, timeout)
                infos.setdefault("reference", worker.info)
                outcome.reference = answer
                if answer.get("error"):
                    outcome.status, outcome.note = "discarded", "original under Keras 2: " + _first_line(
                        answer["error"])
                    continue
                for runtime in runtimes:
                    queues[runtime].put(index)
        finally:
            worker.stop()
            for runtime in runtimes:
                queues[runtime].put(None)

    def fixed_runs(runtime: str) -> None:
        worker = Worker(runtime, python, PROVE_WORKER, JOBS_PER_WORKER)
        try:
            while (index := queues[runtime].get()) is not None:
                outcome = outcomes[index]
                reference = _reference_for_copy(outcome.reference, outcome.case)
                outcome.fixed[runtime] = _ask(worker, _job(outcome.case, paths[index][1], outcome.fixed_source,
                                                           "fixed", reference), outcome.case.name, timeout)
                infos.setdefault(runtime, worker.info)
                if progress:
                    progress(f"{runtime} {outcome.case.name}")
        finally:
            worker.stop()

    threads = [threading.Thread(target=references)]
    threads += [threading.Thread(target=fixed_runs, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    standard = "unsafe" if unsafe else "safe"
    for outcome in outcomes:
        if outcome.status != "unchanged" or outcome.reference is None:
            continue
        for runtime in runtimes:
            answer = outcome.fixed.get(runtime)
            if answer is None:
                continue
            outcome.wrong += compare(outcome.reference, answer, runtime, standard)
            if not answer.get("error"):
                outcome.untracked[runtime] = [v["short"] for v in answer["variables"] if not v.get("tracked")]
        outcome.status = "wrong" if outcome.wrong else "proven"
    for directory, _, files in os.walk(scratch, topdown=False):
        for name in files:
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)
    return outcomes, {"seconds": round(time.monotonic() - started, 1), "runtimes": infos}


# ---------------------------------------------------------------------------------------------------- report

def classes(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    """Wrong fixes grouped by class of defect, each class's smallest module first."""
    grouped: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        for kind in dict.fromkeys(w.kind for w in outcome.wrong):
            grouped.setdefault(kind, []).append(outcome)
    for members in grouped.values():  # the fewest variables, then the shortest source
        members.sort(key=lambda o: (len((o.reference or {}).get("variables") or ()), len(o.case.source), o.case.name))
    return dict(sorted(grouped.items(), key=lambda item: -len(item[1])))


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {status: sum(1 for o in outcomes if o.status == status)
              for status in ("unchanged", "discarded", "proven", "wrong", "error")}
    changed = sum(1 for o in outcomes if o.fixed_source != o.case.source and o.status != "error")
    return {"modules": len(outcomes), "changed": changed,
            "fixes": sum(o.fixes for o in outcomes), **counts,
            "untracked_after_fix_keras3": sum(1 for o in outcomes if o.untracked.get("keras3"))}


def write_text(outcomes: list[Outcome], facts: dict[str, Any], stream, *, unsafe: bool = False,
               seed: int | None = None) -> None:
    counts = summary(outcomes)
    grouped = classes(outcomes)
    for kind, members in grouped.items():
        first = members[0]
        runtimes = sorted({w.runtime for o in members for w in o.wrong if w.kind == kind})
        stream.write(f"\nWRONG ({len(members)} module(s), {' and '.join(runtimes)}) {kind}\n")
        stream.write(f"  smallest: {first.case.name}, {first.case.describe()}\n")
        for wrong in first.wrong:
            stream.write(f"  - {wrong.runtime} {wrong.check}: {wrong.message}\n")
        stream.write("  --- original\n" + "".join(f"  | {line}\n" for line in first.case.source.splitlines()))
        stream.write("  --- fixed\n" + "".join(f"  | {line}\n" for line in first.fixed_source.splitlines()))
    for outcome in outcomes:
        if outcome.status == "error":
            stream.write(f"\nERROR {outcome.case.name}: {outcome.note}\n")
    fix_level = "safe and unsafe" if unsafe else "safe"
    runtimes = "; ".join(f"{name}: tensorflow {info.get('tensorflow', '?')}, tf.keras = {info.get('tf.keras', '?')}"
                         for name, info in facts.get("runtimes", {}).items() if info)
    stream.write(
        f"\nproving ground ({fix_level} fixes{'' if seed is None else f', seed {seed}'}): "
        f"{counts['modules']} modules generated, {counts['changed']} changed by the fix "
        f"({counts['fixes']} fixes applied), {counts['discarded']} discarded (the original fails under Keras 2), "
        f"{counts['proven']} proven, {counts['wrong']} with a WRONG fix in {len(grouped)} class(es), "
        f"{counts['error']} fixer error(s); {counts['untracked_after_fix_keras3']} fixed module(s) still hold "
        f"untracked variables under Keras 3; {facts.get('seconds', 0):.1f} s\n")
    if runtimes:
        stream.write(f"({runtimes})\n")
