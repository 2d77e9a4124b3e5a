"""The rule contract: one class per module, its docstring is its documentation (`tflint-vars rule CODE`)."""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from typing import ClassVar, Iterator

from tflint_vars.analysis import ModuleAnalysis


@dataclass(frozen=True)
class Finding:
    """A rule's report, positioned at an ast node; the engine turns it into a Diagnostic."""

    node: ast.AST
    code: str
    message: str  # what is wrong and what Keras 3 does, in about 100 characters at most
    fix: str | None = None  # diagnostics.SAFE / UNSAFE / None
    fix_title: str | None = None  # what the fix does (or, with no fix, the change to make by hand)
    fix_reason: str | None = None  # why the fix is unsafe, or why there is none


class Rule:
    """Base class. Subclasses set `code`, `name`, `fix` and write their documentation as the class docstring with
    the sections What it does / Why is this bad? / Example / Use instead / Fix safety. `VALID` and `INVALID` hold
    more examples; tests check every example, including the docstring's, against the rule.

    A rule with a fix also defines `fix_edit(self, ctx, site) -> Edit | str`: the `tflint_vars.plans.edits.Edit`
    for the finding at `site` (a str: why there is no fix there). It runs only when a fix is applied, so it imports
    libcst (and `tflint_vars.plans.weights`) inside the method; the engine locates, applies and re-parses the edits."""

    code: ClassVar[str]
    name: ClassVar[str]
    fix: ClassVar[str | None] = None  # the best fix the rule can offer: SAFE, UNSAFE or None
    fix_title: ClassVar[str | None] = None  # the default title of its fix, e.g. "Replace with `self.add_weight(...)`"
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str]] = []

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(self, node: ast.AST, message: str, fix: str | None = None, *, title: str | None = None,
                reason: str | None = None) -> Finding:
        """A finding at `node`: `message` says what is wrong; the fix's title (default: the rule's `fix_title`) and
        the reason it is unsafe or absent go in their own fields."""
        return Finding(node, self.code, message, fix, title or self.fix_title, reason)

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The docstring's first line."""
        return cls.documentation().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def doc_examples(cls) -> tuple[str, str]:
        """The code of the docstring's `## Example` and `## Use instead` blocks."""
        doc = cls.documentation()
        blocks = {}
        for section in ("Example", "Use instead"):
            match = re.search(rf"^## {section}\n.*?```python\n(.*?)```", doc, re.S | re.M)
            blocks[section] = match.group(1) if match else ""
        return blocks["Example"], blocks["Use instead"]
