"""`tflint-vars verify --replay REPORT`: prove each fix on the user's own classes, built as their tests built them.

REPORT is the JSON the pytest plugin writes (`pytest --tflint-vars --tflint-vars-report=REPORT`). For each class with
a finding, it names the module, the constructor's arguments and the first call's input shapes and dtype. The user's
package tree is copied to a temporary directory and fixed there with the verifier's fixer (by default the one
`check --fix` uses); the user's files are never written. Each class then becomes one `verify` job, original module
against fixed module, run by the same worker and judged by the same judge as `verify`, under Keras 2 (tf-keras) and
under Keras 3, in subprocesses. On top, the variables the original tracks under Keras 2 must be the variables the
fixed class tracks under Keras 3 (same shapes, dtypes, trainability): the migration's promise, across runtimes.
"""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tflint_vars.verify.declaration import INPUT_DTYPES, Exercise, Fixture
from tflint_vars.verify.runner import DEFAULT_TIMEOUT, Fixer, Job, Result, run_runtime

PROVEN, WRONG, NO_FIX, NOT_REPLAYABLE = "fix proven", "fix wrong", "no fix", "not replayable"
RUNTIMES = ("keras2", "keras3")


class ReportError(ValueError):
    """A report that cannot be replayed at all (unreadable, not JSON, not the plugin's)."""


@dataclass
class Replay:
    name: str  # module.Class
    verdict: str
    reasons: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"class": self.name, "verdict": self.verdict, "reasons": self.reasons,
                "results": [r.to_json() for r in self.results]}


def load_report(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ReportError(f"{path} is not JSON: {error}") from None
    if not isinstance(report, dict) or "tflint_vars_report" not in report or not isinstance(
            report.get("classes"), list):
        raise ReportError(f"{path} is not a report of `pytest --tflint-vars --tflint-vars-report=PATH`")
    return report


def package_root(path: Path, module: str) -> Path:
    """The directory of the module's top-level package (the tree to copy), or the file itself for a lone module."""
    depth = module.count(".")
    if depth == 0:
        return path
    top = path.parents[depth - 1]
    return top if top.name == module.split(".")[0] else path


class FixedCopies:
    """Fixed copies of the user's package trees, in one temporary directory, each tree fixed once."""

    def __init__(self, fixer: Fixer) -> None:
        self.fixer = fixer
        self.directory = Path(tempfile.mkdtemp(prefix="tflint-vars-replay-"))
        self.trees: dict[Path, Path] = {}
        self.errors: dict[Path, str] = {}

    def fixed_path(self, original: Path, module: str) -> Path:
        """Where `original` is in its tree's fixed copy (copied and fixed on first use)."""
        root = package_root(original, module)
        if root not in self.trees:
            copy = self.directory / f"{len(self.trees)}" / root.name
            if root.is_dir():
                shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                files = sorted(copy.rglob("*.py"))
            else:
                copy.parent.mkdir(parents=True)
                shutil.copy2(root, copy)
                files = [copy]
            for file in files:
                try:
                    source = file.read_text(encoding="utf-8")
                    fixed = self.fixer(source, str(file), unsafe=False)
                except Exception as error:  # one file's failure is its classes' reason, not the run's
                    self.errors[file] = f"the fixer failed on {file.name}: {type(error).__name__}: {error}"
                    continue
                if fixed != source:
                    file.write_text(fixed, encoding="utf-8")
            self.trees[root] = copy
        copy = self.trees[root]
        return copy / original.relative_to(root) if root.is_dir() else copy

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def class_source(source: str, name: str) -> str | None:
    """The module-level class `name` as an AST dump (None when the module has none or does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return ast.dump(node)
    return None


def why_no_fix(report: dict[str, Any], entry: dict[str, Any]) -> str:
    findings = [f for f in report.get("findings", []) if f.get("class") == entry["class"]
                and f.get("module") == entry["module"]]
    if findings and all(f.get("seen_by") == "runtime" for f in findings):
        return "no static rule sees this variable (seen only at runtime), so no fix is generated: fix it by hand"
    reasons = [f["message"].rpartition("(")[2].rstrip(")") for f in findings if not f.get("fix")]
    return "; ".join(dict.fromkeys(reasons)) or "the fixer left the class unchanged"


def exercise(entry: dict[str, Any], runtime: str) -> Exercise:
    inputs = entry["inputs"]
    # A `.keras` round trip is Keras 3's promise; tf-keras cannot save a custom layer without get_config.
    return Exercise(kind=entry["kind"], class_name=entry["class"], args=list(entry.get("args", [])),
                    kwargs=dict(entry.get("kwargs", {})), input_shape=inputs["shape"], input_dtype=inputs["dtype"],
                    save=runtime == "keras3" and entry["kind"] != "metric")


def unreplayable(entry: dict[str, Any]) -> str | None:
    if entry.get("not_replayable"):
        return entry["not_replayable"]
    if "." in entry["class"]:
        return f"`{entry['class']}` is not a module-level class"
    if entry.get("unserializable"):
        return "constructor arguments that cannot be recorded: " + ", ".join(entry["unserializable"])
    if not entry.get("inputs"):
        return entry.get("input_note") or "the tests never called it"
    if entry["inputs"].get("dtype") not in INPUT_DTYPES:
        return f"inputs of dtype {entry['inputs'].get('dtype')} (the verifier feeds {', '.join(INPUT_DTYPES)})"
    if not entry.get("path") or not Path(entry["path"]).is_file():
        return f"its file {entry.get('path')} is not there"
    return None


def tracked(evidence: dict[str, Any]) -> list[tuple]:
    return sorted((tuple(v["shape"]), v["dtype"], v["trainable"]) for v in evidence.get("created", [])
                  if v.get("tracked"))


def across_runtimes(by_runtime: dict[str, Result]) -> str | None:
    """The variables the original tracks under Keras 2 against those the fixed class tracks under Keras 3."""
    try:
        before = tracked(by_runtime["keras2"].evidence[0]["original"])
        after = tracked(by_runtime["keras3"].evidence[0]["fixed"])
    except (KeyError, IndexError):
        return "no evidence to compare Keras 2's original with Keras 3's fixed class"
    if before != after:
        return f"the original tracks {before} under Keras 2, the fixed class {after} under Keras 3 " \
               "(shape, dtype, trainable)"
    return None


def verdict(by_runtime: dict[str, Result]) -> tuple[str, list[str]]:
    reasons = [f"[{runtime}] {reason}" for runtime, result in by_runtime.items() for reason in result.reasons]
    verdicts = {result.verdict for result in by_runtime.values()}
    if "error" in verdicts:
        return NOT_REPLAYABLE, reasons
    if "fail" in verdicts:
        return WRONG, reasons
    mismatch = across_runtimes(by_runtime)
    if mismatch:
        return WRONG, [mismatch]
    summary = tracked(by_runtime["keras3"].evidence[0]["fixed"])
    return PROVEN, [f"{len(summary)} variable(s) tracked by the fixed class under Keras 3 as by the original under "
                    "Keras 2; initial values, outputs, gradients, a fit step and save/load checked"]


def replay(report_path: str, *, fixer: Fixer, timeout: float = DEFAULT_TIMEOUT,
           python: str | None = None) -> list[Replay]:
    report = load_report(report_path)
    replays: dict[str, Replay] = {}
    jobs: dict[str, list[Job]] = {runtime: [] for runtime in RUNTIMES}
    copies = FixedCopies(fixer)
    try:
        for entry in report["classes"]:
            name = f"{entry.get('module')}.{entry.get('class')}"
            problem = unreplayable(entry)
            if problem:
                replays[name] = Replay(name, NOT_REPLAYABLE, [problem])
                continue
            original_path = Path(entry["path"])
            fixed_path = copies.fixed_path(original_path, entry["module"])
            if fixed_path in copies.errors:
                replays[name] = Replay(name, NOT_REPLAYABLE, [copies.errors[fixed_path]])
                continue
            original = original_path.read_text(encoding="utf-8")
            fixed = fixed_path.read_text(encoding="utf-8")
            if class_source(original, entry["class"]) == class_source(fixed, entry["class"]):
                replays[name] = Replay(name, NO_FIX, [why_no_fix(report, entry)])
                continue
            replays[name] = Replay(name, "")
            for runtime in RUNTIMES:
                jobs[runtime].append(Job(Fixture(name, original_path, [exercise(entry, runtime)]), original, fixed,
                                         fixed_path=str(fixed_path)))
        results: list[Result] = []
        lock = threading.Lock()

        def collect(result: Result) -> None:
            with lock:
                results.append(result)

        threads = [threading.Thread(target=run_runtime, args=(runtime, jobs[runtime], timeout, collect, {}, python))
                   for runtime in RUNTIMES if jobs[runtime]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        copies.close()
    for name, entry in replays.items():
        if entry.verdict:
            continue
        found = {r.runtime: r for r in results if r.fixture == name}
        by_runtime = {runtime: found[runtime] for runtime in RUNTIMES if runtime in found}  # reasons in this order
        entry.results = list(by_runtime.values())
        entry.verdict, entry.reasons = verdict(by_runtime) if len(by_runtime) == len(RUNTIMES) else (
            NOT_REPLAYABLE, ["a runtime returned no result"])
    return list(replays.values())


def write_text(replays: list[Replay], stream: TextIO) -> None:
    for entry in replays:
        stream.write(f"{entry.name}: {entry.verdict}" + (f" ({entry.reasons[0]})" if entry.reasons else "") + "\n")
        for reason in entry.reasons[1:]:
            stream.write(f"    {reason}\n")
    counts = {v: sum(r.verdict == v for r in replays) for v in (PROVEN, WRONG, NO_FIX, NOT_REPLAYABLE)}
    stream.write(f"\n{len(replays)} classes: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + "\n")


def write_json(replays: list[Replay], stream: TextIO) -> None:
    json.dump({"replay": [r.to_json() for r in replays]}, stream, indent=2, default=str)
    stream.write("\n")
