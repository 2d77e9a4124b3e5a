"""The real CLI on real files: exit codes, selection, noqa, discovery, configuration, TFV000."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, run_cli, run_flake8

BAD_LAYER = (
    "import tensorflow as tf\n\n\n"
    "class Scale(tf.keras.layers.Layer):\n"
    "    def __init__(self, **kwargs):\n"
    "        super().__init__(**kwargs)\n"
    "        self.w = tf.Variable(tf.ones((3,)), name='w')\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_exit_codes_and_text_format(tmp_path):
    bad = write(tmp_path / "bad.py", BAD_LAYER)
    good = write(tmp_path / "good.py", "x = 1\n")
    result = run_cli("check", str(bad))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{bad}:7:18: TFV001 `tf.Variable` in `Scale.__init__` is untracked")
    assert "Found 1 diagnostic (1 fixable with `--fix`)." in result.stdout
    clean = run_cli("check", str(good))
    assert (clean.returncode, clean.stdout.strip()) == (0, "All checks passed!")


def test_json_has_the_documented_fields(tmp_path):
    bad = write(tmp_path / "bad.py", BAD_LAYER)
    [diagnostic] = json.loads(run_cli("check", "--output-format", "json", str(bad)).stdout)
    assert {"path", "line", "column", "code", "message", "fixable"} <= set(diagnostic)
    assert (diagnostic["line"], diagnostic["column"], diagnostic["fixable"]) == (7, 18, True)


def test_console_script_and_module_agree(tmp_path):
    bad = write(tmp_path / "bad.py", BAD_LAYER)
    script = Path(sys.executable).parent / "tflint-vars"
    via_script = subprocess.run([str(script), "check", str(bad)], capture_output=True, text=True)
    assert via_script.stdout == run_cli("check", str(bad)).stdout


def test_select_and_ignore_by_code_and_prefix():
    args = ("check", "--output-format", "json", str(FIXTURES))
    every = {d["code"] for d in json.loads(run_cli(*args).stdout)}
    only = {d["code"] for d in json.loads(run_cli(*args, "--select", "TFV001,TFV008").stdout)}
    ignored = {d["code"] for d in json.loads(run_cli(*args, "--ignore", "TFV0").stdout)}
    narrowed = {d["code"] for d in json.loads(run_cli(*args, "--ignore", "TFV0", "--select", "TFV","--extend-select",
                                                      "TFV007").stdout)}
    from tflint_vars.rules.registry import RULES_BY_CODE

    assert every == set(RULES_BY_CODE) and only == {"TFV001", "TFV008"} and ignored == {"TFV100"}
    assert narrowed == {"TFV007", "TFV100"}  # the longer prefix wins, as in ruff


def test_unknown_code_is_a_usage_error():
    result = run_cli("check", "--select", "XYZ1", str(FIXTURES))
    assert result.returncode == 2 and "unknown rule code 'XYZ1'" in result.stderr


def test_noqa_in_cli_and_in_flake8():
    path = str(FIXTURES / "noqa_suppressed.py")
    found = [(d["line"], d["code"]) for d in json.loads(run_cli("check", "--output-format", "json", path).stdout)]
    # 5: TFV014 (no **kwargs); TFV100: the noqa comment for TFV002 on line 9 silences nothing
    assert found == [(5, "TFV014"), (9, "TFV001"), (9, "TFV100")]
    plain = run_flake8("--select", "TFV", path)
    unsuppressed = run_flake8("--select", "TFV", "--disable-noqa", path)
    assert [line.split(":")[1] for line in plain.stdout.splitlines()] == ["5", "9", "9"]
    assert [line.split(":")[1] for line in unsuppressed.stdout.splitlines()] == ["5", "7", "8", "9", "9"]


def test_unparseable_file_is_reported_and_the_run_goes_on(tmp_path):
    write(tmp_path / "a_broken.py", "def f(:\n    pass\n")
    write(tmp_path / "b_layer.py", BAD_LAYER)
    result = run_cli("check", "--output-format", "concise", str(tmp_path))  # one line per diagnostic
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0].startswith(f"{tmp_path / 'a_broken.py'}:1:") and "TFV000 cannot parse:" in lines[0]
    assert "TFV001" in lines[1]


def test_missing_path_is_exit_2_and_other_paths_still_checked(tmp_path):
    bad = write(tmp_path / "bad.py", BAD_LAYER)
    result = run_cli("check", str(tmp_path / "nope.py"), str(bad))
    assert result.returncode == 2
    assert "nope.py: no such file or directory" in result.stderr
    assert "TFV001" in result.stdout


def test_walk_skips_common_excludes_and_config_excludes(tmp_path):
    for folder in (".git", ".venv", "build", "__pycache__", "generated", "src"):
        write(tmp_path / folder / "layer.py", BAD_LAYER)
    write(tmp_path / "pyproject.toml", '[tool.tflint-vars]\nextend-exclude = ["generated"]\n')
    result = json.loads(run_cli("check", "--output-format", "json", ".", cwd=tmp_path).stdout)
    assert [d["path"] for d in result] == ["./src/layer.py"]


def test_config_select_ignore_and_per_file_ignores(tmp_path):
    write(tmp_path / "layers" / "a.py", BAD_LAYER)
    write(tmp_path / "legacy" / "b.py", BAD_LAYER)
    write(tmp_path / "pyproject.toml", '[tool.tflint-vars]\nper-file-ignores = { "legacy/*" = ["TFV001"] }\n')
    found = json.loads(run_cli("check", "--output-format", "json", ".", cwd=tmp_path).stdout)
    assert [d["path"] for d in found] == ["./layers/a.py"]  # as flake8 prints paths found under "."
    write(tmp_path / "pyproject.toml", '[tool.tflint-vars]\nignore = ["TFV001"]\n')
    assert run_cli("check", ".", cwd=tmp_path).returncode == 0
    # The command line overrides the configuration.
    assert run_cli("check", "--ignore", "TFV008", ".", cwd=tmp_path).returncode == 1


def test_unknown_config_key_is_a_clear_error(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.tflint-vars]\nselct = ["TFV001"]\n')
    write(tmp_path / "a.py", BAD_LAYER)
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.returncode == 2 and "unknown key 'selct'" in result.stderr


def test_rule_command_prints_the_docstring():
    result = run_cli("rule", "TFV001")
    assert result.returncode == 0
    assert "## Why is this bad?" in result.stdout and "untracked" in result.stdout
    listing = run_cli("rule", "--all").stdout.splitlines()
    from tflint_vars.rules.registry import ALL_RULES

    assert len(listing) == len(ALL_RULES) and listing[1].startswith("TFV001  variable-in-init")
    assert run_cli("rule", "TFV999").returncode == 2


def test_parallel_and_serial_runs_agree(tmp_path):
    for index in range(40):
        shutil.copy(FIXTURES / "tfv001_lists_dicts_loops.py", tmp_path / f"m{index}.py")
    serial = run_cli("check", "-j", "1", "--output-format", "json", str(tmp_path)).stdout
    parallel = run_cli("check", "-j", "2", "--output-format", "json", str(tmp_path)).stdout
    assert serial == parallel and len(json.loads(serial)) == 200
