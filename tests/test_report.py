"""`tflint-vars report` (issue 19, item 6) through the real CLI on real files: the HTML report is valid HTML5
(html5lib, strict), self-contained (no script, no external resource) and its figures are `check`'s; markdown for a
pull-request comment; a real `verify` JSON report's verdicts show per module."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter

import html5lib
import pytest

from conftest import FIXTURES, ROOT, check_json, run_cli


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("report") / "fixtures"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("*.fixed", "*.toml"))
    return root


@pytest.fixture(scope="module")
def expected(project) -> Counter:
    """(code, fix level) -> findings, as `check` counts them."""
    return Counter((d["code"], d["fix"] or "none") for d in check_json(str(project)))


def test_html_report_is_valid_self_contained_and_counts_what_check_finds(project, expected, tmp_path):
    result = run_cli("report", str(project), "--html", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)  # raises on any error
    assert "<script" not in page and "<link" not in page and not re.search(r"(src|href)=", page)
    tags = [element.tag.rsplit("}", 1)[-1] for element in document.iter()]  # SVG elements are in SVG's namespace
    assert "svg" in tags and tags.count("rect") >= 3
    rows = {}
    for table in document.iter("table"):
        headers = [th.text for th in table.iter("th")]
        if headers[:2] == ["rule", "name"]:
            rows = {tr[0].text: [int(td.text) for td in tr[2:]] for tr in table.find("tbody")}
    assert rows, "no per-rule table"
    for code, (total, safe, unsafe, none) in rows.items():
        assert (safe, unsafe, none) == (expected[(code, "safe")], expected[(code, "unsafe")], expected[(code, "none")])
        assert total == safe + unsafe + none
    assert sum(r[0] for r in rows.values()) == sum(expected.values())
    summary = document.find(".//p").itertext()
    assert re.match(r"\d+ modules, [1-9]\d* Keras classes checked", "".join(summary))


def test_markdown_is_a_pull_request_comment_with_checks_figures(project, expected):
    result = run_cli("report", str(project), "--output-format", "markdown")
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"^\| (TFV\d+) \| [\w-]+ \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", result.stdout, re.M)
    assert {code: (int(s), int(u), int(n)) for code, _, s, u, n in rows} == \
        {code: (expected[(code, "safe")], expected[(code, "unsafe")], expected[(code, "none")])
         for code in {c for c, _ in expected}}
    assert "### Per package" in result.stdout and "`project_index/pkg`" in result.stdout


def test_verify_verdicts_show_per_module(tmp_path):
    module = tmp_path / "seed1_variable_in_init.py"
    shutil.copyfile(FIXTURES / "seed1_variable_in_init.py", module)
    shutil.copyfile(FIXTURES / "seed1_variable_in_init.toml", tmp_path / "seed1_variable_in_init.toml")
    verify = subprocess.run([sys.executable, "-m", "tflint_vars", "verify", str(module), "--output-format", "json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert verify.returncode == 0, verify.stderr
    (tmp_path / "verify.json").write_text(verify.stdout)
    assert {r["verdict"] for r in json.loads(verify.stdout)["results"]} == {"pass"}
    result = run_cli("report", str(tmp_path), "--verify-report", str(tmp_path / "verify.json"), "--html",
                     str(tmp_path / "out"), "--output-format", "markdown")
    assert "| `seed1_variable_in_init.py` | keras2 | pass |" in result.stdout
    assert "| `seed1_variable_in_init.py` | keras3 | pass |" in result.stdout
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "keras2: pass, keras3: pass" in page


def test_a_missing_path_or_a_broken_verify_report_is_an_error(tmp_path):
    assert run_cli("report", str(tmp_path / "nowhere")).returncode == 2
    (tmp_path / "bad.json").write_text("{not json")
    broken = run_cli("report", str(FIXTURES / "seed1_variable_in_init.py"), "--verify-report",
                     str(tmp_path / "bad.json"))
    assert broken.returncode == 2 and "--verify-report" in broken.stderr
