"""`check` (and `--fix`, and the flake8 plugin) read the code they check and never import or run it; only `verify`
runs user code. Every checked file here would leave a marker file and exit if it were ever imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

# Names a checked project may well hold, several shadowing modules that tflint-vars itself imports.
TRAPS = ("argparse", "ast", "tokenize", "re", "dataclasses", "libcst", "conftest", "setup", "__init__", "__main__")


def trap(marker: Path, name: str) -> str:
    return f"open({str(marker / name)!r}, 'w').write('imported')\nraise SystemExit(7)\n"


def build_traps(project: Path, markers: Path) -> None:
    markers.mkdir()
    project.mkdir()
    for name in TRAPS:
        (project / f"{name}.py").write_text(trap(markers, name))
    # A layer with fixes to make, whose module-level code would also leave a marker.
    layer = (FIXTURES / "seed1_variable_in_init.py").read_text()
    (project / "layer.py").write_text(trap(markers, "layer").replace("raise SystemExit(7)\n", "") + layer)
    (project / "pyproject.toml").write_text('[tool.tflint-vars]\nunsafe-fixes = true\n')


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_check_fix_and_flake8_never_run_the_checked_code(tmp_path):
    project, markers = tmp_path / "project", tmp_path / "markers"
    build_traps(project, markers)
    python = [sys.executable, "-m", "tflint_vars"]
    script = [str(Path(sys.executable).parent / "tflint-vars")]

    # `python -m` from inside the project: the current directory is first on sys.path.
    checked = run([*python, "check", "."], cwd=project)
    assert checked.returncode == 1 and "layer.py:" in checked.stdout, checked.stderr
    diffed = run([*python, "check", "--diff", "."], cwd=project)
    assert diffed.returncode == 1 and "+++ layer.py" in diffed.stdout, diffed.stderr
    via_script = run([*script, "check", "--output-format", "json", "."], cwd=project)
    assert via_script.returncode == 1, via_script.stderr
    flake8 = run([sys.executable, "-m", "flake8", "--isolated", "--select", "TFV", str(project)], cwd=ROOT)
    assert flake8.returncode == 1 and "TFV001" in flake8.stdout, flake8.stderr
    fixed = run([*python, "check", "--fix", "."], cwd=project)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "self.add_weight(" in (project / "layer.py").read_text()

    assert sorted(os.listdir(markers)) == []
    # The traps are real: running one does leave its marker.
    assert run([sys.executable, "-I", str(project / "setup.py")], cwd=tmp_path).returncode == 7
    assert sorted(os.listdir(markers)) == ["setup"]
