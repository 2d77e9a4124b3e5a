"""Notebooks and the result cache: `python bench/notebooks.py [--repeat 5]`.

Turns every module of the installed tf_keras package (586 files, many custom layers) into a notebook, written as
nbformat writes one: a markdown cell first, one code cell per top-level block, a `%matplotlib inline` magic, and on
every fourth code cell an output (a 20 kB PNG and some text), as executed notebooks carry. Then times, the median of
`--repeat` runs each, wall and CPU seconds: `check --no-cache` (cold), the first run on an empty cache (priming) and
a second run (warm), on the notebooks and, for comparison, on the same modules as .py files. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cells(source: str) -> list[str]:
    """Top-level blocks: a new cell where an unindented line follows a blank line."""
    cells, current = [], []
    lines = source.split("\n")
    for index, line in enumerate(lines):
        if current and line and not line[0].isspace() and not lines[index - 1].strip() \
                and not line.startswith((")", "]", "}", "#", "@")):
            cells.append("\n".join(current).rstrip("\n"))
            current = []
        current.append(line)
    if current:
        cells.append("\n".join(current).rstrip("\n"))
    return [c for c in cells if c.strip()]


def build(package: Path, out: Path) -> tuple[int, int]:
    image = base64.b64encode(os.urandom(15_000)).decode()
    count = size = 0
    for module in sorted(package.rglob("*.py")):
        relative = module.relative_to(package)
        py = out / "py" / relative
        py.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module, py)
        cells = [{"cell_type": "markdown", "id": "m0", "metadata": {}, "source": [f"# {relative}"]}]
        for index, code in enumerate(_cells(module.read_text(encoding="utf-8"))):
            if index == 0:
                code = "%matplotlib inline\n" + code
            outputs = []
            if index % 4 == 3:
                outputs = [{"output_type": "display_data", "metadata": {},
                            "data": {"image/png": image, "text/plain": ["<Figure size 640x480 with 1 Axes>"]}},
                           {"output_type": "stream", "name": "stdout", "text": ["epoch 1/1\n", "loss: 0.25\n"]}]
            lines = code.split("\n")
            cells.append({"cell_type": "code", "execution_count": index + 1, "id": f"c{index}", "metadata": {},
                          "outputs": outputs, "source": [line + "\n" for line in lines[:-1]] + [lines[-1]]})
        notebook = {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4,
                    "nbformat_minor": 5}
        path = out / "ipynb" / relative.with_suffix(".ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
        count += 1
        size += len(text.encode())
    return count, size


def _time(args: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user+sys of the run and its workers: steadier on a shared machine), output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--output-format", "concise", *args],
                            capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.returncode in (0, 1), result.stderr
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import importlib.util

    package = Path(importlib.util.find_spec("tf_keras").submodule_search_locations[0])  # not imported: TensorFlow
    with tempfile.TemporaryDirectory() as temporary:
        out = Path(temporary)
        count, size = build(package, out)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
        report = {"notebooks": count, "notebook_megabytes": round(size / 1e6, 1)}
        for kind in ("ipynb", "py"):
            runs: dict[str, list[tuple[float, float]]] = {"cold": [], "priming": [], "warm": []}
            findings = None
            for _ in range(args.repeat):
                wall, cpu, _ = _time(["--no-cache", str(out / kind)], env)
                runs["cold"].append((wall, cpu))
                env["TFLINT_VARS_CACHE_DIR"] = str(out / f"cache-{kind}")
                shutil.rmtree(env["TFLINT_VARS_CACHE_DIR"], ignore_errors=True)
                wall, cpu, first = _time([str(out / kind)], env)
                runs["priming"].append((wall, cpu))
                wall, cpu, second = _time([str(out / kind)], env)
                runs["warm"].append((wall, cpu))
                assert first == second
                findings = first.strip().splitlines()[-1]
            report[kind] = {f"{name}_{unit}": round(statistics.median(r[i] for r in values), 3)
                            for name, values in runs.items() for i, unit in ((0, "wall_s"), (1, "cpu_s"))}
            report[kind]["summary"] = findings
        print(json.dumps(report))


if __name__ == "__main__":
    main()
