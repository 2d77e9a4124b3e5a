"""The ground every layer stands on: the one record every output format, the flake8 adapter and the fixes share
(`Diagnostic`), which codes a run selects (`CodeSelection`), and which a `# noqa` comment suppresses."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import traceback
from dataclasses import asdict, dataclass
from functools import total_ordering
from typing import Iterable, Iterator

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


def longest_prefix(code: str, prefixes: Iterable[str]) -> int:
    """The length of the longest of `prefixes` that `code` starts with, -1 when none does: as in ruff and flake8,
    the more specific selector decides."""
    return max((len(prefix) for prefix in prefixes if code.startswith(prefix)), default=-1)


@dataclass(frozen=True)
class FixPolicy:
    """ruff's per-rule fix settings. `fixable`/`unfixable` choose the rules whose fixes may be applied (the longer
    prefix decides; on a tie, `unfixable`); `extend-safe-fixes` makes a rule's unsafe fixes safe and
    `extend-unsafe-fixes` its safe fixes unsafe (the longer prefix decides; on a tie, unsafe). A finding without a
    fix stays without one (ruff: display-only never changes)."""

    fixable: tuple[str, ...] = ("TFV",)
    unfixable: tuple[str, ...] = ()
    extend_safe: tuple[str, ...] = ()
    extend_unsafe: tuple[str, ...] = ()

    def applicability(self, code: str, fix: str | None) -> str | None:
        """The applicability of a `fix` of rule `code` under this policy (None: not applied)."""
        if fix is None:
            return None
        fixable = longest_prefix(code, self.fixable)
        if fixable < 0 or fixable <= longest_prefix(code, self.unfixable):
            return None
        safe, unsafe = longest_prefix(code, self.extend_safe), longest_prefix(code, self.extend_unsafe)
        if unsafe >= 0 and unsafe >= safe:
            return UNSAFE
        return SAFE if safe >= 0 else fix

    def apply(self, diagnostic: Diagnostic) -> Diagnostic:
        """`diagnostic` with the applicability this policy gives its fix, and the setting named in its reason."""
        fix = self.applicability(diagnostic.code, diagnostic.fix)
        if fix == diagnostic.fix:
            return diagnostic
        if fix is None:
            reason = f"{diagnostic.code} is not fixable in this configuration (`fixable`/`unfixable`)"
        elif fix == UNSAFE:
            reason = f"{diagnostic.code} is listed in `extend-unsafe-fixes`"
        else:
            reason = f"{diagnostic.code} is listed in `extend-safe-fixes`" + \
                (f" (the rule's reason: {diagnostic.fix_reason})" if diagnostic.fix_reason else "")
        return dataclasses.replace(diagnostic, fix=fix, fix_reason=reason)

    def key(self) -> list:
        """What the result cache keys on."""
        return [sorted(self.fixable), sorted(self.unfixable), sorted(self.extend_safe), sorted(self.extend_unsafe)]


class CodeSelection:
    """`--select`/`--ignore` by code prefix, as flake8 and ruff do: the longest matching prefix decides. `fixes`:
    the per-rule fix settings (`fixable`, `extend-safe-fixes`, ...) every diagnostic's fix is judged by;
    `ignore_noqa` (`--ignore-noqa`): report what noqa comments silence, and no TFV100."""

    def __init__(self, select: Iterable[str] = ("TFV",), ignore: Iterable[str] = (), fixes: FixPolicy | None = None,
                 ignore_noqa: bool = False):
        self.select = tuple(select)
        self.ignore = tuple(ignore)
        self.fixes = fixes or FixPolicy()
        self.ignore_noqa = ignore_noqa
        self._enabled: dict[str, bool] = {}  # asked per rule per file: answered once per code

    def enabled(self, code: str) -> bool:
        answer = self._enabled.get(code)
        if answer is None:
            selected = longest_prefix(code, self.select)
            answer = self._enabled[code] = selected >= 0 and selected > longest_prefix(code, self.ignore)
        return answer

    def without(self, ignore: Iterable[str]) -> CodeSelection:
        return CodeSelection(self.select, self.ignore + tuple(ignore), self.fixes, self.ignore_noqa)


# flake8's own pattern (flake8/defaults.py), so a noqa comment means the same in both front ends.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_CODE_SEPARATOR = re.compile(r"[,\s]+")


def listed_codes(match: re.Match) -> list[str]:
    """The codes a NOQA match lists, in order (none for a bare noqa comment)."""
    codes = match.group("codes")
    return [c for c in _CODE_SEPARATOR.split(codes.strip()) if c] if codes else []


def noqa_suppresses(line: str, code: str) -> bool:
    """Whether `line`'s `# noqa` comment (bare, or listing `code` or a prefix of it) suppresses `code`."""
    match = NOQA.search(line)
    if match is None:
        return False
    listed = tuple(listed_codes(match))
    return not listed or code.startswith(listed)


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
