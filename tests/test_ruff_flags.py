"""The flags ruff users type from habit, through the real CLI on real files, with ruff's meaning: --add-noqa,
--exit-zero, --statistics, --show-fixes, --output-file, --quiet and --silent."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT, run_cli, run_flake8

SEED = FIXTURES / "seed1_variable_in_init.py"

# TFV008 and TFV001 on line 7; two TFV003 on line 10 (two statements); nothing else.
TWO_PER_LINE = '''import tensorflow as tf


class Two(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = (tf.compat.v1.layers.dense(tf.zeros((2, 2)), 3), tf.Variable(tf.zeros((2, 2))))

    def build(self, input_shape):
        self.a = tf.Variable(1.0); self.b = tf.Variable(tf.zeros((3,)))
'''

# Each line with a finding in a different position for a comment.
EDGE_CASES = '''import tensorflow as tf


class Edge(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = tf.Variable(tf.zeros((3,)))  # noqa: E501
        self.b = tf.Variable(tf.zeros((3,)))  # the bias
        self.c = tf.Variable("""a string
that spans lines""")
        self.d = self.keep(tf.Variable(tf.zeros((3,)))) + \\
            0
        self.e = tf.Variable(
            tf.zeros((3,)))
        self.f = tf.Variable(tf.zeros((3,)))  # noqa:E501 because generated
'''


def codes_by_line(path: Path) -> dict[int, list[str]]:
    result = run_cli("check", "--no-cache", "--output-format", "json", str(path))
    found: dict[int, list[str]] = {}
    for diagnostic in json.loads(result.stdout):
        found.setdefault(diagnostic["line"], []).append(diagnostic["code"])
    return found


# --- --add-noqa ---------------------------------------------------------------------------------------------------

def test_add_noqa_silences_every_finding_and_a_second_run_changes_nothing(tmp_path):
    target = tmp_path / "two.py"
    target.write_text(TWO_PER_LINE)
    target.chmod(0o640)
    assert codes_by_line(target) == {7: ["TFV008", "TFV001"], 10: ["TFV003", "TFV003"]}
    result = run_cli("check", "--add-noqa", str(target))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "Added 2 noqa directives.\n")
    lines = target.read_text().splitlines()
    assert lines[6].endswith("2))))  # noqa: TFV001, TFV008")
    assert lines[9] == "        self.a = tf.Variable(1.0); self.b = tf.Variable(tf.zeros((3,)))  # noqa: TFV003"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["two.py"]  # written atomically: no temporary file left
    assert run_cli("check", "--no-cache", str(target)).returncode == 0
    assert run_flake8("--select", "TFV", str(target)).stdout == ""  # the same noqa in the other front end

    before = target.read_bytes()
    again = run_cli("check", "--add-noqa", str(target))
    assert (again.returncode, again.stderr) == (0, "") and target.read_bytes() == before


def test_add_noqa_merges_existing_codes_and_skips_lines_it_cannot_comment(tmp_path):
    target = tmp_path / "edge.py"
    target.write_text(EDGE_CASES)
    assert sorted(codes_by_line(target)) == [7, 8, 9, 11, 13, 15]
    result = run_cli("check", "--add-noqa", str(target))
    assert result.returncode == 1  # two findings could not get a noqa: they are named, and still fail the check
    assert f"{target}:9:18: TFV001 noqa not added: the line ends inside a multi-line string" in result.stderr
    assert f"{target}:11:28: TFV001 noqa not added: the line continues with a backslash" in result.stderr
    assert "Added 4 noqa directives." in result.stderr
    lines = target.read_text().splitlines()
    assert lines[6] == "        self.a = tf.Variable(tf.zeros((3,)))  # noqa: E501, TFV001"
    assert lines[7] == "        self.b = tf.Variable(tf.zeros((3,)))  # the bias  # noqa: TFV001"
    assert lines[8:12] == EDGE_CASES.splitlines()[8:12]  # the string and the continuation are untouched
    assert lines[12] == "        self.e = tf.Variable(  # noqa: TFV001"
    assert lines[14] == "        self.f = tf.Variable(tf.zeros((3,)))  # noqa:E501, TFV001 because generated"
    assert sorted(codes_by_line(target)) == [9, 11]
    compile(target.read_text(), str(target), "exec")


def test_add_noqa_keeps_crlf_bom_and_encoding(tmp_path):
    crlf_bom = tmp_path / "crlf_bom.py"
    crlf_bom.write_bytes(b"\xef\xbb\xbf" + TWO_PER_LINE.encode().replace(b"\n", b"\r\n"))
    latin1 = tmp_path / "latin1.py"
    latin1.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + SEED.read_bytes())
    lone_cr = tmp_path / "cr.py"
    lone_cr.write_bytes(SEED.read_bytes().replace(b"\n", b"\r"))
    result = run_cli("check", "--add-noqa", str(crlf_bom), str(latin1), str(lone_cr))
    assert result.returncode == 0 and result.stderr == "Added 6 noqa directives.\n"
    data = crlf_bom.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == TWO_PER_LINE.count("\n")
    assert b"# noqa: TFV001, TFV008\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert latin1.read_bytes().startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9\n")
    assert latin1.read_bytes().count(b"# noqa: TFV001\n") == 2
    assert lone_cr.read_bytes().count(b"# noqa: TFV001\r") == 2 and b"\n" not in lone_cr.read_bytes()
    for path in (crlf_bom, latin1, lone_cr):
        assert run_cli("check", "--no-cache", str(path)).returncode == 0, path


def test_add_noqa_reports_what_it_cannot_do_and_leaves_the_rest(tmp_path):
    (tmp_path / "broken.py").write_text("def f(:\n")
    read_only = tmp_path / "read_only.py"
    shutil.copyfile(SEED, read_only)
    read_only.chmod(0o444)
    shutil.copyfile(SEED, tmp_path / "ok.py")
    result = run_cli("check", "--add-noqa", str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path / 'broken.py'}:1:7: TFV000 noqa not added: TFV000" in result.stderr
    assert f"{read_only}: noqa not added, cannot write: the file is read-only" in result.stderr
    assert read_only.read_bytes() == SEED.read_bytes()
    assert (tmp_path / "ok.py").read_text().count("# noqa: TFV001") == 2


def test_add_noqa_cannot_be_combined_with_fix(tmp_path):
    result = run_cli("check", "--add-noqa", "--fix", str(tmp_path))
    assert result.returncode == 2 and "--add-noqa cannot be combined with --fix or --diff" in result.stderr


# --- --exit-zero, --quiet, --silent, --output-file -------------------------------------------------------------------

def test_exit_zero_reports_but_exits_0_and_errors_still_exit_2(tmp_path):
    target = tmp_path / "layer.py"
    shutil.copyfile(SEED, target)
    result = run_cli("check", "--exit-zero", str(target))
    assert result.returncode == 0 and "Found 2 diagnostics" in result.stdout
    assert run_cli("check", "--exit-zero", "--diff", str(target)).returncode == 0
    assert run_cli("check", "--exit-zero", str(tmp_path / "missing.py")).returncode == 2
    fixed = run_cli("check", "--exit-zero", "--fix", str(FIXTURES / "seed4_tf_layers_dense.py"))
    assert fixed.returncode == 0 and "TFV008" in fixed.stdout


def test_quiet_prints_the_diagnostics_only_and_silent_nothing(tmp_path):
    target = tmp_path / "layer.py"
    shutil.copyfile(SEED, target)
    full = run_cli("check", "--output-format", "concise", str(target)).stdout.splitlines()
    quiet = run_cli("check", "--output-format", "concise", "-q", str(target))
    assert quiet.returncode == 1 and quiet.stdout.splitlines() == full[:-1] and len(full) == 3
    clean = tmp_path / "clean.py"
    clean.write_text("x = 1\n")
    assert run_cli("check", "-q", str(clean)).stdout == ""
    silent = run_cli("check", "--silent", str(target))
    assert (silent.returncode, silent.stdout, silent.stderr) == (1, "", "")
    fix = run_cli("check", "--fix", "-q", str(target))
    assert fix.returncode == 0 and fix.stdout == ""  # no "Fixed 2 of 2" line
    assert "add_weight" in target.read_text()


def test_output_file_takes_the_report_and_creates_its_directory(tmp_path):
    target = tmp_path / "layer.py"
    shutil.copyfile(SEED, target)
    report = tmp_path / "reports" / "tflint-vars.json"
    result = run_cli("check", "--output-format", "json", "--output-file", str(report), str(target))
    assert (result.returncode, result.stdout) == (1, "")
    assert [d["line"] for d in json.loads(report.read_text())] == [8, 9]
    text_report = tmp_path / "report.txt"
    forced = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "-o", str(text_report), str(target)],
                            capture_output=True, text=True, env={**os.environ, "FORCE_COLOR": "1"}, cwd=ROOT)
    assert forced.stdout == "" and "Found 2 diagnostics" in text_report.read_text()
    fixed = run_cli("check", "--fix", "--output-file", str(text_report), str(target))
    assert fixed.stdout == "" and "Fixed 2 of 2 diagnostics (1 file changed)." in text_report.read_text()
    unwritable = run_cli("check", "--output-file", str(tmp_path), str(target))  # a directory
    assert unwritable.returncode == 2 and f"--output-file {tmp_path}: Is a directory" in unwritable.stderr


# --- --statistics and --show-fixes --------------------------------------------------------------------------------

def test_statistics_counts_per_code_like_ruff(tmp_path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, fixtures)
    diagnostics = json.loads(run_cli("check", "--output-format", "json", str(fixtures)).stdout)
    counts: dict[str, int] = {}
    for diagnostic in diagnostics:
        counts[diagnostic["code"]] = counts.get(diagnostic["code"], 0) + 1
    result = run_cli("check", "--statistics", str(fixtures))
    assert result.returncode == 1
    *rows, summary = result.stdout.splitlines()
    assert summary.startswith(f"Found {len(diagnostics)} diagnostics")
    parsed = [row.split("\t") for row in rows]
    assert {code.strip(): int(count) for count, code, _ in parsed} == counts
    assert [int(count) for count, _, _ in parsed] == sorted(counts.values(), reverse=True)
    assert [name for _, code, name in parsed if code.strip() == "TFV001"] == ["[*] variable-in-init"]
    assert [name for _, code, name in parsed if code.strip() == "TFV008"] == ["[ ] tf1-layers-api"]
    as_json = json.loads(run_cli("check", "--statistics", "--output-format", "json", str(fixtures)).stdout)
    assert {row["code"]: row["count"] for row in as_json} == counts
    assert {row["code"] for row in as_json if row["fixable"]} == {d["code"] for d in diagnostics if d["fix"] == "safe"}


def test_show_fixes_explains_each_finding_and_lists_the_fixes_applied(tmp_path):
    for name in ("seed1_variable_in_init.py", "tfv002_variable_in_call.py", "seed4_tf_layers_dense.py"):
        shutil.copyfile(FIXTURES / name, tmp_path / name)
    (tmp_path / "no_safe.py").write_text(EDGE_CASES)
    result = run_cli("check", "--show-fixes", "--output-format", "concise", str(tmp_path))
    fixes = result.stdout.split("\nFixes:\n")[1]
    assert f"{tmp_path / 'seed1_variable_in_init.py'}:8:18: TFV001 safe fix (Replace with `self.add_weight(...)`): " \
           "`--fix` applies it" in fixes
    assert f"{tmp_path / 'tfv002_variable_in_call.py'}:6:17: TFV002 unsafe fix (Create it once in `build` with " \
           "`self.add_weight(...)`), applied only with `--unsafe-fixes`: the variable then persists across calls" \
           in fixes
    assert f"{tmp_path / 'seed4_tf_layers_dense.py'}:5:14: TFV008 no fix (Rewrite to `tf.keras.layers.Dense`, or " \
           "keep TF1 graph code on tf-keras with `TF_USE_LEGACY_KERAS=1`): a Keras layer object owns its variables" \
           in fixes
    assert f"{tmp_path / 'no_safe.py'}:9:18: TFV001 no fix (Replace with `self.add_weight(...)`): its initial " \
           "value is a string, and Keras 3's Constant initializer cannot fill a string weight" in fixes
    # An unsafe fix shows the finding's own reason, not the rule's whole Fix-safety section.
    assert f"{tmp_path / 'no_safe.py'}:11:28: TFV001 unsafe fix (Replace with `self.add_weight(...)`), applied " \
           "only with `--unsafe-fixes`: it is not stored on the layer" in fixes

    fixed = run_cli("check", "--fix", "--show-fixes", str(tmp_path))
    applied = re.search(r"^Fixed (\d+) of \d+ diagnostics", fixed.stdout, re.M).group(1)
    assert f"\nFixed {applied} diagnostics:\n" in fixed.stdout and int(applied) >= 6
    assert f"- {tmp_path / 'seed1_variable_in_init.py'}:\n    2 \u00d7 TFV001 (variable-in-init)\n" in fixed.stdout
    assert f"{tmp_path / 'tfv002_variable_in_call.py'}:6:17: TFV002 unsafe fix" in fixed.stdout  # left, and why


def test_every_flag_is_documented_in_help_and_readme():
    help_text = run_cli("check", "--help").stdout
    readme = (ROOT / "README.md").read_text()
    for flag in ("--add-noqa", "--exit-zero", "--statistics", "--show-fixes", "--output-file", "--quiet",
                 "--silent", "--stdin-filename"):
        assert flag in help_text, flag
        assert f"`{flag}" in readme, flag
    assert "`-` reads the" in help_text and "read the source from standard input" in help_text


def test_show_fixes_gives_each_no_fix_line_its_own_reason(tmp_path):
    """A "(no fix: ...)" reason, as TFV002 and TFV030 write it, is the line's status, not the rule's generic text."""
    (tmp_path / "hack.py").write_text(
        "import tensorflow as tf\n\n\nclass L(tf.keras.layers.Layer):\n    def call(self, x):\n"
        "        v = tf.Variable(lambda: 1.0)\n        for w in self._trainable_weights:\n            print(w)\n"
        "        return x * v\n")
    fixes = run_cli("check", "--show-fixes", "--output-format", "concise", str(tmp_path)).stdout.split("\nFixes:\n")[1]
    assert f"{tmp_path / 'hack.py'}:6:13: TFV002 no fix (Create it once in `build` with `self.add_weight(...)`): its " \
           "initial value is a callable, which tf.Variable calls" in fixes
    assert f"{tmp_path / 'hack.py'}:7:18: TFV030 no fix (Remove the line (an `add_weight` weight is tracked without " \
           "it)): only `.append`/`.extend` of weights go" in fixes
