"""README.md and docs/*.md hold together (issue 19, item 8): every relative link reaches a file, and an anchor a
heading of it; every `tflint-vars` command they show is one the CLI accepts; every configuration block parses.

The snippets that run for real (Install, pre-commit, GitHub Actions) are tests/test_readme_snippets.py's; the rule
table is tests/test_docs.py's."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, commands, documents, markdown_headings
from tflint_vars.cli import build_parser

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCED = re.compile(r"^ {0,3}(```|~~~)[^\n]*\n.*?^ {0,3}\1[ \t]*$", re.S | re.M)
INLINE_CODE = re.compile(r"(`+).+?\1", re.S)


def heading_anchor(title: str) -> str:
    """GitHub's anchor for a heading: the rendered text lower-cased, punctuation dropped, spaces made hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link shows its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(document: Path) -> set[str]:
    """Every anchor of a Markdown file's headings; the second heading of one title gets `-1`, as on GitHub."""
    seen: dict[str, int] = {}
    result = set()
    for _, _, title in markdown_headings(document.read_text(encoding="utf-8")):
        anchor = heading_anchor(title)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        result.add(anchor if count == 0 else f"{anchor}-{count}")
    return result


def relative_links(document: Path) -> list[str]:
    """The link targets of a document's prose (code blocks and inline code left out), external URLs left out."""
    prose = INLINE_CODE.sub("", FENCED.sub("", document.read_text(encoding="utf-8")))
    return [target for target in LINK.findall(prose) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def code_blocks(language: str) -> list[tuple[str, str]]:
    """(document, block) for every fenced block of that language in README.md and docs/*.md."""
    return [(str(document.relative_to(ROOT)), block) for document in documents()
            for block in re.findall(rf"^```{language}\n(.*?)^```", document.read_text(encoding="utf-8"),
                                    re.S | re.M)]


@pytest.mark.parametrize("document", documents(), ids=lambda d: str(d.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_its_anchor(document):
    broken = []
    for target in relative_links(document):
        path, _, anchor = target.partition("#")
        destination = (document.parent / path).resolve() if path else document
        if not destination.exists() or not destination.is_relative_to(ROOT):
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with that anchor in {destination.relative_to(ROOT)}")
    assert not broken, broken


def test_the_link_check_sees_what_github_renders(tmp_path):
    """The checker itself: anchors as GitHub spells them, links in code left alone, a broken one caught."""
    page = tmp_path / "page.md"
    page.write_text("# Fixing and fix safety\n\n## `--fix` in CI\n\n## Notes\n\n## Notes\n\n"
                    "```sh\n# not a heading\necho [x](missing.md)\n```\n\n"
                    "See [a](#fixing-and-fix-safety), `[b](nowhere.md)`, ![c](img.png) and [d](https://x.org/y).\n")
    assert anchors(page) == {"fixing-and-fix-safety", "--fix-in-ci", "notes", "notes-1"}
    assert relative_links(page) == ["#fixing-and-fix-safety", "img.png"]


def test_the_documentation_is_linked_from_the_readme():
    """Every page under docs/ is reachable from the README, directly or through a page it links to."""
    reached, queue = set(), [ROOT / "README.md"]
    while queue:
        document = queue.pop()
        for target in relative_links(document):
            path = (document.parent / target.partition("#")[0]).resolve()
            if path.suffix == ".md" and path.is_file() and path not in reached:
                reached.add(path)
                queue.append(path)
    assert not [d.name for d in documents()[1:] if d.resolve() not in reached]


def documented_commands() -> list[tuple[str, str]]:
    """(document, command line) for every `tflint-vars` / `python -m tflint_vars` line of the `sh` blocks."""
    found = []
    for document, block in code_blocks("sh"):
        for line in commands(block):
            line = line.split("  #")[0].strip()  # the comment that explains it
            if line.startswith(("tflint-vars ", "python -m tflint_vars ")) and "[" not in line:  # `[...]`: synopsis
                found.append((document, line))
    return found


@pytest.mark.parametrize(("document", "line"), documented_commands())
def test_every_documented_command_is_one_the_cli_accepts(document, line):
    argv = shlex.split(re.split(r" [<>] ", line)[0])  # the command, not its redirections
    argv = argv[1:] if argv[0] == "tflint-vars" else argv[3:]
    argv = [word.split("|")[0] for word in argv]  # `json|sarif|github`: one of them
    try:
        build_parser().parse_args(argv)
    except SystemExit as error:  # `--version` exits 0 once printed; argparse exits 2 on what it refuses
        assert error.code == 0, f"{document}: `{line}` is refused by the CLI"


def test_the_documents_show_commands():
    """The parametrized test above has something to check: the README's quick start and usage at least."""
    lines = [line for document, line in documented_commands() if document == "README.md"]
    assert "tflint-vars check --fix src/" in lines and len(lines) >= 6


@pytest.mark.parametrize("language,parse", [
    ("toml", tomllib.loads),
    ("yaml", yaml.safe_load),
    ("json", json.loads),
    ("ini", lambda text: configparser.ConfigParser().read_string(text)),
])
def test_every_configuration_block_parses(language, parse):
    for document, block in code_blocks(language):
        try:
            parse(block)
        except Exception as error:  # noqa: BLE001 - any parser's error is the finding
            pytest.fail(f"{document}: a {language} block does not parse: {error}\n{block}")
