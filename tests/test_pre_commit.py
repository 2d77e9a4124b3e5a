"""The hooks in .pre-commit-hooks.yaml through the real pre-commit client, as a user's repository runs them.

`pre-commit try-repo` clones this project (HEAD plus uncommitted changes to tracked files) and pip-installs it into a
fresh virtualenv from the package registry, so one run costs an install (about 12 s, mostly pip). Both hooks run in
that one run, in order: `tflint-vars` sees the bad layer first, then `tflint-vars-fix` rewrites it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from conftest import ROOT

import pre_commit  # noqa: F401  (a test dependency: its absence is an error, not a skip)

pytestmark = pytest.mark.network

BAD_LAYER = '''import tensorflow as tf


class Scale(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.w = tf.Variable(tf.zeros((1, units)), name="w")

    def call(self, x):
        return x * self.w
'''


HOOK_STATUS = re.compile(r"\S.*?\.{3,}(\(no files to check\))?(Passed|Failed|Skipped)")


def _git(*args: str, cwd) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def try_repo_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, str]:
    """One `pre-commit try-repo <project> --all-files` run of every hook over a scratch repository."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("the project is not a git checkout: pre-commit installs hooks from a git repository")
    home = tmp_path_factory.mktemp("pre-commit-home")
    repo = tmp_path_factory.mktemp("scratch-repo")
    _git("init", "-q", cwd=repo)
    (repo / "bad_layer.py").write_text(BAD_LAYER)
    (repo / "notes.txt").write_text("tf.Variable( is not python\n")  # types: [python] keeps it out
    shutil.copy(ROOT / "tests" / "data" / "notebooks" / "seed1_layer.ipynb", repo / "layer.ipynb")  # types_or: jupyter
    _git("add", "bad_layer.py", "notes.txt", "layer.ipynb", cwd=repo)
    # Without PYTHONPATH the hook imports tflint_vars from pre-commit's own install, not from this checkout.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PRE_COMMIT_HOME", "NO_COLOR")}
    env["PRE_COMMIT_HOME"] = str(home)
    result = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files",
                             "--color", "never"], cwd=repo, capture_output=True, text=True, env=env, timeout=600)
    return result, (repo / "bad_layer.py").read_text()


def _hook_output(stdout: str, name: str) -> str:
    """The part of pre-commit's output that belongs to the hook with this display name."""
    lines = stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if HOOK_STATUS.fullmatch(line)]
    start = next(i for i in starts if lines[i].startswith(name + "."))
    end = next((i for i in starts if i > start), len(lines))
    return "\n".join(lines[start:end])


def test_check_hook_blocks_a_commit_with_a_raw_variable_in_a_layer(try_repo_run):
    result, _ = try_repo_run
    assert result.returncode == 1, result.stdout + result.stderr
    output = _hook_output(result.stdout, "tflint-vars")
    assert "Failed" in output.splitlines()[0]
    assert "- exit code: 1" in output
    assert "bad_layer.py:7:18: TFV001 `tf.Variable` in `Scale.__init__`" in output
    assert "notes.txt" not in output


def test_hooks_check_and_fix_notebooks(try_repo_run):
    result, _ = try_repo_run
    assert "layer.ipynb:cell 3:6:18: TFV001" in _hook_output(result.stdout, "tflint-vars")
    # 3 TFV001, and the TFV014 that bad_layer.py's fix reveals (its `units` becomes a weight's dimension).
    assert "Fixed 4 of 4 diagnostics (2 files changed)." in _hook_output(result.stdout, "tflint-vars (fix)")


def test_fix_hook_rewrites_the_file_and_fails_because_it_changed_it(try_repo_run):
    result, fixed = try_repo_run
    output = _hook_output(result.stdout, "tflint-vars (fix)")
    assert "Failed" in output.splitlines()[0]
    assert "- files were modified by this hook" in output
    assert "tf.Variable" not in fixed and "self.add_weight(" in fixed
    compile(fixed, "bad_layer.py", "exec")


def test_hook_install_needs_no_tensorflow():
    """pre-commit pip-installs the project for the hooks: its dependencies must stay light (libcst only)."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    names = {d.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
             for d in dependencies}
    assert names == {"libcst"}

