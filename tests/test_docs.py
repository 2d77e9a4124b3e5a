"""Rule documentation: `tflint-vars rule`, and the README rule table generated from the same docstrings."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, run_cli
from tflint_vars.docs import END_MARKER, START_MARKER, has_markers, render_table, replace_table
from tflint_vars.rules.registry import ALL_RULES


def run_docs(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tflint_vars.docs", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_readme_rule_table_matches_the_docstrings():
    readme = ROOT / "README.md"
    assert has_markers(readme.read_text(encoding="utf-8")), f"README.md lacks {START_MARKER} ... {END_MARKER}"
    result = run_docs("--check", "README.md")
    assert result.returncode == 0, result.stderr


def test_table_has_one_row_per_rule_from_its_docstring():
    rows = render_table().splitlines()
    assert rows[0] == "| code | name | what it finds | fix |"
    assert len(rows) == 2 + len(ALL_RULES)
    for row, rule in zip(rows[2:], ALL_RULES):
        assert row == f"| {rule.code} | {rule.name} | {rule.summary()} | {rule.fix or 'none'} |"


def test_write_then_check_and_drift_detection(tmp_path):
    document = tmp_path / "README.md"
    original = f"# Title\n\nIntro.\n\n{START_MARKER}\nstale table\n{END_MARKER}\n\nAfter.\n"
    document.write_text(original)
    stale = run_docs("--check", str(document))
    assert stale.returncode == 1 and "out of date" in stale.stderr
    assert document.read_text() == original  # --check writes nothing

    written = run_docs("--write", str(document))
    assert written.returncode == 0, written.stderr
    text = document.read_text()
    assert text == f"# Title\n\nIntro.\n\n{START_MARKER}\n{render_table()}{END_MARKER}\n\nAfter.\n"
    assert run_docs("--check", str(document)).returncode == 0
    run_docs("--write", str(document))
    assert document.read_text() == text  # idempotent


def test_crlf_documents_stay_crlf():
    document = f"a\r\n{START_MARKER}\r\nold\r\n{END_MARKER}\r\nb\r\n"
    updated = replace_table(document)
    assert "\n" not in updated.replace("\r\n", "")
    assert replace_table(updated) == updated


def test_missing_markers_are_a_clear_error(tmp_path):
    document = tmp_path / "README.md"
    document.write_text("# No markers\n")
    for action in ("--write", "--check"):
        result = run_docs(action, str(document))
        assert result.returncode == 2
        assert START_MARKER in result.stderr
    assert document.read_text() == "# No markers\n"
    assert run_docs("--check", str(tmp_path / "absent.md")).returncode == 2


def test_rule_prints_the_documentation(capsys):
    from tflint_vars.cli import main

    for rule in ALL_RULES:  # in-process: nine subprocesses would cost a second for nothing more
        assert main(["rule", rule.code.lower()]) == 0
        printed = capsys.readouterr().out
        assert printed.startswith(f"# {rule.name} ({rule.code})\n")
        assert rule.documentation() in printed
    result = run_cli("rule", "TFV001")
    assert result.returncode == 0 and "## Why is this bad?" in result.stdout


def test_rule_all_lists_codes_names_and_fixes():
    result = run_cli("rule", "--all")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(ALL_RULES)
    for line, rule in zip(lines, ALL_RULES):
        assert line.split()[:3] == [rule.code, rule.name, "fix:"]
        assert line.split()[3] == (rule.fix or "none")


def test_rule_unknown_code_is_an_error():
    result = run_cli("rule", "TFV999")
    assert result.returncode == 2
    assert "unknown rule 'TFV999'" in result.stderr
