from __future__ import annotations

from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.rules.base import Finding, Rule


class Unreadable(Rule):
    """A file that cannot be read, decoded or parsed.

    ## What it does
    Reports a file that cannot be read (permissions, a broken link), decoded (bytes that do not match its PEP 263
    encoding) or parsed as Python 3, with the reader's or parser's message and line. The run goes on with the other
    files. A Jupyter notebook that is not valid JSON or not a notebook is reported the same way, at the JSON's line,
    and a code cell that does not parse at its cell and line. Also reports a rule that failed on the file (a
    tflint-vars bug, with the exception, to report): the other rules' diagnostics for the file and the other files
    are still reported.

    ## Why is this bad?
    A file that cannot be parsed cannot be checked: without this diagnostic it would pass silently. Python 2 files
    (`print "x"`) are the usual case in old TF1 code bases.

    ## Example
    ```python
    print "hello"
    ```

    ## Use instead
    ```python
    print("hello")
    ```

    ## Fix safety
    No fix.
    """

    code = "TFV000"
    name = "unreadable"
    fix = None

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        return iter(())  # reported by the engine, which is the one that reads and parses
