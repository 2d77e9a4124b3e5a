"""The plugin's findings at the end of the session: matched against the static rules (the real engine, run on each
file involved), worded with the rules' own messages, shown in the terminal summary and written as the JSON report
that `tflint-vars verify --replay` reads."""

from __future__ import annotations

import inspect
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from tflint_vars.diagnostics import noqa_suppresses
from tflint_vars.engine import check_file
from tflint_vars.rules._raw_variables import effects_for, get_variable_message, per_call_message, untracked_text
from tflint_vars.sources import LINE_END

REPORT_VERSION = 1
RAW_VARIABLE_CODES = ("TFV001", "TFV002", "TFV003", "TFV004")
KINDS = {"Model": "model", "Metric": "metric"}


@dataclass
class Results:
    runtime: str
    versions: dict[str, str]
    rootdir: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    classes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"tflint_vars_report": REPORT_VERSION, "runtime": self.runtime, **self.versions,
                "rootdir": self.rootdir, "python": sys.executable, "findings": self.findings,
                "classes": self.classes}


def _kind(cls: type) -> str:
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] in ("keras", "tf_keras") and klass.__name__ in KINDS:
            return KINDS[klass.__name__]
    return "layer"


def _source_range(cls: type) -> tuple[str, int, int] | None:
    try:
        lines, start = inspect.getsourcelines(cls)
        return os.path.abspath(inspect.getsourcefile(cls) or ""), start, start + len(lines) - 1
    except (OSError, TypeError):
        return None


class StaticChecks:
    """The engine's diagnostics and the lines of each file, computed once per file."""

    def __init__(self) -> None:
        self.diagnostics: dict[str, list] = {}
        self.lines: dict[str, list[str]] = {}

    def of(self, path: str) -> list:
        if path not in self.diagnostics:
            self.diagnostics[path] = [d for d in check_file(path) if d.code in RAW_VARIABLE_CODES]
        return self.diagnostics[path]

    def line(self, path: str, number: int) -> str:
        if path not in self.lines:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    self.lines[path] = LINE_END.split(handle.read())
            except OSError:
                self.lines[path] = []
        lines = self.lines[path]
        return lines[number - 1] if 0 < number <= len(lines) else ""


def runtime_message(finding: Any) -> str:
    where = f"`{finding.cls.__name__}.{finding.method}`"
    if finding.code == "TFV004":
        return get_variable_message(where)
    if finding.code == "TFV002":
        return per_call_message(where)
    return untracked_text(where, effects_for(_kind(finding.cls) == "metric"))


def observed(finding: Any) -> str:
    """What the running Keras did with the variable."""
    holder = "metric.variables" if _kind(finding.cls) == "metric" else "layer.weights"
    if finding.runtime == "keras3":
        return f"Keras 3 ran it: missing from `{holder}`" if not finding.in_weights else \
            f"Keras 3 ran it: in `{holder}`"
    if finding.in_weights:
        return f"Keras 2 ran it and tracks it (in `{holder}`); under Keras 3 it will be missing from `{holder}`"
    return f"Keras 2 ran it and does not track it either (not in `{holder}`)"


def collect(watcher: Any) -> Results:
    import tensorflow as tf

    keras_top = tf.keras.__name__.split(".")[0]
    runtime = "keras2" if keras_top == "tf_keras" else "keras3"
    versions = {"tensorflow": tf.__version__, "keras": getattr(sys.modules[keras_top], "__version__", "?")}
    results = Results(runtime, versions, watcher.root.rstrip(os.sep))
    static = StaticChecks()
    classes_with_findings: dict[type, list[str]] = {}
    seen_lines: set[tuple[str, int]] = set()
    for finding in sorted(watcher.findings.values(), key=lambda f: (f.path, f.line)):
        path = os.path.abspath(finding.path)
        matches = [d for d in static.of(path) if d.line == finding.line]
        code = matches[0].code if matches else finding.code
        if noqa_suppresses(static.line(path, finding.line), code):
            continue
        seen_lines.add((path, finding.line))
        classes_with_findings.setdefault(finding.cls, []).append(f"{code}:{finding.line}")
        results.findings.append({
            "code": code, "message": matches[0].message if matches else runtime_message(finding),
            "path": path, "line": finding.line, "class": finding.cls.__qualname__, "module": finding.cls.__module__,
            "method": finding.method, "seen_by": "both" if matches else "runtime", "fix": matches[0].fix
            if matches else None, "created_at": finding.created_at, "in_weights": finding.in_weights,
            "observed": observed(finding), "tests": finding.tests})
    for cls, record in watcher.classes.items():
        where = _source_range(cls)
        if where is None:
            continue
        path, start, end = where
        for diagnostic in static.of(path):
            if start <= diagnostic.line <= end and (path, diagnostic.line) not in seen_lines:
                classes_with_findings.setdefault(cls, []).append(f"{diagnostic.code}:{diagnostic.line}")
                results.findings.append({
                    "code": diagnostic.code, "message": diagnostic.message, "path": path, "line": diagnostic.line,
                    "class": cls.__qualname__, "module": cls.__module__, "method": None, "seen_by": "static",
                    "fix": diagnostic.fix, "created_at": None, "in_weights": None,
                    "observed": "not seen while the tests ran (the code did not run, or the layer did not keep it)",
                    "tests": record.tests})
    for cls, codes in classes_with_findings.items():
        record = watcher.classes.get(cls)
        where = _source_range(cls)
        entry: dict[str, Any] = {"class": cls.__qualname__, "module": cls.__module__,
                                 "path": where[0] if where else None, "line": where[1] if where else None,
                                 "kind": _kind(cls), "findings": codes}
        if record is None:
            entry["not_replayable"] = "the tests' construction of it was not recorded"
        else:
            entry.update(args=record.args, kwargs=record.kwargs, unserializable=record.unserializable,
                         inputs=record.inputs, input_note=record.input_note, tests=record.tests)
        results.classes.append(entry)
    results.findings.sort(key=lambda f: (f["path"], f["line"]))
    return results


def write_report(results: Results, path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(results.to_json(), handle, indent=2, default=repr)
        handle.write("\n")


def _relative(path: str, root: str) -> str:
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else path


def write_summary(results: Results, reporter: Any, report_path: str | None) -> None:
    reporter.section(f"tflint-vars ({results.runtime}: tensorflow {results.versions['tensorflow']}, "
                     f"keras {results.versions['keras']})")
    for finding in results.findings:
        tag = {"runtime": " (runtime)", "static": " (static)"}.get(finding["seen_by"], "")
        reporter.write_line(f"{_relative(finding['path'], results.rootdir)}:{finding['line']}: {finding['code']} "
                            f"{finding['message']}{tag}")
        created = finding["created_at"]
        if created and created != f"{finding['path']}:{finding['line']}":  # by a helper: a factory, a wrapper
            path, _, line = created.rpartition(":")
            reporter.write_line(f"    created at {_relative(path, results.rootdir)}:{line}")
        reporter.write_line(f"    {finding['observed']}")
        if finding["tests"]:
            reporter.write_line(f"    tests: {', '.join(finding['tests'])}")
    runtime_only = sum(f["seen_by"] == "runtime" for f in results.findings)
    summary = (f"{len(results.findings)} finding(s), {runtime_only} seen only at runtime, in "
               f"{len(results.classes)} class(es)")
    if report_path:
        summary += f"; report: {report_path} (replay: tflint-vars verify --replay {report_path})"
    reporter.write_line(summary)
