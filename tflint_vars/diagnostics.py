"""The one record every output format, the flake8 adapter and the fixes share."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import total_ordering

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
