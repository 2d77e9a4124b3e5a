"""`tflint-vars report PATH... [--html DIR] [--output-format text|markdown]`: a migration report for the people who
plan the move to Keras 3.

Findings per package (directory), module and rule; how many each fix level covers (safe: `--fix`; unsafe:
`--unsafe-fixes`; none: by hand); the Keras classes checked; the runtime verification status per module when a
`tflint-vars verify --output-format json` report is given; and a chart of what is left. The HTML is one
self-contained file (inline CSS and SVG, no script, no network), so it opens from the file system; markdown is for
a pull-request comment.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from tflint_vars import __version__
from tflint_vars.config import Config
from tflint_vars.diagnostics import SAFE, UNSAFE, Diagnostic
from tflint_vars.diagnostics import CodeSelection
from tflint_vars.engine import check_files, discover
from tflint_vars.rules.registry import RULES_BY_CODE
from tflint_vars.sources import Source, load_source, read_file

LEVELS = ("safe", "unsafe", "none")
COLOURS = {"safe": "#2e7d32", "unsafe": "#ef6c00", "none": "#c62828"}


def level(diagnostic: Diagnostic) -> str:
    return diagnostic.fix if diagnostic.fix in (SAFE, UNSAFE) else "none"


@dataclass
class Tally:
    """Findings by fix level."""

    counts: Counter = field(default_factory=Counter)

    def add(self, diagnostic: Diagnostic) -> None:
        self.counts[level(diagnostic)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Report:
    root: str
    modules: list[str]
    diagnostics: list[Diagnostic]
    classes: dict[str, int]  # module -> Keras classes checked in it
    verification: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> runtime -> verdict

    def module_name(self, path: str) -> str:
        return os.path.relpath(path, self.root) if self.root else path

    def package(self, path: str) -> str:
        return os.path.dirname(self.module_name(path)) or "."

    def by(self, key) -> dict[str, Tally]:
        tallies: dict[str, Tally] = {}
        for diagnostic in self.diagnostics:
            tallies.setdefault(key(diagnostic), Tally()).add(diagnostic)
        return dict(sorted(tallies.items(), key=lambda item: (-item[1].total, item[0])))

    @property
    def overall(self) -> Tally:
        tally = Tally()
        for diagnostic in self.diagnostics:
            tally.add(diagnostic)
        return tally


def keras_classes(path: str) -> int:
    """The Keras classes (layers, models, metrics, ...) the rules look into, in one module (a notebook's cells)."""
    from tflint_vars.analysis import analyze
    from tflint_vars.project import resolver_for

    try:
        source = load_source(read_file(path), path)
    except OSError:
        return 0
    if not isinstance(source, Source):
        return 0
    tree = source.parse()
    if isinstance(tree, Diagnostic):
        return 0
    try:
        return len(analyze(tree, source.text, resolver_for(path)).keras_classes)
    except Exception:  # the check reports the analysis' failure as TFV000; the count just leaves the module out
        return 0


def read_verification(paths: list[str], root: str) -> dict[str, dict[str, str]]:
    """Verdicts per module and runtime from `tflint-vars verify --output-format json` reports: {"results": [{"path"
    or "fixture", "runtime", "verdict"}]}."""
    verdicts: dict[str, dict[str, str]] = {}
    for report_path in paths:
        with open(report_path, encoding="utf-8") as handle:
            data = json.load(handle)
        for result in data.get("results", []):
            where = result.get("path") or result.get("fixture") or "?"
            module = os.path.relpath(where, root) if os.path.isabs(where) and root else where
            verdicts.setdefault(module, {})[result.get("runtime", "?")] = result.get("verdict", "?")
    return verdicts


def build_report(paths: list[str], config: Config, selection: CodeSelection, verify_reports: list[str],
                 jobs: int | None = None) -> Report:
    found = discover(paths, config.exclude)
    diagnostics = [d for d in check_files(found.files, selection, jobs)
                   if not d.code.startswith(tuple(config.ignored_for(d.path)) or ("\0",))]
    root = os.path.commonpath([os.path.abspath(p) for p in paths]) if paths else os.getcwd()
    if os.path.isfile(root):
        root = os.path.dirname(root)
    modules = sorted(found.files)
    report = Report(root, modules, sorted(diagnostics), {})
    report.classes = {report.module_name(os.path.abspath(m)): keras_classes(m) for m in modules}
    report.diagnostics = [dataclasses.replace(d, path=os.path.abspath(d.path)) for d in report.diagnostics]
    report.verification = read_verification(verify_reports, root)
    return report


# --- markdown and text ---------------------------------------------------------------------------------------------

def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _levels(tally: Tally) -> list[int]:
    return [tally.counts[name] for name in LEVELS]


def render_markdown(report: Report) -> str:
    overall = report.overall
    lines = [f"## tflint-vars migration report ({__version__})", "",
             f"{len(report.modules)} modules, {sum(report.classes.values())} Keras classes checked, "
             f"{overall.total} findings: {overall.counts['safe']} fixed by `tflint-vars check --fix`, "
             f"{overall.counts['unsafe']} more with `--unsafe-fixes` (review them), {overall.counts['none']} by hand.",
             "", "### Per rule", "", _row(("rule", "name", "findings", "safe", "unsafe", "none")),
             _row(("---",) * 6)]
    for code, tally in report.by(lambda d: d.code).items():
        rule = RULES_BY_CODE.get(code)
        lines.append(_row((code, rule.name if rule else "", tally.total, *_levels(tally))))
    lines += ["", "### Per package", "", _row(("package", "findings", "safe", "unsafe", "none")), _row(("---",) * 5)]
    for package, tally in report.by(lambda d: report.package(d.path)).items():
        lines.append(_row((f"`{package}`", tally.total, *_levels(tally))))
    lines += ["", "### Modules left to fix by hand", ""]
    by_hand = {m: t for m, t in report.by(lambda d: report.module_name(d.path)).items() if t.counts["none"]}
    lines += [f"- `{module}`: {tally.counts['none']}" for module, tally in by_hand.items()] or ["- none"]
    if report.verification:
        lines += ["", "### Runtime verification", "", _row(("module", "runtime", "verdict")), _row(("---",) * 3)]
        for module, verdicts in sorted(report.verification.items()):
            lines += [_row((f"`{module}`", runtime, verdict)) for runtime, verdict in sorted(verdicts.items())]
    return "\n".join(lines) + "\n"


def write_text(report: Report, stream: TextIO) -> None:
    overall = report.overall
    stream.write(f"{len(report.modules)} modules, {sum(report.classes.values())} Keras classes, {overall.total} "
                 f"findings (safe {overall.counts['safe']}, unsafe {overall.counts['unsafe']}, none "
                 f"{overall.counts['none']})\n")
    for code, tally in report.by(lambda d: d.code).items():
        stream.write(f"  {code}  {tally.total:>5}  safe {tally.counts['safe']:>4}  unsafe {tally.counts['unsafe']:>4}"
                     f"  none {tally.counts['none']:>4}\n")


# --- html ----------------------------------------------------------------------------------------------------------

def bar_chart(rows: list[tuple[str, Tally]], title: str) -> str:
    """A horizontal stacked bar per row (safe, unsafe, none), inline SVG."""
    width, label, height = 760, 230, 22
    scale = (width - label - 50) / max((tally.total for _, tally in rows), default=1)
    parts = [f'<svg role="img" width="{width}" '
             f'height="{height * len(rows) + 30}" aria-label="{html.escape(title)}">',
             f"<title>{html.escape(title)}</title>"]
    for index, (name, tally) in enumerate(rows):
        y = index * height + 4
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(name)}</text>')
        x = float(label)
        for kind in LEVELS:
            count = tally.counts[kind]
            if count:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{count * scale:.1f}" height="{height - 6}" '
                             f'fill="{COLOURS[kind]}"><title>{kind}: {count}</title></rect>')
                x += count * scale
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}" font-size="12">{tally.total}</text>')
    legend_y = height * len(rows) + 20
    for offset, kind in enumerate(LEVELS):
        parts.append(f'<rect x="{label + offset * 110}" y="{legend_y - 10}" width="10" height="10" '
                     f'fill="{COLOURS[kind]}"/><text x="{label + offset * 110 + 14}" y="{legend_y}" '
                     f'font-size="12">{kind}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: tuple, rows: list[tuple]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: Report) -> str:
    overall = report.overall
    rules = report.by(lambda d: d.code)
    packages = report.by(lambda d: report.package(d.path))
    modules = report.by(lambda d: report.module_name(d.path))
    sections = [
        f"<h1>tflint-vars migration report</h1><p>{len(report.modules)} modules, "
        f"{sum(report.classes.values())} Keras classes checked, {overall.total} findings: "
        f"<b>{overall.counts['safe']}</b> fixed by <code>tflint-vars check --fix</code>, "
        f"<b>{overall.counts['unsafe']}</b> more with <code>--unsafe-fixes</code> (review them), "
        f"<b>{overall.counts['none']}</b> by hand.</p>",
        "<h2>What is left, per rule</h2>" + bar_chart(
            [(f"{code} {RULES_BY_CODE[code].name if code in RULES_BY_CODE else ''}", t) for code, t in rules.items()],
            "findings per rule by fix level"),
        "<h2>Per rule</h2>" + _table(("rule", "name", "findings", "safe", "unsafe", "none"), [
            (code, RULES_BY_CODE[code].name if code in RULES_BY_CODE else "", t.total, *_levels(t))
            for code, t in rules.items()]),
        "<h2>Per package</h2>" + _table(("package", "findings", "safe", "unsafe", "none"),
                                        [(p, t.total, *_levels(t)) for p, t in packages.items()]),
        "<h2>Per module</h2>" + _table(
            ("module", "Keras classes", "findings", "safe", "unsafe", "none", "verification"),
            [(m, report.classes.get(m, 0), t.total, *_levels(t),
              ", ".join(f"{r}: {v}" for r, v in sorted(report.verification.get(m, {}).items())) or "-")
             for m, t in modules.items()]),
    ]
    if report.verification:
        sections.append("<h2>Runtime verification</h2>" + _table(("module", "runtime", "verdict"), [
            (m, r, v) for m, verdicts in sorted(report.verification.items()) for r, v in sorted(verdicts.items())]))
    style = ("body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}th{background:#f3f3f3}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>tflint-vars migration report'
            f'</title><style>{style}</style></head><body>{"".join(sections)}<p><small>tflint-vars {__version__}'
            f"</small></p></body></html>\n")


def write_html(report: Report, directory: str) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "index.html")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render_html(report))
    return path
