"""The held-out set (tests/heldout): classes copied verbatim from public packages the fixes were never tuned on.

`python bench/realworld.py --corpus tests/heldout` measures it (slow: TensorFlow under two runtimes). These fast
tests check only that the set is what it says: each module parses, names its source and licence, and declares how
`verify` builds each class it names. Its findings are not pinned here: they are what the measurement reports.
"""

from __future__ import annotations

import ast
import tomllib

import pytest

from conftest import ROOT

CORPUS = ROOT / "tests" / "heldout"
MODULES = sorted(p.stem for p in CORPUS.glob("*.py"))


def _toml(name: str) -> dict:
    with open(CORPUS / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)


def test_set_is_large_and_from_several_packages():
    assert len(MODULES) >= 20
    assert len({_toml(name)["source"].split()[0] for name in MODULES}) >= 5
    assert sorted(p.stem for p in CORPUS.glob("*.toml")) == MODULES
    # pytest must not collect them as tests (they import TensorFlow)
    assert not [name for name in MODULES if name.startswith("test_") or name.endswith("_test")]


@pytest.mark.parametrize("name", MODULES)
def test_module_parses_names_its_source_and_declares_how_to_verify_it(name):
    text = (CORPUS / f"{name}.py").read_text(encoding="utf-8")
    lines = text.splitlines()
    table = _toml(name)
    assert lines[1].startswith(f"# Copied verbatim from {table['source']}")
    assert table["license"] and table["license"].split(",")[0] in lines[1]
    defined = {node.name for node in ast.walk(ast.parse(text)) if isinstance(node, ast.ClassDef)}
    tables = table["verify"] if isinstance(table["verify"], list) else [table["verify"]]
    for exercise in tables:
        assert exercise["kind"] in ("layer", "model", "metric")
        assert exercise["class"] in defined
        assert exercise.get("save") or "input_shape" not in exercise or exercise["kind"] == "metric"
