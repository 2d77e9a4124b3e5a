"""`make precision`: tflint-vars on held-out code bases full of Keras 2-era layers, for hand-reading (issue 17).

Downloads (pip, once) the pinned sdists/wheels below into .bench/precision/dists/ and unpacks each into
.bench/precision/src/<package>/. Then, per package:

  tflint-vars check --no-cache --output-format json .      (run inside the package's directory)

and, independently of tflint-vars, the miss hunt of bench/precision_scan.py: candidate sites of Keras 2 -> 3
breakages inside classes that derive from a Keras Layer/Model/Metric, each marked with whether tflint-vars reported
something on that statement.

Writes into --output (default .bench/precision/):
  findings.md      every finding with 9 lines of source around it and the verdict recorded for it, if any
  findings.json    the same, machine-readable
  candidates.md    the scan's candidate sites that tflint-vars did not report, with context (the miss hunt)
  candidates.json  every candidate site, reported or not
and prints a per-package/per-rule count table, and the comparison with the recorded verdicts
(docs/precision/held-out-2026-12.csv: package,file,line,code,verdict,reason) and recorded misses
(docs/precision/held-out-2026-12-misses.csv): precision over the findings that have a verdict, findings without one
(to read), verdicts whose finding is gone (a false positive closed, or a true finding lost), and misses now reported.

Re-run against any checkout's binary: `python bench/precision.py --tflint-vars /path/to/.venv/bin/tflint-vars`
(default: the tflint-vars next to this interpreter).
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import precision_scan  # noqa: E402  (a sibling script, not an installed module)

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench" / "precision"
VERDICTS = ROOT / "docs" / "precision" / "held-out-2026-12.csv"
MISSES = ROOT / "docs" / "precision" / "held-out-2026-12-misses.csv"
CONTEXT = 4  # lines either side of a finding

# package -> pinned requirement (the versions pip resolved on 2026-12-02; pinned so a re-run reads the same code)
PACKAGES = {
    "keras-tcn": "keras-tcn==3.5.7",
    "keras-self-attention": "keras-self-attention==0.51.0",
    "keras-bert": "keras-bert==0.89.0",
    "kapre": "kapre==0.4.1",
    "keras-rl2": "keras-rl2==1.0.5",
    "qkeras": "qkeras==0.9.0",
    "tensorflow-ranking": "tensorflow-ranking==0.5.5",
    "tensorflow-compression": "tensorflow-compression==2.14.1",
    "tensorflow-similarity": "tensorflow-similarity==0.17.1",
    "keras-cv": "keras-cv==0.9.0",
    "efficientnet": "efficientnet==1.1.1",
    "keras-multi-head": "keras-multi-head==0.29.0",
    "keras-transformer": "keras-transformer==0.40.0",
    # The 13 above (issue 17's list) give 23 findings; 11 more held-out code bases bring the count past 100.
    "tf-agents": "tf-agents==0.19.0",
    "tensorflow-lattice": "tensorflow-lattice==2.1.1",
    "tensorflow-recommenders": "tensorflow-recommenders==0.7.7",
    "neural-structured-learning": "neural-structured-learning==1.4.0",
    "tensorflow-model-remediation": "tensorflow-model-remediation==0.1.7.1",
    "keras-xlnet": "keras-xlnet==0.20.0",
    "stellargraph": "stellargraph==1.2.1",
    "deepchem": "deepchem==2.8.0",
    "magenta": "magenta==2.1.4",
    "tensorflow-graphics": "tensorflow-graphics==2021.12.3",
    "dopamine-rl": "dopamine-rl==4.1.2",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _dist_file(dists: Path, requirement: str) -> Path | None:
    """The downloaded sdist or wheel of `name==version` (file names spell the name with `_`, `-` or capitals)."""
    name, version = requirement.split("==")
    for path in sorted(dists.iterdir()):
        stem = path.name
        for suffix in (".tar.gz", ".zip", ".whl"):
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        else:
            continue
        if _normal(stem).startswith(_normal(f"{name}-{version}")) and (
                len(stem) == len(f"{name}-{version}") or stem[len(f"{name}-{version}")] == "-"):
            return path
    return None


def fetch(packages: dict[str, str], cache: Path) -> dict[str, Path]:
    """Download what is missing (once), unpack each once; returns package -> source directory."""
    dists = cache / "dists"
    dists.mkdir(parents=True, exist_ok=True)
    missing = [req for req in packages.values() if _dist_file(dists, req) is None]
    if missing:
        log(f"downloading {', '.join(missing)} into {dists}/")
        # --ignore-requires-python: stellargraph's last release says Python < 3.9; only its sources are read here.
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--ignore-requires-python", "-d", str(dists), *missing]
        if subprocess.run(command).returncode != 0:
            sys.exit(f"precision: pip download failed; put the files ({', '.join(missing)}) into {dists} by hand")
    sources = {}
    for package, requirement in packages.items():
        dist = _dist_file(dists, requirement)
        if dist is None:
            sys.exit(f"precision: {requirement} is not in {dists} after pip download")
        target = cache / "src" / package
        stamp = target / ".unpacked"
        if not stamp.is_file() or stamp.read_text() != dist.name:
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            if dist.name.endswith(".whl") or dist.name.endswith(".zip"):
                with zipfile.ZipFile(dist) as archive:
                    archive.extractall(target)
            else:
                with tarfile.open(dist) as archive:
                    archive.extractall(target, filter="data")
            stamp.write_text(dist.name)
        sources[package] = target
    return sources


def default_binary() -> str:
    script = Path(sys.executable).parent / "tflint-vars"
    return str(script) if script.is_file() else shutil.which("tflint-vars") or "tflint-vars"


def run_tflint_vars(binary: str, source: Path) -> list[dict]:
    """Findings as JSON, paths relative to the package directory. Exit 0/1 are normal; anything else is fatal."""
    result = subprocess.run([binary, "check", "--no-cache", "--output-format", "json", "."], cwd=source,
                            capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"precision: {binary} on {source} exited {result.returncode}:\n{result.stderr}")
    findings = json.loads(result.stdout or "[]")
    for finding in findings:
        finding["path"] = os.path.normpath(finding["path"])
    return findings


def context(source: Path, path: str, line: int, cell: int | None = None) -> str:
    """Numbered source lines around `line`, the line itself marked with `>`."""
    if cell is not None:
        return f"(notebook cell {cell}, line {line})"
    try:
        lines = (source / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        return f"({error})"
    start, end = max(1, line - CONTEXT), min(len(lines), line + CONTEXT)
    return "\n".join(f"{'>' if n == line else ' '}{n:5d}  {lines[n - 1]}" for n in range(start, end + 1))


def read_csv(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def verdict_key(package: str, path: str, line: int | str, code: str) -> tuple[str, str, int, str]:
    return package, os.path.normpath(path), int(line), code


def count_table(findings: dict[str, list[dict]]) -> str:
    codes = sorted({f["code"] for found in findings.values() for f in found})
    header = "| package | version | findings | " + " | ".join(codes) + " |"
    rows = [header, "|" + "---|" * (3 + len(codes))]
    totals: collections.Counter = collections.Counter()
    for package, found in findings.items():
        counts = collections.Counter(f["code"] for f in found)
        totals.update(counts)
        version = PACKAGES[package].split("==")[1]
        rows.append(f"| {package} | {version} | {len(found)} | " + " | ".join(str(counts[c] or "") for c in codes)
                    + " |")
    rows.append(f"| **total** | | {sum(totals.values())} | " + " | ".join(str(totals[c]) for c in codes) + " |")
    return "\n".join(rows)


def compare(findings: dict[str, list[dict]], candidates: list[dict], verdicts_path: Path,
            misses_path: Path) -> list[str]:
    """Lines of text: the recorded verdicts and misses of the packages measured, against this run."""
    verdicts = {verdict_key(v["package"], v["file"], v["line"], v["code"]): v for v in read_csv(verdicts_path)
                if v["package"] in findings}
    current = {verdict_key(p, f["path"], f["line"], f["code"]) for p, found in findings.items() for f in found}
    judged = [verdicts[key] for key in current if key in verdicts]
    true = sum(v["verdict"] == "true" for v in judged)
    false = sum(v["verdict"] == "false" for v in judged)
    shown = verdicts_path.relative_to(ROOT) if verdicts_path.is_relative_to(ROOT) else verdicts_path
    rate = f", precision {true / (true + false):.1%}" if true + false else ""
    lines = [f"verdicts recorded in {shown}: {len(verdicts)}; findings of this run with a verdict: {len(judged)} "
             f"(true {true}, false {false}{rate})"]
    unread = sorted(current - verdicts.keys())
    lines.append(f"findings without a verdict (to read): {len(unread)}")
    lines += [f"  {p} {path}:{line} {code}" for p, path, line, code in unread]
    gone = sorted(verdicts.keys() - current)
    lines.append(f"verdicts whose finding is gone: {len(gone)}")
    lines += [f"  {verdicts[k]['verdict']:<5} {k[0]} {k[1]}:{k[2]} {k[3]}  ({verdicts[k]['reason']})" for k in gone]
    reported = {(c["package"], c["file"], c["line"]) for c in candidates if c["reported"]}
    misses = [m for m in read_csv(misses_path) if m["package"] in findings]
    now = [m for m in misses if (m["package"], os.path.normpath(m["file"]), int(m["line"])) in reported]
    lines.append(f"misses recorded: {len(misses)}; now reported: {len(now)}")
    lines += [f"  {m['package']} {m['file']}:{m['line']} {m['pattern']}" for m in now]
    return lines


def write_findings(output: Path, sources: dict[str, Path], findings: dict[str, list[dict]],
                   verdicts_path: Path) -> None:
    verdicts = {verdict_key(v["package"], v["file"], v["line"], v["code"]): v for v in read_csv(verdicts_path)}
    records, text = [], ["# tflint-vars findings on the held-out packages", "", count_table(findings), ""]
    number = 0
    for package, found in findings.items():
        for finding in found:
            number += 1
            verdict = verdicts.get(verdict_key(package, finding["path"], finding["line"], finding["code"]))
            snippet = context(sources[package], finding["path"], finding["line"], finding.get("cell"))
            records.append({"package": package, **finding, "context": snippet,
                            "verdict": verdict and verdict["verdict"], "reason": verdict and verdict["reason"]})
            text += [f"## {number}. {package} `{finding['path']}:{finding['line']}` {finding['code']} "
                     f"(fix: {finding.get('fix') or 'none'})", "", finding["message"], ""]
            if verdict:
                text += [f"**Verdict: {verdict['verdict']}** - {verdict['reason']}", ""]
            text += ["```", snippet, "```", ""]
    (output / "findings.md").write_text("\n".join(text))
    (output / "findings.json").write_text(json.dumps(records, indent=1) + "\n")


def write_candidates(output: Path, sources: dict[str, Path], candidates: list[dict]) -> None:
    unreported = [c for c in candidates if not c["reported"]]
    by_pattern = collections.Counter(c["pattern"] for c in candidates)
    silent = collections.Counter(c["pattern"] for c in unreported)
    text = ["# Miss hunt: candidate sites tflint-vars did not report", "",
            "| pattern | candidates | not reported |", "|---|---|---|"]
    text += [f"| {p} | {n} | {silent[p]} |" for p, n in sorted(by_pattern.items())]
    text.append("")
    for number, c in enumerate(unreported, 1):
        text += [f"## {number}. {c['package']} `{c['file']}:{c['line']}` {c['pattern']} (class {c['cls']})", "",
                 "```", context(sources[c["package"]], c["file"], c["line"]), "```", ""]
    (output / "candidates.md").write_text("\n".join(text))
    (output / "candidates.json").write_text(json.dumps(candidates, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tflint-vars", dest="binary", default=default_binary(),
                        help="the tflint-vars executable to measure (default: the one beside this interpreter)")
    parser.add_argument("--package", action="append", choices=sorted(PACKAGES), help="only this package (repeatable)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="downloads and sources (default %(default)s)")
    parser.add_argument("--output", type=Path, default=CACHE, help="where the reports go (default %(default)s)")
    parser.add_argument("--verdicts", type=Path, default=VERDICTS)
    parser.add_argument("--misses", type=Path, default=MISSES)
    args = parser.parse_args()
    packages = {name: PACKAGES[name] for name in (args.package or PACKAGES)}
    sources = fetch(packages, args.cache)
    version = subprocess.run([args.binary, "--version"], capture_output=True, text=True).stdout.strip()
    log(f"measuring {args.binary} ({version or 'version unknown'})")
    findings, candidates = {}, []
    for package, source in sources.items():
        findings[package] = run_tflint_vars(args.binary, source)
        log(f"{package}: {len(findings[package])} findings")
        lines = collections.defaultdict(set)
        for finding in findings[package]:
            lines[finding["path"]].add(finding["line"])
        for candidate in precision_scan.scan(source):
            span = range(candidate["start"], candidate["end"] + 1)
            candidate.update(package=package, reported=any(n in lines[candidate["file"]] for n in span))
            candidates.append(candidate)
    args.output.mkdir(parents=True, exist_ok=True)
    write_findings(args.output, sources, findings, args.verdicts)
    write_candidates(args.output, sources, candidates)
    print(count_table(findings))
    print()
    print("\n".join(compare(findings, candidates, args.verdicts, args.misses)))
    print(f"\nwritten: {args.output}/findings.md, findings.json, candidates.md, candidates.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
