"""Configuration end to end: `[tool.tflint-vars]` in a scratch project through the real CLI, and flake8's own
configuration files (setup.cfg, .flake8) through the real flake8, read as a user's run reads them (no --isolated)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

RAW_VARIABLE = '''import tensorflow as tf


class Scale(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(tf.zeros((4,)))
'''
TF1_LAYERS = '''import tensorflow as tf


def net(x):
    return tf.compat.v1.layers.dense(x, 4)
'''


@pytest.fixture
def project(tmp_path) -> Path:
    """src/layer.py (TFV001), src/net.py (TFV008), tests/test_layer.py (TFV001), generated/gen.py (TFV001)."""
    for relative, text in {"src/layer.py": RAW_VARIABLE, "src/net.py": TF1_LAYERS,
                           "tests/test_layer.py": RAW_VARIABLE, "generated/gen.py": RAW_VARIABLE}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    return tmp_path


def configure(project: Path, table: str) -> None:
    (project / "pyproject.toml").write_text(f'[project]\nname = "demo"\n\n[tool.tflint-vars]\n{table}\n')


def found(project: Path, *args: str) -> set[tuple[str, str]]:
    """(path relative to the project, code) for every diagnostic of `check . <args>` run in the project."""
    result = run_cli("check", "--output-format", "json", ".", *args, cwd=project)
    assert result.returncode in (0, 1), result.stderr
    return {(Path(d["path"]).as_posix(), d["code"]) for d in json.loads(result.stdout)}


EVERYTHING = {("src/layer.py", "TFV001"), ("src/net.py", "TFV008"), ("tests/test_layer.py", "TFV001"),
              ("generated/gen.py", "TFV001")}


def test_without_configuration_everything_is_reported(project):
    assert found(project) == EVERYTHING


@pytest.mark.parametrize(("table", "expected"), [
    ('select = ["TFV008"]', {("src/net.py", "TFV008")}),
    ('ignore = ["TFV001"]', {("src/net.py", "TFV008")}),
    ('select = ["TFV0"]\nignore = ["TFV00"]', set()),  # the longer prefix decides, as in ruff
    ('select = ["TFV00"]\nignore = ["TFV0"]', EVERYTHING),
    ('select = ["TFV001"]\nextend-select = ["TFV008"]', EVERYTHING),
    ('exclude = ["generated"]', EVERYTHING - {("generated/gen.py", "TFV001")}),
    ('extend-exclude = ["tests/*.py", "generated"]',
     {("src/layer.py", "TFV001"), ("src/net.py", "TFV008")}),
    ('[tool.tflint-vars.per-file-ignores]\n"tests/*" = ["TFV001"]\n"gen.py" = ["TFV"]',
     {("src/layer.py", "TFV001"), ("src/net.py", "TFV008")}),
    ("unsafe-fixes = true", EVERYTHING),
])
def test_each_key_takes_effect(project, table, expected):
    configure(project, table)
    assert found(project) == expected


def test_command_line_overrides_the_configuration(project):
    configure(project, 'select = ["TFV008"]\nignore = ["TFV001"]')
    assert found(project) == {("src/net.py", "TFV008")}
    # --select replaces the configured selection; the configured ignore still applies.
    assert found(project, "--select", "TFV") == {("src/net.py", "TFV008")}
    # --ignore replaces the configured ignore.
    assert found(project, "--select", "TFV", "--ignore", "TFV008") == EVERYTHING - {("src/net.py", "TFV008")}
    assert found(project, "--extend-select", "TFV001", "--ignore", "TFV000") == EVERYTHING


def test_config_is_found_from_a_subdirectory_and_by_flag(project):
    configure(project, 'select = ["TFV008"]')
    result = run_cli("check", "--output-format", "json", "src", cwd=project)
    assert {d["code"] for d in json.loads(result.stdout)} == {"TFV008"}
    other = project / "other.toml"
    other.write_text('[tool.tflint-vars]\nselect = ["TFV001"]\n')
    result = run_cli("check", "--output-format", "json", "--config", str(other), "src", cwd=project)
    assert {d["code"] for d in json.loads(result.stdout)} == {"TFV001"}
    result = run_cli("check", "--config", str(project / "missing.toml"), "src", cwd=project)
    assert result.returncode == 2 and "missing.toml: no such file" in result.stderr


def test_force_exclude_applies_excludes_to_named_files(project):
    """pre-commit names each file: without --force-exclude a configured exclude would not apply to it."""
    configure(project, 'extend-exclude = ["generated"]\n[tool.tflint-vars.per-file-ignores]\n')
    named = ("generated/gen.py", "src/layer.py")
    result = run_cli("check", "--output-format", "json", *named, cwd=project)
    assert {d["path"] for d in json.loads(result.stdout)} == set(named)
    result = run_cli("check", "--output-format", "json", "--force-exclude", *named, cwd=project)
    assert {d["path"] for d in json.loads(result.stdout)} == {"src/layer.py"}
    # Default excludes too, and from another working directory (excludes are relative to the pyproject.toml).
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "lib" / "dep.py").write_text(RAW_VARIABLE)
    result = run_cli("check", "--output-format", "json", "--force-exclude",
                     str(project / ".venv/lib/dep.py"), str(project / "generated/gen.py"), "layer.py",
                     cwd=project / "src")
    assert [d["path"] for d in json.loads(result.stdout)] == ["layer.py"]


def test_unsafe_fixes_key_and_its_flags(project):
    """`unsafe-fixes = true` makes `--fix` apply unsafe fixes; `--no-unsafe-fixes` overrides it, and without the key
    only safe fixes apply. The fixture's expected outputs say what each must produce."""
    fixture = FIXTURES / "tfv001_slash_name.py"  # a computed name that may hold `/`: an unsafe fix only
    target = project / "src" / "slash.py"

    def fix(*flags: str) -> str:
        target.write_text(fixture.read_text())
        result = run_cli("check", "--fix", *flags, "src/slash.py", cwd=project)
        assert result.returncode in (0, 1), result.stderr
        return target.read_text()

    unsafe_fixed = fixture.with_name(fixture.name + ".unsafe-fixed").read_text()
    safe_fixed = fixture.with_name(fixture.name + ".fixed").read_text()
    assert unsafe_fixed != safe_fixed
    assert fix() == safe_fixed
    assert fix("--unsafe-fixes") == unsafe_fixed
    configure(project, "unsafe-fixes = true")
    assert fix() == unsafe_fixed
    assert fix("--no-unsafe-fixes") == safe_fixed


@pytest.mark.parametrize(("table", "message"), [
    ("selct = [\"TFV001\"]", "unknown key 'selct' in [tool.tflint-vars]"),
    ('select = ["TFV999"]', "unknown rule code 'TFV999'"),
    ('ignore = ["E501"]', "unknown rule code 'E501'"),
    ('extend-select = ["TFV01x"]', "unknown rule code 'TFV01x'"),
    ('[tool.tflint-vars.per-file-ignores]\n"tests/*" = ["TFV900"]', "unknown rule code 'TFV900'"),
    ('select = "TFV001"', "select: expected a list of strings, got 'TFV001'"),
    ('unsafe-fixes = "yes"', "unsafe-fixes: expected true or false, got 'yes'"),
    ('per-file-ignores = ["tests/*"]', "per-file-ignores: expected a table of pattern = [codes]"),
    ("select = [", "pyproject.toml"),  # not TOML at all: the parser's message, with the file
])
def test_a_bad_configuration_is_a_clear_error(project, table, message):
    configure(project, table)
    result = run_cli("check", ".", cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("tflint-vars: error: ")
    assert message in result.stderr
    assert str(project / "pyproject.toml") in result.stderr


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
def test_an_unknown_code_on_the_command_line_is_a_clear_error(project, flag):
    result = run_cli("check", flag, "TFV00,XYZ1", ".", cwd=project)
    assert result.returncode == 2
    assert f"{flag}: unknown rule code 'XYZ1'" in result.stderr


# --- flake8 -------------------------------------------------------------------------------------------------------

def flake8(project: Path, *args: str) -> set[tuple[str, str]]:
    """The real flake8 with the project's own configuration files (no --isolated)."""
    result = subprocess.run([sys.executable, "-m", "flake8", "--format", "%(path)s\t%(code)s", *args, "."],
                            cwd=project, capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert result.returncode in (0, 1), result.stderr
    rows = set()
    for line in result.stdout.splitlines():
        path, code = line.split("\t")
        rows.add((Path(path).as_posix().removeprefix("./"), code))
    return rows


def test_flake8_setup_cfg_extend_select_and_per_file_ignores(project):
    (project / "setup.cfg").write_text("[flake8]\nextend-select = TFV\nper-file-ignores =\n"
                                       "    tests/*: TFV001\n    generated/*: TFV\n")
    got = flake8(project)
    assert {row for row in got if row[1].startswith("TFV")} == {("src/layer.py", "TFV001"), ("src/net.py", "TFV008")}


def test_flake8_dot_flake8_select_and_extend_ignore(project):
    (project / ".flake8").write_text("[flake8]\nselect = TFV\nextend-ignore = TFV008\nextend-exclude = generated\n")
    assert flake8(project) == {("src/layer.py", "TFV001"), ("tests/test_layer.py", "TFV001")}
    # The command line still overrides the file, as flake8 users expect.
    assert flake8(project, "--select", "TFV008", "--extend-ignore", "") == {("src/net.py", "TFV008")}
