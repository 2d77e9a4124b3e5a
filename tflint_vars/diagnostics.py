"""The ground every layer stands on: the one record every output format, the flake8 adapter and the fixes share
(`Diagnostic`), which codes a run selects (`CodeSelection`), and which a `# noqa` comment suppresses."""

from __future__ import annotations

import contextlib
import re
import traceback
from dataclasses import asdict, dataclass
from functools import total_ordering
from typing import Iterable, Iterator

SAFE = "safe"
UNSAFE = "unsafe"


@total_ordering
@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int  # 1-based
    column: int  # 1-based, in characters (flake8 and ruff print the same)
    code: str
    message: str
    fix: str | None = None  # SAFE, UNSAFE, or None when no fix is offered
    # In a notebook: the 1-based cell (among all cells, as ruff counts), and `line` is the line in that cell.
    cell: int | None = None

    def _key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.code, self.message, self.fix or "")

    def __lt__(self, other: Diagnostic) -> bool:
        return self._key() < other._key()

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def to_json(self) -> dict:
        data = asdict(self)
        data["fixable"] = self.fixable
        return data

    @property
    def location(self) -> str:
        """`path:line:column`, or `path:cell N:line:column` in a notebook (as ruff prints it)."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}:{self.column}"

    def format_text(self) -> str:
        return f"{self.location}: {self.code} {self.message}"


class CodeSelection:
    """`--select`/`--ignore` by code prefix, as flake8 and ruff do: the longest matching prefix decides."""

    def __init__(self, select: Iterable[str] = ("TFV",), ignore: Iterable[str] = ()):
        self.select = tuple(select)
        self.ignore = tuple(ignore)

    def enabled(self, code: str) -> bool:
        selected = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        ignored = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return selected >= 0 and selected > ignored

    def without(self, ignore: Iterable[str]) -> CodeSelection:
        return CodeSelection(self.select, self.ignore + tuple(ignore))


# flake8's own pattern (flake8/defaults.py), so a noqa comment means the same in both front ends.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)


def noqa_suppresses(line: str, code: str) -> bool:
    """Whether `line`'s `# noqa` comment (bare, or listing `code` or a prefix of it) suppresses `code`."""
    match = NOQA.search(line)
    if match is None:
        return False
    codes = match.group("codes")
    if codes is None:
        return True
    listed = tuple(c for c in re.split(r"[,\s]+", codes.strip()) if c)
    return code in listed or code.startswith(listed)


class FileFailure(Exception):
    """An unexpected exception (a tflint-vars bug) while working on one file: the CLI names the file and exits 2.
    It carries the traceback as text, so it survives the trip back from a worker process."""

    def __init__(self, path: str, summary: str, details: str):
        super().__init__(path, summary, details)
        self.path, self.summary, self.details = path, summary, details

    def __str__(self) -> str:
        return f"{self.path}: {self.summary}"


@contextlib.contextmanager
def working_on(path: str) -> Iterator[None]:
    """Turns any exception raised inside into a FileFailure naming `path`."""
    try:
        yield
    except FileFailure:
        raise
    except Exception as error:
        raise FileFailure(path, f"{type(error).__name__}: {error}", traceback.format_exc()) from error
