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
from typing import Callable, Sequence, TextIO

from tflint_vars.diagnostics import Diagnostic
from tflint_vars.engine import CodeSelection, check_files
from tflint_vars.fixes import fix_bytes, source_encoding, wanted

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class WriteError(Exception):
    """The fixed content could not be written; the file is unchanged."""


def write_atomic(path: str, data: bytes, original: bytes) -> None:
    """Replace the file at `path` (following symlinks) with `data`, keeping its mode, only if it still holds
    `original`. Raises WriteError or OSError; the file is then untouched."""
    target = os.path.realpath(path)
    status = os.stat(target)
    if not stat.S_ISREG(status.st_mode):
        raise WriteError("not a regular file")
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise WriteError("the file is read-only")
    with open(target, "rb") as handle:
        if handle.read() != original:
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


@dataclass
class FixReport:
    total: int = 0  # diagnostics before fixing
    fixed: int = 0
    changed_files: int = 0
    errors: int = 0
    remaining: list[Diagnostic] = field(default_factory=list)
    applied: list[Diagnostic] = field(default_factory=list)  # the diagnostics whose fix was applied (--show-fixes)


def fix_files(files: list[str], selection: CodeSelection, ignored_for: Callable[[str], list[str]], *,
              unsafe: bool, diff: bool, jobs: int | None, stdout: TextIO, stderr: TextIO) -> FixReport:
    """Fix (or, with `diff`, print the diff of) every file with an applicable fix; the report counts what changed
    and holds every diagnostic left."""
    diagnostics = check_files(files, selection, jobs)
    diagnostics = [d for d in diagnostics if not d.code.startswith(tuple(ignored_for(d.path)) or ("\0",))]
    report = FixReport(total=len(diagnostics))
    by_path: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    for path in files:
        found = by_path.get(path, [])
        if not any(wanted(d, unsafe) for d in found):
            report.remaining.extend(found)
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            print(f"tflint-vars: error: {path}: cannot read: {error.strerror or error}", file=stderr)
            report.errors += 1
            report.remaining.extend(found)
            continue
        result = fix_bytes(data, path, unsafe=unsafe, selection=selection.without(ignored_for(path)))
        for diagnostic, why in result.dropped:
            print(f"{diagnostic.location}: {diagnostic.code} fix not applied: {why}", file=stderr)
        if result.changed:
            if diff and path.endswith(".ipynb"):
                from tflint_vars.notebook import unified_diff as notebook_diff

                stdout.write(notebook_diff(path, data, result.data))
            elif diff:
                encoding = source_encoding(data)
                stdout.write(unified_diff(path, data.decode(encoding), result.data.decode(encoding)))
            else:
                try:
                    write_atomic(path, result.data, data)
                except (OSError, WriteError) as error:
                    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                    print(f"tflint-vars: error: {path}: not fixed, cannot write: {reason}", file=stderr)
                    report.errors += 1
                    report.remaining.extend(found)
                    continue
            report.changed_files += 1
            report.fixed += len(result.fixed)
            report.applied.extend(result.fixed)
        report.remaining.extend(result.remaining)
    report.remaining.sort()
    return report


def run_fix(files: list[str], selection: CodeSelection, ignored_for: Callable[[str], list[str]], *, unsafe: bool,
            diff: bool, output_format: str, jobs: int | None, stdout: TextIO, stderr: TextIO,
            quiet: bool = False, show_fixes: bool = False, statistics: bool = False, exit_zero: bool = False,
            failures: Sequence[str] = (), docs_url: str | None = None) -> int:
    """The `check --fix` / `--diff` command: exit 0 when nothing is left (no diff), 1 when diagnostics remain (or
    there is a diff), 2 when a file could not be read or written (or a named path, `failures`, could not be
    checked). `quiet` drops the closing lines, `exit_zero` turns 1 into 0."""
    report = fix_files(files, selection, ignored_for, unsafe=unsafe, diff=diff, jobs=jobs, stdout=stdout,
                       stderr=stderr)
    return _finish(report, diff=diff, output_format=output_format, report_stream=stdout, stderr=stderr, quiet=quiet,
                   show_fixes=show_fixes, statistics=statistics, exit_zero=exit_zero, failures=failures,
                   docs_url=docs_url)


def _finish(report: FixReport, *, diff: bool, output_format: str, report_stream: TextIO, stderr: TextIO,
            quiet: bool, show_fixes: bool, statistics: bool, exit_zero: bool, failures: Sequence[str],
            docs_url: str | None = None) -> int:
    from tflint_vars.output import FORMATS, write_fix_status, write_fixed, write_statistics

    noun = "file" if report.changed_files == 1 else "files"
    text_like = output_format in ("text", "full", "concise")
    if diff:
        if not quiet:
            print(f"Would fix {report.fixed} of {report.total} diagnostics ({report.changed_files} {noun} would "
                  "change).", file=stderr)
        if report.errors or failures:
            return EXIT_ERROR
        return EXIT_FINDINGS if report.changed_files and not exit_zero else EXIT_CLEAN
    if statistics:
        write_statistics(report.remaining, report_stream, output_format, failures=failures, quiet=quiet)
    else:
        FORMATS[output_format](report.remaining, report_stream, failures=failures, quiet=quiet, docs_url=docs_url)
    if show_fixes:
        extra = report_stream if text_like else stderr
        write_fixed(report.applied, extra)
        write_fix_status(report.remaining, extra)
    if not quiet:
        print(f"Fixed {report.fixed} of {report.total} diagnostics ({report.changed_files} {noun} changed).",
              file=report_stream if text_like else stderr)
    if report.errors or failures:
        return EXIT_ERROR
    return EXIT_FINDINGS if report.remaining and not exit_zero else EXIT_CLEAN


def run_fix_stdin(data: bytes, path: str, selection: CodeSelection, ignored_for: Callable[[str], list[str]], *,
                  unsafe: bool, diff: bool, output_format: str, source_out, report_stream: TextIO, stderr: TextIO,
                  quiet: bool = False, show_fixes: bool = False, statistics: bool = False,
                  exit_zero: bool = False, docs_url: str | None = None) -> int:
    """`check --fix -` / `--diff -`: fix standard input's bytes (`path` names it). --fix writes the whole source,
    fixed or not, to `source_out` (a binary stream: stdout, as ruff does) and the report to `report_stream` (stderr
    unless --output-file); --diff writes the diff to `report_stream`. Nothing is written to disk."""
    from tflint_vars.engine import check_source

    file_selection = selection.without(ignored_for(path))
    before = check_source(data, path, file_selection)  # one buffer: the count "Fixed N of M" needs is cheap
    result = fix_bytes(data, path, unsafe=unsafe, selection=file_selection)
    for diagnostic, why in result.dropped:
        print(f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}: {diagnostic.code} fix not applied: "
              f"{why}", file=stderr)
    report = FixReport(total=len(before), remaining=sorted(result.remaining))
    from tflint_vars.output import provide_source

    try:  # the report's source lines are those of the fixed text, never of a file that PATH may name on disk
        encoding = source_encoding(data)
        provide_source(path, result.data.decode(encoding))
    except (SyntaxError, UnicodeDecodeError, LookupError):
        provide_source(path, None)
    if result.changed:
        report.changed_files, report.fixed, report.applied = 1, len(result.fixed), list(result.fixed)
    if diff:
        if result.changed:
            report_stream.write(unified_diff(path, data.decode(encoding), result.data.decode(encoding)))
    else:
        source_out.write(result.data if result.changed else data)
        source_out.flush()
    return _finish(report, diff=diff, output_format=output_format, report_stream=report_stream, stderr=stderr,
                   quiet=quiet, show_fixes=show_fixes, statistics=statistics, exit_zero=exit_zero, failures=(),
                   docs_url=docs_url)
