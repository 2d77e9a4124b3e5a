from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import Iterator, Mapping

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.diagnostics import NOQA, SAFE, UNSAFE, listed_codes
from tflint_vars.rules.base import Finding, Rule

OURS = "TFV"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class UnusedDirective:
    """A `# noqa` that silences no finding of this run: where it is, and which of its TFV codes are unused."""

    line: int
    column: int  # 1-based, in characters: where the noqa directive starts
    unused: tuple[str, ...]  # listed TFV codes that silence nothing (empty: a bare noqa)
    unknown: tuple[str, ...]  # listed TFV codes no rule has

    @property
    def bare(self) -> bool:
        return not self.unused and not self.unknown


class UnusedNoqa(Rule):
    """A `# noqa` directive that silences no tflint-vars finding on its line.

    ## What it does
    Finds `# noqa: TFVnnn` comments whose TFV codes match no finding reported on their line, and, when TFV100 is
    selected by name (`--extend-select TFV100`), bare `# noqa` comments on a line with no TFV finding: a bare one
    usually serves another tool (155 of them on the 24 held-out code bases of docs/precision.md), so by default it
    is not judged, as ruff's RUF100 is not on by default. Codes of other tools (`E501`, `F401`) are never
    reported: tflint-vars cannot know whether they are used, and the fix keeps them. Codes of rules not selected
    in the run are not reported either; unknown TFV codes are. The engine computes this rule after the others,
    from their findings before `# noqa` is applied (ruff's RUF100); a directive that lists TFV100 itself is left
    alone.

    ## Why is this bad?
    `--add-noqa` freezes a code base's findings so a team can adopt the linter at once and burn the baseline down.
    Once a layer is fixed, its `# noqa: TFV001` silences nothing, yet it would hide the next real finding on that
    line, and the baseline never shrinks. Reporting it, with a fix, is what lets the count reach zero.

    ## Example
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(4,), initializer="zeros")  # noqa: TFV001
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(4,), initializer="zeros")
    ```

    ## Fix safety
    Safe for listed codes: the fix removes the unused TFV codes and keeps every other code and the rest of the
    comment (the `# noqa` goes when no code is left), so nothing another tool reads changes. Unsafe for a bare
    `# noqa`: it may silence another tool's finding on the line (flake8's, pylint's), which removing it would show.
    flake8 applies a bare `# noqa` to this rule's own finding too, so through flake8 only listed codes are reported.
    """

    code = "TFV100"
    name = "unused-noqa"
    fix = SAFE
    fix_title = "Remove unused `noqa` directive"
    VALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self):\n"
        "        super().__init__()\n        self.v = tf.Variable(1.0)  # noqa: TFV001\n",
        "import os  # noqa: F401\nx = 1  # noqa: E501, TFV100\n",
        's = "# noqa: TFV001"\n',  # in a string, not a comment
        "x = 1  # noqa\n",  # bare: judged only when TFV100 is selected by name
    ]
    INVALID = [
        "import os  # noqa: F401, TFV001\n",
        "x = 1  # noqa: TFV999\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        """Nothing on its own: which directives are unused depends on every other rule's findings, so the engine
        asks `unused_directives` once they are known."""
        return iter(())

    @staticmethod
    def unused_directives(text: str, reported: Mapping[int, set[str]], known: set[str],
                          enabled: set[str], report_bare: bool = True) -> Iterator[UnusedDirective]:
        """The `# noqa` comments of `text` that silence nothing. `reported`: the codes found on each line before
        `# noqa` was applied; `known`: every rule code; `enabled`: the codes this run checks; `report_bare`: judge
        bare `# noqa` comments too."""
        if "noqa" not in text.lower():
            return
        every_rule_enabled = all(code in enabled for code in known if code not in ("TFV000", UnusedNoqa.code))
        if not (report_bare and every_rule_enabled) and OURS not in text:
            return  # only directives naming a TFV code can be reported: no need to tokenize (a profile's 40 %)
        for line, column, match in _directives(text):
            found = reported.get(line, set())
            codes = listed_codes(match)
            if any(UnusedNoqa.code.startswith(code) for code in codes):
                continue  # it silences this rule on purpose
            if not codes:
                if report_bare and every_rule_enabled and not any(code.startswith(OURS) for code in found):
                    yield UnusedDirective(line, column, (), ())
                continue
            unused, unknown = [], []
            for code in codes:  # case matters, as in the engine's noqa check
                if not code.startswith(OURS) or any(c.startswith(code) for c in found):
                    continue
                matching = [c for c in known if c.startswith(code)]
                if not matching:
                    unknown.append(code)
                elif all(c in enabled for c in matching):
                    unused.append(code)
            if unused or unknown:
                yield UnusedDirective(line, column, tuple(unused), tuple(unknown))

    def directive_finding(self, directive: UnusedDirective) -> tuple[str, str | None, str | None]:
        """(message, fix, reason) for an unused directive."""
        if directive.bare:
            return ("Unused blanket `noqa` directive: no TFV finding on this line", UNSAFE,
                    "a bare `# noqa` may silence another tool's finding on this line")
        parts = [f"{label}: {', '.join(f'`{c}`' for c in codes)}"
                 for label, codes in (("unused", directive.unused), ("unknown", directive.unknown)) if codes]
        return f"Unused `noqa` directive ({'; '.join(parts)})", SAFE, None


def _directives(text: str) -> Iterator[tuple[int, int, re.Match]]:
    """(line, 1-based column of `# noqa`, its match in the line) for each line whose first `# noqa`, the one the
    engine reads, stands in a comment (not in a string). Lines are numbered as ast numbers them."""
    lines = _LINE.findall(text)
    try:
        # newline=None: \r and \r\n become \n on reading, so token rows count lines as ast does.
        tokens = list(tokenize.generate_tokens(io.StringIO(text, newline=None).readline))
    except (tokenize.TokenError, SyntaxError):
        return
    for token in tokens:
        if token.type != tokenize.COMMENT or "noqa" not in token.string.lower():
            continue
        row, start = token.start
        line = lines[row - 1].rstrip("\r\n") if row <= len(lines) else ""
        match = NOQA.search(line)
        if match is not None and start <= match.start() < start + len(token.string):
            yield row, match.start() + 1, match


def without_codes(line: str, column: int, codes: set[str]) -> str:
    """`line` with `codes` removed from the `# noqa` directive at `column` (1-based); the directive goes when no
    code is left (a bare one when `codes` is empty), and the comment with it when nothing else is in it."""
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    match = NOQA.match(body, column - 1)
    if match is None:
        return line
    kept = [c for c in listed_codes(match) if c not in codes]
    if kept and codes:
        start, end = match.span("codes")
        trailing = match.group("codes")[len(match.group("codes").rstrip()):]
        return body[:start] + ", ".join(kept) + trailing + body[end:] + ending
    before, after = body[:match.start()], body[match.end():].strip()
    if after:  # other words in the comment: they stay a comment
        return (before + after if before.rstrip().endswith("#") or after.startswith("#") else
                before + "# " + after) + ending
    before = before.rstrip(" \t")
    if before.endswith("#"):  # a `type: x` comment before the directive stays; a lone `#` goes
        before = before[:-1].rstrip(" \t")
    return before + ending
