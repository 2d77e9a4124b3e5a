"""Bad input through the real CLI: every case gets a clear message, and the run goes on with the other files.

One CLI run over a tree holding every bad file next to a good layer file serves most tests; each test then reads its
own file's diagnostics from that run, so a case that crashed or hung the run fails every test, not just its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

LAYER = (
    "import tensorflow as tf  # a comment this long lets the fixed call stay on one line, as the module wraps at 120\n"
    "\n"
    "\n"
    "class Scale(tf.keras.layers.Layer):\n"
    "    def __init__(self, **kwargs):\n"
    "        super().__init__(**kwargs)\n"
    "        self.w = tf.Variable(tf.ones((3,)), name='w')\n"
)  # TFV001 at 7:18 (and nothing else: `**kwargs` keeps TFV014 quiet)

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SETPRIV = shutil.which("setpriv")


def drop_root_file_access() -> None:
    """A `preexec_fn` doing what `setpriv --bounding-set=-dac_override,-dac_read_search` does, for a system without
    util-linux's setpriv: drop both capabilities from the bounding set before exec, so the exec'd root process does
    not get them and file permissions apply to it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH (linux/capability.h)
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def drop_root_file_access_wrapping(command: list[str]) -> tuple[list[str], object]:
    """(command, preexec_fn) that run `command` without root's file-access capabilities: through setpriv when it is
    installed, else through drop_root_file_access."""
    if SETPRIV:
        return [SETPRIV, "--bounding-set=-dac_override,-dac_read_search", *command], None
    return command, drop_root_file_access


def cli(*args: str, cwd: Path | None = None, drop_root_file_access: bool = False,
        timeout: float = 60) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess. With drop_root_file_access, root runs it without the capabilities that let
    root read any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so file permissions apply as to any user."""
    command = [sys.executable, "-m", "tflint_vars", *args]
    preexec = None
    if drop_root_file_access and IS_ROOT:
        command, preexec = drop_root_file_access_wrapping(command)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(command, cwd=cwd or ROOT, capture_output=True, text=True, env=env, timeout=timeout,
                          preexec_fn=preexec)


def by_file(result: subprocess.CompletedProcess) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for diagnostic in json.loads(result.stdout):
        found.setdefault(os.path.basename(diagnostic["path"]), []).append(diagnostic)
    return found


def deep_sum(terms: int) -> str:
    return " + ".join(["tf.zeros((3,))"] * terms)


def build_bad_tree(root: Path) -> None:
    def write(name: str, content: str | bytes) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)

    write("good_layer.py", LAYER)
    write("syntax_error.py", "import tensorflow as tf\nclass L(:\n    pass\n")
    # latin-1 with its cookie; line 9 has non-ASCII characters before the call: columns count characters.
    write("latin1_cookie.py", ("# -*- coding: latin-1 -*-\n" + LAYER
                               + "        café = 'é'; self.v = tf.Variable(tf.zeros((2,)))\n").encode("latin-1"))
    write("unknown_cookie.py", "# -*- coding: klingon -*-\nx = 1\n")
    write("utf8_bom.py", b"\xef\xbb\xbf" + LAYER.encode())
    write("crlf.py", LAYER.replace("\n", "\r\n"))
    endings = ["\n", "\r\n", "\r"]
    write("mixed_endings.py", "".join(line + endings[i % 3] for i, line in enumerate(LAYER.splitlines())))
    write("old_mac_cr.py", LAYER.replace("\n", "\r"))
    # A form feed and U+2028 are not line breaks for Python, though str.splitlines splits there.
    write("form_feed.py", LAYER.replace("\n\n\n", "\n\x0c\n# \u2028 in a comment\n")
          .replace("name='w')", "name='w')  # noqa: TFV001")
          + "        self.v = tf.Variable(tf.zeros((2,)))\n")
    write("tabs.py", LAYER.replace("    ", "\t"))
    write("empty.py", "")
    write("nested_parens.py", "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n")
    write("too_deep_sum.py", "import tensorflow as tf\nx = " + deep_sum(5000) + "\n")
    # Deep, yet within what Python's parser takes: analysed, not reported as unreadable.
    write("deep_but_valid.py", LAYER.replace("tf.ones((3,))", deep_sum(2000))
          + "    def call(self, x):\n        return x" + ".f()" * 1000 + "\n")
    write("binary.py", bytes(range(256)) * 8)
    write("not_utf8.py", b"x = '\xff\xfe'\n")
    write("python2.py", "import tensorflow as tf\n\nprint 'Variables:', tf.trainable_variables()\n")
    write("python2_except.py", "try:\n    pass\nexcept Exception, e:\n    pass\n")
    os.symlink("no_such_target.py", root / "dangling_link.py")
    os.mkfifo(root / "fifo.py")  # opening it for reading would wait for a writer forever
    # Symlink loops: a directory link back to its parent, and two file links pointing at each other.
    (root / "loop").mkdir()
    os.symlink("..", root / "loop" / "parent")
    os.symlink("b_link.py", root / "loop" / "a_link.py")
    os.symlink("a_link.py", root / "loop" / "b_link.py")
    write("loop/inside.py", LAYER)


@pytest.fixture(scope="module")
def bad_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bad_input")
    build_bad_tree(root)
    return root


@pytest.fixture(scope="module")
def bad_run(bad_tree) -> tuple[subprocess.CompletedProcess, dict[str, list[dict]]]:
    result = cli("check", "--output-format", "json", str(bad_tree))
    return result, by_file(result)


def codes_at(diagnostics: list[dict]) -> list[tuple[str, int, int]]:
    return [(d["code"], d["line"], d["column"]) for d in diagnostics]


def test_run_finishes_without_a_traceback(bad_run):
    result, found = bad_run
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    # The good files are still checked next to the bad ones.
    assert codes_at(found["good_layer.py"]) == [("TFV001", 7, 18)]
    assert codes_at(found["inside.py"]) == [("TFV001", 7, 18)]


def test_syntax_error_is_tfv000_with_its_line(bad_run):
    [diagnostic] = bad_run[1]["syntax_error.py"]
    assert (diagnostic["code"], diagnostic["line"]) == ("TFV000", 2)
    assert diagnostic["message"].startswith("cannot parse: ")


def test_latin1_file_with_cookie_is_decoded_and_columns_count_characters(bad_run):
    # 8 spaces + "café = 'é'; self.v = " is 29 characters (31 bytes in UTF-8, 29 in latin-1).
    assert codes_at(bad_run[1]["latin1_cookie.py"]) == [("TFV001", 8, 18), ("TFV001", 9, 30)]


def test_unknown_encoding_cookie_is_reported(bad_run):
    [diagnostic] = bad_run[1]["unknown_cookie.py"]
    assert diagnostic["code"] == "TFV000" and "unknown encoding: klingon" in diagnostic["message"]


def test_utf8_bom_is_not_a_column(bad_run):
    assert codes_at(bad_run[1]["utf8_bom.py"]) == [("TFV001", 7, 18)]


@pytest.mark.parametrize("name", ["crlf.py", "mixed_endings.py", "old_mac_cr.py", "tabs.py"])
def test_line_endings_and_tabs_keep_positions(bad_run, name):
    column = 12 if name == "tabs.py" else 18  # a tab is one character, as flake8 and ruff count
    assert codes_at(bad_run[1][name]) == [("TFV001", 7, column)]


def test_form_feed_and_unicode_separators_do_not_shift_lines(bad_run):
    # The noqa on line 7 suppresses line 7 only; line 8 is reported at its own line.
    assert codes_at(bad_run[1]["form_feed.py"]) == [("TFV001", 8, 18)]


def test_empty_file_is_clean(bad_run):
    assert "empty.py" not in bad_run[1]


def test_deep_nesting_is_reported_not_a_crash(bad_run):
    [parens] = bad_run[1]["nested_parens.py"]
    assert (parens["code"], parens["line"]) == ("TFV000", 1) and "too many nested parentheses" in parens["message"]
    [deep] = bad_run[1]["too_deep_sum.py"]
    assert deep["code"] == "TFV000" and "nested too deeply" in deep["message"]


def test_deep_expression_that_parses_is_analysed(bad_run):
    assert codes_at(bad_run[1]["deep_but_valid.py"]) == [("TFV001", 7, 18)]


def test_binary_and_undecodable_files(bad_run):
    [binary] = bad_run[1]["binary.py"]
    assert binary["code"] == "TFV000" and "binary file" in binary["message"]
    [latin] = bad_run[1]["not_utf8.py"]
    assert latin["code"] == "TFV000" and latin["message"] == "cannot decode as utf-8: invalid start byte"


def test_python2_syntax_is_tfv000_with_the_parsers_message(bad_run):
    [printed] = bad_run[1]["python2.py"]
    assert (printed["code"], printed["line"]) == ("TFV000", 3)
    assert "Missing parentheses in call to 'print'" in printed["message"]
    [excepted] = bad_run[1]["python2_except.py"]
    assert (excepted["code"], excepted["line"]) == ("TFV000", 3)


def test_dangling_symlink_and_fifo_are_reported_without_hanging(bad_run):
    [dangling] = bad_run[1]["dangling_link.py"]
    assert dangling["message"] == "cannot read: a broken symbolic link (to 'no_such_target.py')"
    [fifo] = bad_run[1]["fifo.py"]
    assert fifo["message"] == "cannot read: not a regular file (a FIFO)"


def test_symlink_loops_end(bad_run):
    # The directory link back to the parent is not followed (files are not reported twice); the file loop is TFV000.
    for name in ("a_link.py", "b_link.py"):
        [looped] = bad_run[1][name]
        assert looped["code"] == "TFV000" and "Too many levels of symbolic links" in looped["message"]
    assert len(bad_run[1]["good_layer.py"]) == 1


def test_named_fifo_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    result = cli("check", str(tmp_path / "pipe.py"), timeout=30)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{tmp_path / 'pipe.py'}:1:1: TFV000 cannot read: not a regular file (a FIFO)")


def test_missing_path_is_exit_2_and_the_rest_is_checked(tmp_path):
    (tmp_path / "layer.py").write_text(LAYER)
    result = cli("check", str(tmp_path / "does_not_exist"), str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == f"tflint-vars: error: {tmp_path / 'does_not_exist'}: no such file or directory\n"
    assert "TFV001" in result.stdout


def test_unreadable_file_and_directory_are_reported(tmp_path):
    (tmp_path / "layer.py").write_text(LAYER)
    secret = tmp_path / "secret.py"
    secret.write_text(LAYER)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.py").write_text(LAYER)
    secret.chmod(0)
    locked.chmod(0)
    try:
        result = cli("check", "--output-format", "json", str(tmp_path), drop_root_file_access=True)
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
    found = by_file(result)
    assert result.returncode == 2  # as for a path that does not exist: what was asked for could not all be checked
    assert result.stderr == f"tflint-vars: error: {locked}: cannot list directory: Permission denied\n"
    assert [d["message"] for d in found["secret.py"]] == ["cannot read: Permission denied"]
    assert codes_at(found["layer.py"]) == [("TFV001", 7, 18)]


def test_five_megabyte_file_is_checked_in_bounded_time(tmp_path):
    # 1,800 findings spread over 5 MB: checking was quadratic in file size x findings before (a 600 KB file with
    # 1,880 findings took 334 s); measured 0.8 s for this file after the fix.
    unit = ("class Scale{i}(tf.keras.layers.Layer):\n    def __init__(self, **kwargs):\n"
            "        super().__init__(**kwargs)\n"
            "        self.w = tf.Variable(tf.zeros(({i},)), name='w{i}')\n\n\n")
    filler = ("# " + "generated filler text " * 3 + "\n") * 40
    parts = ["import tensorflow as tf\n\n\n"] + [filler + unit.format(i=i) for i in range(1800)]
    big = tmp_path / "big.py"
    big.write_text("".join(parts))
    assert big.stat().st_size >= 5 * 1024 * 1024
    started = time.monotonic()
    result = cli("check", "--output-format", "json", str(big))
    elapsed = time.monotonic() - started
    assert result.returncode == 1 and len(json.loads(result.stdout)) == 1800
    assert elapsed < 30, f"checking a 5 MB file took {elapsed:.1f} s"


FIXED_CALL = ("tf.Variable(tf.ones((3,)), name='w')",
              "self.add_weight(name='w', shape=(3,), initializer='ones', dtype='float32', autocast=False)")


def regular_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))
            if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module")
def fixed_tree(tmp_path_factory) -> tuple[dict[str, bytes], dict[str, bytes], subprocess.CompletedProcess]:
    """The bad tree before and after one `check --fix --unsafe-fixes` run, plus a file too deep for libcst."""
    root = tmp_path_factory.mktemp("bad_input_fixed")
    build_bad_tree(root)
    (root / "deep_chain.py").write_text(LAYER + "    def call(self, x):\n        return x" + ".f()" * 250 + "\n")
    before = regular_files(root)
    result = cli("check", "--fix", "--unsafe-fixes", "--output-format", "json", str(root))
    return before, regular_files(root), result


def test_fix_run_over_bad_input_goes_on(fixed_tree):
    before, after, result = fixed_tree
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    remaining = {os.path.basename(d["path"]) for d in json.loads(result.stdout)}
    assert {"syntax_error.py", "binary.py", "fifo.py", "python2.py", "a_link.py"} <= remaining
    assert after["good_layer.py"] == LAYER.replace(*FIXED_CALL).encode()


@pytest.mark.parametrize("name", ["crlf.py", "mixed_endings.py", "utf8_bom.py", "tabs.py", "loop/inside.py"])
def test_fix_keeps_line_endings_bom_and_tabs(fixed_tree, name):
    before, after, _ = fixed_tree
    assert after[name] == before[name].replace(FIXED_CALL[0].encode(), FIXED_CALL[1].encode())
    assert after[name] != before[name]


def test_fix_keeps_latin1_encoding(fixed_tree):
    before, after, _ = fixed_tree
    expected = before["latin1_cookie.py"].replace(FIXED_CALL[0].encode(), FIXED_CALL[1].encode()).replace(
        b"tf.Variable(tf.zeros((2,)))",
        b"self.add_weight(shape=(2,), initializer='zeros', dtype='float32', autocast=False)")
    assert after["latin1_cookie.py"] == expected
    assert "café = 'é'" in after["latin1_cookie.py"].decode("latin-1")


def test_fix_honours_noqa_after_a_form_feed(fixed_tree):
    before, after, _ = fixed_tree
    text = after["form_feed.py"].decode()
    assert "tf.Variable(tf.ones((3,)), name='w')  # noqa: TFV001" in text
    assert "self.v = self.add_weight(shape=(2,), initializer='zeros', dtype='float32', autocast=False)" in text


def test_fix_leaves_unfixable_files_byte_identical(fixed_tree):
    before, after, _ = fixed_tree
    for name in ("syntax_error.py", "binary.py", "not_utf8.py", "python2.py", "python2_except.py", "empty.py",
                 "nested_parens.py", "too_deep_sum.py", "unknown_cookie.py", "deep_but_valid.py"):
        assert after[name] == before[name], name


def test_fix_refuses_what_libcst_cannot_round_trip(fixed_tree):
    # libcst drops a final lone CR; the file is kept and the reason given rather than a line end lost.
    before, after, result = fixed_tree
    assert after["old_mac_cr.py"] == before["old_mac_cr.py"]
    assert "old_mac_cr.py:7:18: TFV001 fix not applied: libcst cannot reproduce this file exactly" in result.stderr


def test_fix_too_deep_for_libcst_is_reported_and_the_file_kept(fixed_tree):
    before, after, result = fixed_tree
    assert after["deep_chain.py"] == before["deep_chain.py"]
    assert "deep_chain.py:7:18: TFV001 fix not applied: the code is nested too deeply for libcst to rewrite" \
        in result.stderr


def test_a_rule_that_fails_on_a_file_costs_only_its_own_findings(tmp_path, monkeypatch, capsys):
    """A bug in one rule (simulated: TFV003 raises on the file that holds a `Broken` class) is reported as TFV000 on
    that file, with the exception; the other rules' findings in it, and every other file, are still reported."""
    from tflint_vars import cli
    from tflint_vars.rules.tfv003_variable_in_method import VariableInMethod

    original = VariableInMethod.check

    def check(self, analysis):
        if "class Broken" in analysis.source:
            raise KeyError("planted")
        return original(self, analysis)

    monkeypatch.setattr(VariableInMethod, "check", check)
    (tmp_path / "good.py").write_text(LAYER)
    (tmp_path / "broken.py").write_text(LAYER.replace("class Scale", "class Broken"))
    code = cli.main(["check", "--no-cache", "--jobs", "1", "--output-format", "json", str(tmp_path)])
    found = sorted((Path(d["path"]).name, d["code"], d["message"]) for d in json.loads(capsys.readouterr().out))
    assert code == 1
    assert [(name, c) for name, c, _ in found] == [("broken.py", "TFV000"), ("broken.py", "TFV001"),
                                                  ("good.py", "TFV001")]
    assert found[0][2].startswith(
        "not fully checked: rule TFV003 failed with KeyError: 'planted' (at test_bad_input.py:")
    assert found[0][2].endswith("this is a tflint-vars bug, please report it with this file")
