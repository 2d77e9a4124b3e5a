"""Jupyter notebooks through the real CLI, on real .ipynb files: seed 1's layer in a notebook (markdown, magics, a
shell escape, a %%bash cell, outputs, metadata; written by nbformat), located by cell in every output format,
fixed in place with everything but its code kept, and broken notebooks reported without stopping the run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, SARIF_SCHEMA, check_json, read_index, run_cli

NOTEBOOKS = ROOT / "tests" / "data" / "notebooks"
SEED1_NOTEBOOK = NOTEBOOKS / "seed1_layer.ipynb"
SEED1 = FIXTURES / "seed1_variable_in_init.py"

ESCAPE = re.compile(r"\s*[%!]|.*\?$")


def _notebook(cells: list[tuple[str, str | list[str]]], language: str = "python") -> dict:
    return {
        "cells": [{"cell_type": kind, "id": f"c{index}", "metadata": {}, "source": source,
                   **({"execution_count": None, "outputs": []} if kind == "code" else {})}
                  for index, (kind, source) in enumerate(cells)],
        "metadata": {"language_info": {"name": language}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _write(path: Path, document: dict) -> Path:
    """As nbformat writes a notebook."""
    path.write_text(json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _python_of(path: Path) -> str:
    """The notebook's code as a .py file holds it: code cells without IPython escape lines and without cell-magic
    cells that are not Python, separated by blank lines (how seed1_layer.ipynb was cut from the fixture)."""
    cells = [_source(c) for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    kept = ["\n".join(line for line in source.split("\n") if not ESCAPE.match(line))
            for source in cells if not source.startswith("%%bash")]
    return "\n\n".join(kept) + "\n"


def _without_code(document: dict) -> dict:
    document = json.loads(json.dumps(document))
    for cell in document["cells"]:
        if cell["cell_type"] == "code":
            del cell["source"]
    return document


def _validate(path: Path) -> None:
    """nbformat's own validation when it is installed (the `test` extra), else the structure nbformat 4 requires."""
    document = json.loads(path.read_bytes())
    try:
        import nbformat
    except ImportError:
        assert document["nbformat"] == 4 and isinstance(document["metadata"], dict)
        for cell in document["cells"]:
            assert cell["cell_type"] in ("code", "markdown", "raw") and isinstance(cell["source"], (str, list))
        return
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))


@pytest.fixture
def seed1_copy(tmp_path) -> Path:
    return Path(shutil.copy(SEED1_NOTEBOOK, tmp_path / "layer.ipynb"))


def test_the_notebook_holds_the_seed_fixture():
    """The test data is what it claims: its code cells are seed 1's fixture, line for line."""
    assert _python_of(SEED1_NOTEBOOK) == SEED1.read_text()
    _validate(SEED1_NOTEBOOK)


def test_notebook_gets_the_py_files_findings_at_cell_and_line():
    """The same diagnostics as the .py, each at the line of the cell that holds the .py's line."""
    [py_run] = [check_json(str(SEED1))]
    notebook_run = check_json(str(SEED1_NOTEBOOK))
    assert [(d["code"], d["column"], d["message"], d["fix"]) for d in notebook_run] == \
        [(d["code"], d["column"], d["message"], d["fix"]) for d in py_run]
    assert [(d["cell"], d["line"]) for d in notebook_run] == [(3, 6), (3, 7)]  # cell 3: the class; cell 1 is markdown
    assert all(d["cell"] is None for d in py_run)
    cells = json.loads(SEED1_NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    py_lines = SEED1.read_text().split("\n")
    for in_notebook, in_py in zip(notebook_run, py_run):
        assert _source(cells[in_notebook["cell"] - 1]).split("\n")[in_notebook["line"] - 1] == \
            py_lines[in_py["line"] - 1]


def test_a_named_notebook_is_checked_in_text_and_concise_formats():
    concise = run_cli("check", "--output-format", "concise", str(SEED1_NOTEBOOK.relative_to(ROOT)))
    assert concise.returncode == 1
    assert concise.stdout.splitlines()[0].startswith("tests/data/notebooks/seed1_layer.ipynb:cell 3:6:18: TFV001 ")
    text = run_cli("check", str(SEED1_NOTEBOOK.relative_to(ROOT))).stdout
    assert "tests/data/notebooks/seed1_layer.ipynb:cell 3:7:18: TFV001" in text
    # The source line shown is the cell's line, with the caret under `tf.Variable`.
    shown = "7 |         self.b = tf.Variable(tf.zeros(shape=(units,)), name='bias')\n  |                  ^\n"
    assert shown in text
    assert "All checks passed!" not in text


def test_sarif_names_the_cell_and_validates(tmp_path, seed1_copy):
    result = run_cli("check", "--output-format", "sarif", "layer.ipynb", cwd=tmp_path)
    log = json.loads(result.stdout)
    results = log["runs"][0]["results"]
    # The cell and the line and column in it are in the properties; the region is the notebook file's own line
    # (GitHub code scanning reads it so): lines 51 and 52 of the JSON hold the cell's lines 6 and 7.
    assert [(r["locations"][0]["properties"], r["locations"][0]["physicalLocation"]["region"]) for r in results] == [
        ({"cell": 3, "cellLine": 6, "cellColumn": 18}, {"startLine": 51, "startColumn": 23}),
        ({"cell": 3, "cellLine": 7, "cellColumn": 18}, {"startLine": 52, "startColumn": 23})]
    assert results[0]["locations"][0]["logicalLocations"] == [{"name": "cell 3"}]
    assert results[0]["locations"][0]["message"] == {"text": "cell 3, line 6, column 18"}
    # Each fix is a change to the notebook file (the artifact): applied alone, it leaves a valid notebook with one
    # diagnostic fewer.
    before = seed1_copy.read_text(encoding="utf-8")
    for sarif_result in results:
        (change,) = sarif_result["fixes"][0]["artifactChanges"]
        assert change["artifactLocation"]["uri"] == "layer.ipynb"
        lines = before.splitlines(keepends=True)
        for replacement in sorted(change["replacements"], key=lambda r: -r["deletedRegion"]["startLine"]):
            region = replacement["deletedRegion"]
            assert region["startColumn"] == region["endColumn"] == 1
            lines[region["startLine"] - 1:region["endLine"] - 1] = [replacement["insertedContent"]["text"]]
        after = tmp_path / "one_fix.ipynb"
        after.write_text("".join(lines), encoding="utf-8")
        _validate(after)
        assert len(check_json("one_fix.ipynb", cwd=tmp_path)) == 1
    from jsonschema import Draft4Validator

    errors = list(Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).iter_errors(log))
    assert not errors, [e.message for e in errors[:3]]


def test_github_annotations_name_the_cell(tmp_path, seed1_copy):
    result = run_cli("check", "--output-format", "github", "layer.ipynb", cwd=tmp_path)
    first = result.stdout.splitlines()[0]
    # The annotation goes on the JSON line holding the cell's line 6 (line 51 of the file), the cell in its text.
    assert first.startswith("::error file=layer.ipynb,line=51,col=23,title=TFV001 (cell 3%3A6%3A18)::cell 3, line 6, "
                            "column 18: ")


def _cell_line(document: dict, cell: int, line: int) -> str:
    return re.split(r"\r\n|\r|\n", _source(document["cells"][cell - 1]))[line - 1]


@pytest.mark.parametrize("indent, ensure_ascii, as_list", [(1, False, True), (1, True, True), (None, True, False),
                                                           (2, False, False)],
                         ids=["nbformat", "ascii-escapes", "one-line-json", "source-as-one-string"])
def test_sarif_and_github_locations_are_the_notebook_files_own_lines(tmp_path, indent, ensure_ascii, as_list):
    """Against the .ipynb JSON itself: at each SARIF region and each annotation's line and column, the JSON text
    holds the cell's line from the diagnostic's column on, as JSON writes it (escapes included); checked for
    nbformat's layout, ASCII escapes (a non-ASCII name and a tab before the column), a notebook on one line, and
    sources stored as one string. Each SARIF log validates against the schema."""
    from jsonschema import Draft4Validator

    body = ("import tensorflow as tf\n\n\nclass Caf\u00e9(tf.keras.layers.Layer):\n    def __init__(self, **kw):\n"
            "        super().__init__(**kw)\n        x = '\u2014\t'; self.w = tf.Variable(tf.zeros((2,)))\n"
            "        self.b = tf.Variable(tf.ones((2,)))  # \U0001F600\n")
    cells = [("markdown", ["# A title \u2014 with a dash\n", "and \"quotes\"\n"]), ("code", "x = 1\n"),
             ("code", body.splitlines(keepends=True) if as_list else body)]
    document = _notebook(cells)
    path = tmp_path / "layer.ipynb"
    path.write_text(json.dumps(document, indent=indent, ensure_ascii=ensure_ascii) + "\n", encoding="utf-8")
    raw_lines = path.read_text(encoding="utf-8").split("\n")
    diagnostics = check_json("layer.ipynb", cwd=tmp_path)
    assert [(d["cell"], d["line"]) for d in diagnostics] == [(3, 7), (3, 8)]

    def holds(line: int, column: int, diagnostic: dict) -> bool:
        rest = _cell_line(document, diagnostic["cell"], diagnostic["line"])[diagnostic["column"] - 1:]
        written = json.dumps(rest, ensure_ascii=ensure_ascii)[1:-1]
        return raw_lines[line - 1][column - 1:].startswith(written)

    log = json.loads(run_cli("check", "--output-format", "sarif", "layer.ipynb", cwd=tmp_path).stdout)
    assert not list(Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).iter_errors(log))
    for result, diagnostic in zip(log["runs"][0]["results"], diagnostics):
        region = result["locations"][0]["physicalLocation"]["region"]
        assert holds(region["startLine"], region["startColumn"], diagnostic), (region, diagnostic)
        assert result["locations"][0]["properties"] == {"cell": 3, "cellLine": diagnostic["line"],
                                                        "cellColumn": diagnostic["column"]}
    github = run_cli("check", "--output-format", "github", "layer.ipynb", cwd=tmp_path).stdout.splitlines()
    for command, diagnostic in zip(github, diagnostics):
        found = re.match(r"::error file=layer\.ipynb,line=(\d+),col=(\d+),title=", command)
        assert found and holds(int(found[1]), int(found[2]), diagnostic), command


def test_fix_writes_a_valid_notebook_whose_code_is_the_fixed_fixture(seed1_copy, tmp_path):
    before = json.loads(seed1_copy.read_bytes())
    result = run_cli("check", "--fix", "layer.ipynb", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Fixed 2 of 2 diagnostics (1 file changed)." in result.stdout
    _validate(seed1_copy)
    data = seed1_copy.read_bytes()
    after = json.loads(data)
    assert _python_of(seed1_copy) == (FIXTURES / "seed1_variable_in_init.py.fixed").read_text()
    # Outputs, metadata, ids, markdown/raw cells, the magics and the %%bash cell: all as they were.
    assert _without_code(after) == _without_code(before)
    changed = [i for i, (old, new) in enumerate(zip(before["cells"], after["cells"])) if old != new]
    assert changed == [2]
    assert _source(after["cells"][1]).startswith("%matplotlib inline\n!pip install --quiet tensorflow\n")
    assert isinstance(after["cells"][2]["source"], list)  # stored as nbformat stores it
    # Written as nbformat writes: indent 1, keys as they were, non-ASCII kept, a final newline.
    assert data.decode("utf-8") == json.dumps(after, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert "Überprüfung ✓ 学习" in data.decode("utf-8")
    # Idempotent: nothing left, nothing changed.
    again = run_cli("check", "--fix", "layer.ipynb", cwd=tmp_path)
    assert again.returncode == 0 and "Fixed 0 of 0 diagnostics (0 files changed)." in again.stdout
    assert seed1_copy.read_bytes() == data


def test_diff_prints_the_cells_diff_and_writes_nothing(seed1_copy, tmp_path):
    data = seed1_copy.read_bytes()
    result = run_cli("check", "--diff", "layer.ipynb", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("--- layer.ipynb:cell 3\n+++ layer.ipynb:cell 3\n")
    assert "-        self.w = tf.Variable(tf.random.normal(shape=(1, units)), name='weight')\n" in result.stdout
    assert "+        self.w = self.add_weight(name='weight', shape=(1, units),\n" in result.stdout
    assert "Would fix 2 of 2 diagnostics (1 file would change)." in result.stderr
    assert seed1_copy.read_bytes() == data


def test_broken_notebooks_are_tfv000_and_the_run_goes_on(tmp_path, seed1_copy):
    (tmp_path / "truncated.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "not_a_notebook.ipynb").write_text('{"name": "x"}\n', encoding="utf-8")
    (tmp_path / "latin1.ipynb").write_bytes(b'{"cells": [], "x": "\xe9"}')
    _write(tmp_path / "syntax.ipynb", _notebook([("markdown", "x"), ("code", "import tensorflow as tf\n"),
                                                 ("code", "x = (1,\n")]))
    result = run_cli("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "./truncated.ipynb:1:12: TFV000 not a valid notebook: invalid JSON: Expecting value" in lines
    assert './not_a_notebook.ipynb:1:1: TFV000 not a valid notebook: the JSON has no "cells" list' in lines
    assert any(line.startswith("./latin1.ipynb:1:1: TFV000 cannot decode the notebook") for line in lines)
    assert "./syntax.ipynb:cell 3:1:5: TFV000 cannot parse: '(' was never closed" in lines
    assert sum(1 for line in lines if line.startswith("./layer.ipynb:cell 3:")) == 2
    # --fix fixes the good one and leaves the broken ones byte for byte.
    truncated = (tmp_path / "truncated.ipynb").read_bytes()
    fixed = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert "Fixed 2 of 6 diagnostics (1 file changed)." in fixed.stdout
    assert (tmp_path / "truncated.ipynb").read_bytes() == truncated
    _validate(seed1_copy)


def test_escapes_cell_magics_and_noqa_in_cells(tmp_path):
    _write(tmp_path / "escapes.ipynb", _notebook([
        ("code", ["import tensorflow as tf\n", "files = !ls\n", "tf.Variable?\n", "%time x = 1"]),
        ("code", ["class L(tf.keras.layers.Layer):\n", "    def build(self, input_shape):\n",
                  "        %time y = 2\n", "        !echo \\\n", "   continued\n",
                  "        self.w = tf.Variable(tf.zeros((2,)))\n",
                  "        self.v = tf.Variable(tf.zeros((2,)))  # noqa: TFV003\n", "        tf.zeros??"]),
        ("code", ["%%writefile not_python.py\n", "self.w = tf.Variable(1.0)\n", "this is not python\n"]),
        ("code", ["%%capture\n", "class M(tf.keras.layers.Layer):\n", "    def __init__(self, **kwargs):\n",
                  "        super().__init__(**kwargs)\n", "        self.w = tf.Variable(1.0)\n"]),
    ]))
    diagnostics = check_json("escapes.ipynb", cwd=tmp_path)
    assert [(d["code"], d["cell"], d["line"], d["column"]) for d in diagnostics] == [("TFV003", 2, 6, 18),
                                                                                    ("TFV001", 4, 5, 18)]
    before = json.loads((tmp_path / "escapes.ipynb").read_bytes())
    assert run_cli("check", "--fix", "escapes.ipynb", cwd=tmp_path).returncode == 0
    after = json.loads((tmp_path / "escapes.ipynb").read_bytes())
    cell = after["cells"][1]["source"]
    # The escapes are back as they were.
    assert cell[2:5] == ["        %time y = 2\n", "        !echo \\\n", "   continued\n"]
    assert cell[5:7] == ['        self.w = self.add_weight(shape=(2,), initializer="zeros",\n',
                         '                                 dtype="float32", autocast=False)\n']
    assert cell[-1] == "        tf.zeros??"
    assert after["cells"][2] == before["cells"][2]  # %%writefile: not Python, never touched
    assert after["cells"][3]["source"][0] == "%%capture\n"
    _validate(tmp_path / "escapes.ipynb")


def test_an_import_a_fix_adds_goes_into_the_cell_where_the_imports_end(tmp_path):
    _write(tmp_path / "imports.ipynb", _notebook([
        ("markdown", "# Imports"),
        ("code", "import numpy as np\n"),
        ("code", "from tensorflow.keras.layers import Layer\nfrom tensorflow import Variable, random"),
        ("code", "class X(Layer):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
                 "        self.w = Variable(random.normal((2, 2)))\n"),
    ]))
    assert run_cli("check", "--fix", "imports.ipynb", cwd=tmp_path).returncode == 0
    cells = json.loads((tmp_path / "imports.ipynb").read_bytes())["cells"]
    assert cells[2]["source"] == ("from tensorflow.keras.layers import Layer\nfrom tensorflow import Variable, random\n"
                                  "import tensorflow as tf")
    assert "initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0)" in cells[3]["source"]


def test_a_notebook_whose_json_formatting_cannot_be_kept_is_not_rewritten(tmp_path, seed1_copy):
    hand_made = seed1_copy.read_text(encoding="utf-8").replace('"cells": [', '"cells" :  [', 1)
    seed1_copy.write_text(hand_made, encoding="utf-8")
    result = run_cli("check", "--fix", "layer.ipynb", cwd=tmp_path)
    assert result.returncode == 1
    assert "layer.ipynb:cell 3:6:18: TFV001 fix not applied: its JSON formatting cannot be reproduced" in result.stderr
    assert seed1_copy.read_text(encoding="utf-8") == hand_made


def test_directories_include_notebooks_and_extend_exclude_drops_them(tmp_path, seed1_copy):
    checkpoints = tmp_path / ".ipynb_checkpoints"
    checkpoints.mkdir()
    shutil.copy(SEED1_NOTEBOOK, checkpoints / "layer-checkpoint.ipynb")
    _write(tmp_path / "r.ipynb", _notebook([("code", "x <- tf.Variable(1)\nclass(x)")], language="R"))
    julia = _notebook([("code", "w = tf.Variable(1)\nclass(w)")])
    julia["metadata"] = {"kernelspec": {"name": "julia-1.10", "language": "julia", "display_name": "Julia 1.10"}}
    _write(tmp_path / "julia.ipynb", julia)  # never run: no language_info, the kernelspec says Julia
    assert {(d["path"], d["cell"]) for d in check_json(".", cwd=tmp_path)} == {("./layer.ipynb", 3)}
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-vars]\nextend-exclude = ["*.ipynb"]\n')
    assert check_json(".", cwd=tmp_path) == []
    assert len(check_json("layer.ipynb", cwd=tmp_path)) == 2  # named on the command line: checked
    assert check_json("--force-exclude", "layer.ipynb", cwd=tmp_path) == []


def test_the_cache_remembers_a_notebook_by_cell(tmp_path, seed1_copy, monkeypatch):
    monkeypatch.setenv("TFLINT_VARS_CACHE_DIR", str(tmp_path / "cache"))
    cold = check_json("layer.ipynb", cwd=tmp_path)
    index = next((tmp_path / "cache").glob("index-*.json"))
    rows = next(iter(read_index(index)["files"].values()))[2]
    assert rows[0][-1] == 3  # the cell is remembered with the row
    assert check_json("layer.ipynb", cwd=tmp_path) == cold
    # A changed notebook is checked again.
    seed1_copy.write_text(seed1_copy.read_text(encoding="utf-8").replace("name='bias')", "name='bias')  # noqa"),
                          encoding="utf-8")
    assert [d["line"] for d in check_json("layer.ipynb", cwd=tmp_path)] == [6]


def test_lines_that_only_look_like_escapes_are_code_and_unsafe_fixes_work(tmp_path):
    """`%` at the start of a docstring line or of a continuation line is Python, not a magic; `%%html` is skipped;
    a function outside a layer is not reported; --unsafe-fixes moves state into a new `build` in its cell; a
    notebook saved with CRLF line ends keeps them."""
    path = _write(tmp_path / "held.ipynb", _notebook([
        ("markdown", "Some text with tf.Variable in markdown"),
        ("code", ["%load_ext autoreload\n", "%autoreload 2\n", "import numpy as np\n", "import tensorflow as tf\n",
                  "from tensorflow import keras\n"]),
        ("code", ["class Scale(keras.layers.Layer):\n", '    """Scales.\n', "\n", "    %d percent? really?\n",
                  '    """\n', "    def __init__(self, **kw):\n", "        super().__init__(**kw)\n",
                  "        self.s = tf.Variable(1.0, name='s')\n"]),
        ("code", ["x = np.ones((2, 3))\n", "total = (x.sum()\n", "         % 7)\n", "Scale()(x)"]),
        ("code", ["class Lazy(tf.keras.layers.Layer):\n", "    def call(self, x):\n",
                  "        b = tf.Variable(tf.zeros((3,)))\n", "        return x + b\n"]),
        ("code", ["%%html\n", "<b>tf.Variable</b>\n"]),
        ("code", ["def helper():\n", "    v = tf.Variable(0.0)\n", "    return v\n", "helper??\n"]),
    ]))
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = json.loads(path.read_bytes())
    diagnostics = check_json("held.ipynb", cwd=tmp_path)
    assert [(d["code"], d["cell"], d["line"], d["fix"]) for d in diagnostics] == [("TFV001", 3, 8, "safe"),
                                                                                 ("TFV002", 5, 3, "unsafe")]
    result = run_cli("check", "--fix", "--unsafe-fixes", "held.ipynb", cwd=tmp_path)
    assert "Fixed 2 of 2 diagnostics (1 file changed)." in result.stdout, result.stderr
    _validate(path)
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    after = json.loads(data)
    assert _without_code(after) == _without_code(before)
    assert [i for i, (old, new) in enumerate(zip(before["cells"], after["cells"])) if old != new] == [2, 4]
    assert after["cells"][2]["source"][3] == "    %d percent? really?\n"
    assert "".join(after["cells"][4]["source"]) == (
        "class Lazy(tf.keras.layers.Layer):\n    def build(self, input_shape):\n"
        '        self.b = self.add_weight(shape=(3,), initializer="zeros",\n'
        '                                 dtype="float32", autocast=False)\n\n'
        "    def call(self, x):\n        return x + self.b\n")


# --- property: any mix of cells --------------------------------------------------------------------------------------

CELL_PARTS = [
    "import tensorflow as tf\n",
    "from tensorflow import keras\n",
    "%matplotlib inline\n",
    "!pip install -q tensorflow\n",
    "files = !ls\n",
    "tf.Variable?\n",
    "class A(tf.keras.layers.Layer):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
    "        self.w = tf.Variable(tf.zeros((2,)))  # TFV001\n",
    "class B(keras.layers.Layer):\n    def call(self, x):\n        %time y = 1\n"
    "        b = tf.Variable(tf.ones((3,)))\n        return x + b\n",
    "class C(tf.keras.layers.Layer):\n    def build(self, s):\n        self.v = tf.Variable(1.0)\n",
    'doc = """\n%d percent?\n!important\n"""\n',
    "total = (1\n         % 7)\n",
]
IMPORTS = "import tensorflow as tf\nfrom tensorflow import keras\n"
CELL_MAGICS = ["", "", "%%time\n", "%%capture\n", "%%bash\n"]


def _escape_lines(source: str) -> list[str]:
    return [line for line in source.split("\n") if ESCAPE.match(line)]


@pytest.fixture(scope="module")
def changed():
    """Whether each example's fix changed its notebook: most must, or the property says little."""
    outcomes: list[bool] = []
    yield outcomes
    assert sum(outcomes) >= len(outcomes) // 3, outcomes


@pytest.mark.parametrize("seed", range(40))
def test_any_mix_of_cells_checks_and_fixes_to_a_valid_notebook(seed, changed):
    """Random notebooks from the parts above: checking never raises; fixing (unsafe too) gives JSON that is the same
    notebook but for code, every escape line back in its cell in order, cells that parsed still parse, and a second
    fix changes nothing."""
    import random

    from tflint_vars.engine import check_source
    from tflint_vars.fixes.fixer import fix_bytes
    from tflint_vars.notebook import _parses, checked_source

    rng = random.Random(seed)
    cells = [("code", rng.choice(["", "%load_ext autoreload\n"]) + IMPORTS)]
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.2:
            cells.append(("markdown", "# notes\nself.w = tf.Variable(0)"))
            continue
        source = rng.choice(CELL_MAGICS) + "".join(rng.sample(CELL_PARTS, rng.randint(1, 4)))
        if rng.random() < 0.05:
            source += "x = (1,\n"  # does not parse: TFV000, nothing fixed
        cells.append(("code", source.rstrip("\n") if rng.random() < 0.5 else source))
    document = _notebook(cells)
    data = (json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()
    diagnostics = check_source(data, "nb.ipynb")
    assert all(d.cell is not None for d in diagnostics)
    result = fix_bytes(data, "nb.ipynb", unsafe=True)
    after = json.loads(result.data)
    assert _without_code(after) == _without_code(document)
    for old, new in zip(document["cells"], after["cells"]):
        if old["cell_type"] != "code":
            assert old == new
            continue
        assert _escape_lines(_source(new)) == _escape_lines(_source(old))
        old_python, new_python = checked_source(_source(old), {}), checked_source(_source(new), {})
        if old_python is not None and _parses(old_python):
            assert _parses(new_python)
    changed.append(result.changed)
    if result.changed:
        assert result.fixed
        again = fix_bytes(result.data, "nb.ipynb", unsafe=True)
        assert again.data == result.data


SEED1_LAYER = """class Linear(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(tf.zeros((4, units)), name="w")

    def call(self, inputs):
        return tf.matmul(inputs, self.w)
"""


def test_a_cell_that_does_not_parse_is_tfv000_there_and_the_other_cells_are_checked_and_fixed(tmp_path):
    """As ruff: the broken cell is reported and left alone; the layer in another cell is still found and fixed."""
    path = _write(tmp_path / "mixed.ipynb", _notebook([("code", "import tensorflow as tf\n"),
                                                        ("code", "x = (1,\n"),
                                                        ("code", SEED1_LAYER)]))
    result = run_cli("check", "--output-format", "concise", str(path), cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert f"{path}:cell 2:1:5: TFV000 cannot parse: '(' was never closed" in lines
    assert any(line.startswith(f"{path}:cell 3:4:18: TFV001") for line in lines), lines
    fixed = run_cli("check", "--fix", str(path), cwd=tmp_path)
    assert "Fixed 1 of 2" in fixed.stdout, fixed.stdout + fixed.stderr  # TFV001; the broken cell's TFV000 stays
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert _source(cells[1]) == "x = (1,\n"  # the broken cell is kept as it was
    assert "self.add_weight(" in _source(cells[2]) and "tf.Variable" not in _source(cells[2])
    _validate(path)


def test_a_cell_indented_as_a_whole_is_checked_as_ipython_runs_it_and_fixed_in_place(tmp_path):
    indented = "".join("  " + line if line.strip() else line for line in SEED1_LAYER.splitlines(keepends=True))
    path = _write(tmp_path / "indented.ipynb", _notebook([("code", "import tensorflow as tf\n"),
                                                           ("code", indented)]))
    result = run_cli("check", "--output-format", "concise", str(path), cwd=tmp_path)
    assert "TFV000" not in result.stdout
    # Column 20: the finding's column in the cell as written, with its two-space indentation.
    assert any(line.startswith(f"{path}:cell 2:4:20: TFV001") for line in result.stdout.splitlines()), result.stdout
    run_cli("check", "--fix", str(path), cwd=tmp_path)
    fixed = _source(json.loads(path.read_text(encoding="utf-8"))["cells"][1])
    assert "self.add_weight(" in fixed
    assert all(line.startswith("  ") for line in fixed.splitlines() if line.strip()), fixed
    assert run_cli("check", str(path), cwd=tmp_path).returncode == 0


def test_add_noqa_writes_into_the_cell_and_keeps_the_notebook_valid(tmp_path, seed1_copy):
    before = json.loads(seed1_copy.read_text(encoding="utf-8"))
    result = run_cli("check", "--add-noqa", str(seed1_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = json.loads(seed1_copy.read_text(encoding="utf-8"))  # still JSON
    assert _without_code(after) == _without_code(before)
    assert any("# noqa: TFV" in _source(cell) for cell in after["cells"] if cell["cell_type"] == "code")
    _validate(seed1_copy)
    assert run_cli("check", str(seed1_copy), cwd=tmp_path).returncode == 0


def test_a_fix_in_an_indented_cell_keeps_its_other_lines_as_written(tmp_path):
    """Re-indenting writes back only the lines the fix wrote: a whitespace-only line stays as it was, and a cell
    elsewhere whose indentation is not uniform (a string's lines) does not stop the fix."""
    indented = "".join("  " + line if line.strip() else "  \n" for line in SEED1_LAYER.splitlines(keepends=True))
    uneven = '  text = """\nnot indented\n  """\n  y = 1\n'
    path = _write(tmp_path / "indented.ipynb", _notebook([("code", "import tensorflow as tf\n"), ("code", uneven),
                                                           ("code", indented)]))
    fixed = run_cli("check", "--fix", str(path), cwd=tmp_path)
    assert "Fixed 1 of 1" in fixed.stdout, fixed.stdout + fixed.stderr
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert _source(cells[1]) == uneven
    after = _source(cells[2]).splitlines(keepends=True)
    assert "self.add_weight(" in _source(cells[2])
    assert [line for line in after if not line.strip()] == ["  \n"], after  # the blank line keeps its whitespace
    assert all(line.startswith("  ") for line in after), after
    _validate(path)


def test_an_indented_cell_after_blank_lines_is_dedented_as_ipython_does(tmp_path):
    """IPython drops a cell's leading blank lines before it removes the whole cell's indentation."""
    indented = "\n" + "".join("    " + line if line.strip() else line for line in SEED1_LAYER.splitlines(True))
    path = _write(tmp_path / "late.ipynb", _notebook([("code", "import tensorflow as tf\n"), ("code", indented)]))
    result = run_cli("check", "--output-format", "concise", str(path), cwd=tmp_path)
    assert "TFV000" not in result.stdout, result.stdout
    assert any(line.startswith(f"{path}:cell 2:5:22: TFV001") for line in result.stdout.splitlines()), result.stdout
    run_cli("check", "--fix", str(path), cwd=tmp_path)
    fixed = _source(json.loads(path.read_text(encoding="utf-8"))["cells"][1])
    assert fixed.startswith("\n    class ") and "self.add_weight(" in fixed, fixed
    _validate(path)


def test_add_noqa_and_show_fixes_name_the_cell_of_what_they_leave(tmp_path):
    """What --add-noqa skips and what --show-fixes lists are located by cell, as every other notebook message is,
    and a cell that does not parse is skipped as TFV000, not as a line outside the code."""
    path = _write(tmp_path / "broken.ipynb", _notebook([("code", "import tensorflow as tf\n"),
                                                         ("code", "x = (1,\n"), ("code", SEED1_LAYER)]))
    shown = run_cli("check", "--show-fixes", "--output-format", "concise", str(path), cwd=tmp_path)
    assert f"  {path}:cell 2:1:5: TFV000 no fix" in shown.stdout, shown.stdout
    assert f"  {path}:cell 3:4:18: TFV001 safe fix" in shown.stdout, shown.stdout
    added = run_cli("check", "--add-noqa", str(path), cwd=tmp_path)
    assert (f"{path}:cell 2:1:5: TFV000 noqa not added: TFV000 (unreadable or not fully checked) cannot be silenced "
            "with noqa") in added.stderr.splitlines(), added.stderr
    assert "# noqa: TFV001" in _source(json.loads(path.read_text(encoding="utf-8"))["cells"][2])


def test_a_notebook_written_back_twice_is_as_written_once():
    """`fix_bytes` writes a notebook back after every pass (a fix dropped for overlapping another is applied in the
    next): the second write must start from the first's JSON, not refuse it as formatting it cannot reproduce."""
    from tflint_vars.sources import load_source

    data = SEED1_NOTEBOOK.read_bytes()
    source = load_source(data, str(SEED1_NOTEBOOK))
    first = source.with_text(source.text.replace("tf.zeros(", "tf.ones("))
    assert not isinstance(first, str), first
    second = first.with_text(first.text.replace("self.units = units", "self.units = int(units)"))
    assert not isinstance(second, str), second
    once = source.with_text(second.text)
    assert second.data == once.data != data
