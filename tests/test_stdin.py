"""`check -` and `--stdin-filename`, as editors and tools call them, through the real CLI: the name chooses the
configuration, per-file-ignores and (with --force-exclude) excludes and appears in every message; `--fix` prints the
whole fixed source to stdout and the report to stderr; nothing is cached or written to disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

SEED = FIXTURES / "seed1_variable_in_init.py"


def run(*args: str, data: bytes, cwd: Path | str | None = None, env_extra: dict | None = None
        ) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "tflint_vars", "check", *args], input=data, capture_output=True,
                          cwd=cwd or ROOT, env=env, timeout=120)


def test_dash_reads_standard_input_and_reports_it_as_dash():
    result = run("-", data=SEED.read_bytes())
    out = result.stdout.decode()
    assert result.returncode == 1, result.stderr
    assert out.startswith("-:8:18: TFV001 `tf.Variable` in `CustomLayer.__init__`")
    assert "8 |         self.w = tf.Variable(tf.random.normal(shape=(1, units)), name='weight')" in out  # from stdin
    assert result.stderr == b""


def test_stdin_filename_names_the_source_and_its_lines_come_from_stdin_not_the_disk(tmp_path):
    on_disk = tmp_path / "layer.py"
    on_disk.write_text("x = 1\n" * 20)  # a different file at that path: its lines must not be shown
    result = run("--stdin-filename", str(on_disk), data=SEED.read_bytes())
    out = result.stdout.decode()
    assert result.returncode == 1
    assert out.startswith(f"{on_disk}:8:18: TFV001")
    line8 = SEED.read_text().splitlines()[7]
    assert f"8 | {line8}" in out and "x = 1" not in out
    clean = run("--stdin-filename", "clean.py", data=b"x = 1\n")
    assert (clean.returncode, clean.stdout.decode()) == (0, "All checks passed!\n")


def test_stdin_filename_alone_reads_stdin_and_other_paths_are_ignored_with_a_warning(tmp_path):
    result = run("--stdin-filename", "a.py", str(FIXTURES), data=b"x = 1\n")
    assert result.returncode == 0
    assert f"ignoring {FIXTURES} in favour of standard input" in result.stderr.decode()
    assert run("-", str(FIXTURES), data=b"").returncode == 2  # `-` among paths is ambiguous


def test_the_name_chooses_config_per_file_ignores_and_force_exclude(tmp_path):
    project = tmp_path / "project"
    (project / "generated").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.tflint-vars]\nextend-exclude = ["generated"]\nper-file-ignores = { "legacy/*" = ["TFV001"] }\n'
        'ignore = ["TFV008"]\n')
    seed = SEED.read_bytes()
    tf1 = (FIXTURES / "seed4_tf_layers_dense.py").read_bytes()
    # The configuration is the one above the named path, even when run from elsewhere.
    assert run("--stdin-filename", str(project / "tf1.py"), data=tf1, cwd=tmp_path).returncode == 0
    assert run("--stdin-filename", str(tmp_path / "tf1.py"), data=tf1, cwd=tmp_path).returncode == 1
    # per-file-ignores match the name.
    assert run("--stdin-filename", "legacy/layer.py", data=seed, cwd=project).returncode == 0
    assert run("--stdin-filename", "src/layer.py", data=seed, cwd=project).returncode == 1
    # Excludes apply with --force-exclude, as ruff applies them to standard input.
    assert run("--stdin-filename", "generated/layer.py", data=seed, cwd=project).returncode == 1
    excluded = run("--force-exclude", "--stdin-filename", "generated/layer.py", data=seed, cwd=project)
    assert excluded.returncode == 0 and b"TFV001" not in excluded.stdout
    # --fix on an excluded name gives the source back unchanged: an editor replaces its buffer with the output.
    echoed = run("--fix", "--force-exclude", "--stdin-filename", "generated/layer.py", data=seed, cwd=project)
    assert (echoed.returncode, echoed.stdout) == (0, seed)


def test_fix_prints_the_fixed_source_to_stdout_and_the_report_to_stderr(tmp_path):
    name = tmp_path / "layer.py"
    crlf_bom = b"\xef\xbb\xbf" + SEED.read_bytes().replace(b"\n", b"\r\n")
    result = run("--fix", "--stdin-filename", str(name), data=crlf_bom)
    expected = b"\xef\xbb\xbf" + (FIXTURES / "seed1_variable_in_init.py.fixed").read_bytes().replace(b"\n", b"\r\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected  # BOM and CRLF kept
    assert "Fixed 2 of 2 diagnostics (1 file changed)." in result.stderr.decode()
    assert not name.exists()  # nothing written to disk

    # What the fix leaves is reported on stderr, with the fixed source's lines; exit 1.
    unfixable = (FIXTURES / "seed4_tf_layers_dense.py").read_bytes()
    left = run("--fix", "-", data=unfixable)
    assert left.returncode == 1 and left.stdout == unfixable
    assert left.stderr.decode().startswith("-:5:14: TFV008 ")


def test_diff_prints_the_diff_and_exits_1_when_there_is_one():
    result = run("--diff", "--stdin-filename", "pkg/layer.py", data=SEED.read_bytes())
    out = result.stdout.decode()
    assert result.returncode == 1
    assert out.startswith("--- pkg/layer.py\n+++ pkg/layer.py\n@@")
    assert "-        self.b = tf.Variable(tf.zeros(shape=(units,)), name='bias')\n" in out
    assert "+        self.b = self.add_weight(name='bias', shape=(units,),\n" in out
    assert "Would fix 2 of 2 diagnostics" in result.stderr.decode()
    clean = run("--diff", "-", data=b"x = 1\n")
    assert (clean.returncode, clean.stdout) == (0, b"")


def test_stdin_results_are_not_cached(tmp_path):
    cache = tmp_path / "cache"
    run("--stdin-filename", "layer.py", data=SEED.read_bytes(), env_extra={"TFLINT_VARS_CACHE_DIR": str(cache)})
    assert not cache.exists()


def test_stdin_in_machine_formats():
    result = run("--output-format", "json", "--stdin-filename", "layer.py", data=SEED.read_bytes())
    assert [(d["path"], d["line"], d["code"]) for d in json.loads(result.stdout)] == [
        ("layer.py", 8, "TFV001"), ("layer.py", 9, "TFV001")]
    broken = run("--stdin-filename", "broken.py", data=b"def f(:\n")
    assert broken.returncode == 1 and broken.stdout.decode().startswith("broken.py:1:7: TFV000 cannot parse")


def test_add_noqa_refuses_standard_input():
    result = run("--add-noqa", "-", data=SEED.read_bytes())
    assert result.returncode == 2 and "cannot be used with standard input" in result.stderr.decode()


def test_a_missing_path_is_an_error_without_a_success_line(tmp_path):
    """Issue 13: `check missing` printed "All checks passed!" and then exited 2. In every format the output now
    says the run did not check everything."""
    missing = str(tmp_path / "missing.py")
    expected_error = f"tflint-vars: error: {missing}: no such file or directory\n"
    for output_format in ("text", "concise"):
        result = run("--output-format", output_format, missing, data=b"")
        out = result.stdout.decode()
        assert result.returncode == 2 and result.stderr.decode() == expected_error
        assert "All checks passed" not in out
        assert out == "No diagnostics in the files checked. 1 path could not be checked (see the errors above).\n"
    result = run("--output-format", "json", missing, data=b"")
    assert result.returncode == 2 and json.loads(result.stdout) == []
    sarif = json.loads(run("--output-format", "sarif", missing, data=b"").stdout)
    from jsonschema import Draft4Validator

    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    assert not list(Draft4Validator(schema).iter_errors(sarif))
    (invocation,) = sarif["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == f"{missing}: no such file or directory"
    github = run("--output-format", "github", missing, data=b"").stdout.decode()
    assert github == f"::error title=tflint-vars::{missing}: no such file or directory\n"
    layer = tmp_path / "layer.py"
    for flags in (["--fix"], ["--statistics"], ["--quiet"]):
        layer.write_bytes(SEED.read_bytes())
        result = run(*flags, missing, str(layer), data=b"")
        assert result.returncode == 2 and "All checks passed" not in result.stdout.decode()


def test_a_notebook_on_stdin_is_diffed_by_cell_and_shown_from_stdin(tmp_path):
    """`--diff` of a notebook read from stdin is the per-cell diff a notebook file gets (not a diff of its JSON), and
    the text report's source lines come from stdin even when a different file of that name is on disk."""
    notebook = ROOT / "tests" / "data" / "notebooks" / "seed1_layer.ipynb"
    (tmp_path / "nb.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n')
    diff = run("--diff", "--stdin-filename", "nb.ipynb", "-", data=notebook.read_bytes(), cwd=tmp_path)
    out = diff.stdout.decode()
    assert diff.returncode == 1, diff.stderr
    assert out.startswith("--- nb.ipynb:cell "), out
    assert '"source"' not in out and "+        self.w = self.add_weight(" in out, out
    shown = run("--stdin-filename", "nb.ipynb", "-", data=notebook.read_bytes(), cwd=tmp_path).stdout.decode()
    assert "self.w = tf.Variable(tf.random.normal(shape=(1, units)), name='weight')" in shown, shown
