"""Shared helpers: the real CLI and the real flake8, run as subprocesses on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

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
