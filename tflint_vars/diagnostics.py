"""The one record every output format, the flake8 adapter and the fixes share."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import total_ordering

SAFE = "safe"
UNSAFE = "unsafe"
# ruff's name for a fix that is only shown, never applied: here, a finding with no automatic fix.
DISPLAY_ONLY = "display-only"
APPLICABILITIES = (SAFE, UNSAFE, DISPLAY_ONLY)


@total_ordering
@dataclass(frozen=True)
class Diagnostic:
    """A finding. `message` says what is wrong and what Keras 3 does (short, as ruff's); the fix has its own fields:
    `fix` (its applicability: SAFE, UNSAFE or None), `fix_title` (what it does, e.g. "Replace with
    `self.add_weight(...)`", or the manual change when there is no fix) and `fix_reason` (why it is unsafe, or why
    there is none)."""

    path: str
    line: int  # 1-based
    column: int  # 1-based, in characters (flake8 and ruff print the same)
    code: str
    message: str
    fix: str | None = None  # SAFE, UNSAFE, or None when no fix is offered
    # In a notebook: the 1-based cell (among all cells, as ruff counts), and `line` is the line in that cell.
    cell: int | None = None
    fix_title: str | None = None
    fix_reason: str | None = None

    def _key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.code, self.message, self.fix or "",
                self.fix_title or "", self.fix_reason or "")

    def __lt__(self, other: Diagnostic) -> bool:
        return self._key() < other._key()

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    @property
    def applicability(self) -> str:
        """ruff's applicability: `safe`, `unsafe`, or `display-only` when nothing can be applied."""
        return self.fix or DISPLAY_ONLY

    def to_json(self) -> dict:
        data = asdict(self)
        data["fixable"] = self.fixable
        data["applicability"] = self.applicability
        return data

    @property
    def location(self) -> str:
        """`path:line:column`, or `path:cell N:line:column` in a notebook (as ruff prints it)."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}:{self.column}"

    def format_text(self) -> str:
        return f"{self.location}: {self.code} {self.message}"
