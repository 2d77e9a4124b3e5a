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

import io
import re
import tokenize
from dataclasses import dataclass, field

from tflint_vars.diagnostics import NOQA, CodeSelection, Diagnostic, noqa_suppresses
from tflint_vars.engine import check_source
from tflint_vars.sources import Source, load_source

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+: f-strings are several tokens
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


NOT_SILENCEABLE = "TFV000 (unreadable or not fully checked) cannot be silenced with noqa"


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
            skipped.append((diagnostic, NOT_SILENCEABLE))
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
        if not all(noqa_suppresses(new_body, code) for code in codes):
            skipped.extend((d, "the line holds another `# noqa` (in a string?) that the check would read first")
                           for d in found)
            continue
        lines[number - 1] = new_body + ending
        changed += 1
    return "".join(lines), changed, skipped


def add_noqa_to_bytes(data: bytes, path: str, diagnostics: list[Diagnostic], selection: CodeSelection
                      ) -> tuple[bytes, int, list[tuple[Diagnostic, str]]]:
    """`add_noqa_to_text` on a file's module (a notebook's code cells: the comment goes into the cell's source),
    written back as the fixer writes (encoding, BOM, the notebook's JSON otherwise unchanged). The result is
    re-checked: if it would not parse, or a finding it was meant to silence is still reported, nothing changes and
    every finding is skipped."""
    source = load_source(data, path)
    if not isinstance(source, Source):
        return data, 0, [(d, "the file cannot be read as Python") for d in diagnostics]
    located = {}
    for diagnostic in diagnostics:
        in_module = source.to_module(diagnostic)
        if in_module is not None:
            located[in_module] = diagnostic
    new_text, changed, skipped_in_module = add_noqa_to_text(source.text, list(located))
    skipped = [(located[d], why) for d, why in skipped_in_module]
    skipped += [(d, NOT_SILENCEABLE if d.code == "TFV000" else "its line is not in the checked code")
                for d in diagnostics if d not in located.values()]  # a notebook's cell that does not parse
    if not changed:
        return data, 0, skipped
    fixed = source.with_text(new_text)
    if isinstance(fixed, str):
        return data, 0, [(d, f"{fixed}; nothing written") for d in diagnostics]
    if isinstance(fixed.parse(), Diagnostic):
        return data, 0, [(d, "the result would not parse; nothing written") for d in diagnostics]
    skipped_keys = {(d.line, d.column, d.code, d.cell) for d, _ in skipped}
    still = {(d.line, d.column, d.code, d.cell) for d in check_source(fixed.data, path, selection)}
    meant = {(d.line, d.column, d.code, d.cell) for d in diagnostics} - skipped_keys
    if still & meant:
        return data, 0, [(d, "the added noqa would not silence it; nothing written") for d in diagnostics]
    return fixed.data, changed, skipped


__all__ = ["NoqaReport", "add_noqa_to_bytes", "add_noqa_to_text"]
