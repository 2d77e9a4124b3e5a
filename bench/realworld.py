"""Measures the fixes on the real-world corpus (tests/realworld): findings, fixed, left without a fix, wrong fixes.

    python bench/realworld.py [--corpus DIR] [--tree PATH] [--runtimes keras3,keras2] [--no-verify] [--json OUT]

`--corpus tests/heldout` measures the held-out set (classes copied from public packages the fixes were not tuned on).

Counts, per module of tests/realworld (a copy is fixed; the corpus is never written):
- findings: `tflint-vars check` diagnostics;
- all fixed: modules with findings where `check --fix` (safe) / `--fix --unsafe-fixes` leaves none;
- left without a fix: modules with untracked-variable findings (TFV001-TFV004) of which `--fix --unsafe-fixes`
  fixes none: the user has no fix at all for them (partly fixed: some fixed, some left);
- Keras-3-ready after `--fix` (safe; then `--fix --unsafe-fixes`): the fix leaves no finding and `verify` passes
  under Keras 3 and Keras 2 (the fixed layer builds, keeps the original's variables and initial values, matches its
  outputs, trains a fit step and round-trips through `.keras` as the original did under Keras 2: where the
  original's own round trip fails under Keras 2, save/load is not required; where the original differs from a copy
  of itself given its variables' values, outputs are not compared; the module is listed as judged on that basis).
  A module not ready is listed with its reason: the findings left (with the fix reason the tool shows) or the
  verify failure;
- wrong fixes: `tflint-vars verify` runs the original and the fixed module under Keras 3 and Keras 2 (tf-keras) and
  compares them with the original under Keras 2; a module whose fix changed it and whose fixed side fails or errors
  for a reason other than "still untracked" is a wrong fix (under Keras 3 only a crash, a changed variable, or a
  round trip the original passes under Keras 3 and the fixed code fails). Measured for the safe fixes and for
  safe + unsafe. A module so counted is verified once more with an identity fixer (the original as its own "fix"):
  where the original fails with the same reasons (numbers aside), the failure is the module's own, listed as
  "not wrong, the original fails alike", not a wrong fix.

The corpus is copied into a temporary directory with a `setup.cfg` (its project root), so that each module is
checked and fixed as a project of its own would be, not as part of this repository.

`--tree` names another checkout (a worktree of another branch) whose fixer and checker are measured: they run in
subprocesses with that tree first on PYTHONPATH. The verifier is the one this interpreter imports, so the same
verifier judges every fixer.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "realworld"
UNTRACKED_CODES = {"TFV001", "TFV002", "TFV003", "TFV004"}
# verify reasons that say the fix left a variable untracked (a missing fix, counted apart) rather than broke it.
NOT_WRONG = ("untracked after the fix",)
# Under Keras 3, what a variable the fix did not reach (still a raw tf.Variable) shows: untrained, unmatched.
PARTIAL_FIX_KERAS3 = ("fit step left unchanged", "no gradient for", "variables differ", "outputs differ after copying")
# The verifier's reason when the fixed layer's .keras round trip fails where the original's under Keras 2 did not.
SAVE_MARK = "save/load: the fixed layer's .keras round trip"
# Its note when the original's own round trip fails under Keras 2: save/load is then not part of "ready".
SAVE_NOT_REQUIRED = "save/load not required"
# The verifier's note when no fix changed a module and its declared claim (a Keras 3 breakage) held.
CLAIM_STANDS = "no fix changes this file: the claim stands"
# Its note when the original differs from a copy of itself given its variables' values: outputs are then not compared.
OUTPUTS_NOT_COMPARED = "outputs not compared"
JUDGED_ON_THE_ORIGINAL = (SAVE_NOT_REQUIRED, OUTPUTS_NOT_COMPARED)

_FIX_SCRIPT = """
import json, sys
from tflint_vars.fixes.fixer import fix_source
job = json.load(sys.stdin)
sys.stdout.write(fix_source(job["source"], job["path"], unsafe=job["unsafe"]))
"""


def tree_env(tree: Path) -> dict[str, str]:
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=str(tree))
    env["TFLINT_VARS_CACHE_DIR"] = tempfile.mkdtemp(prefix="tflint-vars-realworld-cache-")
    return env


def make_fixer(tree: Path, force_unsafe: bool):
    """A verify fixer that runs `tree`'s fix_source in a subprocess; `force_unsafe` applies the unsafe fixes too."""
    env = tree_env(tree)

    def fixer(source: str, path: str, unsafe: bool = False) -> str:
        job = json.dumps({"source": source, "path": path, "unsafe": unsafe or force_unsafe})
        # cwd=tree: `python -c` puts the working directory first on sys.path, ahead of PYTHONPATH.
        done = subprocess.run([sys.executable, "-c", _FIX_SCRIPT], input=job, capture_output=True, text=True,
                              env=env, cwd=tree, timeout=120)
        if done.returncode:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "fixer failed")
        return done.stdout

    return fixer


def check(tree: Path, directory: Path, *flags: str) -> dict[str, list[dict]]:
    """Diagnostics per module name after `check [flags]` on `directory`."""
    done = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--no-cache", *flags, "--output-format",
                           "json", "."], cwd=directory, capture_output=True, text=True, env=tree_env(tree),
                          timeout=600)
    if done.returncode not in (0, 1):
        raise SystemExit(f"check {' '.join(flags)} exited {done.returncode}: {done.stderr}")
    found: dict[str, list[dict]] = {p.stem: [] for p in sorted(directory.glob("*.py"))}
    for diagnostic in json.loads(done.stdout or "[]"):
        found.setdefault(Path(diagnostic["path"]).stem, []).append(diagnostic)
    return found


def fixed_copy(tree: Path, *flags: str) -> tuple[Path, dict[str, list[dict]]]:
    directory = Path(tempfile.mkdtemp(prefix="tflint-vars-realworld-"))
    for path in CORPUS.glob("*.py"):
        shutil.copy(path, directory / path.name)
    (directory / "setup.cfg").write_text("")  # a project root of its own, as the corpus copy has (see `main`)
    check(tree, directory, "--fix", *flags)
    return directory, check(tree, directory)


def untracked(diagnostics: list[dict]) -> int:
    return sum(1 for d in diagnostics if d["code"] in UNTRACKED_CODES)


def measure_checks(tree: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        for path in CORPUS.glob("*.py"):
            shutil.copy(path, Path(scratch) / path.name)
        before = check(tree, Path(scratch))
    safe_dir, after_safe = fixed_copy(tree)
    unsafe_dir, after_unsafe = fixed_copy(tree, "--unsafe-fixes")
    left = {"safe": after_safe, "unsafe": after_unsafe}
    shutil.rmtree(safe_dir)
    shutil.rmtree(unsafe_dir)
    with_findings = [m for m, d in before.items() if d]
    untracked_modules = [m for m, d in before.items() if any(x["code"] in UNTRACKED_CODES for x in d)]
    return {
        "modules": len(before),
        "findings": sum(len(d) for d in before.values()),
        "modules_with_findings": len(with_findings),
        "findings_by_code": {code: sum(1 for d in before.values() for x in d if x["code"] == code)
                             for code in sorted({x["code"] for d in before.values() for x in d})},
        "all_fixed_safe": sorted(m for m in with_findings if not after_safe[m]),
        "all_fixed_unsafe": sorted(m for m in with_findings if not after_unsafe[m]),
        "findings_left_safe": sum(len(after_safe[m]) for m in before),
        "findings_left_unsafe": sum(len(after_unsafe[m]) for m in before),
        "modules_with_untracked": len(untracked_modules),
        # The measure: modules with untracked variables that got no fix at all, even an unsafe one.
        "left_without_fix": sorted(m for m in untracked_modules if untracked(after_unsafe[m]) == untracked(before[m])),
        "partly_fixed": sorted(m for m in untracked_modules if 0 < untracked(after_unsafe[m]) < untracked(before[m])),
        # What each fix leaves, per module: the readiness reasons (`readiness`).
        "left": {mode: {m: [left_finding(d) for d in found[m]] for m in before if found[m]}
                 for mode, found in left.items()},
    }


def left_finding(diagnostic: dict) -> str:
    """A finding the fix left, with the reason the tool shows for not fixing it (or what it would do unsafely)."""
    why = diagnostic.get("fix_reason") or (f"unsafe fix: {diagnostic.get('fix_title')}"
                                           if diagnostic.get("applicability") == "unsafe" else "no fix")
    return f"{diagnostic['code']} line {diagnostic['line']}: {diagnostic['message']} ({why})"


def readiness(modules: int, left: dict[str, list[str]], verify: dict) -> dict:
    """Keras-3-ready after a fix: no finding left and verify passes under every runtime; else the reasons."""
    not_ready: dict[str, list[str]] = {}
    for module in sorted(set(verify["verdicts"]) | set(left)):
        verdicts = verify["verdicts"].get(module, {})
        reasons = list(left.get(module, []))
        reasons += [f"verify {runtime}: {verdict}: {' | '.join(verify['reasons'][module][runtime])[:300]}"
                    for runtime, verdict in verdicts.items() if verdict != "pass"]
        if module in verify.get("claim_stands", {}):
            reasons.append(f"verify: unchanged, still broken under Keras 3 ({verify['claim_stands'][module]})")
        if reasons:
            not_ready[module] = reasons
    return {"ready": modules - len(not_ready), "of": modules, "not_ready": not_ready,
            "ready_without_save": sorted(m for m in verify.get("save_not_required", {}) if m not in not_ready)}


def _shape(reason: str) -> str:
    """A verify reason with its numbers (line numbers, values, counts) and ` (fixed)` path marks taken out."""
    return re.sub(r"\d+(\.\d+)?", "N", reason.replace(" (fixed)", ""))


def fails_alike(fix_reasons: list[str], identity_reasons: list[str]) -> bool:
    """Whether every reason the fixed module failed with is one the unchanged original fails with too, numbers
    aside: then the failure is the module's own (or the verifier's), not the fix's."""
    seen = {_shape(reason) for reason in identity_reasons}
    return bool(fix_reasons) and all(_shape(reason) in seen for reason in fix_reasons)


def originals_failing_alike(wrong: dict[str, dict[str, list[str]]], runtimes: list[str]) -> dict:
    """The (module, runtime) counted wrong whose ORIGINAL, run through the same verifier as its own "fix" (an
    identity fixer), fails with the same reasons: the module's own failure (deepchem's LSTMStep redraws its kernels
    at load; a `call` Keras 3 cannot trace), not a wrong fix. Verified again for those modules only."""
    if not wrong:
        return {}
    from tflint_vars.verify.runner import verify

    results, _ = verify([str(CORPUS / f"{module}.py") for module in sorted(wrong)], runtimes,
                        # A comment changes nothing that runs; an unchanged text would be "no fix" and not run.
                        fixer=lambda source, path, unsafe=False: source + "\n# identity fix (bench/realworld.py)\n")
    alike: dict[str, dict[str, list[str]]] = {}
    for result in results:
        reasons = wrong.get(result.fixture, {}).get(result.runtime)
        if reasons and result.verdict in ("fail", "error") and fails_alike(reasons, result.reasons):
            alike.setdefault(result.fixture, {})[result.runtime] = reasons
    return alike


def measure_verify(tree: Path, runtimes: list[str], force_unsafe: bool) -> dict:
    from tflint_vars.verify.runner import verify

    fix = make_fixer(tree, force_unsafe)
    changed: dict[str, bool] = {}

    def recording_fixer(source: str, path: str, unsafe: bool = False) -> str:
        fixed = fix(source, path, unsafe)
        changed[Path(path).stem] = fixed != source
        return fixed

    results, facts = verify([str(CORPUS)], runtimes, fixer=recording_fixer)
    per_module: dict[str, dict] = {}
    for result in results:
        entry = per_module.setdefault(result.fixture, {"changed": changed.get(result.fixture), "runtimes": {}})
        original_failed = any((ex.get("original") or {}).get("error") for ex in result.evidence)
        harness_errors = [ex["exercise_error"] for ex in result.evidence if ex.get("exercise_error")]
        original_save_failed = any(not ((ex.get("original") or {}).get("save") or {"ok": True})["ok"]
                                   for ex in result.evidence)
        entry["runtimes"][result.runtime] = {"verdict": result.verdict, "reasons": result.reasons,
                                             "notes": result.notes, "original_failed": original_failed,
                                             "original_save_failed": original_save_failed,
                                             "harness_errors": harness_errors}
    wrong, partial, unjudged = {}, {}, {}
    for module, entry in per_module.items():
        for runtime, info in entry["runtimes"].items():
            if entry["changed"] is None and info["verdict"] == "error":
                # not run at all: a declaration this verifier does not read (e.g. `policy` before issue 11's verify)
                unjudged.setdefault(module, {})[runtime] = info["reasons"]
        if not entry["changed"]:
            continue  # no fix applied: a failure here is the finding itself, counted as "left without a fix"
        for runtime, info in entry["runtimes"].items():
            if info["verdict"] not in ("fail", "error"):
                continue
            if info["harness_errors"]:
                unjudged.setdefault(module, {})[runtime] = info["harness_errors"]  # the verifier's own failure
                continue
            reasons = [r for r in info["reasons"] if not any(mark in r for mark in NOT_WRONG)]
            if runtime != "keras2":
                if info["original_failed"]:
                    continue  # the original does not run under this runtime either
                # Under Keras 3 a partial fix (some variables still raw) leaves those untrained and unmatched:
                # only a crash or a changed variable is the fix's fault.
                kept = [r for r in reasons if not any(mark in r for mark in PARTIAL_FIX_KERAS3)]
                if len(kept) < len(reasons):
                    partial.setdefault(module, {})[runtime] = [r for r in reasons if r not in kept]
                # A round trip the original fails under this runtime too (e.g. a constructor without **kwargs) is
                # not ready, but not the fix's doing: wrong only where the fix made a working round trip fail.
                if info["original_save_failed"]:
                    kept = [r for r in kept if SAVE_MARK not in r]
                reasons = kept
            if reasons:
                wrong.setdefault(module, {})[runtime] = reasons
    own_failures = originals_failing_alike(wrong, runtimes)
    for module, bad in own_failures.items():
        for runtime in bad:
            del wrong[module][runtime]
        if not wrong[module]:
            del wrong[module]
    return {"seconds": facts["seconds"], "verdicts": {m: {r: i["verdict"] for r, i in e["runtimes"].items()}
                                                      for m, e in per_module.items()},
            "reasons": {m: {r: i["reasons"] for r, i in e["runtimes"].items()} for m, e in per_module.items()},
            "changed": sorted(m for m, c in changed.items() if c), "wrong": wrong, "partial": partial,
            "unjudged": unjudged, "original_fails_alike": own_failures,
            # Modules no fix changed whose declared claim (it raises, or leaves variables untracked) held under Keras 3:
            # they pass `verify` on the claim alone, and are still broken there.
            "claim_stands": {m: next(n for n in e["runtimes"][r]["notes"] if CLAIM_STANDS in n)
                             for m, e in per_module.items() for r in e["runtimes"]
                             if r != "keras2" and any(CLAIM_STANDS in n for n in e["runtimes"][r]["notes"])},
            # Modules whose ORIGINAL cannot round-trip under Keras 2, or differs from its own copy: judged so.
            "save_not_required": {m: " | ".join(dict.fromkeys(n for i in e["runtimes"].values() for n in i["notes"]
                                                              if any(mark in n for mark in JUDGED_ON_THE_ORIGINAL)))
                                  for m, e in per_module.items()
                                  if any(mark in n for i in e["runtimes"].values() for n in i["notes"]
                                         for mark in JUDGED_ON_THE_ORIGINAL)}}


def main() -> int:
    global CORPUS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the modules measured (default tests/realworld)")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose checker and fixer are measured")
    parser.add_argument("--runtimes", default="keras3,keras2")
    parser.add_argument("--no-verify", action="store_true", help="only the check/fix counts (no TensorFlow)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    # Each module is measured as a user's project holds it: a copy of the corpus under a project root of its own (a
    # setup.cfg), not inside this repository, whose own sources are no part of its project (they name TF1's
    # regularization-loss collection, which decides TFV004's regularizer fix).
    project = Path(tempfile.mkdtemp(prefix="tflint-realworld-"))
    atexit.register(shutil.rmtree, project, True)
    shutil.copytree(args.corpus.resolve(), project / args.corpus.resolve().name)
    (project / "setup.cfg").write_text("")
    CORPUS = project / args.corpus.resolve().name
    tree = args.tree.resolve()
    figures: dict = {"tree": str(tree), "checks": measure_checks(tree)}
    print(json.dumps(figures["checks"], indent=1), flush=True)
    if not args.no_verify:
        runtimes = args.runtimes.split(",")
        for mode, force in (("safe", False), ("unsafe", True)):
            figures[f"verify_{mode}"] = measure_verify(tree, runtimes, force)
            result = figures[f"verify_{mode}"]
            print(f"== verify, {mode} fixes: {len(result['changed'])} modules changed, {len(result['wrong'])} wrong "
                  f"fixes, {len(result['partial'])} partly fixed, {len(result['unjudged'])} not judged "
                  f"({result['seconds']} s)")
            for module, bad in result["wrong"].items():
                for runtime, reasons in bad.items():
                    print(f"  wrong: {module} [{runtime}]: {' | '.join(reasons)[:400]}")
            for module, bad in result["original_fails_alike"].items():
                for runtime, reasons in bad.items():
                    print(f"  not wrong, the original fails alike (identity fixer): {module} [{runtime}]: "
                          f"{' | '.join(reasons)[:300]}")
            for module, bad in result["unjudged"].items():
                for runtime, reasons in bad.items():
                    print(f"  not judged (verifier error): {module} [{runtime}]: {' | '.join(reasons)[:300]}")
            for module, bad in result["partial"].items():
                for runtime, reasons in bad.items():
                    print(f"  partly fixed: {module} [{runtime}]: {' | '.join(reasons)[:300]}")
            ready = figures[f"ready_{mode}"] = readiness(figures["checks"]["modules"],
                                                         figures["checks"]["left"][mode], result)
            print(f"== Keras-3-ready after --fix{' --unsafe-fixes' if force else ''}: {ready['ready']} of "
                  f"{ready['of']}")
            for module, reasons in ready["not_ready"].items():
                print(f"  not ready: {module}: {' | '.join(reasons)[:500]}")
            for module in ready["ready_without_save"]:
                print(f"  ready, save/load or outputs judged against the original: {module}: "
                      f"{result['save_not_required'][module][:600]}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
