"""The layers of docs/architecture.md, at run time: while `check --fix` fixes a notebook, every call between two of
the package's modules goes to the same layer or a lower one (import-linter, in `make lint`, holds the imports; this
holds the calls, so no callback climbs back up either). Run with `-s` to print the path the call takes."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _layers() -> dict[str, int]:
    """Top-level module name -> rank (0 = ground), from the layers contract in pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["containers"] == ["tflint_vars"])
    ranks = {}
    for rank, layer in enumerate(reversed(contract["layers"])):
        for name in layer.split("|"):
            ranks[name.strip()] = rank
    return ranks


def _package_modules() -> set[str]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for p in (ROOT / "tflint_vars").rglob("*.py")}


def test_every_package_module_is_in_a_layer():
    ranks = _layers()
    unplaced = sorted(m for m in _package_modules() if m != "tflint_vars" and m.split(".")[1] not in ranks)
    assert not unplaced, f"modules in no layer of pyproject.toml's contract: {unplaced}"


TRACER = r'''
import json, sys
calls, path = set(), []

def profile(frame, event, arg):
    if event != "call":
        return
    callee = frame.f_globals.get("__name__", "")
    caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back else ""
    if callee.startswith("tflint_vars") and caller.startswith("tflint_vars") and callee != caller:
        key = (caller, callee)
        if key not in calls:
            calls.add(key)
            path.append(key)

sys.setprofile(profile)
from tflint_vars.cli import main
try:
    code = main(["check", "--fix", "--no-cache", "--jobs", "1", sys.argv[1]])
except SystemExit as exit:
    code = exit.code
sys.setprofile(None)
print(json.dumps({"code": code, "path": path}))
'''


def test_check_fix_on_a_notebook_calls_only_downward(tmp_path):
    seed = (ROOT / "fixtures" / "seed1_variable_in_init.py").read_text()
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["A layer\n"]},
             {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": seed}]
    notebook = tmp_path / "layer.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
                        + "\n")
    before = notebook.read_bytes()
    run = subprocess.run([sys.executable, "-c", TRACER, str(notebook)], capture_output=True, text=True, cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert notebook.read_bytes() != before, "the fix was not applied: the trace would prove nothing"
    ranks = _layers()

    def rank(module: str) -> int:
        return ranks[module.split(".")[1]] if module != "tflint_vars" else len(ranks)

    upward = [(a, b) for a, b in result["path"] if rank(b) > rank(a)]
    print("\n".join(f"{a} -> {b}" for a, b in result["path"]))
    assert {"tflint_vars.sources", "tflint_vars.notebook", "tflint_vars.engine", "tflint_vars.fixes.fixer"} <= \
        {b for _, b in result["path"]}, "the trace missed the layers it is meant to watch"
    assert not upward, f"calls from a lower layer up into a higher one: {upward}"


def test_no_import_cycle_counting_imports_in_functions_and_package_inits():
    """Every `import` in the package, at any depth, plus the package `__init__` each import runs: no cycle."""
    modules = _package_modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module in modules:
        path = ROOT / (module.replace(".", "/") + ("/__init__.py" if (ROOT / module.replace(".", "/")).is_dir()
                                                   else ".py"))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != module:
                    edges[module].add(target)
                    parts = target.split(".")  # importing a.b.c runs a/__init__ and a/b/__init__
                    edges[module].update(".".join(parts[:i]) for i in range(2, len(parts))
                                         if ".".join(parts[:i]) != module)
    visiting, done, cycles = set(), set(), []

    def visit(module: str, stack: list[str]) -> None:
        visiting.add(module)
        for target in sorted(edges[module]):
            if target in visiting:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in done:
                visit(target, stack + [target])
        visiting.discard(module)
        done.add(module)

    for module in sorted(modules):
        if module not in done:
            visit(module, [module])
    assert not cycles, f"import cycles: {cycles}"


def test_the_code_table_is_the_registry():
    from tflint_vars.codes import RULE_NAMES
    from tflint_vars.rules.registry import ALL_RULES

    assert list(RULE_NAMES.items()) == [(rule.code, rule.name) for rule in ALL_RULES]


WARM_IMPORTS = r'''
import json, sys
from tflint_vars.cli import main
try:
    code = main(["check", "--output-format", "concise", sys.argv[1]])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(m for m in sys.modules if m.startswith("tflint_vars"))}))
'''


def test_a_run_the_cache_answers_loads_no_rule_plan_or_fixer(tmp_path):
    """Speed (issue 20): a warm run reads the cache and prints; the rules, the fix plans and the fixer load with
    the first file that must be checked, so a run over unchanged files never pays for their import."""
    layer = tmp_path / "layer.py"
    layer.write_text((ROOT / "fixtures" / "seed1_variable_in_init.py").read_text())
    env = {"TFLINT_VARS_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}

    def run() -> dict:
        result = subprocess.run([sys.executable, "-c", WARM_IMPORTS, str(layer)], capture_output=True, text=True,
                                env=env, cwd=tmp_path, check=True)
        return json.loads(result.stdout.splitlines()[-1])

    cold = run()
    assert cold["code"] == 1 and "tflint_vars.rules.registry" in cold["modules"]  # checked: the rules were needed
    # A stat taken within the racy window is not trusted: age the file so the second run is answered by the cache.
    import os
    os.utime(layer, (layer.stat().st_atime - 60, layer.stat().st_mtime - 60))
    run()
    warm = run()
    assert warm["code"] == 1
    loaded = [m for m in warm["modules"] if m.startswith(("tflint_vars.rules", "tflint_vars.plans",
                                                         "tflint_vars.fixes"))]
    assert loaded == [], loaded
