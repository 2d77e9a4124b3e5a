"""The flake8 adapter: entry point `TFV` in `flake8.extension`. flake8 applies `# noqa` itself."""

from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars import __version__
from tflint_vars.engine import CodeSelection, check_source


class TFVChecker:
    name = "tflint-vars"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]):
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        # flake8 hands over decoded lines; re-encoding as UTF-8 gives check_source the same text the CLI reads.
        data = "".join(self.lines).encode("utf-8")
        for diagnostic in check_source(data, self.filename, CodeSelection(), honour_noqa=False):
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
