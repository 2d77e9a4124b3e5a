"""Issue 19, item 5: every URL the tool prints resolves. No placeholder address is left; rule links point at the
rule's module (its docstring is the documentation), under the configured `docs-url` or, without one, at the
installed module itself (a file URI: the documentation ships with the package)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

from conftest import FIXTURES, ROOT, run_cli
from tflint_vars.docs import rule_help_uri
from tflint_vars.rules.registry import ALL_RULES

URL = re.compile(r"https?://[^\s\"'`)>\]]+")
# Addresses of other projects' pages, cited in comments and docs (each was opened when it was written).
EXTERNAL = ("https://docs.oasis-open.org/sarif/", "https://bford.info/cachedir/", "https://pre-commit.com",
            "https://keepachangelog.com/", "https://docs.astral.sh/ruff/", "https://import-linter.readthedocs.io/")


def _shipped_texts() -> list[Path]:
    files = [*(ROOT / "tflint_vars").rglob("*.py"), ROOT / "README.md", ROOT / "pyproject.toml",
             ROOT / ".pre-commit-hooks.yaml", *(ROOT / "docs").rglob("*.md")]
    return [f for f in files if f.is_file()]


def test_no_placeholder_or_unknown_url_remains():
    """The old `github.com/tflint-vars/tflint-vars` did not exist: no URL but the cited external pages."""
    found = {(str(path.relative_to(ROOT)), url) for path in _shipped_texts()
             for url in URL.findall(path.read_text(encoding="utf-8"))}
    assert not [(where, url) for where, url in found if not url.startswith(EXTERNAL)]
    assert not [path for path in _shipped_texts() if "github.com/tflint-vars" in path.read_text(encoding="utf-8")]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_without_a_docs_url_a_rule_links_to_its_installed_module(rule):
    uri = urlparse(rule_help_uri(rule))
    assert uri.scheme == "file"
    path = Path(url2pathname(uri.path))
    assert path.is_file() and f'"""{rule.documentation().splitlines()[0]}' in path.read_text(encoding="utf-8")


def test_sarif_without_a_docs_url_prints_no_url_but_its_schema():
    log = run_cli("check", "--output-format", "sarif", str(FIXTURES / "seed1_variable_in_init.py")).stdout
    assert [url for url in URL.findall(log)] == [json.loads(log)["$schema"]]


def test_a_configured_docs_url_links_every_rule_to_a_file_in_the_project(tmp_path):
    """`docs-url` is the project's root as a URL: each helpUri is it plus a path that exists in this checkout."""
    base = "https://example.org/tflint-vars/blob/main/"
    (tmp_path / "pyproject.toml").write_text(f'[tool.tflint-vars]\ndocs-url = "{base}"\n')
    (tmp_path / "layer.py").write_text((FIXTURES / "seed1_variable_in_init.py").read_text())
    log = json.loads(run_cli("check", "--output-format", "sarif", "layer.py", cwd=tmp_path).stdout)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == base
    assert [descriptor["id"] for descriptor in driver["rules"]] == [rule.code for rule in ALL_RULES]
    for descriptor in driver["rules"]:
        assert descriptor["helpUri"].startswith(base)
        assert (ROOT / descriptor["helpUri"][len(base):]).is_file()
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-vars]\ndocs-url = "github.com/x"\n')
    bad = run_cli("check", "layer.py", cwd=tmp_path)
    assert bad.returncode == 2 and "docs-url: expected an http(s):// or file:// URL" in bad.stderr
