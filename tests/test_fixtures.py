"""Every fixture through `tflint-vars check` and `flake8 --select TFV`, compared exactly with its expectations."""

from __future__ import annotations

import os
import re

import pytest

from pathlib import Path

from conftest import FIXTURES, expected_diagnostics, fixture_names, package_fixture_names


def _relative(path: str) -> str:
    return Path(os.path.relpath(path, FIXTURES)).as_posix()


def _expected(name: str) -> list[tuple[str, int, int, str]]:
    return sorted((e["code"], e["line"], e["column"], e["fix"]) for e in expected_diagnostics(name))


@pytest.mark.parametrize("name", fixture_names() + package_fixture_names())
def test_check_reports_exactly_the_expected_diagnostics(name, cli_fixture_run):
    got = sorted((d["code"], d["line"], d["column"], d["fix"] or "none")
                 for d in cli_fixture_run if _relative(d["path"]) == f"{name}.py")
    assert got == _expected(name)


def test_no_diagnostic_outside_the_fixtures_expectations(cli_fixture_run, flake8_fixture_run):
    """A package fixture's other modules (its base classes, re-exports) report nothing, in both front ends."""
    known = {f"{name}.py" for name in fixture_names() + package_fixture_names()}
    assert {_relative(d["path"]) for d in cli_fixture_run} <= known
    assert {path for path, *_ in flake8_fixture_run} <= known


@pytest.mark.parametrize("name", fixture_names() + package_fixture_names())
def test_flake8_reports_what_check_reports(name, flake8_fixture_run):
    got = sorted((code, row, col) for path, row, col, code in flake8_fixture_run if path == f"{name}.py")
    expected = sorted((code, line, col) for code, line, col, _ in _expected(name))
    if any(code == "TFV000" for code, _, _ in expected):
        # flake8 parses first and reports a file it cannot parse as its own E999; our plugin never runs on it.
        expected = [e for e in expected if e[0] != "TFV000"]
    if any(code == "TFV100" for code, _, _ in expected):
        # flake8 applies a bare noqa comment to every code on its line, TFV100's report of that very comment included.
        lines = (FIXTURES / f"{name}.py").read_text().splitlines()
        expected = [e for e in expected if e[0] != "TFV100" or not re.search(r"# noqa\s*$", lines[e[1] - 1])]
    assert got == expected


def test_fixtures_cover_every_rule_both_ways():
    """At least one fixture where each rule fires, and the seeds' six examples are all there."""
    from tflint_vars.rules.registry import RULES_BY_CODE

    fired = {e["code"] for name in fixture_names() for e in expected_diagnostics(name)}
    assert fired == set(RULES_BY_CODE)
    assert len([n for n in fixture_names() if n.startswith("seed")]) == 6
    assert len([n for n in fixture_names() if not expected_diagnostics(n)]) >= 6
    for name in fixture_names():
        assert (FIXTURES / f"{name}.toml").exists()


def test_seed_fixtures_are_verbatim():
    import re
    from pathlib import Path

    seeds = Path(__file__).resolve().parent / "data" / "seeds"  # vendored: see tests/data/README.md
    blocks = [b for f in sorted(seeds.glob("*.txt")) for b in re.findall(r"```python\n(.*?)```", f.read_text(), re.S)]
    ours = [(FIXTURES / f"{n}.py").read_text() for n in fixture_names() if n.startswith("seed")]
    assert len(blocks) == 6 and sorted(ours) == sorted(blocks)
