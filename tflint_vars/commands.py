"""The `check` command's modes that change files: `--fix` / `--diff` and `--add-noqa`, with their reports (the
fixer in `tflint_vars.fixes` does the work; this face prints what happened and chooses the exit code)."""

from __future__ import annotations

import sys
from typing import Callable, Collection, Sequence, TextIO

from tflint_vars.diagnostics import CodeSelection, Diagnostic, working_on
from tflint_vars.engine import check_files, check_source
from tflint_vars.fixes.apply import (LINKED_IN_WALK, FixReport, WriteError, file_diff, fix_files, read_or_report,
                                     write_atomic)
from tflint_vars.fixes.fixer import fix_bytes
from tflint_vars.fixes.noqa import NoqaReport, add_noqa_to_bytes
from tflint_vars.output import FORMATS, provide_source, write_fix_status, write_fixed, write_statistics
from tflint_vars.sources import source_encoding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def run_fix(files: list[str], selection: CodeSelection, ignored_for: Callable[[str], list[str]], *, unsafe: bool,
            diff: bool, output_format: str, jobs: int | None, stdout: TextIO, stderr: TextIO,
            quiet: bool = False, show_fixes: bool = False, statistics: bool = False, exit_zero: bool = False,
            failures: Sequence[str] = (), named: Collection[str] | None = None, linked: Collection[str] = (),
            docs_url: str | None = None) -> int:
    """The `check --fix` / `--diff` command: exit 0 when nothing is left (no diff), 1 when diagnostics remain (or
    there is a diff), 2 when a file could not be read or written (or a named path, `failures`, could not be
    checked). `quiet` drops the closing lines, `exit_zero` turns 1 into 0."""
    report = fix_files(files, selection, ignored_for, unsafe=unsafe, diff=diff, jobs=jobs, stdout=stdout,
                       stderr=stderr, named=named, linked=linked)
    return _finish(report, diff=diff, output_format=output_format, report_stream=stdout, stderr=stderr, quiet=quiet,
                   show_fixes=show_fixes, statistics=statistics, exit_zero=exit_zero, failures=failures,
                   docs_url=docs_url)


def _finish(report: FixReport, *, diff: bool, output_format: str, report_stream: TextIO, stderr: TextIO,
            quiet: bool, show_fixes: bool, statistics: bool, exit_zero: bool, failures: Sequence[str],
            docs_url: str | None = None) -> int:
    noun = "file" if report.changed_files == 1 else "files"
    text_like = output_format in ("text", "full", "concise")
    # A fix may reveal a finding the first check could not see (after TFV001's fix, a constructor argument is a
    # weight's dimension, so TFV014 reports it), which a later pass fixes: those count among the diagnostics too.
    total = max(report.total, report.fixed + len(report.remaining))
    if diff:
        if not quiet:
            print(f"Would fix {report.fixed} of {total} diagnostics ({report.changed_files} {noun} would "
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
        print(f"Fixed {report.fixed} of {total} diagnostics ({report.changed_files} {noun} changed).",
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
    file_selection = selection.without(ignored_for(path))
    before = check_source(data, path, file_selection)  # one buffer: the count "Fixed N of M" needs is cheap
    result = fix_bytes(data, path, unsafe=unsafe, selection=file_selection)
    for diagnostic, why in result.dropped:
        print(f"{diagnostic.location}: {diagnostic.code} fix not applied: "
              f"{why}", file=stderr)
    report = FixReport(total=len(before), remaining=sorted(result.remaining))
    try:  # the report's source lines are those of the fixed text, never of a file that PATH may name on disk
        encoding = source_encoding(data)
        provide_source(path, result.data.decode(encoding))
    except (SyntaxError, UnicodeDecodeError, LookupError):
        provide_source(path, None)
    if result.changed:
        report.changed_files, report.fixed, report.applied = 1, len(result.fixed), list(result.fixed)
    if diff:
        if result.changed:
            report_stream.write(file_diff(path, data, result.data))
    else:
        source_out.write(result.data if result.changed else data)
        source_out.flush()
    return _finish(report, diff=diff, output_format=output_format, report_stream=report_stream, stderr=stderr,
                   quiet=quiet, show_fixes=show_fixes, statistics=statistics, exit_zero=exit_zero, failures=(),
                   docs_url=docs_url)


def run_add_noqa(files: list[str], selection: CodeSelection, ignored_for: Callable[[str], list[str]], *,
                 jobs: int | None, stderr: TextIO = sys.stderr, quiet: bool = False,
                 failures: int = 0, named: Collection[str] | None = None, linked: Collection[str] = ()) -> int:
    """The `check --add-noqa` command, as ruff's: "Added N noqa directives." on stderr, exit 0. Exit 1 when a
    finding could not be given a noqa (each is named), 2 when a file could not be read or written. A symlink is
    written through only when `named` (default: every file is); a file in `linked` (reached through a symlink in a
    directory walk) is never written."""
    diagnostics = check_files(files, selection, jobs)
    diagnostics = [d for d in diagnostics if not d.code.startswith(tuple(ignored_for(d.path)) or ("\0",))]
    by_path: dict[str, list[Diagnostic]] = {}
    for diagnostic in sorted(diagnostics):
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    report = NoqaReport()
    for path, found in by_path.items():
        if path in linked:
            report.skipped.extend((d, LINKED_IN_WALK) for d in found)
            continue
        data = read_or_report(path, stderr)
        if data is None:
            report.errors += 1
            continue
        try:
            with working_on(path):
                new_data, changed, skipped = add_noqa_to_bytes(data, path, found,
                                                               selection.without(ignored_for(path)))
        except (SyntaxError, UnicodeError, LookupError) as error:  # TFV000 files are skipped before; belt and braces
            report.skipped.extend((d, f"cannot decode the file: {error}") for d in found)
            continue
        report.skipped.extend(skipped)
        if not changed:
            continue
        try:
            write_atomic(path, new_data, data, follow_symlinks=named is None or path in named)
        except (OSError, WriteError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            print(f"tflint-vars: error: {path}: noqa not added, cannot write: {reason}", file=stderr)
            report.errors += 1
            continue
        report.added += changed
        report.files += 1
    for diagnostic, why in report.skipped:
        print(f"{diagnostic.location}: {diagnostic.code} noqa not added: {why}", file=stderr)
    if not quiet and report.added:
        noun = "directive" if report.added == 1 else "directives"
        print(f"Added {report.added} noqa {noun}.", file=stderr)
    if report.errors or failures:
        return EXIT_ERROR
    return EXIT_FINDINGS if report.skipped else EXIT_CLEAN
