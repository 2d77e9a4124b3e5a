"""The verifier's reports: a text table (fixture x runtime) with the reasons below it, or JSON."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any, TextIO

from tflint_vars.verify.runner import Result

COLUMNS = ("fixture", "runtime", "created", "tracked before", "tracked after", "grads", "fit", "outputs equal",
           "claim", "verdict")


def _fraction(good: int, total: int, any_seen: bool) -> str:
    return f"{good}/{total}" if any_seen else "-"


def row(result: Result) -> dict[str, str]:
    """The table's cells for one result: sums over the fixture's exercises ('-' where nothing applies)."""
    created = tracked_before = tracked_after = after_total = 0
    grads_ok = grads_total = fit_ok = fit_total = 0
    seen: Counter = Counter()
    outputs: list[bool] = []
    original_failed = False
    for entry in result.evidence:
        original = entry.get("original") or {}
        fixed = entry.get("fixed") or original
        if original.get("error"):
            original_failed = True
        if "created" in original:
            seen["before"] += 1
            seen["tracking before"] += all("tracked" in v for v in original["created"])
            created += len(original["created"])
            tracked_before += sum(1 for v in original["created"] if v.get("tracked"))
        if "created" in fixed and not fixed.get("error"):
            seen["after"] += 1
            seen["tracking after"] += all("tracked" in v for v in fixed["created"])
            after_total += len(fixed["created"])
            tracked_after += sum(1 for v in fixed["created"] if v.get("tracked"))
        checks = entry.get("checks", {})
        grads = checks.get("grads") or fixed.get("grads")
        if grads and "checked" in grads:
            seen["grads"] += 1
            grads_total += len(grads["checked"])
            grads_ok += len(grads["checked"]) - len(grads["missing"])
        fit = checks.get("fit")
        if fit and "checked" in fit:
            seen["fit"] += 1
            fit_total += len(fit["checked"])
            fit_ok += len(fit["checked"]) - len(fit["unchanged"])
        if checks.get("outputs"):
            outputs.append(checks["outputs"]["equal"])
    claims = ", ".join(f"{c['claim']} {'held' if c['reproduced'] else 'not held'}" for c in result.claims)
    return {
        "fixture": result.fixture,
        "runtime": result.runtime,
        "created": (str(created) + ("+err" if original_failed else "")) if seen["before"] else (
            "err" if original_failed else "-"),
        "tracked before": _fraction(tracked_before, created, bool(seen["tracking before"])),
        "tracked after": _fraction(tracked_after, after_total, bool(seen["tracking after"])),
        "grads": _fraction(grads_ok, grads_total, bool(seen["grads"])),
        "fit": _fraction(fit_ok, fit_total, bool(seen["fit"])),
        "outputs equal": ("yes" if all(outputs) else "no") if outputs else "-",
        "claim": claims or "-",
        "verdict": result.verdict,
    }


def summary(results: list[Result]) -> dict[str, int]:
    counts = Counter(r.verdict for r in results)
    return {verdict: counts.get(verdict, 0) for verdict in ("pass", "fail", "error", "skip")}


def write_text(results: list[Result], facts: dict[str, Any], stream: TextIO) -> None:
    rows = [row(r) for r in results]
    widths = {c: max([len(c)] + [len(r[c]) for r in rows]) for c in COLUMNS}
    stream.write("  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip() + "\n")
    for cells in rows:
        stream.write("  ".join(cells[c].ljust(widths[c]) for c in COLUMNS).rstrip() + "\n")
    details = [r for r in results if r.reasons or r.notes or r.claims]
    if details:
        stream.write("\n")
    for result in details:
        for claim in result.claims:
            held = "held" if claim["reproduced"] else "did not hold"
            expected = "as declared" if claim["reproduced"] == claim["expected"] else "CONTRARY to the declaration"
            stream.write(f"{result.fixture} [{result.runtime}] {claim['exercise']}: claim {claim['claim']!r} {held} "
                         f"({expected}): {claim['evidence']}\n")
        for reason in result.reasons:
            stream.write(f"{result.fixture} [{result.runtime}] {result.verdict}: {reason}\n")
        for note in result.notes:
            stream.write(f"{result.fixture} [{result.runtime}] note: {note}\n")
    counts = summary(results)
    versions = "; ".join(f"{runtime}: tensorflow {info.get('tensorflow', '?')}, tf.keras = {info.get('tf.keras', '?')}"
                         for runtime, info in facts.get("runtimes", {}).items() if info)
    pythons = sorted({info["python"] for info in facts.get("runtimes", {}).values() if info.get("python")})
    if pythons and pythons != [sys.executable]:
        versions += f"; python {', '.join(pythons)}"
    stream.write(f"\n{len(results)} results: " + ", ".join(f"{n} {v}" for v, n in counts.items())
                 + f" in {facts.get('seconds', 0):.1f} s" + (f" ({versions})" if versions else "") + "\n")


def write_json(results: list[Result], facts: dict[str, Any], stream: TextIO) -> None:
    json.dump({"results": [r.to_json() for r in results], "summary": summary(results), **facts}, stream, indent=2,
              default=str)
    stream.write("\n")
