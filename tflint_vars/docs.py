"""Documentation generated from the rules' docstrings: the README rule table (between the markers below) and the
help links SARIF output and the language server carry. Regenerate the table with
`python -m tflint_vars.docs --write README.md`; `--check README.md` exits 1 when the file's table differs from the
docstrings."""

from __future__ import annotations

import argparse
import inspect
import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import Sequence

START_MARKER = "<!-- rules:start -->"
END_MARKER = "<!-- rules:end -->"


def rule_section(rule, heading: str) -> str:
    """The text of one `## heading` section of a rule's docstring, paragraphs joined into single lines."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", rule.documentation(), re.S | re.M)
    if not match:
        return ""
    return " ".join(match.group(1).split())


def rule_source_path(rule) -> str:
    """The rule's module, relative to the project's root (`tflint_vars/rules/tfv001_variable_in_init.py`): its
    docstring is the rule's documentation."""
    return inspect.getmodule(rule).__name__.replace(".", "/") + ".py"


def rule_help_uri(rule, docs_url: str | None = None) -> str:
    """Where the rule's documentation can be read: its module under `docs_url` (the `docs-url` setting: the project's
    root as a URL, such as a repository browser's `.../blob/main/`), else the installed module itself, a file
    URI that resolves on this machine (the documentation ships with the package; `tflint-vars rule CODE` prints it).
    """
    if docs_url:
        return docs_url.rstrip("/") + "/" + rule_source_path(rule)
    return Path(inspect.getfile(rule)).resolve().as_uri()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_table() -> str:
    """The Markdown rule table: code, name, what it finds (the docstring's first line), the best fix offered."""
    from tflint_vars.rules.registry import ALL_RULES  # loaded here: the output module imports this one

    rows = ["| code | name | what it finds | fix |", "|---|---|---|---|"]
    for rule in ALL_RULES:
        rows.append(f"| {rule.code} | {rule.name} | {_cell(rule.summary())} | {rule.fix or 'none'} |")
    return "\n".join(rows) + "\n"


class MarkersMissing(ValueError):
    """The document has no rule-table markers, or they are out of order."""


def replace_table(document: str, table: str | None = None) -> str:
    """`document` with everything between the markers replaced by the table (markers kept, one newline each side)."""
    start = document.find(START_MARKER)
    end = document.find(END_MARKER)
    if start < 0 or end < 0 or end < start:
        raise MarkersMissing(f"expected {START_MARKER} ... {END_MARKER} on their own lines, in this order")
    table = render_table() if table is None else table
    if "\r\n" in document:
        table = table.replace("\n", "\r\n")
        return document[:start + len(START_MARKER)] + "\r\n" + table + document[end:]
    return document[:start + len(START_MARKER)] + "\n" + table + document[end:]


def has_markers(document: str) -> bool:
    return START_MARKER in document and END_MARKER in document


def _write_atomically(path: str, text: str) -> None:
    """A temporary file beside `path`, then a rename: an interrupted write leaves the old file whole."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = stat.S_IMODE(os.stat(path).st_mode)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tflint-vars-docs-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tflint_vars.docs", description=__doc__)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="FILE", help="replace the table between the markers in FILE")
    action.add_argument("--check", metavar="FILE", help="exit 1 when FILE's table differs from the docstrings")
    args = parser.parse_args(argv)
    if not args.write and not args.check:
        sys.stdout.write(render_table())
        return 0
    path = args.write or args.check
    try:
        # newline="" keeps the file's own line ends.
        with open(path, encoding="utf-8", newline="") as handle:
            document = handle.read()
        updated = replace_table(document)
    except (OSError, MarkersMissing) as error:
        print(f"tflint-vars docs: error: {path}: {error}", file=sys.stderr)
        return 2
    if args.check:
        if updated != document:
            print(f"{path}: the rule table is out of date; run `python -m tflint_vars.docs --write {path}`",
                  file=sys.stderr)
            return 1
        return 0
    if updated != document:
        _write_atomically(path, updated)
        print(f"{path}: rule table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
