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


PACKAGES = ROOT / ".bench" / "precision" / "src"  # `make precision` downloads and unpacks the packages here


def _classes(tree: ast.Module, lines: list[str]) -> dict[str, str]:
    """Each top-level class's text, decorators included."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found[node.name] = "\n".join(lines[start - 1:node.end_lineno])
    return found


@pytest.mark.skipif(not PACKAGES.is_dir(), reason="the packages are not downloaded (make precision)")
@pytest.mark.parametrize("name", MODULES)
def test_copied_classes_are_verbatim(name):
    """Each class the header names is, decorators included, the package's own text."""
    text = (CORPUS / f"{name}.py").read_text(encoding="utf-8")
    package, _, file = _toml(name)["source"].partition(" ")
    file = file.partition(", ")[2]
    [original] = list((PACKAGES / package).glob(f"**/{file}"))
    source = original.read_text(encoding="utf-8")
    copied = _classes(ast.parse(text), text.splitlines())
    theirs = _classes(ast.parse(source), source.splitlines())
    named = text.splitlines()[1].split("): ", 1)[1].split(";")[0].split(", ")
    assert named and all(copied[cls] == theirs[cls] for cls in named)
