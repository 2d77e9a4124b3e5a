"""Ending every process a verify worker started, including those that left its session (`setsid`, a daemon's double
fork): a fixture runs arbitrary code, and what it starts must neither outlive the run nor hold the worker's pipes.

On Linux:
- the worker makes itself a child subreaper (worker.py), so whatever its fixtures start and orphan stays below it,
  whatever session or process group it moves to;
- `kill_tree` stops the worker and every descendant listed under /proc/PID/task/*/children (stopped first, so none
  forks while the tree is read), then kills them all;
- `adopting_orphans` makes the verify process a subreaper for the run, so a worker that dies by itself hands its
  descendants to us rather than to init, and they are killed and reaped too.
Elsewhere the worker's process group is killed, as before: a child that left it may survive, but the verifier never
waits on it (runner.py never blocks on the pipes such a child holds).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from typing import Callable, Iterator

PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37  # linux/prctl.h

# Pids of live workers, and of the children this process had before it became a subreaper (None: it is not one):
# an adopted orphan is any other child.
_workers: set[int] = set()
_workers_lock = threading.Lock()
_own_children: list[set[int]] = []


def _prctl(option: int, value: int) -> int | None:
    """prctl(option, value); None when there is no such call (not Linux) or it failed."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if option == PR_GET_CHILD_SUBREAPER:
            result = ctypes.c_int(0)
            return result.value if libc.prctl(option, ctypes.byref(result), 0, 0, 0) == 0 else None
        return 0 if libc.prctl(option, value, 0, 0, 0) == 0 else None
    except (OSError, AttributeError):
        return None


def children(pid: int) -> set[int]:
    """The direct children of `pid` (empty when /proc does not list them)."""
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.update(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, number)


def kill_tree(pid: int) -> None:
    """SIGKILL `pid`, its process group and every process below it (see the module docstring)."""
    _signal(pid, signal.SIGSTOP)
    stopped = {pid}
    frontier = {pid}
    while frontier:  # each stopped process can fork no more; read its children, stop them, and go on below
        below = set().union(*(children(p) for p in frontier)) - stopped
        for child in below:
            _signal(child, signal.SIGSTOP)
        stopped |= below
        frontier = below
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for process in stopped:
        _signal(process, signal.SIGKILL)


def start_worker(start: Callable[[], subprocess.Popen]) -> subprocess.Popen:
    """`start()`, its process registered as a worker before any other thread can take it for an orphan."""
    with _workers_lock:
        process = start()
        _workers.add(process.pid)
    return process


def forget_worker(pid: int) -> None:
    with _workers_lock:
        _workers.discard(pid)


def end_orphans() -> None:
    """Kill and reap the processes this process adopted as a subreaper: its children that are not live workers."""
    with _workers_lock:
        if not _own_children:
            return  # not a subreaper: every child of this process is someone's own
        orphans = children(os.getpid()) - _workers - _own_children[-1]
    for orphan in orphans:
        kill_tree(orphan)
    deadline = time.monotonic() + 5
    while orphans and time.monotonic() < deadline:
        for orphan in list(orphans):
            try:
                done, _ = os.waitpid(orphan, os.WNOHANG)
            except ChildProcessError:
                done = orphan
            if done:
                orphans.discard(orphan)
        if orphans:
            time.sleep(0.01)


@contextlib.contextmanager
def adopting_orphans() -> Iterator[None]:
    """For the duration: this process is a child subreaper, and what it adopted is ended on the way out."""
    previous = _prctl(PR_GET_CHILD_SUBREAPER, 0)
    enabled = previous is not None and _prctl(PR_SET_CHILD_SUBREAPER, 1) is not None
    if enabled:
        with _workers_lock:
            _own_children.append(children(os.getpid()))
    try:
        yield
    finally:
        if enabled:
            end_orphans()
            with _workers_lock:
                _own_children.pop()
            _prctl(PR_SET_CHILD_SUBREAPER, previous or 0)
