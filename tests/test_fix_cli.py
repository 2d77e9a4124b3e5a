"""`tflint-vars check --fix | --unsafe-fixes | --diff` and the libcst codemod command, run for real on copies of the
fixtures; and the fixed fixtures run under real TensorFlow."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, expected_diagnostics, fixture_names, run_cli

PYTHON_FILES = sorted(p.name for p in FIXTURES.glob("*.py"))


@pytest.fixture
def project(tmp_path):
    """A copy of the fixtures' .py files (not their expectations) in a directory of its own."""
    directory = tmp_path / "project"
    directory.mkdir()
    for name in PYTHON_FILES:
        shutil.copyfile(FIXTURES / name, directory / name)
    (directory / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    return directory


def expected(name: str, unsafe: bool) -> bytes:
    for suffix in ((".unsafe-fixed", ".fixed") if unsafe else (".fixed",)):
        path = FIXTURES / f"{name}{suffix}"
        if path.exists():
            return path.read_bytes()
    return (FIXTURES / name).read_bytes()


def fix_counts(unsafe: bool) -> tuple[int, int, int]:
    """(diagnostics fixed, files changed, all diagnostics) that the fixtures' expectations declare."""
    levels = ("safe", "unsafe") if unsafe else ("safe",)
    per_file = [[e.get("fix") for e in expected_diagnostics(name)] for name in fixture_names()]
    # A finding with no fix of its own on a line another fix removes (TFV030's tracking-list line, removed by the
    # add_weight fix of its variable) is fixed with it: `removed_with` names that fix's level.
    fixed = sum(e.get("fix") in levels or e.get("removed_with") in levels
                for name in fixture_names() for e in expected_diagnostics(name))
    changed = sum(any(fix in levels for fix in fixes) for fixes in per_file)
    return fixed, changed, sum(len(fixes) for fixes in per_file)


def contents(directory) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in PYTHON_FILES}


@pytest.mark.parametrize("unsafe", [False, True], ids=["fix", "unsafe-fixes"])
def test_fix_writes_the_expected_files_and_a_second_run_changes_nothing(project, unsafe):
    args = ["check", "--fix", *(["--unsafe-fixes"] if unsafe else []), "."]
    first = run_cli(*args, cwd=project)
    assert first.returncode == 1, first.stderr  # TFV000 and TFV008 have no fix and remain
    assert contents(project) == {name: expected(name, unsafe) for name in PYTHON_FILES}
    fixed_count, changed, total = fix_counts(unsafe)
    assert fixed_count >= (24 if unsafe else 19) and changed >= (13 if unsafe else 8)
    assert f"Fixed {fixed_count} of {total} diagnostics ({changed} files changed)." in first.stdout
    assert "TFV008" in first.stdout  # no fix: it remains
    assert not [p for p in os.listdir(project) if p.endswith(".tflint-vars")]  # no temporary files left
    second = run_cli(*args, cwd=project)
    assert contents(project) == {name: expected(name, unsafe) for name in PYTHON_FILES}
    assert "Fixed 0 of" in second.stdout and "(0 files changed)" in second.stdout


def test_unsafe_fixes_from_configuration(project):
    (project / "pyproject.toml").write_text("[tool.tflint-vars]\nunsafe-fixes = true\n")
    run_cli("check", "--fix", ".", cwd=project)
    assert (project / "tfv002_variable_in_call.py").read_bytes() == expected("tfv002_variable_in_call.py", True)
    (project / "tfv002_variable_in_call.py").write_bytes((FIXTURES / "tfv002_variable_in_call.py").read_bytes())
    run_cli("check", "--fix", "--no-unsafe-fixes", ".", cwd=project)
    assert (project / "tfv002_variable_in_call.py").read_bytes() == \
        (FIXTURES / "tfv002_variable_in_call.py").read_bytes()


def test_diff_prints_a_unified_diff_and_writes_nothing(project):
    before = contents(project)
    result = run_cli("check", "--diff", "seed1_variable_in_init.py", "tfv007_positional_name.py", cwd=project)
    assert result.returncode == 1
    assert contents(project) == before
    assert result.stdout.startswith("--- seed1_variable_in_init.py\n+++ seed1_variable_in_init.py\n@@ ")
    assert "-        self.b = tf.Variable(tf.zeros(shape=(units,)), name='bias')\n" in result.stdout
    assert "+        self.gain = self.add_weight(name=\"gain\"" in result.stdout
    assert "Would fix 4 of 4 diagnostics (2 files would change)." in result.stderr
    # The diff applies with patch(1) and gives exactly what --fix writes.
    if shutil.which("patch"):
        subprocess.run(["patch", "-p0", "--quiet"], input=result.stdout, text=True, cwd=project, check=True)
        assert (project / "seed1_variable_in_init.py").read_bytes() == expected("seed1_variable_in_init.py", False)
    clean = run_cli("check", "--diff", "seed2_add_weight_in_build.py", cwd=project)
    assert clean.returncode == 0 and clean.stdout == ""


def test_fix_keeps_the_file_mode_and_follows_symlinks(project):
    target = project / "tfv007_positional_name.py"
    os.chmod(target, 0o640)
    link = project / "link.py"
    link.symlink_to(target.name)
    run_cli("check", "--fix", "link.py", cwd=project)
    assert link.is_symlink()
    assert target.read_bytes() == expected("tfv007_positional_name.py", False)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_read_only_file_is_reported_not_crashed_on(project):
    target = project / "seed1_variable_in_init.py"
    os.chmod(target, 0o444)
    result = run_cli("check", "--fix", "seed1_variable_in_init.py", "tfv007_positional_name.py", cwd=project)
    assert result.returncode == 2
    assert "seed1_variable_in_init.py: not fixed, cannot write: the file is read-only" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_bytes() == (FIXTURES / "seed1_variable_in_init.py").read_bytes()
    assert "seed1_variable_in_init.py:8:18: TFV001" in result.stdout  # still reported
    assert (project / "tfv007_positional_name.py").read_bytes() == expected("tfv007_positional_name.py", False)


def test_fix_json_output_stays_valid_json(project):
    result = run_cli("check", "--fix", "--output-format", "json", ".", cwd=project)
    remaining = json.loads(result.stdout)
    fixed_count, _, total = fix_counts(False)
    assert len(remaining) == total - fixed_count
    assert all(d["fix"] != "safe" for d in remaining)
    assert f"Fixed {fixed_count} of {total} diagnostics" in result.stderr


def run_libcst_codemod(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300)


def test_libcst_codemod_command_gives_what_check_fix_gives(project):
    for name in ("tfv000_python2_syntax.py",):  # libcst's runner cannot parse it and counts a failure
        (project / name).unlink()
    files = [n for n in PYTHON_FILES if n != "tfv000_python2_syntax.py"]
    result = run_libcst_codemod("-x", "tflint_vars.fixes.codemod.TFLintVarsCommand", "--no-format",
                                "--hide-progress", "-j", "1", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    assert f"Transformed {fix_counts(False)[1]} files successfully." in result.stderr
    assert {n: (project / n).read_bytes() for n in files} == {n: expected(n, False) for n in files}
    # Through a .libcst.codemod.yaml naming the package, and with the unsafe fixes.
    (project / ".libcst.codemod.yaml").write_text("modules:\n  - 'tflint_vars.fixes'\n")
    result = run_libcst_codemod("codemod.TFLintVarsCommand", "--no-format", "--hide-progress", "-j", "1",
                                "--unsafe-fixes", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    assert {n: (project / n).read_bytes() for n in files} == {n: expected(n, True) for n in files}


@pytest.mark.slow
def test_fixed_fixtures_run_under_tensorflow_with_keras3():
    """One subprocess imports TensorFlow 2.21 (Keras 3) and runs the fixed fixtures: the seed's first example
    trains both weights after the fix (none before), and every fixed layer tracks its state."""
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "tf_fixed_fixtures_driver.py"), str(FIXTURES)],
                            capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["keras"].startswith("3.")
    assert facts["seed1 original"] == {"trainable": []}
    assert facts["seed1 fixed"] == {"trainable": ["bias", "weight"]}
    layers = {
        ("tfv001_dense_subclass", "ScaledDense"): (["bias", "kernel", "scale"], []),
        ("tfv001_import_forms", "AliasLayer"): (["w"], []),
        ("tfv001_import_forms", "StandaloneKeras"): (["b"], []),
        ("tfv001_import_forms", "Child"): (["extra", "w"], []),
        ("tfv001_lists_dicts_loops", "Mixture"): (["expert_0", "expert_1", "expert_2", "gate_in", "gate_out"],
                                                  ["temperature", "variable"]),
        ("tfv003_variable_in_build", "Bias"): (["b"], ["counter"]),
        ("tfv004_get_variable_in_layer", "LegacyDense"): (["bias", "kernel"], []),
        ("tfv007_positional_name", "Gain"): (["gain", "offset"], []),
        ("tfv002_variable_in_call", "NoisyShift"): (["shift"], []),
        ("tfv006_lazy_add_weight", "LazyScale"): (["scale"], []),
        ("tfv006_sublayer_in_call", "Head"): (["bias", "kernel"], []),
    }
    for (fixture, layer), (trainable, non_trainable) in layers.items():
        got = facts[fixture]
        assert "error" not in got, got
        assert got[layer] == {"trainable": trainable, "non_trainable": non_trainable, "stable": True}, (fixture, layer)
    assert "already exists" in facts["tfv005_scope_in_loop original"]["error"]
    assert facts["tfv005_scope_in_loop fixed"] == "built"
