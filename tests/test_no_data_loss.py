"""`check --fix` never loses a file: killed mid-run, run twice at once, or facing files it may not write.

Each file must end as its old bytes or its new bytes, never a mix, a truncation or nothing, and must parse."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


from conftest import FIXTURES, ROOT
from test_bad_input import IS_ROOT, drop_root_file_access_wrapping

SEED = FIXTURES / "seed1_variable_in_init.py"
SEED_FIXED = FIXTURES / "seed1_variable_in_init.py.fixed"  # what `--fix` (safe fixes) makes of it


STRACE = shutil.which("strace")
# Syscalls that change a file's bytes. Delaying them on the checked files (strace -P matches a path or an fd open on
# it) holds a non-atomic writer in the state between truncating a file and writing it back, where a kill leaves it
# empty or half written; an atomic writer never writes to the checked path itself, so it is not slowed down.
WRITE_SYSCALLS = "write,pwrite64,writev,pwritev,pwritev2,ftruncate,truncate,fallocate,copy_file_range,sendfile"


def strace_works() -> bool:
    if STRACE is None:
        return False
    probe = subprocess.run([STRACE, "-f", "-qq", "-o", os.devnull, "true"], capture_output=True)
    return probe.returncode == 0  # ptrace may be forbidden in a container


def start_fix(*paths: Path, drop_root_file_access: bool = False,
              slow_writes_to: list[Path] = ()) -> subprocess.Popen:
    command = [sys.executable, "-m", "tflint_vars", "check", "--fix", "--jobs", "1", *map(str, paths)]
    if slow_writes_to:
        watched = [argument for path in slow_writes_to for argument in ("-P", str(path))]
        command = [STRACE, "-f", "-qq", "-o", os.devnull, *watched,
                   "-e", f"inject={WRITE_SYSCALLS}:delay_enter=200000", *command]
    preexec = None
    if drop_root_file_access and IS_ROOT:
        command, preexec = drop_root_file_access_wrapping(command)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=preexec)


def sigkill_fixer(process: subprocess.Popen) -> None:
    """SIGKILL the fixer itself: under strace, that is strace's child (killing strace would let it run on)."""
    pid = process.pid
    if os.path.basename(process.args[0]) == "strace":
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            pid = int(handle.read().split()[0])
    os.kill(pid, signal.SIGKILL)


def assert_each_file_old_or_new(root: Path, old: bytes, new: bytes) -> int:
    """Every .py file is byte for byte `old` or `new` and compiles; returns how many are `new`."""
    changed = 0
    for path in sorted(root.glob("*.py")):
        data = path.read_bytes()
        assert data in (old, new), f"{path.name} is neither its old nor its new content ({len(data)} bytes)"
        compile(data, str(path), "exec", dont_inherit=True)
        changed += data == new
    return changed


def test_sigkill_mid_run_leaves_every_file_old_or_new(tmp_path):
    """300 files, killed twice mid-run, then finished by a third run. Under strace (when ptrace is allowed), every
    syscall that writes to a checked file is held 0.2 s, so a writer that rewrote files in place would be seen, and
    killed, with a file truncated or half written (checked by temporarily making the writer non-atomic: it fails)."""
    old, new = SEED.read_bytes(), SEED_FIXED.read_bytes()
    assert old != new
    count = 300
    paths = [tmp_path / f"layer_{index:03}.py" for index in range(count)]
    for path in paths:
        shutil.copyfile(SEED, path)
    slow_writes_to = paths if strace_works() else []
    changed_before = 0
    for kill_after in (5, 40):  # two kills at different points, then a run that completes
        process = start_fix(tmp_path, slow_writes_to=slow_writes_to)
        deadline = time.monotonic() + 120
        try:
            while process.poll() is None and time.monotonic() < deadline:
                contents = [path.read_bytes() for path in paths]
                torn = [path.name for path, data in zip(paths, contents) if data not in (old, new)]
                assert not torn, f"seen mid-run neither old nor new: {torn}"
                if contents.count(new) >= changed_before + kill_after:
                    break
                time.sleep(0.01)
            assert process.poll() is None, "the run ended before it could be killed mid-way"
            sigkill_fixer(process)
        finally:
            process.kill()
            process.communicate()
        changed_before = assert_each_file_old_or_new(tmp_path, old, new)
        assert 0 < changed_before < count
        # A kill can leave the temporary file of the write in progress: never a .py, so never checked or fixed.
        leftovers = [p.name for p in tmp_path.iterdir() if not p.name.endswith(".py")]
        assert all(name.startswith(".layer_") and name.endswith(".tflint-vars") for name in leftovers), leftovers
    finish = start_fix(tmp_path)
    stdout, stderr = finish.communicate(timeout=300)
    assert finish.returncode == 0, stderr
    assert f"({count - changed_before} files changed)" in stdout
    assert assert_each_file_old_or_new(tmp_path, old, new) == count


def fixable_tree(root: Path, copies: int) -> None:
    root.mkdir()
    for fixed in sorted(FIXTURES.glob("*.py.fixed")):
        source = fixed.with_suffix("")
        for index in range(copies):
            shutil.copyfile(source, root / f"{source.stem}_{index}.py")


def test_two_concurrent_fix_runs_equal_one_run(tmp_path):
    fixable_tree(tmp_path / "reference", copies=4)
    shutil.copytree(tmp_path / "reference", tmp_path / "shared")
    single = start_fix(tmp_path / "reference")
    single.communicate(timeout=300)
    assert single.returncode in (0, 1)
    first, second = start_fix(tmp_path / "shared"), start_fix(tmp_path / "shared")
    outputs = [run.communicate(timeout=300) for run in (first, second)]
    for run, (_stdout, stderr) in zip((first, second), outputs):
        assert "Traceback" not in stderr, stderr
        # When the other run rewrote a file first, this one refuses to overwrite it and says so (exit 2).
        assert run.returncode in (0, 1) or "changed on disk while it was being fixed" in stderr, stderr
    expected = {p.name: p.read_bytes() for p in (tmp_path / "reference").iterdir()}
    actual = {p.name: p.read_bytes() for p in (tmp_path / "shared").iterdir()}
    assert actual == expected  # also: no temporary file left behind
    for name, data in actual.items():
        compile(data, name, "exec", dont_inherit=True)


def test_read_only_file_is_reported_and_the_rest_fixed(tmp_path):
    for name in ("a.py", "b.py"):
        shutil.copyfile(SEED, tmp_path / name)
    (tmp_path / "a.py").chmod(0o444)
    process = start_fix(tmp_path)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    assert f"{tmp_path / 'a.py'}: not fixed, cannot write: the file is read-only" in stderr
    assert (tmp_path / "a.py").read_bytes() == SEED.read_bytes()
    assert (tmp_path / "b.py").read_bytes() == SEED_FIXED.read_bytes()


def test_file_in_read_only_directory_is_reported_and_kept(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copyfile(SEED, locked / "layer.py")
    shutil.copyfile(SEED, tmp_path / "open.py")
    locked.chmod(0o555)  # the file is writable, but no temporary file can be made next to it
    try:
        process = start_fix(tmp_path, drop_root_file_access=True)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        locked.chmod(0o755)
    assert process.returncode == 2
    assert f"{locked / 'layer.py'}: not fixed, cannot write: Permission denied" in stderr
    assert (locked / "layer.py").read_bytes() == SEED.read_bytes()
    assert sorted(os.listdir(locked)) == ["layer.py"]
    assert (tmp_path / "open.py").read_bytes() == SEED_FIXED.read_bytes()
