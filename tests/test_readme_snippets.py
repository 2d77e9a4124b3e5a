"""The Install (README.md), pre-commit and GitHub Actions (docs/ci.md) snippets, run as written against a copy of
this repository.

The snippets are read from the documents themselves (the section of that title, wherever it is among README.md and
docs/*.md), so the test fails when the documentation drifts from what works. The only change made to them is the
placeholder `/path/to/tflint-vars`, replaced by the copy's path. Everything runs for real: pip builds the wheel and
installs into a fresh virtual environment, the pre-commit client runs the documented configuration in a scratch git
repository, and the workflow's `run:` steps run in a scratch checkout. pip resolves libcst (and setuptools for the
build) from the package index, hence the `network` mark."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT, commands, doc_blocks

pytestmark = pytest.mark.network

PLACEHOLDER = "/path/to/tflint-vars"
BAD = (FIXTURES / "seed1_variable_in_init.py").read_text()  # two TFV001 findings, lines 8 and 9
GOOD = "import tensorflow as tf\n\nlayer = tf.keras.layers.Dense(3)\n"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """The Install section run line by line in a fresh virtual environment, against a copy of the repository.
    Returns the paths and the environment (PATH with the venv first) the other tests use."""
    base = tmp_path_factory.mktemp("readme")
    copy = base / "tflint-vars"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", "build",
                                                               "dist", ".pytest_cache", ".bench", ".soak-cache"))
    environment = base / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{environment / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(environment)
    work = base / "work"
    work.mkdir()
    ran = []
    for block in doc_blocks("Install", "sh"):
        for command in commands(block):
            command = command.replace(PLACEHOLDER, str(copy))
            # Each line as a user types it, in a shell whose `python` is the fresh venv's.
            result = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True,
                                    timeout=600)
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
            ran.append((command, result))
    return {"copy": copy, "venv": environment, "env": env, "ran": ran, "base": base}


def test_install_snippets_install_a_working_cli(installed):
    ran = dict(installed["ran"])
    version = next(result for command, result in ran.items() if command.endswith("--version"))
    assert version.stdout.startswith("tflint-vars ")
    wheels = sorted((installed["copy"] / "dist").glob("*.whl"))
    assert [w.name for w in wheels] == ["tflint_vars-0.1.0-py3-none-any.whl"]  # the name the README spells out
    project = installed["base"] / "project"
    project.mkdir()
    (project / "bad.py").write_text(BAD)
    (project / "good.py").write_text(GOOD)
    cli = installed["venv"] / "bin" / "tflint-vars"
    bad = subprocess.run([cli, "check", "--no-cache", "bad.py"], cwd=project, capture_output=True, text=True,
                         env=installed["env"])
    assert bad.returncode == 1 and "bad.py:8:18: TFV001" in bad.stdout
    good = subprocess.run([cli, "check", "--no-cache", "good.py"], cwd=project, capture_output=True, text=True,
                          env=installed["env"])
    assert (good.returncode, good.stdout) == (0, "All checks passed!\n")
    # The README promises TensorFlow is not needed to lint: the venv holds libcst and tflint-vars only.
    listing = subprocess.run([installed["venv"] / "bin" / "python", "-m", "pip", "list", "--format", "json"],
                             capture_output=True, text=True, env=installed["env"], check=True)
    names = {p["name"].lower() for p in json.loads(listing.stdout)}
    assert "tflint-vars" in names and "libcst" in names and "tensorflow" not in names


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})


@pytest.mark.parametrize("which", [0, 1], ids=["language-python", "language-system"])
def test_pre_commit_snippets_block_a_finding_and_pass_a_clean_file(installed, tmp_path, which):
    blocks = doc_blocks("pre-commit", "yaml")
    assert len(blocks) == 2
    config = blocks[which].replace(PLACEHOLDER, str(installed["copy"]))
    hook = yaml.safe_load(config)["repos"][0]["hooks"][0]
    assert hook["language"] == ("python", "system")[which]
    repo = tmp_path / "repo"
    repo.mkdir()
    _git("init", "-q", cwd=repo)
    (repo / ".pre-commit-config.yaml").write_text(config)
    (repo / "bad.py").write_text(BAD)
    (repo / "good.py").write_text(GOOD)
    _git("add", ".", cwd=repo)
    # The system hook finds `tflint-vars` on PATH, as after the Install section; the python one builds its own.
    env = {**installed["env"], "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("NO_COLOR", None)
    if which == 0:  # pre-commit's own environment must bring tflint-vars: the Install section's venv is not on PATH
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != str(installed["venv"] / "bin"))

    def pre_commit(*files: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never", "--files", *files],
                              cwd=repo, capture_output=True, text=True, env=env, timeout=900)

    failed = pre_commit("bad.py")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "tflint-vars" in failed.stdout and "Failed" in failed.stdout
    assert "bad.py:8:18: TFV001" in failed.stdout and "bad.py:9:18: TFV001" in failed.stdout
    passed = pre_commit("good.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_github_actions_snippet_runs_its_steps_and_writes_valid_sarif(installed, tmp_path):
    (workflow_text,) = doc_blocks("GitHub Actions with code scanning", "yaml")
    workflow = yaml.safe_load(workflow_text)
    steps = workflow["jobs"]["tflint-vars"]["steps"]
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s] == [
        "actions/checkout", "actions/setup-python", "github/codeql-action/upload-sarif"]
    # The checkout: a user's repository with a finding and the wheel committed where the README says.
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "bad.py").write_text(BAD)
    wheel_path = next(shlex.split(s["run"])[-1] for s in steps if s.get("run", "").startswith("pip install"))
    (checkout / wheel_path).parent.mkdir(parents=True)
    (wheel, ) = (installed["copy"] / "dist").glob("*.whl")
    shutil.copyfile(wheel, checkout / wheel_path)
    # A fresh Python, as setup-python gives: the install step must bring everything the check step needs.
    runner = tmp_path / "runner"
    venv.EnvBuilder(with_pip=True).create(runner)
    env = {k: v for k, v in installed["env"].items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join([str(runner / "bin")] + [p for p in env["PATH"].split(os.pathsep)
                                                           if p != str(installed["venv"] / "bin")])
    results = []
    for step in steps:
        if "run" in step:
            results.append(subprocess.run(["bash", "-e", "-c", step["run"]], cwd=checkout, env=env,
                                          capture_output=True, text=True, timeout=600))
    install, check = results
    assert install.returncode == 0, install.stderr
    assert check.returncode == 1, check.stderr  # the finding fails the step; upload-sarif runs on failure()
    assert next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))["if"] == \
        "success() || failure()"
    sarif_file = next(s["with"]["sarif_file"] for s in steps if "upload-sarif" in s.get("uses", ""))
    log = json.loads((checkout / sarif_file).read_text())
    from jsonschema import Draft4Validator

    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    assert not list(Draft4Validator(schema).iter_errors(log))
    locations = [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in log["runs"][0]["results"]]
    assert locations == [("TFV001", "bad.py", 8), ("TFV001", "bad.py", 9)]
