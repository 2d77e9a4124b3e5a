"""Issue 19, item 7: messages say what is wrong and what Keras 3 does, short as ruff's; the fix's title,
applicability and reason are fields of their own, shown in JSON, SARIF and `--show-fixes`."""

from __future__ import annotations

import json
import statistics

import pytest

from conftest import check_json, run_cli

SEED1 = "fixtures/seed1_variable_in_init.py"


@pytest.fixture(scope="module")
def fixture_diagnostics() -> list[dict]:
    return check_json("fixtures")


def test_messages_over_the_fixtures_are_short(fixture_diagnostics):
    lengths = [len(d["message"]) for d in fixture_diagnostics if d["code"] != "TFV000"]  # TFV000: the parser's words
    assert len(lengths) >= 80
    assert statistics.median(lengths) <= 90, statistics.median(lengths)
    assert max(lengths) <= 140, max(fixture_diagnostics, key=lambda d: len(d["message"]))["message"]


def test_the_fix_reasoning_is_not_in_the_message(fixture_diagnostics):
    for diagnostic in fixture_diagnostics:
        assert "fix:" not in diagnostic["message"] and "; use " not in diagnostic["message"], diagnostic


def test_every_fix_has_a_title_and_every_unsafe_or_missing_fix_a_reason(fixture_diagnostics):
    from tflint_vars.rules.registry import RULES_BY_CODE

    for diagnostic in fixture_diagnostics:
        assert diagnostic["applicability"] == (diagnostic["fix"] or "display-only")
        if diagnostic["fix"]:
            assert diagnostic["fix_title"], diagnostic
        if diagnostic["fix"] == "unsafe":
            assert diagnostic["fix_reason"], diagnostic
        if diagnostic["fix"] is None and diagnostic["code"] != "TFV000" and RULES_BY_CODE[diagnostic["code"]].fix:
            assert diagnostic["fix_reason"], diagnostic  # a rule that can fix says why it does not here


def test_sarif_results_carry_the_fix_fields(fixture_diagnostics):
    log = json.loads(run_cli("check", "--output-format", "sarif", "fixtures").stdout)
    results = log["runs"][0]["results"]
    assert len(results) == len(fixture_diagnostics)
    for result, diagnostic in zip(results, fixture_diagnostics):
        properties = result["properties"]
        assert properties["applicability"] == diagnostic["applicability"]
        assert properties.get("fixTitle") == diagnostic["fix_title"]
        assert properties.get("fixReason") == diagnostic["fix_reason"]
        for fix in result.get("fixes", []):
            assert fix["description"]["text"].startswith(diagnostic["fix_title"])


def test_the_rule_command_keeps_the_whole_story():
    """The short message leaves the reasoning to `tflint-vars rule CODE`, which prints the whole docstring."""
    text = run_cli("rule", "TFV001").stdout
    for heading in ("## What it does", "## Why is this bad?", "## Fix safety"):
        assert heading in text
    assert "not in `layer.weights`" in text
