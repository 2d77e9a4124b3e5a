"""`make bench` (scaling): does the time of `check` and `check --fix` grow linearly with the size of one file?

Issue 16 found time growing with the square of the findings in one file. Two generated inputs, each timed through
the real CLI (`python -m tflint_vars`, --no-cache, one process: -j 1), best of `--repeat` runs:

  findings  one Keras layer whose __init__ creates N `tf.Variable`s: N findings in one method (N = 100, 1000, 5000)
  classes   one file with C small layers, one finding each (C = 100, 1000)

For each it prints wall seconds for `check` and `check --fix` (on a fresh copy each run), and the growth exponent
between successive sizes, after subtracting the time of the same command on an empty file (start-up, imports):
1.0 is linear, 2.0 quadratic; over 1.25 is flagged. A run that exceeds `--timeout` is reported as such, and the
larger sizes of that series are skipped. Goals (issue 16): check on 1,000 findings in one file <= 2 s; --fix on
1,000 classes in one file <= 20 s. Exit status 1 when a goal or the linearity check fails.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINEAR_LIMIT = 1.25  # growth exponent above which a step is flagged
GOALS = {("findings", 1000, "check"): 2.0, ("classes", 1000, "fix"): 20.0}
SERIES = {"findings": (100, 1000, 5000), "classes": (100, 1000)}


def many_findings(count: int) -> str:
    lines = ["import tensorflow as tf", "", "", "class Wide(tf.keras.layers.Layer):", "    def __init__(self):",
             "        super().__init__()"]
    lines += [f'        self.v{i} = tf.Variable(tf.zeros(({i % 7 + 1},)), name="v{i}")' for i in range(count)]
    return "\n".join(lines) + "\n"


def many_classes(count: int) -> str:
    parts = ["import tensorflow as tf\n"]
    for i in range(count):
        parts.append(f"\n\nclass Scale{i}(tf.keras.layers.Layer):\n    def __init__(self):\n"
                     f"        super().__init__()\n        self.w = tf.Variable(tf.ones(({i % 5 + 1},)), name=\"w\")\n")
    return "".join(parts)


SOURCES = {"findings": many_findings, "classes": many_classes}


def run_once(source: str, fix: bool, timeout: float) -> float | None:
    """Wall seconds of one CLI run on a fresh copy of `source`, None past `timeout`."""
    with tempfile.TemporaryDirectory(prefix="tflint-scaling-") as directory:
        path = Path(directory) / "generated.py"
        path.write_text(source)
        command = [sys.executable, "-m", "tflint_vars", "check", "--no-cache", "-j", "1", "--quiet",
                   *(["--fix"] if fix else []), str(path)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        elapsed = time.perf_counter() - started
        if result.returncode not in (0, 1):
            raise SystemExit(f"tflint-vars failed ({result.returncode}): {result.stderr[-2000:]}")
        return elapsed


def best_of(source: str, fix: bool, repeat: int, timeout: float) -> float | None:
    times = []
    for _ in range(repeat):
        elapsed = run_once(source, fix, timeout)
        if elapsed is None:
            return None
        times.append(elapsed)
    return min(times)


def exponent(size1: int, time1: float, size2: int, time2: float, baseline: float) -> float:
    """log(t2 - b) / (t1 - b) over log(n2 / n1): 1 linear, 2 quadratic (start-up b removed, floored at 10 ms)."""
    work1, work2 = max(time1 - baseline, 0.01), max(time2 - baseline, 0.01)
    return math.log(work2 / work1) / math.log(size2 / size1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, the best kept (default 3)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a run counts as too slow")
    args = parser.parse_args()
    print(f"== scaling: one file, the real CLI (-j 1, --no-cache), best of {args.repeat}, {os.cpu_count()} cores")
    baseline = {mode: best_of("x = 1\n", mode == "fix", args.repeat, args.timeout) or 0.0
                for mode in ("check", "fix")}
    print(f"start-up (an empty file): check {baseline['check']:.2f} s, --fix {baseline['fix']:.2f} s")
    print(f"{'input':<10} {'size':>6} {'bytes':>9}  {'check s':>8} {'growth':>7}  {'--fix s':>8} {'growth':>7}")
    failures = []
    for series, sizes in SERIES.items():
        previous: dict[str, tuple[int, float] | None] = {"check": None, "fix": None}
        stopped = {"check": False, "fix": False}
        for size in sizes:
            source = SOURCES[series](size)
            cells = []
            for mode in ("check", "fix"):
                if stopped[mode]:
                    cells += ["skipped", ""]
                    continue
                elapsed = best_of(source, mode == "fix", args.repeat, args.timeout)
                if elapsed is None:
                    stopped[mode] = True
                    cells += [f">{args.timeout:g}", ""]
                    failures.append(f"{series} {size} {mode}: over {args.timeout:g} s")
                    continue
                growth = ""
                if previous[mode] is not None:
                    size1, time1 = previous[mode]
                    value = exponent(size1, time1, size, elapsed, baseline[mode])
                    growth = f"{value:.2f}" + ("!" if value > LINEAR_LIMIT else "")
                    if value > LINEAR_LIMIT:
                        failures.append(f"{series} {size1}->{size} {mode}: growth exponent {value:.2f}")
                previous[mode] = (size, elapsed)
                goal = GOALS.get((series, size, mode))
                if goal is not None and elapsed > goal:
                    failures.append(f"{series} {size} {mode}: {elapsed:.2f} s, goal {goal:g} s")
                cells += [f"{elapsed:.2f}", growth]
            print(f"{series:<10} {size:>6} {len(source.encode()):>9}  {cells[0]:>8} {cells[1]:>7}  "
                  f"{cells[2]:>8} {cells[3]:>7}", flush=True)
    print("goals: check on 1,000 findings <= 2 s; --fix on 1,000 classes <= 20 s; growth exponent <= "
          f"{LINEAR_LIMIT} (1 = linear, 2 = quadratic)")
    for failure in failures:
        print(f"NOT MET: {failure}")
    if not failures:
        print("all met")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
