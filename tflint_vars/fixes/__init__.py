"""Fixes: the public API the CLI, the libcst codemod and the verifier share.

`fix_bytes` checks a file, and only when a diagnostic has a fix that may be applied (safe ones, and unsafe ones with
`unsafe=True`) loads libcst and rewrites it (`tflint_vars.fixes.transform`). The result keeps the input's encoding,
BOM and line endings; a fix whose output would not parse is dropped and reported with the reason.

This package's `initializers` and `hoist` modules are imported by the rules, so nothing here imports libcst or the
engine at module level: detection must not pay for them.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field

from tflint_vars.diagnostics import SAFE, UNSAFE, Diagnostic

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


def source_encoding(data: bytes) -> str:
    """The encoding Python reads `data` with: BOM, coding cookie, else UTF-8."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def fix_bytes(data: bytes, path: str = "<string>", *, unsafe: bool = False, selection=None) -> FixResult:
    """Fix one file's bytes. `selection` is an engine.CodeSelection (default: every rule). A notebook (`.ipynb`)
    is fixed in its code cells (tflint_vars.notebook)."""
    if path.endswith(".ipynb"):
        from tflint_vars.notebook import fix_notebook

        return fix_notebook(data, path, unsafe=unsafe, selection=selection)
    from tflint_vars.engine import check_source

    diagnostics = check_source(data, path, selection)
    todo = [d for d in diagnostics if wanted(d, unsafe)]
    result = FixResult(data, [], diagnostics, [], original=data)
    if not todo:
        return result

    from tflint_vars.fixes.transform import fix_text_once

    encoding = source_encoding(data)
    text = data.decode(encoding)
    seen_drops: set[tuple[str, str, str]] = set()
    for _ in range(MAX_PASSES):
        try:
            new_text, fixed, dropped = fix_text_once(text, path, todo, result.remaining)
        except RecursionError:  # libcst's visitors recurse about 5 frames per level: a 200-call method chain
            result.dropped.extend((d, "the code is nested too deeply for libcst to rewrite") for d in todo)
            break
        except Exception as error:  # a bug in a fixer must not cost the user the file or the rest of the run
            result.dropped.extend((d, f"internal error in the fixer: {type(error).__name__}: {error}") for d in todo)
            break
        for diagnostic, why in dropped:
            key = (diagnostic.code, diagnostic.message, why)
            if key not in seen_drops:
                seen_drops.add(key)
                result.dropped.append((diagnostic, why))
        if new_text == text:
            break
        try:
            new_data = new_text.encode(encoding)
        except UnicodeEncodeError as error:
            result.dropped.extend((d, f"the fixed code cannot be encoded as {encoding}: {error.reason}")
                                  for d in fixed)
            break
        text, result.data = new_text, new_data
        result.fixed.extend(fixed)
        result.remaining = check_source(result.data, path, selection)
        todo = [d for d in result.remaining if wanted(d, unsafe)]
        if not todo:
            break
    return result


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


__all__ = ["FixResult", "fix_bytes", "fix_source", "source_encoding", "wanted"]
