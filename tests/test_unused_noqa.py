"""TFV100 unused-noqa (issue 19, item 2), and the burn-down it makes possible: `--add-noqa` freezes a code base's
findings, the code gets fixed, and TFV100's safe fix removes the directives that became unused. Real files, the
real CLI."""

from __future__ import annotations

import json
import os
import re
import shutil

from conftest import FIXTURES, run_cli
from tflint_vars.diagnostics import CodeSelection
from tflint_vars.engine import check_source
from tflint_vars.fixes.fixer import fix_source

LAYER = ("import tensorflow as tf\n\n\nclass L(tf.keras.layers.Layer):\n    def __init__(self, **kwargs):\n"
         "        super().__init__(**kwargs)\n")


def tfv100(source: str, selection: CodeSelection | None = None) -> list[tuple[int, str, str | None]]:
    return [(d.line, d.message, d.fix) for d in check_source(source.encode(), "m.py", selection) if d.code == "TFV100"]


def test_a_used_directive_is_not_reported_and_an_unused_code_is():
    source = LAYER + "        self.v = tf.Variable(1.0)  # noqa: TFV001, TFV002\n"
    assert tfv100(source) == [(7, "Unused `noqa` directive (unused: `TFV002`)", "safe")]
    fixed = fix_source(source)
    assert "# noqa: TFV001\n" in fixed and "TFV002" not in fixed  # TFV001 stays silenced, TFV002 goes


def test_other_tools_codes_are_kept_and_never_reported():
    source = "import os  # noqa: F401, TFV003, E501\n"
    assert tfv100(source) == [(1, "Unused `noqa` directive (unused: `TFV003`)", "safe")]
    assert fix_source(source) == "import os  # noqa: F401, E501\n"
    assert tfv100("import os  # noqa: F401\n") == []


def test_a_file_no_rule_can_fire_on_still_gets_its_unused_codes():
    """The engine skips analysis for a file without the rules' trigger words: its noqa codes are all unused."""
    assert tfv100("x = 1  # noqa: TFV001\n") == [(1, "Unused `noqa` directive (unused: `TFV001`)", "safe")]
    assert fix_source("x = 1  # noqa: TFV001 keep this note\n") == "x = 1  # keep this note\n"


def test_a_bare_noqa_has_an_unsafe_fix_and_only_when_every_rule_runs_and_tfv100_is_named():
    named = CodeSelection(["TFV", "TFV100"])
    assert tfv100("x = 1  # noqa\n") == []  # by default: it may serve another tool
    assert tfv100("x = 1  # noqa\n", named) == \
        [(1, "Unused blanket `noqa` directive: no TFV finding on this line", "unsafe")]
    assert fix_source("x = 1  # noqa\n", selection=named) == "x = 1  # noqa\n"
    assert fix_source("x = 1  # noqa\n", unsafe=True, selection=named) == "x = 1\n"
    # With some rules not selected, a bare noqa may silence one of them: not reported.
    assert tfv100("x = 1  # noqa\n", CodeSelection(["TFV001", "TFV100"])) == []


def test_codes_of_rules_not_selected_are_not_judged():
    assert tfv100("x = 1  # noqa: TFV002, TFV001\n", CodeSelection(["TFV001", "TFV100"])) == \
        [(1, "Unused `noqa` directive (unused: `TFV001`)", "safe")]


def test_noqa_in_a_string_and_a_directive_naming_tfv100_are_left_alone():
    assert tfv100('s = "# noqa: TFV001"\n') == []
    assert tfv100("x = 1  # noqa: TFV001, TFV100\n") == []
    assert tfv100("x = 1  # noqa: TFV1\n") == []


def test_ignore_noqa_reports_the_silenced_and_no_tfv100(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(LAYER + "        self.v = tf.Variable(1.0)  # noqa: TFV001\n        x = 1  # noqa: TFV002\n")
    plain = json.loads(run_cli("check", "--output-format", "json", str(path)).stdout)
    assert [(d["code"], d["line"]) for d in plain] == [("TFV100", 8)]
    ignoring = json.loads(run_cli("check", "--ignore-noqa", "--output-format", "json", str(path)).stdout)
    assert [(d["code"], d["line"]) for d in ignoring] == [("TFV001", 7)]


def test_flake8_reports_listed_unused_codes(tmp_path):
    from conftest import run_flake8

    path = tmp_path / "m.py"
    path.write_text("x = 1  # noqa: TFV001\ny = 2  # noqa\n")
    result = run_flake8("--select", "TFV", str(path))
    assert result.stdout.splitlines() == [f"{path}:1:8: TFV100 Unused `noqa` directive (unused: `TFV001`)"]


def test_burn_down_add_noqa_then_fix_then_tfv100_removes_what_became_unused(tmp_path):
    """A team adopts the linter on the fixtures with `--add-noqa` (a clean run at once), then fixes its code
    (`--fix --ignore-noqa`, as a person would fix the frozen findings); the directives that silence nothing now are
    TFV100's, and `--fix` removes them, keeping those on findings still there. Nothing is left but the baseline of
    what no safe fix reaches."""
    project = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, project, ignore=shutil.ignore_patterns("*.fixed", "*.toml", "tfv000_*", "tfv100_*",
                                                                          "noqa_*"))
    added = run_cli("check", "--add-noqa", ".", cwd=project)
    assert added.returncode == 0, added.stderr
    frozen = int(re.search(r"Added (\d+) noqa directives", added.stderr).group(1))
    assert frozen >= 50
    assert run_cli("check", ".", cwd=project).stdout.strip() == "All checks passed!"

    fixing = run_cli("check", "--fix", "--ignore-noqa", ".", cwd=project)
    assert fixing.returncode == 1, fixing.stderr  # findings without a safe fix remain, silenced
    unused = json.loads(run_cli("check", "--output-format", "json", ".", cwd=project).stdout)
    assert unused and {d["code"] for d in unused} == {"TFV100"}
    assert {d["fix"] for d in unused} == {"safe"}

    burned = run_cli("check", "--fix", ".", cwd=project)
    assert burned.returncode == 0, burned.stdout + burned.stderr
    assert run_cli("check", ".", cwd=project).stdout.strip() == "All checks passed!"
    # Every directive left silences a finding that is still there, and nothing else.
    still = json.loads(run_cli("check", "--ignore-noqa", "--output-format", "json", ".", cwd=project).stdout)
    lines_with_findings = {(os.path.normpath(d["path"]), d["line"]) for d in still}
    remaining = []
    for path in sorted(project.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"# noqa: TFV\d+", line):
                remaining.append((str(path.relative_to(project)), number))
    assert remaining and set(remaining) <= lines_with_findings
    # Each directive still silences a finding, or TFV100 removed it, or its line went with a fix (TFV009 removes
    # a keyword's line, comment included).
    assert len(remaining) + len(unused) <= frozen and len(remaining) < frozen
