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


def documents() -> list[Path]:
    """The documentation the tests hold to what works: README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def markdown_headings(text: str) -> list[tuple[int, int, str]]:
    """(line index, level, title) of each ATX heading of a Markdown text, skipping fenced code blocks (where a
    `# comment` is not a heading)."""
    headings, fence = [], None
    for index, line in enumerate(text.splitlines()):
        marker = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if marker:
            if fence is None:
                fence = marker.group(1)[0] * len(marker.group(1))
            elif line.strip().startswith(fence):
                fence = None
            continue
        heading = re.match(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line) if fence is None else None
        if heading:
            headings.append((index, len(heading.group(1)), heading.group(2)))
    return headings


def doc_section(heading: str) -> tuple[Path, str]:
    """The document holding the one section titled `heading` (any level), and that section's text up to the next
    heading of the same or a higher level: wherever a section moves among the documents, its tests follow it."""
    found = []
    for document in documents():
        text = document.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        headings = markdown_headings(text)
        for position, (index, level, title) in enumerate(headings):
            if title == heading:
                end = next((i for i, lvl, _ in headings[position + 1:] if lvl <= level), len(lines))
                found.append((document, "".join(lines[index + 1:end])))
    assert len(found) == 1, f"expected one section titled {heading!r} in README.md and docs/, found {len(found)}"
    return found[0]


def doc_blocks(heading: str, language: str) -> list[str]:
    """The fenced `language` blocks of the section titled `heading` (see doc_section), in order."""
    document, section = doc_section(heading)
    blocks = re.findall(rf"^```{language}\n(.*?)^```", section, re.S | re.M)
    assert blocks, f"{document.relative_to(ROOT)}'s '{heading}' section has no {language} block"
    return blocks


def commands(block: str) -> list[str]:
    """The shell commands of a block: one a line, comments and blanks dropped."""
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
