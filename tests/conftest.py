"""Shared helpers: the real CLI and the real flake8, run as subprocesses on real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
# tests/data/sample_project has its own suite, run by test_pytest_plugin.py in its own pytest, never collected here.
collect_ignore = ["data"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# The installed packages of the fixtures' environment (fixtures/environment/site-packages/README.md).
FIXTURE_SITE = FIXTURES / "environment" / "site-packages"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"  # vendored: see tests/data/README.md


@pytest.fixture(scope="session", autouse=True)
def _cache_outside_the_project(tmp_path_factory):
    """Every CLI run of the suite caches in a temporary directory, never in the project, and keeps the cache's key
    and the user cache directory in temporary ones, never in the real home. The fixtures' installed packages are on
    the PYTHONPATH of every interpreter the suite starts, and on this one's sys.path, as a user's site-packages would
    be."""
    variables = {
        "TFLINT_VARS_CACHE_DIR": tmp_path_factory.mktemp("tflint-vars-cache"),
        "XDG_CONFIG_HOME": tmp_path_factory.mktemp("xdg-config"),
        "XDG_CACHE_HOME": tmp_path_factory.mktemp("xdg-cache"),
        "PYTHONPATH": os.pathsep.join(filter(None, (str(FIXTURE_SITE), os.environ.get("PYTHONPATH")))),
    }
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update({name: str(value) for name, value in variables.items()})
    sys.path.append(str(FIXTURE_SITE))  # and on this process's, for the tests that check in-process
    yield
    sys.path.remove(str(FIXTURE_SITE))
    for name, value in previous.items():
        if value is None:
            del os.environ[name]
        else:
            os.environ[name] = value


def fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.py"))


def package_fixture_names() -> list[str]:
    """Fixtures inside a package directory (fixtures/project_index/pkg/layers.py: "project_index/pkg/layers"),
    those with expectations beside them; the package's other modules are there to be imported."""
    return sorted(p.relative_to(FIXTURES).with_suffix("").as_posix() for p in FIXTURES.glob("*/**/*.py")
                  if p.with_suffix(".toml").is_file())


def expected_diagnostics(name: str) -> list[dict]:
    with open(FIXTURES / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle).get("expect", [])


def run_cli(*args: str, cwd: Path | str | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "tflint_vars", *args], cwd=cwd or ROOT, capture_output=True,
                          text=True, input=input, env=env, timeout=300)


def bench_facts(script: str, legacy: bool, *args: str) -> dict[str, str]:
    """The `name: result` lines a bench/*_facts.py script (run with `args`) prints, under Keras 3, or Keras 2 when
    `legacy`."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                            env=env, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)


def run_flake8(*args: str, cwd: Path | str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8", "--isolated", *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=300)


def check_json(*args: str, cwd: Path | str | None = None) -> list[dict]:
    result = run_cli("check", "--output-format", "json", *args, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def cli_fixture_run() -> list[dict]:
    """One CLI run over fixtures/, shared by the per-fixture tests."""
    return check_json(str(FIXTURES))


@pytest.fixture(scope="session")
def flake8_fixture_run() -> list[tuple[str, int, int, str]]:
    """One flake8 run over fixtures/ with only our plugin selected."""
    result = run_flake8("--select", "TFV", "--format", "%(path)s\t%(row)d\t%(col)d\t%(code)s", str(FIXTURES))
    rows = []
    for line in result.stdout.splitlines():
        path, row, col, code = line.split("\t")
        rows.append((Path(os.path.relpath(path, FIXTURES)).as_posix(), int(row), int(col), code))
    return rows


def read_index(index: Path) -> dict:
    """A result-cache index's JSON, after its signature line (tflint_vars.cache)."""
    return json.loads(index.read_bytes().partition(b"\n")[2])


def readme_blocks(heading: str, language: str) -> list[str]:
    """The fenced `language` blocks of one `## heading` section of README.md, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, f"README.md has no '## {heading}' section"
    blocks = re.findall(rf"^```{language}\n(.*?)^```", section.group(1), re.S | re.M)
    assert blocks, f"README.md's '{heading}' section has no {language} block"
    return blocks


def commands(block: str) -> list[str]:
    """The shell commands of a block: one a line, comments and blanks dropped."""
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
