"""Jupyter notebooks (`.ipynb`) translated into one module and back, as ruff reads them: the code cells only,
IPython escapes skipped, every location given as (cell, line in the cell). `tflint_vars.sources` uses this module
once per notebook; nothing above the sources layer knows notebooks exist.

The code cells are joined into one module, in order, each after a marker comment line (`# tflint-vars cell N`,
N = the cell's 1-based index among all the notebook's cells, as ruff and VS Code count). The markers give the map
from a line of the module to (cell, line in cell), and they survive libcst's rewrites, so the fixed module is split
back into cells at them: every edit of a fix lands between two markers, i.e. inside one cell. An import a fix adds
goes where it goes in a `.py` file, after the leading import block, so into the cell where that block ends (the first
code cell when the notebook does not start with imports): before any cell that uses it.

IPython escapes are not Python. A line that starts a logical line (not inside brackets, a string or after a `\\`,
as IPython decides) and starts with `%`, `!` or `?`, assigns one (`files = !ls`), or asks for help (`obj?`, `obj??`)
is replaced, with its `\\`-continued lines, by a `pass` statement at its indentation that names the line
(`pass  # tflint-vars magic 3`): the line numbers stay, and the fixed module's placeholders are turned back into the
original lines. A cell whose first line is a cell magic
that does not run its body as Python (`%%bash`, `%%writefile`, ...) is skipped entirely; `%%time`, `%%timeit`,
`%%capture` and the like run Python, so only their first line is replaced. Raw and markdown cells are never read.
A cell indented as a whole is dedented as IPython does (its first line's indentation, removed from every line that
has it) and re-indented when written back. A cell that does not parse is left out of the module and reported as
TFV000 at that cell; the other cells are still checked and fixed.

Writing back keeps everything but the changed code cells' `source`: outputs, metadata, cell ids, key order, and the
JSON formatting, which must round-trip exactly (Jupyter's indent 1, `ensure_ascii=False`, trailing newline, or any of
the common variants); a notebook whose formatting cannot be reproduced is not rewritten, and the reason is given.
"""

from __future__ import annotations

import ast
import bisect
import copy
import dataclasses
import difflib
import json
import os
import re
from dataclasses import dataclass, field

from tflint_vars.diagnostics import Diagnostic

MARKER = "# tflint-vars cell {}"
MARKER_LINE = re.compile(r"# tflint-vars cell (\d+)")
PLACEHOLDER = "pass  # tflint-vars magic {}"
PLACEHOLDER_LINE = re.compile(r"([ \t]*)pass  # tflint-vars magic (\d+)")

# Cell magics whose body is Python that IPython runs (ruff's list): the cell is checked without its first line.
PYTHON_CELL_MAGICS = frozenset({"capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit"})

# A line that IPython rewrites before Python sees it: %magic, !shell, ?help, `x = !cmd` / `x = %magic`, `obj?`.
ESCAPE_LINE = re.compile(r"[ \t]*(?:[%!?]|[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*[ \t]*=[ \t]*[%!])")
HELP_LINE = re.compile(r"[ \t]*[A-Za-z_][\w.]*(?:\(\))?\?{1,2}[ \t]*")
ANY_ESCAPE = re.compile(rf"^(?:{ESCAPE_LINE.pattern}|{HELP_LINE.pattern}$)", re.MULTILINE)  # one scan of a cell

LINE = re.compile(r"[^\n]*\n|[^\n]+$")
LINE_END = re.compile(r"\r\n|\r|\n")


class NotNotebook(ValueError):
    """The bytes are not a notebook this module can check; the message says why, for TFV000."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class CodeCell:
    index: int  # 0-based, among all cells
    source: str  # as in the notebook, joined
    as_list: bool  # the notebook stores it as a list of lines (nbformat's own writer does)
    checked: str  # the text joined into the module: escapes replaced, ending with a line end when not empty
    indent: str = ""  # the whole cell's leading indentation, which IPython removes before running it


@dataclass
class Notebook:
    document: dict
    cells: list[CodeCell]  # the code cells in the module (not: other-language cell magics, cells that do not parse)
    magics: dict[int, str] = field(default_factory=dict)  # placeholder number -> the original line
    text: str = ""  # the module: each checked cell after its marker
    tree: ast.Module | None = None  # the module's tree (None when even the parsable cells do not parse together)
    broken: list[tuple[int, int, int, str]] = field(default_factory=list)  # (cell, line, column, why) not parsed
    marker: str = MARKER  # a cell that holds a marker line itself gets the notebook another one (_marker_for)

    @property
    def marker_line(self) -> re.Pattern:
        return MARKER_LINE if self.marker == MARKER else re.compile(re.escape(self.marker).replace(r"\{\}", r"(\d+)"))

    def indent_of(self, cell_number: int) -> int:
        return next((len(c.indent) for c in self.cells if c.index + 1 == cell_number), 0)


def _source(cell: dict, index: int) -> tuple[str, bool]:
    source = cell.get("source", "")
    if isinstance(source, str):
        return source, False
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source), True
    raise NotNotebook(f"not a valid notebook: cell {index + 1}'s source is neither a string nor a list of strings")


class _LogicalLines:
    """Follows brackets, strings and `\\` continuations line by line, to tell whether a line starts a logical line:
    only there is `%`, `!` or `?` an IPython escape (`    % 7)` inside brackets, or a line in a docstring, is not)."""

    def __init__(self):
        self.depth = 0
        self.quote: str | None = None  # the open string's delimiter
        self.continued = False

    @property
    def at_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        self.continued = False
        index, end = 0, len(line)
        while index < end:
            char = line[index]
            if self.quote is not None:
                if char == "\\":
                    index += 2
                    continue
                if line.startswith(self.quote, index):
                    index += len(self.quote)
                    self.quote = None
                    continue
                index += 1
                continue
            if char == "#":
                break
            if char in "'\"":
                self.quote = line[index:index + 3] if line[index:index + 3] in ('"""', "'''") else char
                index += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            elif char == "\\" and not line[index + 1:].strip():
                self.continued = True
            index += 1
        if self.quote in ("'", '"') and not line.rstrip("\r\n").endswith("\\"):
            self.quote = None  # a one-line string cannot go on (the cell does not parse; Python will say so)


def _replace_escapes(source: str, magics: dict[int, str]) -> str:
    """`source` with each IPython escape line (and its continuation lines) replaced by a numbered `pass`."""
    out = []
    scanner = _LogicalLines()
    continued_indent = None
    for line in LINE.findall(source):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        if continued_indent is not None:
            indent = continued_indent
        elif scanner.at_start and (ESCAPE_LINE.match(body) or HELP_LINE.fullmatch(body)):
            indent = body[:len(body) - len(body.lstrip(" \t"))]
        else:
            scanner.feed(line)
            out.append(line)
            continue
        number = len(magics)
        magics[number] = body
        out.append(indent + PLACEHOLDER.format(number) + ending)
        continued_indent = indent if body.endswith("\\") else None
    return "".join(out)


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def leading_indent(source: str) -> str:
    """The indentation IPython strips from a whole cell: its first line's, removed from every line that has it. As
    IPython drops a cell's leading blank lines first (`leading_empty_lines`), the first line is the first that is
    not blank."""
    match = re.match(r"(?:[ \t]*\n)*([ \t]+)\S", source)
    return match.group(1) if match else ""


def _dedent(source: str, indent: str) -> str:
    return "".join(line[len(indent):] if line.startswith(indent) else line for line in LINE.findall(source))


def checked_source(source: str, magics: dict[int, str]) -> str | None:
    """The Python a code cell holds (whole-cell indentation removed and escapes replaced, as IPython does), or None
    when the cell is not Python (a cell magic)."""
    first = source.lstrip("\n").split("\n", 1)[0].strip()
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if name not in PYTHON_CELL_MAGICS:
            return None
    indent = leading_indent(source)
    if indent:
        source = _dedent(source, indent)
    if source and not source.endswith("\n"):
        source += "\n"
    if ("%" not in source and "!" not in source and "?" not in source) or not ANY_ESCAPE.search(source):
        return source  # the common cell: nothing that looks like an escape, no scan
    return _replace_escapes(source, magics)


def _syntax_error(text: str) -> tuple[int, int, str] | None:
    """(line, column, message) when `text` does not parse, else None."""
    try:
        ast.parse(text)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, f"cannot parse: {error.msg or 'invalid syntax'}"
    except (RecursionError, ValueError, MemoryError) as error:
        return 1, 1, f"cannot parse: {type(error).__name__}: {error}"
    return None


def load(data: bytes, path: str = "<notebook>") -> Notebook:
    """The notebook in `data`, its code cells and the module they make, parsed. A cell that does not parse is left
    out of the module and listed in `broken`, so the other cells are still checked (as ruff does). Raises
    NotNotebook."""
    try:
        document = json.loads(data)
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise NotNotebook(f"cannot decode the notebook: {error.reason}", line) from None
    except json.JSONDecodeError as error:
        raise NotNotebook(f"not a valid notebook: invalid JSON: {error.msg}", error.lineno, error.colno) from None
    except (ValueError, RecursionError) as error:
        raise NotNotebook(f"not a valid notebook: invalid JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        if isinstance(document, dict) and "worksheets" in document:
            raise NotNotebook("not supported: an nbformat 3 notebook (convert it with "
                              "`jupyter nbconvert --to notebook --nbformat 4`)")
        raise NotNotebook("not a valid notebook: the JSON has no \"cells\" list")
    notebook = Notebook(document, [])
    magics_by_cell: dict[int, dict[int, str]] = {}
    numbered = 0  # placeholders are numbered across the notebook, so that the module's are unique
    for index, cell in enumerate(document["cells"]):
        if not isinstance(cell, dict):
            raise NotNotebook(f"not a valid notebook: cell {index + 1} is not a JSON object")
        if cell.get("cell_type") != "code":
            continue
        source, as_list = _source(cell, index)
        magics: dict[int, str] = {}
        checked = checked_source(source, magics)
        if checked is None:
            continue
        if magics and numbered:
            checked = PLACEHOLDER_LINE.sub(
                lambda m, o=numbered: f"{m.group(1)}{PLACEHOLDER.format(int(m.group(2)) + o)}", checked)
            magics = {number + numbered: line for number, line in magics.items()}
        numbered += len(magics)
        magics_by_cell[index] = magics
        notebook.cells.append(CodeCell(index, source, as_list, checked, leading_indent(source)))
    if not python_language(document):
        return notebook
    notebook.marker = _marker_for(notebook.cells)
    notebook.text = _module(notebook.cells, notebook.marker)
    if notebook.cells and _syntax_error(notebook.text) is not None:
        # Find the cells that do not parse on their own, leave them out, and check the rest.
        kept = []
        for cell in notebook.cells:
            error = _syntax_error(cell.checked)
            if error is None:
                kept.append(cell)
            else:
                line, column, message = error
                notebook.broken.append((cell.index + 1, line, column + len(cell.indent), message))
        notebook.cells = kept
        notebook.text = _module(kept, notebook.marker)
    for cell in notebook.cells:
        notebook.magics.update(magics_by_cell[cell.index])
    try:
        notebook.tree = ast.parse(notebook.text, filename=path)
    except (SyntaxError, RecursionError, ValueError, MemoryError):
        notebook.tree = None  # cells that parse alone but not together: the engine reports the module's error
    return notebook


def _module(cells: list[CodeCell], marker: str) -> str:
    return "".join(marker.format(cell.index + 1) + "\n" + cell.checked for cell in cells)


def _marker_for(cells: list[CodeCell]) -> str:
    """MARKER, unless a cell's own code holds text like it (a notebook about tflint-vars, or a hostile one): then a
    variant no cell holds, so a cell's line is never taken for the start of a cell."""
    marker, number = MARKER, 1
    while any(marker.split("{")[0] in cell.checked for cell in cells):
        marker, number = f"# tflint-vars cell#{number} {{}}", number + 1
    return marker


def python_language(document: dict) -> bool:
    """False for a notebook whose kernel is declared to be another language (R, Julia): it holds no Python."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    info, kernel = metadata.get("language_info"), metadata.get("kernelspec")
    name = info.get("name") if isinstance(info, dict) else None
    if not isinstance(name, str):  # language_info is written when the notebook runs; kernelspec when it is created
        name = kernel.get("language") if isinstance(kernel, dict) else None
    return not isinstance(name, str) or name.lower() in ("python", "python3", "ipython", "ipython3")


# --- locations -----------------------------------------------------------------------------------------------------

def line_map(text: str, marker_line: re.Pattern = MARKER_LINE) -> list[tuple[int, int]]:
    """For each line of the module (0-based), (cell number, line in the cell); a marker line is given as the line
    after the previous cell's last (where a parser reports "unexpected end" of that cell), or line 1 of the first.
    `marker_line`: the notebook's (Notebook.marker_line)."""
    result: list[tuple[int, int]] = []
    cell, line = 0, 0
    for text_line in LINE_END.split(text):  # the line ends ast counts
        marker = marker_line.fullmatch(text_line)
        if marker:
            result.append((cell, line + 1) if cell else (int(marker.group(1)), 1))
            cell, line = int(marker.group(1)), 0
            continue
        line += 1
        result.append((cell, line))
    return result


def to_cell(diagnostic: Diagnostic, lines: list[tuple[int, int]], notebook: Notebook | None = None) -> Diagnostic:
    """`diagnostic`, located in the module, located in its cell instead (its column in the cell as written, with
    any whole-cell indentation)."""
    index = min(max(diagnostic.line, 1), len(lines)) - 1 if lines else -1
    cell, line = lines[index] if index >= 0 else (1, 1)
    shift = notebook.indent_of(cell) if notebook is not None else 0
    return dataclasses.replace(diagnostic, line=line, column=diagnostic.column + shift, cell=cell)


def to_module(diagnostic: Diagnostic, lines: list[tuple[int, int]],
              notebook: Notebook | None = None) -> Diagnostic | None:
    """`diagnostic`, located in its cell, located in the module; None when that line is not there."""
    shift = notebook.indent_of(diagnostic.cell) if notebook is not None and diagnostic.cell else 0
    for number, (cell, line) in enumerate(lines, start=1):
        if cell == diagnostic.cell and line == diagnostic.line:
            return dataclasses.replace(diagnostic, line=number, column=max(diagnostic.column - shift, 1), cell=None)
    return None


# --- writing back --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JsonStyle:
    indent: int | str | None
    separators: tuple[str, str]
    ensure_ascii: bool
    final_newline: bool
    newline: str = "\n"  # "\r\n" for a notebook saved with Windows line ends

    def dump(self, document: dict) -> bytes:
        text = json.dumps(document, indent=self.indent, separators=self.separators, ensure_ascii=self.ensure_ascii)
        text += "\n" if self.final_newline else ""
        return (text if self.newline == "\n" else text.replace("\n", self.newline)).encode("utf-8")


def json_style(data: bytes, document: dict) -> JsonStyle | None:
    """The json.dumps settings that reproduce `data` exactly from `document`, or None (hand-formatted JSON, floats
    that print differently, duplicate keys, ...)."""
    final_newline = data.endswith(b"\n")
    newline = "\r\n" if b"\r\n" in data[:4096] else "\n"  # json.dumps escapes line ends in strings: these are layout
    candidates = []
    for indent in (1, 2, 4, 0, "\t", 3):  # Jupyter/nbformat writes 1; others write 2 or 4
        for ensure_ascii in (False, True):
            candidates.append(JsonStyle(indent, (",", ": "), ensure_ascii, final_newline, newline))
    for separators in ((", ", ": "), (",", ":")):
        for ensure_ascii in (False, True):
            candidates.append(JsonStyle(None, separators, ensure_ascii, final_newline, newline))
    for style in candidates:
        try:
            if style.dump(document) == data:
                return style
        except (UnicodeEncodeError, ValueError):
            continue
    return None


def split_module(text: str, notebook: Notebook) -> dict[int, str] | str:
    """The fixed module split back into its cells' sources (escapes restored), by 0-based cell index; or why not."""
    expected = [cell.index + 1 for cell in notebook.cells]
    pieces: dict[int, list[str]] = {}
    order: list[int] = []
    current: list[str] | None = None
    for line in LINE.findall(text):
        marker = notebook.marker_line.fullmatch(line.rstrip("\n"))
        if marker:
            number = int(marker.group(1))
            order.append(number)
            current = pieces.setdefault(number, [])
            continue
        if current is None:
            return "the fix would put code before the notebook's first code cell"
        current.append(line)
    if order != expected:
        return "the fix would move code across the notebook's cells"
    seen: set[int] = set()
    sources: dict[int, str] = {}
    for cell in notebook.cells:
        restored = []
        for line in pieces[cell.index + 1]:
            body = line.rstrip("\n")
            placeholder = PLACEHOLDER_LINE.fullmatch(body)
            if placeholder:
                number = int(placeholder.group(2))
                if number in seen or number not in notebook.magics:
                    return "the fix would duplicate an IPython escape line"
                seen.add(number)
                restored.append(notebook.magics[number] + line[len(body):])
            else:
                restored.append(line)
        if cell.indent:  # put back the indentation IPython strips
            restored = _reindent(cell, restored)
            if isinstance(restored, str):
                return restored
        source = "".join(restored)
        if not cell.source.endswith("\n") and source.endswith("\n"):
            source = source[:-1]  # the line end the module added
        if not _parses(checked_source(source, {}) or ""):
            return f"cell {cell.index + 1} would not parse after the fix"
        sources[cell.index] = source
    if len(seen) != len(notebook.magics):
        return "the fix would drop an IPython escape line"
    return sources


def _reindent(cell: CodeCell, lines: list[str]) -> list[str] | str:
    """A whole-cell-indented cell's fixed `lines` (dedented, escapes restored) indented back: a line the fix left
    alone is the cell's line as written (a blank line keeps its whitespace, a line IPython did not dedent stays);
    a line the fix wrote gets the cell's indentation. Or why not: the fix changed a line that was not dedented."""
    originals = LINE.findall(cell.source)
    if originals and not originals[-1].endswith("\n"):
        originals[-1] += "\n"  # the line end the module added
    dedented = [line[len(cell.indent):] if line.startswith(cell.indent) else line for line in originals]
    result: list[str] = []
    matcher = difflib.SequenceMatcher(None, dedented, lines, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            result.extend(originals[old_start:old_end])
            continue
        if any(line.strip() and not line.startswith(cell.indent) for line in originals[old_start:old_end]):
            return f"cell {cell.index + 1}'s indentation is not uniform where the fix changes it"
        result.extend(cell.indent + line if line.strip() else line for line in lines[new_start:new_end])
    return result


def _strip_sources(document: dict) -> dict:
    stripped = copy.deepcopy(document)
    for cell in stripped.get("cells", []):
        if isinstance(cell, dict):
            cell.pop("source", None)
    return stripped


def rebuild(data: bytes, notebook: Notebook, text: str) -> bytes | str:
    """The notebook's bytes with its code cells taken from the fixed module `text`, or why it cannot be written.
    Only the changed cells' `source` changes; the result is checked to load as the same notebook otherwise."""
    style = json_style(data, notebook.document)
    if style is None:
        return ("its JSON formatting cannot be reproduced exactly (save it from Jupyter, which writes indent 1, "
                "to let tflint-vars fix it)")
    sources = split_module(text, notebook)
    if isinstance(sources, str):
        return sources
    document = copy.deepcopy(notebook.document)
    for cell in notebook.cells:
        source = sources[cell.index]
        if source == cell.source:
            continue
        document["cells"][cell.index]["source"] = LINE.findall(source) if cell.as_list else source
    try:
        new_data = style.dump(document)
        reloaded = json.loads(new_data)
    except (UnicodeEncodeError, ValueError) as error:
        return f"the fixed notebook cannot be written as JSON: {error}"
    if _strip_sources(reloaded) != _strip_sources(notebook.document):
        return "the fixed notebook would differ in more than its code"
    return new_data


def cell_sources(data: bytes) -> dict[int, str]:
    """Every code cell's source by 1-based cell number (for showing lines and diffs); empty when not a notebook."""
    try:
        document = json.loads(data)
        cells = document["cells"]
        return {index + 1: _source(cell, index)[0] for index, cell in enumerate(cells)
                if isinstance(cell, dict) and cell.get("cell_type") == "code"}
    except (ValueError, KeyError, TypeError, NotNotebook, RecursionError):
        return {}


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff per changed code cell, as ruff prints a notebook's: `path:cell N` on both header lines."""
    path = os.path.normpath(path)
    old, new = cell_sources(before), cell_sources(after)
    parts = []
    for number, source in old.items():
        changed = new.get(number, source)
        if changed == source:
            continue
        name = f"{path}:cell {number}"
        for line in difflib.unified_diff(LINE.findall(source), LINE.findall(changed), name, name):
            parts.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(parts)


# --- where a cell's line lies in the notebook's own JSON (GitHub code scanning and annotations read those lines) ---

class _JsonScanner:
    """Finds, in a notebook's JSON text, the string tokens of each cell's `source` (a string or a list of
    strings), by offset. A small scanner, since the json module gives values but not where they are."""

    def __init__(self, text: str):
        self.text = text
        self.index = 0
        self.sources: dict[int, list[tuple[int, int]]] = {}  # 1-based cell -> (start, end) of each string token

    def _skip_space(self) -> None:
        while self.index < len(self.text) and self.text[self.index] in " \t\r\n":
            self.index += 1

    def _string(self) -> tuple[int, int]:
        start = self.index
        self.index += 1
        while self.text[self.index] != '"':
            self.index += 2 if self.text[self.index] == "\\" else 1
        self.index += 1
        return start, self.index

    def value(self, path: tuple = ()) -> None:
        """Scan one value at `path` (its keys and indexes from the document's root)."""
        self._skip_space()
        char = self.text[self.index]
        if char == "{":
            self.index += 1
            self._skip_space()
            while self.text[self.index] != "}":
                start, end = self._string()
                key = json.loads(self.text[start:end])
                self._skip_space()
                self.index += 1  # the colon
                self.value(path + (key,))
                self._skip_space()
                if self.text[self.index] == ",":
                    self.index += 1
                    self._skip_space()
            self.index += 1
        elif char == "[":
            self.index += 1
            self._skip_space()
            position = 0
            while self.text[self.index] != "]":
                self.value(path + (position,))
                position += 1
                self._skip_space()
                if self.text[self.index] == ",":
                    self.index += 1
                    self._skip_space()
            self.index += 1
        elif char == '"':
            span = self._string()
            # ("cells", i, "source") for a one-string source, ("cells", i, "source", j) for a list's j-th line
            if len(path) >= 3 and path[0] == "cells" and path[2] == "source" and len(path) <= 4:
                self.sources.setdefault(path[1] + 1, []).append(span)
        else:
            while self.index < len(self.text) and self.text[self.index] not in ",]} \t\r\n":
                self.index += 1


def _raw_offset(token: str, decoded: int) -> int:
    """The offset in a JSON string token's text (inside its quotes) of its `decoded`-th character."""
    index = count = 0
    while index < len(token) and count < decoded:
        if token[index] == "\\":
            if token[index + 1] == "u":
                code = int(token[index + 2:index + 6], 16)
                index += 6
                if 0xD800 <= code < 0xDC00 and token.startswith("\\u", index):
                    index += 6  # a surrogate pair: one character
            else:
                index += 2
        else:
            index += 1
        count += 1
    return index


class JsonPositions:
    """Where each cell's source characters are in the notebook's JSON text, as (line, column), both 1-based, the
    column in characters of that JSON line."""

    def __init__(self, text: str):
        self.text = text
        scanner = _JsonScanner(text)
        try:
            scanner.value()
        except (IndexError, ValueError, RecursionError):  # not JSON as this scanner reads it: no positions
            scanner.sources = {}
        self.sources = scanner.sources
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def locate(self, cell: int, line: int, column: int) -> tuple[int, int] | None:
        """The JSON (line, column) of column `column` of line `line` of cell `cell`, or None when it is not there."""
        pieces = [(start, end, json.loads(self.text[start:end])) for start, end in self.sources.get(cell, [])]
        source = "".join(value for _, _, value in pieces)
        lines = LINE_END.split(source)
        if not 1 <= line <= len(lines):
            return None
        starts = [0] + [match.end() for match in LINE_END.finditer(source)]
        offset = starts[line - 1] + min(column - 1, len(lines[line - 1]))
        consumed = 0
        for start, end, value in pieces:
            if offset < consumed + len(value) or (start, end) == pieces[-1][:2]:
                raw = start + 1 + _raw_offset(self.text[start + 1:end - 1], offset - consumed)
                line_index = bisect.bisect_right(self.line_starts, raw) - 1
                return line_index + 1, raw - self.line_starts[line_index] + 1
            consumed += len(value)
        return None
