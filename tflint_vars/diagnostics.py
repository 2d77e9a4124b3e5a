"""The one record every output format, the flake8 adapter and the fixes share."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int  # 1-based
    column: int  # 1-based, in characters (flake8 and ruff print the same)
    code: str
    message: str
    fix: str | None = None  # SAFE, UNSAFE, or None when no fix is offered

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def to_json(self) -> dict:
        data = asdict(self)
        data["fixable"] = self.fixable
        return data

    def format_text(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"
