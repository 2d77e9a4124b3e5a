"""Fixing one file: `fix_bytes` checks it, and only when a diagnostic has a fix that may be applied (safe ones, and
unsafe ones with `unsafe=True`) loads libcst and rewrites its module (`tflint_vars.fixes.transform`), pass after
pass, then writes the module back through `tflint_vars.sources` (a notebook's cells). The result keeps the input's
encoding, BOM and line endings; a fix whose output would not parse is dropped and reported with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from tflint_vars.diagnostics import SAFE, UNSAFE, CodeSelection, Diagnostic
from tflint_vars.engine import check_module, check_source
from tflint_vars.sources import Source, load_source, source_encoding

# A fix can make a new finding fixable (none does today); passes stop when nothing changes, at most this many.
MAX_PASSES = 4


@dataclass
class FixResult:
    data: bytes  # the new file content, same encoding / BOM / line endings as the input
    fixed: list[Diagnostic] = field(default_factory=list)  # diagnostics whose fix was applied
    remaining: list[Diagnostic] = field(default_factory=list)  # diagnostics after fixing (re-checked)
    dropped: list[tuple[Diagnostic, str]] = field(default_factory=list)  # fixes that could not be applied, and why
    original: bytes = b""  # the input, for diffs

    @property
    def changed(self) -> bool:
        return self.data != self.original


def wanted(diagnostic: Diagnostic, unsafe: bool) -> bool:
    """Whether `diagnostic`'s fix is applied: safe fixes always, unsafe ones on request."""
    return diagnostic.fix == SAFE or (unsafe and diagnostic.fix == UNSAFE)


def fix_bytes(data: bytes, path: str = "<string>", *, unsafe: bool = False, selection=None) -> FixResult:
    """Fix one file's bytes. `selection` is a CodeSelection (default: every rule). The fixes are applied to the
    file's module text (a notebook's code cells, joined by `tflint_vars.sources`) and written back through it."""
    selection = selection or CodeSelection()
    source = load_source(data, path)
    if not isinstance(source, Source):
        return FixResult(data, [], check_source(data, path, selection), [], original=data)
    diagnostics = check_module(source, selection)
    todo = [d for d in diagnostics if wanted(d, unsafe)]
    result = FixResult(data, [], source.report(diagnostics, selection), [], original=data)
    if not todo:
        return result

    from tflint_vars.fixes.transform import fix_text_once

    current, reported = source, diagnostics
    seen_drops: set[tuple[str, str, str]] = set()
    for _ in range(MAX_PASSES):
        try:
            new_text, fixed, dropped = fix_text_once(current.text, path, todo, reported)
        except RecursionError:  # libcst's visitors recurse about 5 frames per level: a 200-call method chain
            result.dropped.extend((current.locate(d), "the code is nested too deeply for libcst to rewrite")
                                  for d in todo)
            break
        except Exception as error:  # a bug in a fixer must not cost the user the file or the rest of the run
            result.dropped.extend((current.locate(d), f"internal error in the fixer: {type(error).__name__}: {error}")
                                  for d in todo)
            break
        for diagnostic, why in dropped:
            key = (diagnostic.code, diagnostic.message, why)
            if key not in seen_drops:
                seen_drops.add(key)
                result.dropped.append((current.locate(diagnostic), why))
        if new_text == current.text:
            break
        fixed_source = current.with_text(new_text)
        if isinstance(fixed_source, str):  # cannot be written back: encoding, a notebook's cells
            result.dropped.extend((current.locate(d), fixed_source) for d in fixed)
            break
        result.fixed.extend(current.locate(d) for d in fixed)
        current = fixed_source
        remaining = reported = check_module(current, selection)
        todo = [d for d in remaining if wanted(d, unsafe)]
        result.data = current.data
        result.remaining = current.report(remaining, selection)
        if not todo:
            break
    return result


def fix_one(data: bytes, path: str, diagnostic: Diagnostic) -> bytes | None:
    """The file with only `diagnostic`'s fix applied (`diagnostic` located in the file, as reported), or None when it
    cannot be applied alone (SARIF describes each fix by itself)."""
    from tflint_vars.fixes.transform import fix_text_once

    source = load_source(data, path)
    if not isinstance(source, Source):
        return None
    located = source.to_module(diagnostic)
    if located is None:
        return None
    new_text, fixed, _ = fix_text_once(source.text, path, [located])
    if not fixed or new_text == source.text:
        return None
    fixed_source = source.with_text(new_text)
    return None if isinstance(fixed_source, str) else fixed_source.data


def fix_source(source: str, path: str = "<string>", *, unsafe: bool = False, selection=None) -> str:
    """Convenience: fix a module given as text and return the new text. The text is encoded as its coding cookie
    says (UTF-8 without one), so the check sees the bytes a file holding it would."""
    try:
        encoding = source_encoding(source.encode("utf-8"))  # reads the cookie lines only
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    if encoding == "utf-8-sig":
        encoding = "utf-8"  # a leading U+FEFF in `source` is kept as text either way
    try:
        data = source.encode(encoding)
    except UnicodeEncodeError:
        data, encoding = source.encode("utf-8"), "utf-8"
    result = fix_bytes(data, path, unsafe=unsafe, selection=selection)
    return result.data.decode(encoding) if result.changed else source


__all__ = ["FixResult", "fix_bytes", "fix_one", "fix_source", "wanted"]
