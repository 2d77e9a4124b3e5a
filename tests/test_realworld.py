"""The real-world corpus (tests/realworld): each module's findings, and what the fixes do to them.

The fast tests run the real CLI, without TensorFlow. `make realworld` (bench/realworld.py) runs the slow part: every
module and its fixed version under Keras 3 and Keras 2 through `tflint-vars verify`.
"""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

CORPUS = ROOT / "tests" / "realworld"
MODULES = sorted(p.stem for p in CORPUS.glob("*.py"))


def _toml(name: str) -> dict:
    with open(CORPUS / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def corpus_check() -> dict[str, list[tuple[str, int, int]]]:
    done = run_cli("check", "--no-cache", "--output-format", "json", str(CORPUS))
    assert done.returncode == 1, done.stderr
    found: dict[str, list[tuple[str, int, int]]] = {name: [] for name in MODULES}
    for d in json.loads(done.stdout):
        found[Path(d["path"]).stem].append((d["code"], d["line"], d["column"]))
    return found


def test_corpus_is_large_and_mixed():
    assert len(MODULES) >= 40
    sourced = [name for name in MODULES if "source" in _toml(name)]
    assert len(sourced) >= 10  # modelled on public repositories, named in the TOML and the module's header
    for name in sourced:
        assert "Pattern modelled on" in (CORPUS / f"{name}.py").read_text(encoding="utf-8").splitlines()[1]


@pytest.mark.parametrize("name", MODULES)
def test_findings_are_the_expected_ones(name, corpus_check):
    expected = sorted((e["code"], e["line"], e["column"]) for e in _toml(name).get("expect", []))
    assert sorted(corpus_check[name]) == expected


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_how_to_verify_it(name):
    """Each module names a class it defines, so `verify` can build it under both runtimes."""
    tables = _toml(name)["verify"]
    tables = tables if isinstance(tables, list) else [tables]
    defined = {node.name for node in ast.walk(ast.parse((CORPUS / f"{name}.py").read_text(encoding="utf-8")))
               if isinstance(node, ast.ClassDef)}
    for table in tables:
        assert table["kind"] in ("layer", "model")
        assert table["class"] in defined


def test_fixes_leave_parseable_modules_and_a_second_run_changes_nothing(tmp_path):
    for path in CORPUS.glob("*.py"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    first = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", "--quiet", str(tmp_path))
    assert first.returncode in (0, 1), first.stderr
    snapshot = {p.name: p.read_bytes() for p in tmp_path.glob("*.py")}
    changed = [name for name, data in snapshot.items() if data != (CORPUS / name).read_bytes()]
    assert changed  # the corpus has fixable findings
    for data in snapshot.values():
        ast.parse(data)
    second = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", "--quiet", str(tmp_path))
    assert second.returncode in (0, 1), second.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.py")} == snapshot


def test_measurement_counts_what_the_corpus_declares():
    """bench/realworld.py without TensorFlow: its figures agree with the corpus and with each other."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(ROOT / "bench" / "realworld.py"), "--no-verify"], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["modules"] == len(MODULES)
    assert figures["findings"] == sum(len(_toml(name).get("expect", [])) for name in MODULES)
    untracked_codes = ("TFV001", "TFV002", "TFV003", "TFV004")
    with_untracked = {name for name in MODULES
                      if any(e["code"] in untracked_codes for e in _toml(name).get("expect", []))}
    assert figures["modules_with_untracked"] == len(with_untracked)
    assert set(figures["left_without_fix"]) | set(figures["partly_fixed"]) <= with_untracked
    assert not set(figures["left_without_fix"]) & set(figures["all_fixed_unsafe"])
    assert set(figures["all_fixed_safe"]) <= set(figures["all_fixed_unsafe"])
    # the readiness reasons: every module a fix does not clear has its findings listed, with the reason shown
    for mode in ("safe", "unsafe"):
        left = figures["left"][mode]
        assert not set(left) & set(figures[f"all_fixed_{mode}"])
        assert sum(len(found) for found in left.values()) == figures[f"findings_left_{mode}"]
        assert all(finding.endswith(")") for found in left.values() for finding in found)


def test_a_failure_the_original_shares_is_not_a_wrong_fix():
    """bench/realworld.py re-verifies a module counted wrong with an identity fixer: the same reasons, numbers aside,
    are the module's own failure; any reason of the fix's own keeps it wrong."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("realworld_bench", ROOT / "bench" / "realworld.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    fixed = ["LSTMStep: save/load: the fixed layer's .keras round trip: outputs differ after loading (max 0.73)",
             "LSTMStep: fixed code TypeError at tests/heldout/dc_lstm_step.py (fixed):179: bad operand"]
    identity = ["LSTMStep: save/load: the fixed layer's .keras round trip: outputs differ after loading (max 0.41)",
                "LSTMStep: fixed code TypeError at tests/heldout/dc_lstm_step.py:175: bad operand"]
    assert bench.fails_alike(fixed, identity)
    assert not bench.fails_alike(fixed + ["LSTMStep: variables differ: kernel"], identity)
    assert not bench.fails_alike(fixed, identity[:1])
    assert not bench.fails_alike([], identity)
