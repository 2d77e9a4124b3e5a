"""The one guarded way to read a file the user (or a repository) put in our way: checked files, notebooks,
pyproject.toml, the project index's modules, the cache's key and index. Only a regular file is read, and at most
`limit` bytes of it: a FIFO named `x.py` would block a plain `open()` forever, a link to /dev/zero would be read
until memory runs out, and a 2 GB generated file would take the run with it. Each refusal is an OSError whose
`strerror` says why in words, so every caller reports it as it reports "Permission denied".

This module imports nothing of tflint_vars: every layer may use it."""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

MIB = 1024 * 1024
MAX_SOURCE_BYTES = 10 * MIB  # a Python file: the largest in tf-keras and TensorFlow is under 1 MB
MAX_NOTEBOOK_BYTES = 100 * MIB  # a notebook's outputs (plots as base64) make it far larger than its code
MAX_CONFIG_BYTES = 10 * MIB  # pyproject.toml
MAX_CACHE_INDEX_BYTES = 512 * MIB  # the result cache's index of a very large project


class FileTooLarge(OSError):
    """The file is larger than its reader's limit; `strerror` gives both sizes."""

    def __init__(self, size: int, limit: int):
        super().__init__(errno.EFBIG, f"too large ({_megabytes(size)}; tflint-vars reads files up to "
                                      f"{_megabytes(limit)})")


def _megabytes(size: int) -> str:
    return f"{size / MIB:.1f} MB" if size >= MIB else f"{size} bytes"


def source_limit(path: str) -> int:
    """The limit for a checked file: a notebook's is larger (outputs), a Python file's smaller."""
    return MAX_NOTEBOOK_BYTES if path.endswith(".ipynb") else MAX_SOURCE_BYTES


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def open_regular_file(path: str, *, follow_symlinks: bool = True) -> BinaryIO:
    """`open(path, "rb")` for a regular file. Raises OSError, also for a FIFO, socket, device or directory, which is
    reported rather than read. `follow_symlinks=False` refuses a symbolic link itself (ELOOP)."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. No effect on regular files.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    handle = os.fdopen(descriptor, "rb")
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        handle.close()
        raise OSError(0, f"not a regular file ({_kind(mode)})")
    return handle


def read_with_status(path: str, limit: int = MAX_SOURCE_BYTES, *,
                     follow_symlinks: bool = True) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes and its status taken before reading (a write during the read leaves a newer mtime).
    Raises OSError, FileTooLarge when it holds more than `limit` bytes."""
    with open_regular_file(path, follow_symlinks=follow_symlinks) as handle:
        status = os.fstat(handle.fileno())
        if status.st_size > limit:
            raise FileTooLarge(status.st_size, limit)
        data = handle.read(limit + 1)  # the file may grow after fstat
    if len(data) > limit:
        raise FileTooLarge(len(data), limit)
    return data, status


def read_regular_file(path: str, limit: int = MAX_SOURCE_BYTES, *, follow_symlinks: bool = True) -> bytes:
    """A regular file's bytes, at most `limit` of them (see read_with_status)."""
    return read_with_status(path, limit, follow_symlinks=follow_symlinks)[0]
