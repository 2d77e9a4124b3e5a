"""`tflint-vars check --fix | --diff`: fix files on disk, or print what would change.

Files are checked on every core first; only those with a fix to apply are read again and rewritten. A file is
replaced atomically (a temporary file in its directory, then `os.replace`), keeps its mode, and is left alone when it
is read-only or changed on disk while it was being fixed.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Collection, TextIO

from tflint_vars.diagnostics import CodeSelection, Diagnostic, working_on
from tflint_vars.engine import check_files
from tflint_vars.fixes.fixer import fix_bytes, wanted
from tflint_vars.sources import FileTooLarge, read_file, read_regular_file, source_encoding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


# Why a file a walk reached through a symlink is checked but never written (README: symbolic links).
LINKED_IN_WALK = "reached through a symbolic link in the directory walk (name the file on the command line to edit it)"


class WriteError(Exception):
    """The fixed content could not be written; the file is unchanged."""


def write_atomic(path: str, data: bytes, original: bytes, *, follow_symlinks: bool = True) -> None:
    """Replace the file at `path` with `data`, keeping its mode, only if it still holds `original`. A symlink is
    written through (its target replaced) only with `follow_symlinks`: a file named on the command line, as ruff
    does; never one met in a directory walk. Raises WriteError or OSError; the file is then untouched."""
    if not follow_symlinks and os.path.islink(path):
        raise WriteError("it is a symbolic link met in a directory walk (name it on the command line to fix it)")
    target = os.path.realpath(path)
    status = os.stat(target)
    if not stat.S_ISREG(status.st_mode):
        raise WriteError("not a regular file")
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise WriteError("the file is read-only")
    try:
        current = read_regular_file(target, len(original))
    except FileTooLarge:
        current = None
    if current != original:
        raise WriteError("the file changed on disk while it was being fixed")
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(target),
                                             prefix=f".{os.path.basename(target)}.", suffix=".tflint-vars")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(OSError):
                os.chown(temporary, status.st_uid, status.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_or_report(path: str, stderr: TextIO) -> bytes | None:
    """The file's bytes to rewrite, or None after saying on `stderr` why it cannot be read."""
    try:
        return read_file(path)
    except OSError as error:
        print(f"tflint-vars: error: {path}: cannot read: {error.strerror or error}", file=stderr)
        return None


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff as ruff prints it (the path on both header lines, `patch -p0` applies it), line endings
    kept."""
    path = os.path.normpath(path)
    lines = []
    for line in difflib.unified_diff(_LINE.findall(before), _LINE.findall(after), path, path):
        if not line.endswith(("\n", "\r")):
            line += "\n\\ No newline at end of file\n"
        lines.append(line)
    return "".join(lines)


def file_diff(path: str, before: bytes, after: bytes) -> str:
    """The diff `--diff` prints for a fixed file: a notebook's per changed cell, a `.py` file's of its text."""
    if path.endswith(".ipynb"):
        from tflint_vars.notebook import unified_diff as notebook_diff

        return notebook_diff(path, before, after)
    encoding = source_encoding(before)
    return unified_diff(path, before.decode(encoding), after.decode(encoding))


@dataclass
class FixReport:
    total: int = 0  # diagnostics before fixing
    fixed: int = 0
    changed_files: int = 0
    errors: int = 0
    remaining: list[Diagnostic] = field(default_factory=list)
    applied: list[Diagnostic] = field(default_factory=list)  # the diagnostics whose fix was applied (--show-fixes)


def fix_files(files: list[str], selection: CodeSelection, ignored_for: Callable[[str], list[str]], *,
              unsafe: bool, diff: bool, jobs: int | None, stdout: TextIO, stderr: TextIO,
              named: Collection[str] | None = None, linked: Collection[str] = ()) -> FixReport:
    """Fix (or, with `diff`, print the diff of) every file with an applicable fix; the report counts what changed
    and holds every diagnostic left. A symlink is written through only when `named` (default: every file is); a
    file in `linked` (reached through a symlink in a directory walk) is never written."""
    diagnostics = check_files(files, selection, jobs)
    diagnostics = [d for d in diagnostics if not d.code.startswith(tuple(ignored_for(d.path)) or ("\0",))]
    report = FixReport(total=len(diagnostics))
    by_path: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    for path in files:
        with working_on(path):
            _fix_file(path, by_path.get(path, []), report, selection, ignored_for, unsafe=unsafe, diff=diff,
                      stdout=stdout, stderr=stderr, named=named, linked=linked)
    report.remaining.sort()
    return report


def _fix_file(path: str, found: list[Diagnostic], report: FixReport, selection: CodeSelection,
              ignored_for: Callable[[str], list[str]], *, unsafe: bool, diff: bool, stdout: TextIO, stderr: TextIO,
              named: Collection[str] | None, linked: Collection[str]) -> None:
    """fix_files for one file, into `report`."""
    if not any(wanted(d, unsafe) for d in found):
        report.remaining.extend(found)
        return
    if path in linked and not diff:
        print(f"{path}: not fixed: {LINKED_IN_WALK}", file=stderr)
        report.remaining.extend(found)
        return
    data = read_or_report(path, stderr)
    if data is None:
        report.errors += 1
        report.remaining.extend(found)
        return
    result = fix_bytes(data, path, unsafe=unsafe, selection=selection.without(ignored_for(path)))
    for diagnostic, why in result.dropped:
        print(f"{diagnostic.location}: {diagnostic.code} fix not applied: {why}", file=stderr)
    if result.changed:
        if diff:
            stdout.write(file_diff(path, data, result.data))
        else:
            try:
                write_atomic(path, result.data, data, follow_symlinks=named is None or path in named)
            except (OSError, WriteError) as error:
                reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                print(f"tflint-vars: error: {path}: not fixed, cannot write: {reason}", file=stderr)
                report.errors += 1
                report.remaining.extend(found)
                return
        report.changed_files += 1
        report.fixed += len(result.fixed)
        report.applied.extend(result.fixed)
    report.remaining.extend(result.remaining)
