"""`check --output-format text|concise|sarif|github` through the real CLI, checked against the JSON output and,
for SARIF, against the official SARIF 2.1.0 schema."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, SARIF_SCHEMA, check_json, run_cli

SEED1 = "fixtures/seed1_variable_in_init.py"


@pytest.fixture(scope="module")
def fixture_diagnostics() -> list[dict]:
    return check_json("fixtures")


# --- text and concise ---------------------------------------------------------------------------------------------

def test_concise_is_one_line_per_diagnostic_and_a_summary(fixture_diagnostics):
    result = run_cli("check", "--output-format", "concise", "fixtures")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    expected = [f"{d['path']}:{d['line']}:{d['column']}: {d['code']} {d['message']}" for d in fixture_diagnostics]
    assert lines[:-1] == expected
    assert re.fullmatch(r"Found \d+ diagnostics \(\d+ fixable with `--fix`, \d+ more with `--unsafe-fixes`\)\.",
                        lines[-1])


def test_text_is_the_default_and_shows_source_line_and_caret():
    default = run_cli("check", SEED1)
    assert default.stdout == run_cli("check", "--output-format", "text", SEED1).stdout
    source = (ROOT / SEED1).read_text().splitlines()
    lines = default.stdout.split("\n")
    # Two diagnostics, four lines each (diagnostic, source, caret, blank), then the summary and the final newline.
    assert len(lines) == 2 * 4 + 2 and lines[-1] == ""
    for block, (line, column) in zip((lines[0:4], lines[4:8]), ((8, 18), (9, 18))):
        assert block[0].startswith(f"{SEED1}:{line}:{column}: TFV001 `tf.Variable` in")
        assert block[1] == f"{line} | {source[line - 1]}"
        gutter = len(f"{line} | ")
        assert block[2] == " " * len(str(line)) + " | " + " " * (column - 1) + "^"
        assert block[1][gutter + column - 1:].startswith("tf.Variable(")
        assert block[3] == ""
    assert lines[8] == "Found 2 diagnostics (2 fixable with `--fix`)."


def test_text_caret_lines_up_under_tabs_and_wide_characters(tmp_path):
    """Tabs are expanded and East Asian wide characters take two cells, so the caret sits under `tf.Variable`.
    A form feed earlier in the file must not shift the line shown."""
    source = ("import tensorflow as tf\n\x0c\n\nclass L(tf.keras.layers.Layer):\n\tdef __init__(self, **kwargs):\n"
              "\t\tsuper().__init__(**kwargs)\n\t\tlabel = '漢字'; self.w = tf.Variable(0.0)\n")
    path = tmp_path / "wide.py"
    path.write_text(source, encoding="utf-8")
    result = run_cli("check", str(path))
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{path}:7:"), lines[0]
    shown, caret = lines[1], lines[2]
    assert shown.startswith("7 | ") and "\t" not in shown
    cells = shown.index("tf.Variable") + sum(1 for c in shown[:shown.index("tf.Variable")]
                                            if unicodedata.east_asian_width(c) == "W")
    assert caret.index("^") == cells


def test_text_shows_control_characters_escaped(tmp_path):
    """An escape byte inside a string on the reported line is shown as \\x1b, never sent to the terminal."""
    path = tmp_path / "escape.py"
    path.write_text("import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def __init__(self, **kwargs):\n"
                    "        super().__init__(**kwargs)\n        self.w = tf.Variable(0.0, name='\x1b[2J')\n")
    result = run_cli("check", str(path))
    assert "\x1b" not in result.stdout
    assert "name='\\x1b[2J')" in result.stdout


def _run_on_tty(*args: str, env_extra: dict[str, str]) -> str:
    """Run the CLI with stdout on a real pseudo-terminal and return what it printed."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(env_extra)
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "tflint_vars", *args], cwd=ROOT, stdout=secondary,
                                   stderr=subprocess.PIPE, env=env)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    finally:
        os.close(primary)
    return b"".join(chunks).decode()


@pytest.mark.parametrize(("stdout_is_tty", "env", "coloured"), [
    (True, {}, True),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
    (True, {"TERM": "dumb"}, False),
    (False, {}, False),
    (False, {"FORCE_COLOR": "1"}, True),
    (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
])
def test_colour_only_on_a_terminal_and_as_the_environment_says(stdout_is_tty, env, coloured):
    if stdout_is_tty:
        output = _run_on_tty("check", SEED1, env_extra={"TERM": "xterm", **env})
    else:
        base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        output = subprocess.run([sys.executable, "-m", "tflint_vars", "check", SEED1], cwd=ROOT, text=True,
                                capture_output=True, env={**base, **env}, timeout=120).stdout
    assert "TFV001" in output
    assert ("\x1b[" in output) is coloured


# --- sarif --------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sarif_log() -> dict:
    result = run_cli("check", "--output-format", "sarif", "fixtures")
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def test_sarif_validates_against_the_sarif_2_1_0_schema(sarif_log):
    from jsonschema import Draft4Validator

    schema = json.loads(SARIF_SCHEMA.read_text())
    Draft4Validator.check_schema(schema)
    errors = sorted(Draft4Validator(schema).iter_errors(sarif_log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_sarif_schema_validation_can_fail(sarif_log):
    """The validation above would catch a broken log: a result without its required message is rejected."""
    from jsonschema import Draft4Validator

    broken = json.loads(json.dumps(sarif_log))
    del broken["runs"][0]["results"][0]["message"]
    assert not Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).is_valid(broken)


def test_sarif_driver_documents_every_rule(sarif_log):
    from tflint_vars.rules.registry import ALL_RULES

    driver = sarif_log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "tflint-vars" and driver["version"] and "informationUri" not in driver  # no docs-url
    assert [r["id"] for r in driver["rules"]] == [rule.code for rule in ALL_RULES]
    for descriptor, rule in zip(driver["rules"], ALL_RULES):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary()
        assert descriptor["fullDescription"]["text"] and descriptor["fullDescription"]["text"] != rule.summary()
        assert descriptor["help"]["text"] == rule.documentation()
        assert "## Why is this bad?" in descriptor["help"]["markdown"]
        assert "helpUri" not in descriptor  # the documentation is in `help`; links need a docs-url (test_links.py)


def test_sarif_results_match_the_diagnostics(sarif_log, fixture_diagnostics):
    run = sarif_log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    got = []
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
        got.append((location["artifactLocation"]["uri"], location["region"]["startLine"],
                    location["region"]["startColumn"], result["ruleId"], result["message"]["text"],
                    result.get("properties", {}).get("fix")))
    expected = [(d["path"], d["line"], d["column"], d["code"], d["message"], d["fix"]) for d in fixture_diagnostics]
    assert got == expected
    assert any(fix == "safe" for *_, fix in got) and any(fix == "unsafe" for *_, fix in got)


def _apply_sarif_replacements(text: str, replacements: list[dict]) -> str:
    """SARIF 3.30 regions on text: lines end at \\r\\n, \\r or \\n; columns are 1-based and end columns exclusive."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    spans = [(offset(r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
              offset(r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"]),
              r["insertedContent"]["text"]) for r in replacements]
    for start, end, inserted in sorted(spans, reverse=True):
        text = text[:start] + inserted + text[end:]
    return text


@settings(max_examples=300, deadline=None)
@given(before=st.lists(st.sampled_from(["a\n", "b\n", "c\r\n", "d\r", "e", "\n", "ü\n"]), max_size=8),
       after=st.lists(st.sampled_from(["a\n", "b\n", "x\n", "c\r\n", "e", "y", "\n"]), max_size=8))
def test_sarif_line_replacements_turn_the_old_text_into_the_new(before, after):
    """Whatever the line ends, a missing final line end or an empty file, applying the replacements as SARIF
    defines regions gives exactly the new text."""
    from tflint_vars.output import _line_regions

    old, new = "".join(before), "".join(after)
    assert _apply_sarif_replacements(old, _line_regions(old, new)) == new


def test_sarif_fixes_apply_to_exactly_their_result(sarif_log):
    """Each result's fix, applied alone as SARIF says, leaves a module that parses and no longer has that
    diagnostic, while the file's other diagnostics stay; where the file has only that one fix, the result equals the
    fixture's expected fixed output."""
    from tflint_vars.engine import check_source

    results = sarif_log["runs"][0]["results"]
    with_fix = [r for r in results if "fixes" in r]
    assert {r["properties"]["fix"] for r in with_fix} == {"safe", "unsafe"}
    compared = 0
    for result in with_fix:
        (change,) = result["fixes"][0]["artifactChanges"]
        path = ROOT / change["artifactLocation"]["uri"]
        location = result["locations"][0]["physicalLocation"]
        assert change["artifactLocation"]["uri"] == location["artifactLocation"]["uri"]
        before = path.read_text()
        after = _apply_sarif_replacements(before, change["replacements"])
        compile(after, str(path), "exec")
        region = result["locations"][0]["physicalLocation"]["region"]
        here = (result["ruleId"], region["startLine"], region["startColumn"])
        diagnostics_before = check_source(before.encode(), str(path))
        diagnostics_after = check_source(after.encode(), str(path))
        assert here in {(d.code, d.line, d.column) for d in diagnostics_before}
        # TFV001/TFV003's fix also removes the Keras 2 tracking-list lines of its variable, and their TFV030 with them.
        hacks = [sum(d.code == "TFV030" for d in found) for found in (diagnostics_before, diagnostics_after)]
        coupled = hacks[0] - hacks[1] if here[0] in ("TFV001", "TFV003") else 0
        # The fix that inlines a helper's returned expression leaves its constructors where the layer keeps them,
        # reported (and fixable) on that line in their turn, as `check --fix`'s next pass fixes them.
        if result["fixes"][0]["description"]["text"].startswith("Inline"):
            old = {(d.code, d.line, d.column, d.message) for d in diagnostics_before}
            introduced = [d for d in diagnostics_after if (d.code, d.line, d.column, d.message) not in old]
            (fixed,) = [d for d in diagnostics_before if (d.code, d.line, d.column) == here]
            assert fixed.message not in {d.message for d in diagnostics_after}, (path.name, here)
            assert introduced and all(d.line == here[1] and d.fix for d in introduced), (path.name, here)
            assert len(diagnostics_after) - len(introduced) == len(diagnostics_before) - 1
            continue
        assert len(diagnostics_after) == len(diagnostics_before) - 1 - coupled, (path.name, here)
        if sum(1 for r in with_fix if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               == change["artifactLocation"]["uri"]) == 1:
            suffix = ".fixed" if result["properties"]["fix"] == "safe" else ".unsafe-fixed"
            assert after == path.with_name(path.name + suffix).read_text(), path.name
            compared += 1
    assert compared >= 5


def test_sarif_uris_are_relative_and_percent_encoded(tmp_path):
    folder = tmp_path / "my layers"
    folder.mkdir()
    (folder / "a,b.py").write_text((ROOT / SEED1).read_text())
    result = run_cli("check", "--output-format", "sarif", ".", cwd=tmp_path)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(result.stdout)["runs"][0]["results"]}
    assert uris == {"my%20layers/a%2Cb.py"}


def test_sarif_with_no_findings_is_a_valid_empty_run(tmp_path):
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = run_cli("check", "--output-format", "sarif", ".", cwd=tmp_path)
    assert result.returncode == 0
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and log["runs"][0]["results"] == []


# --- github -------------------------------------------------------------------------------------------------------

GITHUB_COMMAND = re.compile(r"::error file=(?P<file>[^,]*),line=(?P<line>\d+),col=(?P<col>\d+),"
                            r"title=(?P<title>[^:,]*)::(?P<message>.*)")


def test_github_format_is_one_workflow_command_per_diagnostic(fixture_diagnostics):
    result = run_cli("check", "--output-format", "github", "fixtures")
    assert result.returncode == 1
    got = []
    for line in result.stdout.splitlines():
        match = GITHUB_COMMAND.fullmatch(line)
        assert match, line
        got.append((match["file"], int(match["line"]), int(match["col"]), match["title"], match["message"]))

    def unescape(text: str) -> str:
        return text.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")

    assert [(path, line, col, title, unescape(message)) for path, line, col, title, message in got] == \
        [(d["path"], d["line"], d["column"], d["code"], d["message"]) for d in fixture_diagnostics]


def test_github_format_escapes_as_the_workflow_command_rules_say():
    from tflint_vars.diagnostics import Diagnostic
    from tflint_vars.output import github_command

    diagnostic = Diagnostic("dir,x/a:b%.py", 3, 5, "TFV001", "100% bad\r\nnext: a, b")
    assert github_command(diagnostic, base=str(ROOT)) == (
        "::error file=dir%2Cx/a%3Ab%25.py,line=3,col=5,title=TFV001::100%25 bad%0D%0Anext: a, b")


def test_github_paths_are_relative_to_the_working_directory(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "layer.py").write_text((ROOT / SEED1).read_text())
    result = run_cli("check", "--output-format", "github", str(tmp_path / "pkg"), cwd=tmp_path)
    assert result.stdout.startswith("::error file=pkg/layer.py,line=8,col=18,title=TFV001::")


def test_every_format_is_offered():
    result = run_cli("check", "--output-format", "nonsense", str(FIXTURES))
    assert result.returncode == 2
    for name in ("concise", "full", "github", "json", "sarif", "text"):
        assert name in result.stderr


def test_noqa_is_read_from_the_right_line_after_a_form_feed(tmp_path):
    """A form feed (a page break in old code) is not a line end for Python: `# noqa` must still match its line."""
    path = tmp_path / "paged.py"
    path.write_text("import tensorflow as tf\n\x0c\nclass L(tf.keras.layers.Layer):\n"
                    "    def __init__(self, **kwargs):\n"
                    "        super().__init__(**kwargs)\n        self.w = tf.Variable(0.0)  # noqa: TFV001\n"
                    "        self.v = tf.Variable(0.0)\n")
    assert [(d["line"], d["code"]) for d in check_json(str(path))] == [(7, "TFV001")]
