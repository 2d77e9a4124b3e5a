"""`tflint-vars check --add-noqa`: freeze today's findings by adding `# noqa: TFVnnn` to the line of each one.

The comment goes where the engine's noqa check reads it: the physical line a finding is reported on (the line its
node starts on). An existing `# noqa: X` comment on that line gets the new codes appended, keeping its own. A line
whose end lies inside a string (a multi-line string, or an f-string spanning lines) or that continues with a
backslash cannot take a comment there without changing the code, so its findings are reported and left alone, as
are TFV000's (a file that cannot be parsed or checked; `# noqa` does not silence it).

Every rewritten file keeps its encoding, BOM and line endings, is re-parsed and re-checked before it is written
(the added codes must silence exactly the findings they were added for), and is written atomically (apply.py's
`write_atomic`). A second run finds nothing to add.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from dataclasses import dataclass, field
from typing import Callable, TextIO

from tflint_vars.diagnostics import Diagnostic
from tflint_vars.engine import NOQA, CodeSelection, _noqa_suppresses, check_files, check_source

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+: f-strings are several tokens
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass
class NoqaReport:
    added: int = 0  # noqa directives written (one per line, whatever the number of codes on it)
    files: int = 0
    skipped: list[tuple[Diagnostic, str]] = field(default_factory=list)  # findings left alone, and why
    errors: int = 0


def _commentable_lines(text: str) -> tuple[set[int], dict[int, str], dict[int, tuple[int, str]]]:
    """Which lines can take a comment at their end: (lines that end in code or a comment, lines that cannot and
    why, the comment token of each line as (column, text)). Lines are numbered as ast numbers them."""
    ends: set[int] = set()
    blocked: dict[int, str] = {}
    comments: dict[int, tuple[int, str]] = {}
    fstring_depth = 0
    previous_end = 1
    # newline=None: \r and \r\n become \n on reading, so token rows count lines as ast does.
    for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
        start_row, end_row = token.start[0], token.end[0]
        if fstring_depth:  # between two tokens of an f-string that spans lines
            for row in range(previous_end, start_row):
                blocked.setdefault(row, "the line ends inside an f-string")
        if token.type == _FSTRING_START:
            fstring_depth += 1
        elif token.type == _FSTRING_END:
            fstring_depth -= 1
        if end_row > start_row and token.type not in (tokenize.NEWLINE, tokenize.NL):
            for row in range(start_row, end_row):
                blocked.setdefault(row, "the line ends inside a multi-line string")
        if token.type in (tokenize.NEWLINE, tokenize.NL) and not fstring_depth:
            ends.add(start_row)
        elif token.type == tokenize.COMMENT:
            comments[start_row] = (token.start[1], token.string)
            ends.add(start_row)
        previous_end = end_row
    return ends - set(blocked), blocked, comments


def _merge_codes(comment: str, codes: list[str]) -> str | None:
    """`comment` (a `# ...` token) with `codes` added to its `# noqa: X` list, or None when it has none."""
    match = NOQA.search(comment)
    if match is None or match.group("codes") is None:
        return None
    listed = match.group("codes")
    existing = [c for c in re.split(r"[,\s]+", listed.strip()) if c]
    new = existing + [c for c in codes if c not in existing]
    trailing = listed[len(listed.rstrip()):]
    start, end = match.span("codes")
    return comment[:start] + ", ".join(new) + trailing + comment[end:]


def add_noqa_to_text(text: str, diagnostics: list[Diagnostic]) -> tuple[str, int, list[tuple[Diagnostic, str]]]:
    """The text with `# noqa: CODES` on the line of each diagnostic, the number of lines changed, and the
    diagnostics that could not be given one (with why)."""
    skipped: list[tuple[Diagnostic, str]] = []
    by_line: dict[int, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code == "TFV000":
            skipped.append((diagnostic, "TFV000 (unreadable or not fully checked) cannot be silenced with noqa"))
        elif diagnostic.code == "TFV100":
            skipped.append((diagnostic, "an unused `noqa` directive is removed with `--fix`, not silenced"))
        else:
            by_line.setdefault(diagnostic.line, []).append(diagnostic)
    if not by_line:
        return text, 0, skipped
    try:
        commentable, blocked, comments = _commentable_lines(text)
    except (tokenize.TokenError, SyntaxError) as error:
        skipped.extend((d, f"cannot tokenize the file: {error}") for found in by_line.values() for d in found)
        return text, 0, skipped
    lines = _LINE.findall(text)
    changed = 0
    for number, found in sorted(by_line.items()):
        codes = sorted({d.code for d in found})
        if number not in commentable or number > len(lines):
            why = blocked.get(number, "the line continues with a backslash")
            skipped.extend((d, why) for d in found)
            continue
        line = lines[number - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        if number in comments:
            column, comment = comments[number]
            merged = _merge_codes(comment, codes)
            if merged is not None:
                new_body = body[:column] + merged + body[column + len(comment):]
            else:
                new_body = body.rstrip(" \t") + "  # noqa: " + ", ".join(codes)
        else:
            new_body = body.rstrip(" \t") + "  # noqa: " + ", ".join(codes)
        # The engine reads the first noqa comment on the line: one inside a string would still win.
        if not all(_noqa_suppresses(new_body, code) for code in codes):
            skipped.extend((d, "the line holds another `# noqa` (in a string?) that the check would read first")
                           for d in found)
            continue
        lines[number - 1] = new_body + ending
        changed += 1
    return "".join(lines), changed, skipped


def add_noqa_to_bytes(data: bytes, path: str, diagnostics: list[Diagnostic], selection: CodeSelection
                      ) -> tuple[bytes, int, list[tuple[Diagnostic, str]]]:
    """`add_noqa_to_text` on a file's bytes, keeping its encoding and BOM. The result is re-checked: if it would not
    parse, or a finding it was meant to silence is still reported, nothing changes and every finding is skipped."""
    from tflint_vars.fixes import source_encoding

    encoding = source_encoding(data)
    text = data.decode(encoding)
    new_text, changed, skipped = add_noqa_to_text(text, diagnostics)
    if not changed:
        return data, 0, skipped
    new_data = new_text.encode(encoding)
    try:
        ast.parse(new_data, path)  # parse only, never run
    except (SyntaxError, ValueError) as error:
        return data, 0, [(d, f"the result would not parse ({error}); nothing written") for d in diagnostics]
    skipped_keys = {(d.line, d.column, d.code) for d, _ in skipped}
    still = {(d.line, d.column, d.code) for d in check_source(new_data, path, selection)}
    meant = {(d.line, d.column, d.code) for d in diagnostics} - skipped_keys
    if still & meant:
        return data, 0, [(d, "the added noqa would not silence it; nothing written") for d in diagnostics]
    return new_data, changed, skipped


def run_add_noqa(files: list[str], selection: CodeSelection, ignored_for: Callable[[str], list[str]], *,
                 jobs: int | None, stderr: TextIO = sys.stderr, quiet: bool = False,
                 failures: int = 0) -> int:
    """The `check --add-noqa` command, as ruff's: "Added N noqa directives." on stderr, exit 0. Exit 1 when a
    finding could not be given a noqa (each is named), 2 when a file could not be read or written."""
    from tflint_vars.fixes.apply import WriteError, write_atomic

    diagnostics = check_files(files, selection, jobs)
    diagnostics = [d for d in diagnostics if not d.code.startswith(tuple(ignored_for(d.path)) or ("\0",))]
    by_path: dict[str, list[Diagnostic]] = {}
    for diagnostic in sorted(diagnostics):
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    report = NoqaReport()
    for path, found in by_path.items():
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            print(f"tflint-vars: error: {path}: cannot read: {error.strerror or error}", file=stderr)
            report.errors += 1
            continue
        try:
            new_data, changed, skipped = add_noqa_to_bytes(data, path, found, selection.without(ignored_for(path)))
        except (SyntaxError, UnicodeError, LookupError) as error:  # TFV000 files are skipped before; belt and braces
            report.skipped.extend((d, f"cannot decode the file: {error}") for d in found)
            continue
        report.skipped.extend(skipped)
        if not changed:
            continue
        try:
            write_atomic(path, new_data, data)
        except (OSError, WriteError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            print(f"tflint-vars: error: {path}: noqa not added, cannot write: {reason}", file=stderr)
            report.errors += 1
            continue
        report.added += changed
        report.files += 1
    for diagnostic, why in report.skipped:
        print(f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}: {diagnostic.code} noqa not added: {why}",
              file=stderr)
    if not quiet and report.added:
        noun = "directive" if report.added == 1 else "directives"
        print(f"Added {report.added} noqa {noun}.", file=stderr)
    if report.errors or failures:
        return EXIT_ERROR
    return EXIT_FINDINGS if report.skipped else EXIT_CLEAN


__all__ = ["add_noqa_to_bytes", "add_noqa_to_text", "run_add_noqa"]
