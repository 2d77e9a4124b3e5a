"""Output formats for `tflint-vars check`. Each takes the diagnostics and the stream.

text (default, like ruff's `full`): the diagnostic line, the source line with a caret under the column, a blank line;
concise: one line per diagnostic; json; sarif (SARIF 2.1.0, for GitHub code scanning); github (workflow commands that
GitHub Actions shows as annotations)."""

from __future__ import annotations

import difflib
import io
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Callable, Sequence, TextIO
from urllib.parse import quote

from tflint_vars import __version__
from tflint_vars.diagnostics import SAFE, UNSAFE, Diagnostic
from tflint_vars.docs import rule_help_uri, rule_section
from tflint_vars.codes import RULE_NAMES

# Python's own line ends (the tokenizer's): str.splitlines() also splits on \f, \v, \x1c.. and would shift lines.
LINE_END = re.compile(r"\r\n|\r|\n")


def summary(diagnostics: list[Diagnostic], failures: Sequence[str] = ()) -> str:
    """The closing line. `failures`: paths that could not be checked (the run exits 2), so never "All checks
    passed!" then."""
    if failures:
        noun = "path" if len(failures) == 1 else "paths"
        found = summary(diagnostics) if diagnostics else "No diagnostics in the files checked."
        return f"{found} {len(failures)} {noun} could not be checked (see the errors above)."
    if not diagnostics:
        return "All checks passed!"
    fixable = sum(1 for d in diagnostics if d.fix == SAFE)
    unsafe = sum(1 for d in diagnostics if d.fix == UNSAFE)
    noun = "diagnostic" if len(diagnostics) == 1 else "diagnostics"
    text = f"Found {len(diagnostics)} {noun}"
    parts = []
    if fixable:
        parts.append(f"{fixable} fixable with `--fix`")
    if unsafe:
        parts.append(f"{unsafe} more with `--unsafe-fixes`")
    return text + (f" ({', '.join(parts)})." if parts else ".")


def write_concise(diagnostics: list[Diagnostic], stream: TextIO, *, failures: Sequence[str] = (),
                  quiet: bool = False, docs_url: str | None = None) -> None:
    for diagnostic in diagnostics:
        stream.write(diagnostic.format_text() + "\n")
    if not quiet:
        stream.write(summary(diagnostics, failures) + "\n")


# --- text (full) -------------------------------------------------------------------------------------------------

class ReportBuffer(io.StringIO):
    """A report gathered before it is written (cli: so that a write that fails is one clear error), coloured as the
    stream it will be written to: `tty` says whether that is a terminal."""

    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def use_colour(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """CPython's rule (Lib/_colorize.py): NO_COLOR wins, then FORCE_COLOR, then TERM=dumb, then whether it is a TTY.
    Both variables count only when set to a non-empty value (no-color.org, force-color.org)."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class _Style:
    def __init__(self, colour: bool):
        self.colour = colour

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def code(self, text: str) -> str:
        return self._wrap("1;31", text)

    def caret(self, text: str) -> str:
        return self._wrap("1;31", text)

    def gutter(self, text: str) -> str:
        return self._wrap("1;34", text)


# Sources that are not read from their path: `check -` registers standard input's text under its display name.
PROVIDED_SOURCES: dict[str, str | None] = {}


def provide_source(path: str, text: str | None) -> None:
    """Show `text` as the source of `path` (None: no source lines) instead of reading the file."""
    PROVIDED_SOURCES[path] = text


class SourceLines:
    """Each file's text and lines, read once and decoded as Python decodes it; None when it cannot be read or
    decoded."""

    def __init__(self):
        self._cache: dict[str, str | None] = {}
        self._lines: dict[str | tuple[str, int], list[str]] = {}  # a path, or (a notebook's path, cell)
        self._positions: dict[tuple[str, str], object] = {}  # a notebook's JsonPositions

    def text(self, path: str) -> str | None:
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def cell_line(self, path: str, cell: int, number: int) -> str | None:
        """Line `number` of a notebook's code cell `cell` (both 1-based), as the notebook holds it."""
        if (path, cell) not in self._lines:
            from tflint_vars.sources import read_file
            from tflint_vars.notebook import cell_sources

            if path in PROVIDED_SOURCES:  # standard input, named by --stdin-filename: the file on disk may differ
                provided = PROVIDED_SOURCES[path]
                sources = cell_sources(provided.encode("utf-8")) if provided is not None else {}
            else:
                try:
                    sources = cell_sources(read_file(path))
                except OSError:
                    sources = {}
            for index, source in sources.items():
                self._lines[(path, index)] = LINE_END.split(source)
            self._lines.setdefault((path, cell), [])
        lines = self._lines[(path, cell)]
        return lines[number - 1] if 1 <= number <= len(lines) else None

    def notebook_position(self, diagnostic: Diagnostic) -> tuple[int, int] | None:
        """Where a notebook diagnostic's cell line lies in the notebook's own JSON text (line, column), as GitHub
        reads a location in an `.ipynb`; None when the file cannot be read or the cell line is not there."""
        from tflint_vars.notebook import JsonPositions

        text = self.text(diagnostic.path)
        if text is None:
            return None
        if (diagnostic.path, "json") not in self._positions:
            self._positions[(diagnostic.path, "json")] = JsonPositions(text)
        return self._positions[(diagnostic.path, "json")].locate(diagnostic.cell, diagnostic.line, diagnostic.column)

    def source_line(self, diagnostic: Diagnostic) -> str | None:
        if diagnostic.cell is not None:
            return self.cell_line(diagnostic.path, diagnostic.cell, diagnostic.line)
        return self.line(diagnostic.path, diagnostic.line)

    def line(self, path: str, number: int) -> str | None:
        text = self.text(path)
        if text is None:
            return None
        if path not in self._lines:
            self._lines[path] = LINE_END.split(text)
        lines = self._lines[path]
        return lines[number - 1] if 1 <= number <= len(lines) else None

    @staticmethod
    def _read(path: str) -> str | None:
        from tflint_vars.sources import decode_source, read_file

        if path in PROVIDED_SOURCES:  # standard input, named by --stdin-filename: the file on disk may differ
            return PROVIDED_SOURCES[path]
        try:
            return decode_source(read_file(path))  # read_file: a FIFO is not opened for a blocking read
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
            return None


def display_width(text: str) -> int:
    """Terminal cells: East Asian wide characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _printable(text: str) -> str:
    """The source line as it should appear on a terminal: tabs expanded, other control characters made visible,
    so a stray escape byte in a file cannot drive the terminal."""
    text = text.expandtabs(8)
    return "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in text)


def write_text(diagnostics: list[Diagnostic], stream: TextIO, *, failures: Sequence[str] = (),
               quiet: bool = False, docs_url: str | None = None) -> None:
    style = _Style(use_colour(stream))
    sources = SourceLines()
    for diagnostic in diagnostics:
        cell = f"cell {diagnostic.cell}:" if diagnostic.cell is not None else ""
        location = f"{style.bold(diagnostic.path)}:{cell}{diagnostic.line}:{diagnostic.column}:"
        stream.write(f"{location} {style.code(diagnostic.code)} {diagnostic.message}\n")
        source = sources.source_line(diagnostic)
        if source is not None:
            number = str(diagnostic.line)
            blank = " " * len(number)
            prefix = _printable(source[:diagnostic.column - 1])
            stream.write(f"{style.gutter(f'{number} |')} {_printable(source)}\n")
            stream.write(f"{style.gutter(f'{blank} |')} {' ' * display_width(prefix)}{style.caret('^')}\n")
        stream.write("\n")
    if not quiet:
        stream.write(style.bold(summary(diagnostics, failures)) + "\n")


# --- json --------------------------------------------------------------------------------------------------------

def write_json(diagnostics: list[Diagnostic], stream: TextIO, *, failures: Sequence[str] = (),
               quiet: bool = False, docs_url: str | None = None) -> None:
    """A list of diagnostics; `failures` go to stderr only, so the output stays a valid list."""
    json.dump([d.to_json() for d in diagnostics], stream, indent=2)
    stream.write("\n")


# --- shared by sarif and github: paths relative to the working directory (the repository root in CI) ---------------

def _relative(path: str, base: str) -> str | None:
    """`path` relative to `base` in POSIX form, or None when it lies outside."""
    relative = os.path.relpath(os.path.abspath(path), base)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
        return None
    return Path(relative).as_posix()


# --- sarif -------------------------------------------------------------------------------------------------------

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FIX_DESCRIPTIONS = {
    SAFE: "Safe fix: `tflint-vars check --fix`.",
    UNSAFE: "Unsafe fix (review it): `tflint-vars check --fix --unsafe-fixes`.",
}


def sarif_fix_properties(diagnostic: Diagnostic) -> dict:
    """The fix's fields in a result's property bag: its applicability (ruff's word), title and reason."""
    properties = {"applicability": diagnostic.applicability}
    if diagnostic.fix:
        properties["fix"] = diagnostic.fix
    if diagnostic.fix_title:
        properties["fixTitle"] = diagnostic.fix_title
    if diagnostic.fix_reason:
        properties["fixReason"] = diagnostic.fix_reason
    return properties


def sarif_rule(rule, docs_url: str | None = None) -> dict:
    documentation = rule.documentation()
    descriptor = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": rule_section(rule, "What it does") or rule.summary()},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": "error"},
        "properties": {"fix": rule.fix or "none"},
    }
    if docs_url:
        descriptor["helpUri"] = rule_help_uri(rule, docs_url)
    return descriptor


def _artifact_location(path: str, base: str) -> dict:
    relative = _relative(path, base)
    if relative is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


_KEEPENDS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _line_regions(before: str, after: str) -> list[dict]:
    """SARIF replacements turning `before` into `after`, whole lines at a time. A deleted region runs from column 1
    of its first line to column 1 of the line after its last (end columns are exclusive), so it takes the line ends
    with it; an insertion is an empty region."""
    old, new = _KEEPENDS.findall(before), _KEEPENDS.findall(after)

    def start_of(index: int) -> tuple[int, int]:
        """(line, column) where old line `index` (0-based) starts; past the last line, the end of the text."""
        if index < len(old) or not old or old[-1].endswith(("\n", "\r")):
            return index + 1, 1
        return len(old), len(old[-1]) + 1  # the last line has no line end: its end

    replacements = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        (start_line, start_column), (end_line, end_column) = start_of(i1), start_of(i2)
        replacements.append({
            "deletedRegion": {"startLine": start_line, "startColumn": start_column,
                              "endLine": end_line, "endColumn": end_column},
            "insertedContent": {"text": "".join(new[j1:j2])},
        })
    return replacements


def sarif_fix(diagnostic: Diagnostic, text: str | None, physical_location: dict) -> dict | None:
    """This one diagnostic's fix as a SARIF `fix`, or None when it cannot be applied on its own (the schema
    requires the changes, so a fix is never described without them)."""
    if text is None:
        return None
    if diagnostic.cell is not None:  # a notebook: the change to its JSON text, which is the artifact
        from tflint_vars.fixes.fixer import fix_one

        fixed_data = fix_one(text.encode("utf-8"), diagnostic.path, diagnostic)
        fixed_text, fixed = (fixed_data.decode("utf-8"), [diagnostic]) if fixed_data is not None else (text, [])
    else:
        from tflint_vars.fixes.transform import fix_text_once  # libcst: loaded only when a fix is to be described

        fixed_text, fixed, _ = fix_text_once(text, diagnostic.path, [diagnostic])
    if not fixed or fixed_text == text:
        return None
    title = f"{diagnostic.fix_title}. " if diagnostic.fix_title else ""
    return {
        "description": {"text": title + FIX_DESCRIPTIONS[diagnostic.fix]},
        "artifactChanges": [{
            "artifactLocation": dict(physical_location["artifactLocation"]),
            "replacements": _line_regions(text, fixed_text),
        }],
    }


def sarif_log(diagnostics: list[Diagnostic], base: str | None = None, failures: Sequence[str] = (),
              docs_url: str | None = None) -> dict:
    """A SARIF 2.1.0 log: one run, every rule in the driver, one result per diagnostic. Columns count Unicode code
    points, as the diagnostics do (SARIF's default would be UTF-16 code units). Each rule's documentation is in its
    descriptor; `docs_url` (the `docs-url` setting) adds links to it, `helpUri`, and `informationUri`: without it the
    log carries no link, since a file URI on the machine that ran the check would not resolve where it is read."""
    base = os.path.abspath(base or os.getcwd())
    from tflint_vars.rules.registry import ALL_RULES  # each rule's documentation goes into the log

    rule_index = {rule.code: index for index, rule in enumerate(ALL_RULES)}
    sources = SourceLines()
    results = []
    for diagnostic in diagnostics:
        result = {
            "ruleId": diagnostic.code,
            "ruleIndex": rule_index[diagnostic.code],
            "level": "error",
            "message": {"text": diagnostic.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": _artifact_location(diagnostic.path, base),
                    "region": {"startLine": diagnostic.line, "startColumn": diagnostic.column},
                },
            }],
        }
        if diagnostic.cell is not None:
            # A notebook: GitHub reads the region as lines of the .ipynb file itself, so it points at the cell's
            # line in the notebook's JSON (no region when that cannot be found: the whole file). The cell and the
            # line and column in it are in the location's property bag, its message and a logical location.
            location = result["locations"][0]
            position = sources.notebook_position(diagnostic)
            if position is None:
                del location["physicalLocation"]["region"]
            else:
                location["physicalLocation"]["region"] = {"startLine": position[0], "startColumn": position[1]}
            location["properties"] = {"cell": diagnostic.cell, "cellLine": diagnostic.line,
                                      "cellColumn": diagnostic.column}
            location["logicalLocations"] = [{"name": f"cell {diagnostic.cell}"}]
            location["message"] = {"text": f"cell {diagnostic.cell}, line {diagnostic.line}, column "
                                           f"{diagnostic.column}"}
        result["properties"] = sarif_fix_properties(diagnostic)
        if diagnostic.fix:
            try:
                fix = sarif_fix(diagnostic, sources.text(diagnostic.path), result["locations"][0]["physicalLocation"])
            except Exception as error:  # a fixer's bug must not cost the whole report; it is named in the result
                result["properties"]["fixError"] = f"{type(error).__name__}: {error}"
            else:
                if fix is not None:
                    result["fixes"] = [fix]
        results.append(result)
    run: dict = {}
    if failures:  # paths that could not be checked: the run did not succeed, whatever the results say
        run["invocations"] = [{
            "executionSuccessful": False,
            "toolExecutionNotifications": [{"level": "error", "message": {"text": failure}} for failure in failures],
        }]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tflint-vars",
                "version": __version__,
                "semanticVersion": __version__,
                **({"informationUri": docs_url} if docs_url else {}),
                "rules": [sarif_rule(rule, docs_url) for rule in ALL_RULES],
            }},
            "originalUriBaseIds": {SRCROOT: {"uri": Path(base).as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
            **run,
        }],
    }


def write_sarif(diagnostics: list[Diagnostic], stream: TextIO, *, failures: Sequence[str] = (),
                quiet: bool = False, docs_url: str | None = None) -> None:
    json.dump(sarif_log(diagnostics, failures=failures, docs_url=docs_url), stream, indent=2)
    stream.write("\n")


# --- github ------------------------------------------------------------------------------------------------------

def escape_data(text: str) -> str:
    """A workflow command's message (actions/toolkit, command.ts escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (actions/toolkit, command.ts escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(diagnostic: Diagnostic, base: str | None = None, sources: SourceLines | None = None) -> str:
    base = os.path.abspath(base or os.getcwd())
    path = _relative(diagnostic.path, base) or diagnostic.path
    properties = {"file": path, "line": diagnostic.line, "col": diagnostic.column, "title": diagnostic.code}
    message = diagnostic.message
    if diagnostic.cell is not None:
        # A notebook: GitHub puts line N of the .ipynb file, its JSON: the annotation goes on the JSON line that
        # holds the cell's line (on the file when it cannot be found); the cell, line and column in its text.
        position = (sources or SourceLines()).notebook_position(diagnostic)
        where = {"line": position[0], "col": position[1]} if position else {}
        properties = {"file": path, **where, "title": f"{diagnostic.code} (cell {diagnostic.cell}:{diagnostic.line}:"
                                                      f"{diagnostic.column})"}
        message = f"cell {diagnostic.cell}, line {diagnostic.line}, column {diagnostic.column}: {message}"
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::error {rendered}::{escape_data(message)}"


def write_github(diagnostics: list[Diagnostic], stream: TextIO, *, failures: Sequence[str] = (),
                 quiet: bool = False, docs_url: str | None = None) -> None:
    sources = SourceLines()
    for diagnostic in diagnostics:
        stream.write(github_command(diagnostic, sources=sources) + "\n")
    for failure in failures:  # an annotation too: a path that could not be checked fails the job
        stream.write(f"::error title=tflint-vars::{escape_data(failure)}\n")


FORMATS: dict[str, Callable[..., None]] = {  # (diagnostics, stream, *, failures=(), quiet=False)
    "text": write_text,
    "full": write_text,  # ruff's name for the same format
    "concise": write_concise,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
}


# --- --statistics and --show-fixes ---------------------------------------------------------------------------------

def statistics(diagnostics: list[Diagnostic]) -> list[dict]:
    """Counts per code, most frequent first (ruff's `--statistics`): code, rule name, count, and how many have a safe
    fix (`fixable` when any has)."""
    counts: dict[str, list[int]] = {}
    for diagnostic in diagnostics:
        count = counts.setdefault(diagnostic.code, [0, 0])
        count[0] += 1
        count[1] += diagnostic.fix == SAFE
    rows = [{"code": code, "name": RULE_NAMES.get(code, ""), "count": total,
             "fixable": safe > 0, "fixable_count": safe} for code, (total, safe) in counts.items()]
    return sorted(rows, key=lambda row: (-row["count"], row["code"]))


def write_statistics(diagnostics: list[Diagnostic], stream: TextIO, output_format: str, *,
                     failures: Sequence[str] = (), quiet: bool = False) -> None:
    """`--statistics`: one row per code instead of one per diagnostic; a JSON list with `--output-format json`."""
    rows = statistics(diagnostics)
    if output_format == "json":
        json.dump(rows, stream, indent=2)
        stream.write("\n")
        return
    count_width = max((len(str(row["count"])) for row in rows), default=1)
    code_width = max((len(row["code"]) for row in rows), default=1)
    any_fixable = any(row["fixable"] for row in rows)
    for row in rows:
        marker = ("[*] " if row["fixable"] else "[ ] ") if any_fixable else ""
        stream.write(f"{row['count']:>{count_width}}\t{row['code']:<{code_width}}\t{marker}{row['name']}\n")
    if not quiet:
        stream.write(summary(diagnostics, failures) + "\n")


def fix_status(diagnostic: Diagnostic) -> str:
    """The fix a diagnostic has, and why it is unsafe or absent: `--show-fixes` prints it beside each finding that
    `--fix` leaves. Without a reason of its own, the first sentence of the rule's "Fix safety" section."""
    from tflint_vars.rules.registry import RULES_BY_CODE

    title = f" ({diagnostic.fix_title})" if diagnostic.fix_title else ""
    if diagnostic.fix == SAFE:
        return f"safe fix{title}: `--fix` applies it"
    reason = diagnostic.fix_reason
    rule = RULES_BY_CODE.get(diagnostic.code)
    if reason is None and diagnostic.fix is None and rule is not None and rule.fix is not None:
        # The rule fixes other findings: its generic text would describe those, not why this one has none.
        return f"no fix here{title} (`tflint-vars rule {diagnostic.code}` says when there is one)"
    if reason is None:
        # Its leading "Unsafe:" / "No fix:" goes: the status says that already; `tflint-vars rule CODE` has the rest.
        safety = re.sub(r"^(Unsafe|No fix)[.:]\s*", "", rule_section(rule, "Fix safety") if rule else "")
        reason = re.split(r"(?<=[.])\s", safety, maxsplit=1)[0]
    if diagnostic.fix == UNSAFE:
        return f"unsafe fix{title}, applied only with `--unsafe-fixes`: {reason}".rstrip(": ")
    return f"no fix{title}: {reason}".rstrip(": ")


def write_fix_status(diagnostics: list[Diagnostic], stream: TextIO) -> None:
    """`--show-fixes` without `--fix`, or what `--fix` left: for each finding, whether a fix exists and why not."""
    if not diagnostics:
        return
    stream.write("\nFixes:\n")
    for diagnostic in diagnostics:
        stream.write(f"  {diagnostic.location}: {diagnostic.code} "
                     f"{fix_status(diagnostic)}\n")


def write_fixed(fixed: list[Diagnostic], stream: TextIO) -> None:
    """`--show-fixes` with `--fix`: the fixes applied, per file and code (ruff's layout)."""
    if not fixed:
        return
    noun = "diagnostic" if len(fixed) == 1 else "diagnostics"
    stream.write(f"\nFixed {len(fixed)} {noun}:\n")
    by_path: dict[str, dict[str, int]] = {}
    for diagnostic in fixed:
        codes = by_path.setdefault(diagnostic.path, {})
        codes[diagnostic.code] = codes.get(diagnostic.code, 0) + 1
    for path in sorted(by_path):
        stream.write(f"- {path}:\n")
        for code, count in sorted(by_path[path].items()):
            name = RULE_NAMES.get(code, "")
            stream.write(f"    {count} \u00d7 {code} ({name})\n")
