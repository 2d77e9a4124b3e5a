"""The standing attack suite (issue 16): hostile files, links, FIFOs, configurations, caches, notebooks and giant
inputs, each through the real CLI in a subprocess whose time bound the test enforces. A case that hangs fails on its
bound (subprocess.TimeoutExpired) instead of stalling the suite; a case that corrupts a file fails on its bytes.

Seeded from the nine failures of the attack run in issue 16; add a case here for every new way in."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT

SETPRIV = shutil.which("setpriv")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
BOUND = 60  # seconds for one CLI run on a few small files: a hang, not a slow machine, exceeds it

LAYER = textwrap.dedent("""\
    import tensorflow as tf


    class Scale(tf.keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = tf.Variable(tf.ones((3,)), name="w")
""")  # TFV001 at 7:18, safe fix
FIXED_LINE = 'self.w = self.add_weight(name="w", shape=(3,), initializer="ones"'  # and the dtype keywords


def attack(*args: str, cwd: Path, timeout: float = BOUND, env: dict | None = None,
           prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`tflint-vars ARGS` in a subprocess, killed and failed after `timeout` seconds."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    return subprocess.run([*prefix, sys.executable, "-m", "tflint_vars", *args], cwd=cwd, capture_output=True,
                          text=True, env=environment, timeout=timeout)


def findings(result: subprocess.CompletedProcess) -> list[tuple[str, int | None, int, str]]:
    return sorted((os.path.normpath(d["path"]), d["cell"], d["line"], d["code"]) for d in json.loads(result.stdout))


# --- notebooks -----------------------------------------------------------------------------------------------------

def notebook(*cells: str) -> bytes:
    """A notebook as Jupyter writes it (indent 1, trailing newline), a markdown cell first, outputs kept."""
    document = {
        "cells": [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["# Títle ✓\n"]}] + [
            {"cell_type": "code", "execution_count": number, "id": f"c{number}", "metadata": {"tags": ["x"]},
             "outputs": [{"name": "stdout", "output_type": "stream", "text": ["out ✓\n"]}],
             "source": source.splitlines(keepends=True)} for number, source in enumerate(cells, start=1)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


@pytest.mark.parametrize("named", [True, False], ids=["named", "walk"])
def test_add_noqa_writes_into_the_notebook_cell_and_nothing_else(tmp_path, named):
    path = tmp_path / "layer.ipynb"
    before = notebook("import tensorflow as tf\n", LAYER.split("\n", 1)[1])
    path.write_bytes(before)
    result = attack("check", "--no-cache", "--add-noqa", "layer.ipynb" if named else ".", cwd=tmp_path)
    assert result.returncode == 0 and "Added 1 noqa directive." in result.stderr, result.stderr
    after = path.read_bytes()
    json.loads(after)  # still a notebook
    changed = [(old, new) for old, new in zip(before.splitlines(), after.splitlines()) if old != new]
    assert len(before.splitlines()) == len(after.splitlines())
    assert changed == [(b'    "        self.w = tf.Variable(tf.ones((3,)), name=\\"w\\")\\n"',
                        b'    "        self.w = tf.Variable(tf.ones((3,)), name=\\"w\\")  # noqa: TFV001\\n"')]
    assert attack("check", "--no-cache", ".", cwd=tmp_path).returncode == 0


def test_a_cell_holding_the_internal_marker_line_keeps_every_location(tmp_path):
    marker_cell = "# tflint-vars cell 1\nx = 1\n# tflint-vars cell 7\n"
    (tmp_path / "nb.ipynb").write_bytes(notebook(marker_cell, LAYER))
    result = attack("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert findings(result) == [("nb.ipynb", 3, 7, "TFV001")]  # cell 3 (after the markdown and the marker cell)
    fixed = attack("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    cells = [c for c in json.loads((tmp_path / "nb.ipynb").read_text())["cells"] if c["cell_type"] == "code"]
    assert "".join(cells[0]["source"]) == marker_cell and FIXED_LINE in "".join(cells[1]["source"])


# --- files that are not regular, or too large ----------------------------------------------------------------------

def hostile_tree(root: Path, kind: str) -> Path:
    """A directory with one layer file and one hostile `x.py`: a FIFO with no writer, or a link to /dev/zero."""
    (root / "layer.py").write_text(LAYER)
    if kind == "fifo":
        os.mkfifo(root / "x.py")
    else:
        (root / "x.py").symlink_to("/dev/zero")
    return root


MODES = {"check": (), "fix": ("--fix",), "add-noqa": ("--add-noqa",), "diff": ("--diff",)}


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("named", [False, True], ids=["walk", "named"])
def test_fifo_and_dev_zero_are_reported_never_read(tmp_path, kind, mode, named):
    hostile_tree(tmp_path, kind)
    paths = ("layer.py", "x.py") if named else (".",)
    result = attack("check", "--no-cache", *MODES[mode], *paths, cwd=tmp_path)
    reason = "a FIFO" if kind == "fifo" else "a device"
    reported = named or kind == "fifo"  # a link met in the walk that leaves the root is not followed at all
    if mode == "diff":  # prints diffs only; its count includes x.py's TFV000
        assert f"Would fix 1 of {2 if reported else 1} diagnostics" in result.stderr
    elif reported:
        assert f"not a regular file ({reason})" in result.stdout + result.stderr
    else:
        assert "x.py" not in result.stdout + result.stderr
    assert result.returncode in (0, 1, 2) and "Traceback" not in result.stderr


def test_a_file_over_the_size_limit_is_tfv000_at_once(tmp_path):
    from tflint_vars.sources import MAX_SOURCE_BYTES

    (tmp_path / "layer.py").write_text(LAYER)
    with open(tmp_path / "huge.py", "wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)  # sparse: no time or disk spent writing it
    started = time.monotonic()
    result = attack("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path, timeout=30)
    assert time.monotonic() - started < 30
    messages = {os.path.basename(d["path"]): d["message"] for d in json.loads(result.stdout)}
    assert messages["huge.py"].startswith("cannot read: too large (10.0 MB; tflint-vars reads files up to 10.0 MB)")
    assert "layer.py" in messages


# --- pyproject.toml --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    ("[tool]\ntflint-vars = 1\n", "tool.tflint-vars must be a table ([tool.tflint-vars]), not 1"),
    ("[[tool.tflint-vars]]\nselect = ['TFV']\n", "tool.tflint-vars must be a table ([tool.tflint-vars]), not an "
                                                  "array of tables"),
    (b"# \xff\n[tool.tflint-vars]\nselect = ['TFV']\n", "not valid TOML: 'utf-8' codec can't decode byte 0xff"),
    ("[tool.tflint-vars]\nx = " + "[" * 2000 + "]" * 2000 + "\n", "not valid TOML: nested too deeply"),
    ("[tool.tflint-vars]\nselect = 3\n", "select: expected a list of strings, got 3"),
], ids=["scalar", "array-of-tables", "bad-utf8", "deep", "bad-value"])
def test_a_broken_tflint_vars_section_is_a_config_error(tmp_path, content, message):
    (tmp_path / "pyproject.toml").write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "layer.py").write_text(LAYER)
    result = attack("check", "--no-cache", ".", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [
    "tool = 1\n",
    "[tool]\nblack = 1\n",
    b"# \xff\n[tool.black]\nline-length = 1\n",
    "x = " + "[" * 2000 + "]" * 2000 + "\n",
    "[project\n",
], ids=["tool-scalar", "other-tool", "bad-utf8", "deep", "syntax"])
def test_a_project_whose_other_pyproject_parts_are_odd_still_checks(tmp_path, content):
    (tmp_path / "pyproject.toml").write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "layer.py").write_text(LAYER)
    result = attack("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1 and findings(result) == [("layer.py", None, 7, "TFV001")], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_config_named_as_a_fifo_or_device_is_an_error_not_a_hang(tmp_path, kind):
    (tmp_path / "layer.py").write_text(LAYER)
    if kind == "fifo":
        os.mkfifo(tmp_path / "pyproject.toml")
    else:
        (tmp_path / "pyproject.toml").symlink_to("/dev/zero")
    named = attack("check", "--no-cache", "--config", "pyproject.toml", ".", cwd=tmp_path)
    assert named.returncode == 2 and "not a regular file" in named.stderr
    found = attack("check", "--no-cache", ".", cwd=tmp_path)  # found, not named: not a file, so not a config
    assert found.returncode == 1


# --- the cache --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("target", ["cache-key", "index"])
def test_a_hostile_cache_key_or_index_never_hangs(tmp_path, target, kind):
    project = tmp_path / "project"
    project.mkdir()
    (project / "layer.py").write_text(LAYER)
    env = {"TFLINT_VARS_CACHE_DIR": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert attack("check", ".", cwd=project, env=env).returncode == 1  # creates the key and the index
    [path] = (tmp_path / "config" / "tflint-vars").glob("cache-key") if target == "cache-key" else \
        (tmp_path / "cache").glob("index-*.json")
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    result = attack("check", "--output-format", "json", ".", cwd=project, env=env)
    assert findings(result) == [("layer.py", None, 7, "TFV001")] and "Traceback" not in result.stderr


def test_a_project_module_that_is_a_fifo_is_not_waited_on(tmp_path):
    """The project index reads the module a base class is imported from: a FIFO there must not block it."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    os.mkfifo(package / "base.py")
    (package / "layers.py").write_text("from pkg.base import Base\n\n\nclass L(Base):\n"
                                       "    def build(self, shape):\n        self.w = 1\n")
    result = attack("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert ("pkg/base.py", None, 1, "TFV000") in findings(result)


# --- exit codes -------------------------------------------------------------------------------------------------------

def test_an_unwritable_report_exits_2_even_with_exit_zero(tmp_path):
    (tmp_path / "layer.py").write_text(LAYER)
    to_file = attack("check", "--no-cache", "--exit-zero", "-o", "/dev/full", ".", cwd=tmp_path)
    assert to_file.returncode == 2 and to_file.stderr.strip() == \
        "tflint-vars: error: --output-file /dev/full: No space left on device"
    with open("/dev/full", "w") as full:
        to_stdout = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--no-cache", "--exit-zero", "."],
                                   cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True, timeout=BOUND,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert to_stdout.returncode == 2 and to_stdout.stderr.strip() == \
        "tflint-vars: error: cannot write the report to standard output: No space left on device"


INJECTED_BUG = textwrap.dedent("""\
    import sys
    import tflint_vars.analysis
    def analyze(*args, **kwargs):
        raise KeyError("planted bug")
    tflint_vars.analysis.analyze = analyze
    import tflint_vars.engine
    def check_source(data, path, *args, **kwargs):
        raise KeyError("planted bug")
    tflint_vars.engine.check_source = check_source  # the worker processes are forked: they inherit it
    from tflint_vars.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("files", [1, 40], ids=["in-process", "worker-processes"])
def test_an_internal_error_exits_2_naming_the_file(tmp_path, files):
    """A bug (planted: check_source raises) is exit 2, never 1 ("findings"), in one line that names the file and
    asks for a report; the traceback only with --verbose. 40 files go through the worker processes."""
    for number in range(files):
        (tmp_path / f"layer{number:02}.py").write_text(LAYER)
    command = [sys.executable, "-c", INJECTED_BUG, "check", "--no-cache", "-j", "2", "."]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=BOUND, env=env)
    assert quiet.returncode == 2
    [line] = quiet.stderr.strip().splitlines()
    assert line.startswith("tflint-vars: internal error while checking ./layer") and "KeyError: 'planted bug'" in line
    assert "please report it" in line and "--verbose" in line
    verbose = subprocess.run(command + ["--verbose"], cwd=tmp_path, capture_output=True, text=True, timeout=BOUND,
                             env=env)
    assert verbose.returncode == 2 and "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1].startswith("tflint-vars: internal error while checking ./layer")


# --- symbolic links ----------------------------------------------------------------------------------------------

def linked_tree(tmp_path: Path) -> tuple[Path, Path]:
    """root/ (checked) and outside/ (not), with links from root to both, and a link loop."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "pkg").mkdir(parents=True)
    outside.mkdir()
    (outside / "far.py").write_text(LAYER)
    (root / "pkg" / "near.py").write_text(LAYER)
    (root / "link_out.py").symlink_to(outside / "far.py")
    (root / "dir_out").symlink_to(outside)
    (root / "link_in.py").symlink_to(root / "pkg" / "near.py")  # the same file as pkg/near.py: checked once
    (root / "loop").symlink_to(root)
    (root / "layer_source.txt").write_text(LAYER)
    (root / "alias.py").symlink_to(root / "layer_source.txt")  # inside the root, reached only through the link
    return root, outside


def test_links_in_a_walk_are_followed_only_inside_the_root(tmp_path):
    root, _ = linked_tree(tmp_path)
    result = attack("check", "--no-cache", "--output-format", "json", ".", cwd=root)
    assert [path for path, *_ in findings(result)] == ["alias.py", "pkg/near.py"]


@pytest.mark.parametrize("mode", ["--fix", "--add-noqa"])
def test_fix_and_add_noqa_never_write_through_a_link_met_in_a_walk(tmp_path, mode):
    root, outside = linked_tree(tmp_path)
    result = attack("check", "--no-cache", mode, ".", cwd=root)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    assert "alias.py" in result.stderr and "reached through a symbolic link in the directory walk" in result.stderr
    assert (outside / "far.py").read_text() == LAYER and (root / "layer_source.txt").read_text() == LAYER
    assert all((root / name).is_symlink() for name in ("alias.py", "link_in.py", "link_out.py"))
    assert (root / "pkg" / "near.py").read_text() != LAYER  # the file itself, met in the walk, is written


def test_a_link_named_on_the_command_line_is_followed_as_ruff_does(tmp_path):
    """ruff checks and fixes a symlink named on the command line (its target is rewritten, the link stays)."""
    (tmp_path / "target.py").write_text(LAYER)
    (tmp_path / "named.py").symlink_to(tmp_path / "target.py")
    result = attack("check", "--no-cache", "--fix", "named.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "named.py").is_symlink() and FIXED_LINE in (tmp_path / "target.py").read_text()


# --- permissions ----------------------------------------------------------------------------------------------------

@pytest.mark.skipif(IS_ROOT and not SETPRIV, reason="root reads any file without util-linux's setpriv to drop that")
def test_a_file_under_a_directory_without_search_permission_is_permission_denied(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "layer.py").write_text(LAYER)
    locked.chmod(0o600)  # listable, not searchable
    prefix = (SETPRIV, "--bounding-set=-dac_override,-dac_read_search") if IS_ROOT else ()
    try:
        result = attack("check", "--no-cache", "locked/layer.py", cwd=tmp_path, prefix=prefix)
    finally:
        locked.chmod(0o700)
    assert "locked/layer.py:1:1: TFV000 cannot read: Permission denied" in result.stdout
    assert "no such file" not in result.stdout + result.stderr


# --- verify -----------------------------------------------------------------------------------------------------------

ESCAPING_FIXTURE = textwrap.dedent("""\
    import os
    import subprocess
    import sys
    import time

    PIDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pid")
    # A child in a session of its own, holding the worker's stdin and stderr pipes open.
    subprocess.Popen([sys.executable, "-c",
                      f"import os, time; open({PIDS!r} + '.setsid', 'w').write(str(os.getpid())); time.sleep(600)"],
                     start_new_session=True)
    # A daemon: double fork, the middle process exits, the grandchild leaves the session.
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(PIDS + ".daemon", "w") as handle:
                handle.write(str(os.getpid()))
            time.sleep(600)
        os._exit(0)
    time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the whole-tree kill needs /proc")
def test_verify_times_out_and_kills_children_that_left_its_session(tmp_path):
    (tmp_path / "escapes.py").write_text(ESCAPING_FIXTURE)
    (tmp_path / "escapes.toml").write_text('[verify]\nkind = "script"\n')
    try:
        result = attack("verify", "--runtime", "keras3", "--timeout", "5", "--output-format", "json", "escapes.py",
                        cwd=tmp_path, timeout=300)
        [entry] = json.loads(result.stdout)["results"]
        assert entry["verdict"] == "error" and entry["reasons"] == ["timed out after 5 s running escapes"]
        pids = {name: int((tmp_path / f"pid.{name}").read_text()) for name in ("setsid", "daemon")}
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [name for name, pid in pids.items() if _alive(pid)]
    finally:
        for pid_file in tmp_path.glob("pid.*"):
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
