"""Issue 19, item 7: messages say what is wrong and what Keras 3 does, short as ruff's; the fix's title,
applicability and reason are fields of their own, shown in JSON, SARIF and `--show-fixes`."""

from __future__ import annotations

import json
import statistics

import pytest

from conftest import FIXTURES, check_json, run_cli

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


def test_a_filled_value_not_shown_a_number_is_filled_through_a_lambda(fixture_diagnostics):
    """A parameter of `__init__` with a number-literal default, never rebound, shows the value the fix fills the weight
    with is no string: Keras 3's Constant fills it. A None default, the name rebound first, or `init or 0.5` (`init`
    when truthy) shows nothing, so the fix fills the weight through `lambda shape, dtype=None: value`, which takes a
    string as well: safe either way."""
    def of(name):
        return {d["line"]: d for d in fixture_diagnostics if d["path"].endswith(f"/{name}.py")}
    shown = of("tfv001_value_from_number_default")
    assert {line: d["fix"] for line, d in shown.items()} == {9: "safe", 10: "safe"}
    unshown = of("tfv001_value_from_default_unshown")
    assert {line: d["fix"] for line, d in unshown.items()} == {9: "safe", 21: "safe", 31: "safe"}
    shown_fixed = (FIXTURES / "tfv001_value_from_number_default.py.fixed").read_text()
    unshown_fixed = (FIXTURES / "tfv001_value_from_default_unshown.py.fixed").read_text()
    assert "lambda shape, dtype=None" not in shown_fixed
    assert unshown_fixed.count("initializer=lambda shape, dtype=None, value=initial_value: value") == 3


def test_a_dtype_default_without_a_fix_names_the_use(fixture_diagnostics):
    """TFV017 has no fix where a use may tell a dtype name from a tf.DType; the reason names that use."""
    reasons = {d["line"]: d["fix_reason"] for d in fixture_diagnostics
               if d["path"].endswith("/tfv017_dtype_read_as_dtype.py")}
    assert reasons == {
        9: "`state_dtype.is_floating` (line 12) may tell a dtype name from a tf.DType: a string default may change "
           "what it does",
        20: "`.count_dtype` is read outside the class's own methods (line 33): a string default may change what it "
            "does"}
