"""Fix coverage: how many TFV001 and TFV003 findings on real code get a fix (safe or unsafe).

python bench/fix_coverage.py [DIR...]    # default: the five soak corpora (tests/soak.py), unpacked to a temp dir

Prints per corpus the TFV001+TFV003 findings, how many carry a safe fix, an unsafe fix and none, and for those
without a fix the reasons, most common first. `--json` prints the figures as JSON.
"""

from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

CODES = ("TFV001", "TFV003")
REASON = re.compile(r"\((?:no safe fix|no fix|unsafe fix): (.*)\)$")


def figures(directory: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--no-cache", "--output-format", "json",
                             "--select", ",".join(CODES), str(directory)], capture_output=True, text=True, cwd=ROOT)
    if result.returncode not in (0, 1):
        raise SystemExit(f"tflint-vars check failed on {directory}: {result.stderr[-2000:]}")
    diagnostics = json.loads(result.stdout or "[]")
    counts = collections.Counter(d["fix"] or "none" for d in diagnostics)
    reasons = collections.Counter()
    for d in diagnostics:
        match = REASON.search(d["message"])
        if match:
            reasons[(d["fix"] or "none", match.group(1))] += 1
    return {"findings": len(diagnostics), "safe": counts["safe"], "unsafe": counts["unsafe"], "none": counts["none"],
            "reasons": [{"fix": fix, "reason": why, "count": n} for (fix, why), n in reasons.most_common()]}


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    paths = [a for a in argv if a != "--json"]
    report = {}
    with tempfile.TemporaryDirectory() as scratch:
        if paths:
            targets = {p: Path(p) for p in paths}
        else:
            import soak
            targets = {}
            for corpus in soak.CORPORA:
                destination = Path(scratch) / corpus.name
                destination.mkdir()
                soak.materialise(corpus, destination)
                targets[corpus.name] = destination
        for name, path in targets.items():
            report[name] = figures(path)
    total = {key: sum(r[key] for r in report.values()) for key in ("findings", "safe", "unsafe", "none")}
    report["total"] = total
    if as_json:
        print(json.dumps(report, indent=2))
        return 0
    for name, r in report.items():
        fixed = r["safe"] + r["unsafe"]
        share = f"{100 * fixed / r['findings']:.1f}%" if r["findings"] else "-"
        print(f"{name}: {r['findings']} findings, {fixed} with a fix ({share}): safe {r['safe']}, "
              f"unsafe {r['unsafe']}, none {r['none']}")
        for item in r.get("reasons", [])[:12]:
            print(f"    {item['count']:4d} {item['fix']:6s} {item['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
