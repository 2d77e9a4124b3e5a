"""Issue 19, item 3: ruff's per-rule fix settings (`fixable`, `unfixable`, `extend-fixable`, `extend-safe-fixes`,
`extend-unsafe-fixes`) in `[tool.tflint-vars]` and on the command line, through the real CLI on real files; the
applicability they give shows in JSON and SARIF, and `--fix` obeys it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, doc_blocks, run_cli

SEED1 = "seed1_variable_in_init.py"  # two TFV001, safe fixes
UNSAFE_GET_VARIABLE = "tfv004_get_variable_unsafe.py"  # TFV004, an unsafe fix (its regularizer)


@pytest.fixture
def project(tmp_path) -> Path:
    for name in (SEED1, UNSAFE_GET_VARIABLE):
        shutil.copyfile(FIXTURES / name, tmp_path / name)
    # A file reading TF1's regularization-loss collection keeps TFV004's regularizer fix unsafe in this project (its
    # pyproject.toml makes it one): without it the fix would be safe (fixtures/regularizer/unread).
    (tmp_path / "train.py").write_text("import tensorflow as tf\nREG = tf.compat.v1.losses.get_regularization_loss\n")
    return tmp_path


def configure(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.tflint-vars]\n{body}\n")


def applicabilities(project: Path, *flags: str) -> dict[str, set[str]]:
    result = run_cli("check", "--output-format", "json", *flags, ".", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    found: dict[str, set[str]] = {}
    for diagnostic in json.loads(result.stdout):
        assert diagnostic["applicability"] == (diagnostic["fix"] or "display-only")
        found.setdefault(diagnostic["code"], set()).add(diagnostic["applicability"])
    return found


def fix(project: Path, *flags: str) -> dict[str, str]:
    """Fix fresh copies with `flags`; each file's text after."""
    for name in (SEED1, UNSAFE_GET_VARIABLE):
        shutil.copyfile(FIXTURES / name, project / name)
    result = run_cli("check", "--fix", *flags, ".", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    return {name: (project / name).read_text() for name in (SEED1, UNSAFE_GET_VARIABLE)}


def expected(name: str, kind: str = "fixed") -> str:
    return (FIXTURES / f"{name}.{kind}").read_text()


def test_defaults_are_the_rules_own(project):
    assert applicabilities(project) == {"TFV001": {"safe"}, "TFV004": {"unsafe"}}
    fixed = fix(project)
    assert fixed == {SEED1: expected(SEED1), UNSAFE_GET_VARIABLE: expected(UNSAFE_GET_VARIABLE)}


def test_unfixable_leaves_the_rule_alone_and_says_why(project):
    configure(project, 'unfixable = ["TFV001"]')
    assert applicabilities(project) == {"TFV001": {"display-only"}, "TFV004": {"unsafe"}}
    assert fix(project, "--unsafe-fixes")[SEED1] == (FIXTURES / SEED1).read_text()
    shown = run_cli("check", "--show-fixes", "--output-format", "concise", SEED1, cwd=project).stdout
    assert "TFV001 no fix (Replace with `self.add_weight(...)`): TFV001 is not fixable in this configuration" in shown


def test_fixable_narrows_and_extend_fixable_widens(project):
    configure(project, 'fixable = ["TFV004"]')
    assert applicabilities(project) == {"TFV001": {"display-only"}, "TFV004": {"unsafe"}}
    assert applicabilities(project, "--extend-fixable", "TFV001") == {"TFV001": {"safe"}, "TFV004": {"unsafe"}}
    # --fixable replaces the configured list.
    assert applicabilities(project, "--fixable", "TFV001") == {"TFV001": {"safe"}, "TFV004": {"display-only"}}


def test_the_longer_prefix_decides_and_unfixable_wins_a_tie(project):
    configure(project, 'unfixable = ["TFV"]\nfixable = ["TFV001"]')
    assert applicabilities(project) == {"TFV001": {"safe"}, "TFV004": {"display-only"}}
    configure(project, 'unfixable = ["TFV001"]\nfixable = ["TFV001"]')
    assert applicabilities(project)["TFV001"] == {"display-only"}


def test_extend_safe_fixes_makes_fix_apply_an_unsafe_fix(project):
    """A team that verified TFV004 on its code: plain `--fix` then gives what `--unsafe-fixes` gave."""
    configure(project, 'extend-safe-fixes = ["TFV004"]')
    assert applicabilities(project)["TFV004"] == {"safe"}
    shown = run_cli("check", "--show-fixes", "--output-format", "concise", UNSAFE_GET_VARIABLE, cwd=project).stdout
    assert "TFV004 safe fix" in shown
    assert fix(project)[UNSAFE_GET_VARIABLE] == expected(UNSAFE_GET_VARIABLE, "unsafe-fixed")


def test_extend_unsafe_fixes_holds_a_safe_fix_back(project):
    assert applicabilities(project, "--extend-unsafe-fixes", "TFV001")["TFV001"] == {"unsafe"}
    assert fix(project, "--extend-unsafe-fixes", "TFV001")[SEED1] == (FIXTURES / SEED1).read_text()
    assert fix(project, "--extend-unsafe-fixes", "TFV001", "--unsafe-fixes")[SEED1] == expected(SEED1)


def test_unsafe_wins_a_tie_and_the_more_specific_prefix_wins(project):
    """ruff's FixSafetyTable: the more specific selector decides; at equal specificity, unsafe."""
    configure(project, 'extend-safe-fixes = ["TFV00"]\nextend-unsafe-fixes = ["TFV00"]')
    assert applicabilities(project) == {"TFV001": {"unsafe"}, "TFV004": {"unsafe"}}
    configure(project, 'extend-safe-fixes = ["TFV004"]\nextend-unsafe-fixes = ["TFV"]')
    assert applicabilities(project) == {"TFV001": {"unsafe"}, "TFV004": {"safe"}}


def test_a_finding_without_a_fix_never_gains_one(tmp_path):
    shutil.copyfile(FIXTURES / "seed4_tf_layers_dense.py", tmp_path / "dense.py")
    configure(tmp_path, 'extend-safe-fixes = ["TFV"]')
    assert applicabilities(tmp_path) == {"TFV008": {"display-only"}}


def test_sarif_carries_the_resulting_applicability(project):
    configure(project, 'extend-unsafe-fixes = ["TFV001"]')
    log = json.loads(run_cli("check", "--output-format", "sarif", ".", cwd=project).stdout)
    found = {(r["ruleId"], r["properties"]["applicability"]) for r in log["runs"][0]["results"]}
    assert found == {("TFV001", "unsafe"), ("TFV004", "unsafe")}


@pytest.mark.parametrize("table", ['fixable = ["TFV99"]', 'unfixable = ["E501"]', 'extend-fixable = ["X"]',
                                   'extend-safe-fixes = ["TFV0011"]', 'extend-unsafe-fixes = ["F401"]'])
def test_unknown_codes_in_the_settings_are_errors(project, table):
    configure(project, table)
    result = run_cli("check", ".", cwd=project)
    assert result.returncode == 2 and "unknown rule code" in result.stderr, result.stderr
    key = table.split(" =")[0]
    assert f"[tool.tflint-vars] {key}" in result.stderr


@pytest.mark.parametrize("flag", ["--fixable", "--unfixable", "--extend-fixable", "--extend-safe-fixes",
                                  "--extend-unsafe-fixes"])
def test_unknown_codes_on_the_command_line_are_errors(project, flag):
    result = run_cli("check", flag, "TFV001,RUF100", ".", cwd=project)
    assert result.returncode == 2 and re.search(rf"{flag}: unknown rule code 'RUF100'", result.stderr)


def test_documented_configuration_example_loads(tmp_path):
    """The `[tool.tflint-vars]` example of docs/configuration.md is a configuration the tool accepts."""
    from tflint_vars.config import load_config_file

    (block,) = doc_blocks("Configuration", "toml")
    assert "extend-safe-fixes" in block
    path = tmp_path / "pyproject.toml"
    path.write_text(block)
    config = load_config_file(str(path))
    assert config.fixes.unfixable == ("TFV002",) and config.fixes.extend_safe == ("TFV004",)
