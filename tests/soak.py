"""Soak: `check`, `check --fix` and `check --fix --unsafe-fixes` over the sources of real wheels, through the real CLI.

Corpora: tf-keras 2.21.0, tensor2tensor 1.15.7, keras 3 (the installed one), tensorflow-addons 0.23.0 and the TF
models of transformers 4.46.3 (the last release line with `modeling_tf_*.py`). Each comes from an unpacked copy
when one exists (/work/corpus, the venv's site-packages), else from its wheel, fetched once with
`pip download --no-deps` into the cache directory (TFLINT_VARS_SOAK_CACHE, default .soak-cache/). Everything runs on
copies in a temporary directory.

Checked per corpus: no crash (exit 0/1, no traceback), every changed file compiles, a second fix run changes nothing,
and `tflint-vars verify` passes on the fixed layers of tests/soak_verify.toml (a sample of those that can be
instantiated: it names each file, its [verify] table and the interpreter to run it under).
`python tests/soak.py` prints the figures; `make soak` runs the pytest-marked test (tests/test_soak.py) that asserts
them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("TFLINT_VARS_SOAK_CACHE", ROOT / ".soak-cache"))
CORPUS = Path(os.environ.get("TFLINT_VARS_CORPUS", "/work/corpus"))
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])  # where the installed keras and tf_keras live
VERIFY_SAMPLES = Path(__file__).with_name("soak_verify.toml")
# Code that no longer imports under TensorFlow 2.21 (tensorflow-addons) runs under this, in a venv made once.
TF215_REQUIREMENTS = ("tensorflow-cpu==2.15.1", "tf-keras==2.15.1", "tensorflow-addons==0.23.0", "typeguard<3")


@dataclass(frozen=True)
class Corpus:
    name: str
    requirement: str  # pip requirement of the wheel
    package: str  # the top-level package inside the wheel
    unpacked: tuple[Path, ...] = ()  # local copies of `package`, tried first
    only: str = ""  # regex a file's path must match (transformers: its TF models)


CORPORA = (
    Corpus("tf-keras", "tf-keras==2.21.0", "tf_keras", (CORPUS / "tf_keras" / "tf_keras", SITE_PACKAGES / "tf_keras")),
    Corpus("tensor2tensor", "tensor2tensor==1.15.7", "tensor2tensor", (CORPUS / "tensor2tensor" / "tensor2tensor",)),
    Corpus("keras", "keras==3.15.1", "keras", (SITE_PACKAGES / "keras",)),
    Corpus("tensorflow-addons", "tensorflow-addons==0.23.0", "tensorflow_addons",
           (CORPUS / "tfa" / "tensorflow_addons",)),
    Corpus("transformers-tf", "transformers==4.46.3", "transformers", (), r"modeling_tf_[^/]*\.py$"),
)


@dataclass
class Figures:
    corpus: str
    source: str = ""
    files: int = 0
    diagnostics: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    safe_fixed: int = 0
    safe_files_changed: int = 0
    unsafe_fixed: int = 0
    unsafe_files_changed: int = 0
    fixes_not_applied: int = 0  # "fix not applied" lines on stderr, with their reason
    crashes: list[str] = field(default_factory=list)
    not_compiling: list[str] = field(default_factory=list)
    second_run_changes: list[str] = field(default_factory=list)
    verify_samples: int = 0  # fixed layers of tests/soak_verify.toml, times the runtimes each runs under
    verify_passed: int = 0
    verify_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "tflint_vars", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=3600)


def _wheel(corpus: Corpus) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    name, version = corpus.requirement.split("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(CACHE.glob(pattern))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
                        "--dest", str(CACHE), corpus.requirement], check=True, timeout=600)
        found = sorted(CACHE.glob(pattern))
    if not found:
        raise RuntimeError(f"pip download {corpus.requirement} left no {pattern} in {CACHE}")
    return found[0]


def materialise(corpus: Corpus, destination: Path) -> str:
    """Copy the corpus's .py files to `destination`; returns where they came from."""
    keep = re.compile(corpus.only) if corpus.only else None
    for local in corpus.unpacked:
        if local.is_dir():
            for path in local.rglob("*.py"):
                relative = path.relative_to(local.parent)
                if keep is None or keep.search(relative.as_posix()):
                    target = destination / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
            return str(local)
    wheel = _wheel(corpus)
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.startswith(f"{corpus.package}/") and member.endswith(".py") \
                    and (keep is None or keep.search(member)):
                target = destination / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
    return str(wheel)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def _crashed(result: subprocess.CompletedProcess, what: str) -> list[str]:
    if result.returncode in (0, 1) and "Traceback" not in result.stderr:
        return []
    return [f"{what}: exit {result.returncode}: {result.stderr[-2000:]}"]


_FIXED = re.compile(r"Fixed (\d+) of \d+ diagnostics \((\d+) files? changed\)")


def _fix(figures: Figures, root: Path, unsafe: bool) -> tuple[int, list[str]]:
    label = "--fix --unsafe-fixes" if unsafe else "--fix"
    before = _snapshot(root)
    args = ["check", "--fix", "--output-format", "concise", *(["--unsafe-fixes"] if unsafe else []), str(root)]
    result = cli(*args)
    figures.crashes += _crashed(result, label)
    figures.fixes_not_applied += result.stderr.count("fix not applied")
    after = _snapshot(root)
    changed = [name for name in after if after[name] != before.get(name)]
    for name in changed:
        try:
            compile(after[name], name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            figures.not_compiling.append(f"{label}: {name}: {error}")
    again = cli(*args)
    figures.crashes += _crashed(again, f"second {label}")
    if _snapshot(root) != after:
        figures.second_run_changes.append(f"{label}: {again.stdout[-500:]}")
    match = _FIXED.search(result.stdout)
    fixed = int(match.group(1)) if match else -1
    if match and int(match.group(2)) != len(changed):
        figures.crashes.append(f"{label}: reported {match.group(2)} files changed, {len(changed)} did")
    return fixed, changed


def tf215_python() -> Path:
    """The interpreter of a venv with TensorFlow 2.15 and tensorflow-addons, created once in the soak cache."""
    venv = CACHE / "venv-tf2.15"
    python, stamp = venv / "bin" / "python", venv / ".installed"
    if not stamp.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *TF215_REQUIREMENTS], check=True,
                       timeout=1800)
        stamp.touch()
    return python


def verify_samples(corpus: Corpus, workdir: Path, fixed_files: set[str], figures: Figures) -> None:
    """Run `tflint-vars verify` on this corpus's samples: pristine copies with their [verify] tables beside them
    (verify applies the fixes itself), grouped by interpreter and runtime."""
    with open(VERIFY_SAMPLES, "rb") as handle:
        samples = [s for s in tomllib.load(handle)["sample"] if s["corpus"] == corpus.name]
    if not samples:
        return
    pristine = workdir / f"{corpus.name}-verify"
    pristine.mkdir()
    materialise(corpus, pristine)
    groups: dict[tuple[str, str], list[Path]] = {}
    for sample in samples:
        if sample["path"] not in fixed_files:
            figures.verify_failures.append(f"{sample['path']}: not changed by --fix; tests/soak_verify.toml is stale")
            continue
        path = pristine / sample["path"]
        path.with_suffix(".toml").write_text(sample["declaration"])
        groups.setdefault((sample["interpreter"], sample["runtime"]), []).append(path)
    for (interpreter, runtime), paths in groups.items():
        python = sys.executable if interpreter == "current" else str(tf215_python())
        result = cli("verify", "--output-format", "json", "--runtime", runtime, "--python", python,
                     *map(str, paths))
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError:
            figures.verify_failures.append(f"verify exit {result.returncode}: {result.stderr[-2000:]}")
            continue
        for entry in report["results"]:
            figures.verify_samples += 1
            name = Path(entry["path"]).relative_to(pristine.resolve()).as_posix()
            if entry["verdict"] == "pass":
                figures.verify_passed += 1
            else:
                figures.verify_failures.append(f"{name} [{entry['runtime']}] {entry['verdict']}: {entry['reasons']}")


def soak(corpus: Corpus, workdir: Path) -> Figures:
    started = time.monotonic()
    figures = Figures(corpus.name)
    root = workdir / corpus.name
    root.mkdir()
    figures.source = materialise(corpus, root)
    figures.files = len(list(root.rglob("*.py")))
    checked = cli("check", "--output-format", "json", str(root))
    figures.crashes += _crashed(checked, "check")
    if not figures.crashes:
        diagnostics = json.loads(checked.stdout)
        figures.diagnostics = len(diagnostics)
        for diagnostic in diagnostics:
            figures.by_code[diagnostic["code"]] = figures.by_code.get(diagnostic["code"], 0) + 1
        figures.by_code = dict(sorted(figures.by_code.items()))
    figures.safe_fixed, safe_changed = _fix(figures, root, unsafe=False)
    figures.unsafe_fixed, unsafe_changed = _fix(figures, root, unsafe=True)
    figures.safe_files_changed, figures.unsafe_files_changed = len(safe_changed), len(unsafe_changed)
    verify_samples(corpus, workdir, set(safe_changed) | set(unsafe_changed), figures)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory(prefix="tflint-vars-soak-") as workdir:
        for corpus in CORPORA:
            figures = soak(corpus, Path(workdir))
            print(json.dumps(figures.__dict__), flush=True)
            failed |= bool(figures.crashes or figures.not_compiling or figures.second_run_changes
                           or figures.verify_failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
