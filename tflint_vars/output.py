"""Output formats for `tflint-vars check`. Each takes the diagnostics and the stream."""

from __future__ import annotations

import json
from typing import Callable, TextIO

from tflint_vars.diagnostics import Diagnostic


def summary(diagnostics: list[Diagnostic]) -> str:
    if not diagnostics:
        return "All checks passed!"
    fixable = sum(1 for d in diagnostics if d.fix == "safe")
    unsafe = sum(1 for d in diagnostics if d.fix == "unsafe")
    noun = "diagnostic" if len(diagnostics) == 1 else "diagnostics"
    text = f"Found {len(diagnostics)} {noun}"
    parts = []
    if fixable:
        parts.append(f"{fixable} fixable with `--fix`")
    if unsafe:
        parts.append(f"{unsafe} more with `--unsafe-fixes`")
    return text + (f" ({', '.join(parts)})." if parts else ".")


def write_text(diagnostics: list[Diagnostic], stream: TextIO) -> None:
    for diagnostic in diagnostics:
        stream.write(diagnostic.format_text() + "\n")
    stream.write(summary(diagnostics) + "\n")


def write_json(diagnostics: list[Diagnostic], stream: TextIO) -> None:
    json.dump([d.to_json() for d in diagnostics], stream, indent=2)
    stream.write("\n")


FORMATS: dict[str, Callable[[list[Diagnostic], TextIO], None]] = {"text": write_text, "json": write_json}
