"""The flake8 adapter: entry point `TFV` in `flake8.extension`. flake8 applies `# noqa` itself.

flake8 gives the plugin one file at a time; base classes imported from the project's other modules are answered by
the project index of this flake8 process (tflint_vars.project.shared_index, through `check_tree`), which reads each
module it needs once, from disk, as `tflint-vars check` does: both front ends report the same."""

from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars import __version__
from tflint_vars.diagnostics import CodeSelection
from tflint_vars.engine import TRIGGER_WORDS, check_tree, unused_noqa
from tflint_vars.environment import use_python

# flake8 selects and applies noqa itself: every code is checked, and the selection (which memoizes its answers) is
# made once per process, not once per file.
SELECTION = CodeSelection()


class TFVChecker:
    name = "tflint-vars"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]):
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @staticmethod
    def add_options(manager) -> None:
        manager.add_option("--tflint-vars-python", metavar="PATH", parse_from_config=True, default=None,
                           help="the interpreter whose installed packages tflint-vars resolves base classes in "
                                "(default: the one running flake8), as `tflint-vars check --python`")

    @staticmethod
    def parse_options(options) -> None:
        use_python(options.tflint_vars_python)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        # flake8 has parsed "".join(lines) already (a file it cannot parse is its E999 and never gets here), so the
        # rules run on its tree: parsing again was most of the plugin's cost.
        text = "".join(self.lines)
        if any(word in text for word in TRIGGER_WORDS):
            diagnostics = check_tree(self.tree, text, self.filename, SELECTION, honour_noqa=False)
        else:  # no rule can fire: only a noqa comment naming a TFV code can be reported
            diagnostics = unused_noqa(text, self.filename, {}, SELECTION)
        for diagnostic in diagnostics:
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
