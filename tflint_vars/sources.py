"""Sources: a file's bytes read safely, decoded as Python decodes them, and translated once into the module text that
the engine checks and the fixer rewrites. A `.py` file's module is its text; a notebook's is its code cells joined,
with the cell map (`tflint_vars.notebook`) that locates a module line in its cell and splits fixed text back into
cells. Everything above this layer works on module text only; `Source.locate` and `Source.rebuild` are the two ways
back to the file.
"""

from __future__ import annotations

import ast
import dataclasses
import errno
import hashlib
import io
import json
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field
from typing import BinaryIO

from tflint_vars import notebook as notebooks
from tflint_vars.diagnostics import CodeSelection, Diagnostic

# Python's line ends, the ones ast's line numbers count.
LINE_END = re.compile(r"\r\n|\r|\n")

# A stat taken within the clock's resolution of a write may miss a later same-size write ("racy" timestamps, as git
# says): such a fingerprint is not trusted by the caches.
RACY_NS = 2_000_000_000


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# --- reading -------------------------------------------------------------------------------------------------------
# The one guarded way to read a file the user (or a repository) put in our way: checked files, notebooks,
# pyproject.toml, the project index's modules, the cache's key and index, verify's fixtures. Only a regular file is
# read, and at most `limit` bytes of it: a FIFO named `x.py` would block a plain `open()` forever, a link to
# /dev/zero would be read until memory runs out, a 2 GB generated file would take the run with it. Each refusal is
# an OSError whose `strerror` says why in words, so callers report it as they report "Permission denied".

MIB = 1024 * 1024
MAX_SOURCE_BYTES = 10 * MIB  # a Python file: the largest in tf-keras and TensorFlow is under 1 MB
MAX_NOTEBOOK_BYTES = 100 * MIB  # a notebook's outputs (plots as base64) make it far larger than its code
MAX_CONFIG_BYTES = 10 * MIB  # pyproject.toml, a fixture's declaration
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
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a socket" \
            if stat.S_ISSOCK(mode) else "a device"
        raise OSError(0, f"not a regular file ({kind})")
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


def read_file(path: str) -> bytes:
    """A checked file's bytes, within its limit (source_limit)."""
    return read_regular_file(path, source_limit(path))


def unreadable(path: str, line: int, column: int, message: str, cell: int | None = None) -> Diagnostic:
    """TFV000: why a file, or part of it, was not checked."""
    return Diagnostic(path, max(line, 1), max(column, 1), "TFV000", message, None, cell)


def read_error(path: str, error: OSError) -> Diagnostic:
    reason = error.strerror or str(error)
    if isinstance(error, FileNotFoundError) and os.path.islink(path):
        reason = f"a broken symbolic link (to {os.readlink(path)!r})"
    return unreadable(path, 1, 1, f"cannot read: {reason}")


# --- decoding ------------------------------------------------------------------------------------------------------

def source_encoding(data: bytes) -> str:
    """The encoding Python reads `data` with: BOM, coding cookie, else UTF-8."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def decode_source(data: bytes) -> str:
    """Decode as Python does: BOM, PEP 263 cookie, else UTF-8. Raises SyntaxError/UnicodeDecodeError/LookupError."""
    try:
        encoding = source_encoding(data)
    except SyntaxError as error:
        if "invalid or missing encoding declaration" not in str(error):
            raise
        encoding = "utf-8"  # bytes that are not UTF-8 in the first two lines: say where, as for any other line
        data.decode(encoding)
        raise
    return data.decode(encoding)


def parse_module(text: str, path: str) -> ast.Module | Diagnostic:
    """The module's tree, or the TFV000 that says why not (located in the module)."""
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as error:
        return unreadable(path, error.lineno or 1, error.offset or 1, f"cannot parse: {error.msg or 'invalid syntax'}")
    except RecursionError:
        # Python's own compiler stops at the same depth, so the file cannot be imported either.
        return unreadable(path, 1, 1, "cannot parse: nested too deeply (Python's parser hit its recursion limit)")
    except (ValueError, MemoryError) as error:
        return unreadable(path, 1, 1, f"cannot parse: {type(error).__name__}: {error}")


# --- the module a file is checked as -------------------------------------------------------------------------------

@dataclass
class Source:
    """One file as the engine and the fixer see it: `text` is the module to check and fix; `locate` and `rebuild`
    translate back to the file (identity for a `.py` file, the cell map for a notebook)."""

    path: str
    data: bytes  # the file's bytes
    text: str  # the module
    encoding: str = "utf-8"  # a .py file's encoding, kept by rebuild
    notebook: notebooks.Notebook | None = None
    problems: list[Diagnostic] = field(default_factory=list)  # TFV000 for parts left out (a notebook's broken cells)
    tree: ast.Module | Diagnostic | None = field(default=None, repr=False)  # parse(), once
    _cells: list[tuple[int, int]] | None = field(default=None, repr=False)

    def parse(self) -> ast.Module | Diagnostic:
        """The module's tree, or TFV000 located in the module; parsed once."""
        if self.tree is None:
            self.tree = parse_module(self.text, self.path)
        return self.tree

    @property
    def is_notebook(self) -> bool:
        return self.notebook is not None

    def locate(self, diagnostic: Diagnostic) -> Diagnostic:
        """`diagnostic`, located in the module, located in the file (a notebook's: cell and line in the cell)."""
        if self.notebook is None:
            return diagnostic
        if self._cells is None:
            self._cells = notebooks.line_map(self.text, self.notebook.marker_line)
        return notebooks.to_cell(diagnostic, self._cells, self.notebook)

    def report(self, diagnostics: list[Diagnostic], selection: CodeSelection) -> list[Diagnostic]:
        """The module's `diagnostics` located in the file, with the parts left out (TFV000), sorted."""
        problems = self.problems if selection.enabled("TFV000") else []
        return sorted(problems + [self.locate(d) for d in diagnostics])

    def to_module(self, diagnostic: Diagnostic) -> Diagnostic | None:
        """The inverse of `locate`; None when that line is not in the module."""
        if self.notebook is None:
            return diagnostic
        if self._cells is None:
            self._cells = notebooks.line_map(self.text, self.notebook.marker_line)
        return notebooks.to_module(diagnostic, self._cells, self.notebook)

    def with_text(self, text: str) -> Source | str:
        """This file with its module replaced by `text` (a fix's output), or why it cannot be written back."""
        if self.notebook is None:
            try:
                data = text.encode(self.encoding)
            except UnicodeEncodeError as error:
                return f"the fixed code cannot be encoded as {self.encoding}: {error.reason}"
            return Source(self.path, data, text, self.encoding)
        data = notebooks.rebuild(self.data, self.notebook, text)
        if isinstance(data, str):
            return data
        # The next pass rebuilds from these bytes: their JSON, not the original's, is what it must reproduce.
        notebook = dataclasses.replace(self.notebook, document=json.loads(data))
        return Source(self.path, data, text, notebook=notebook, problems=self.problems)


def load_source(data: bytes, path: str) -> Source | Diagnostic | None:
    """The module `data` holds, or TFV000 when it cannot be read as one, or None when there is no Python to check
    (a notebook in another language)."""
    if path.endswith(".ipynb"):
        try:
            notebook = notebooks.load(data, path)
        except notebooks.NotNotebook as error:
            return unreadable(path, error.line, error.column, str(error))
        if not notebooks.python_language(notebook.document):
            return None
        problems = [unreadable(path, line, column, message, cell) for cell, line, column, message in notebook.broken]
        return Source(path, data, notebook.text, notebook=notebook, problems=problems, tree=notebook.tree)
    if b"\0" in data:
        line = data[:data.index(b"\0")].count(b"\n") + 1
        return unreadable(path, line, 1, "cannot parse: a binary file (it contains NUL bytes)")
    try:
        text = decode_source(data)
        encoding = source_encoding(data)
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        return unreadable(path, line, 1, f"cannot decode as {error.encoding}: {error.reason}")
    except (SyntaxError, LookupError) as error:
        return unreadable(path, 1, 1, f"cannot decode: {error}")
    return Source(path, data, text, encoding)
