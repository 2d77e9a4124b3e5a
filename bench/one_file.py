"""Wall and CPU time of `check` and `--fix` as one file grows (issue 16): the README's "One large file" figures.

Two generated inputs, each written to a temporary directory and run through the CLI of this checkout:

  findings N   one Keras layer whose `__init__` creates N raw `tf.Variable`s: N TFV001 findings in one method
  classes N    N copies of a small layer (a variable in `__init__`, one in `build`) in one module

`python bench/one_file.py --findings 100 400 1000 --classes 100 1000` prints one line per input: the wall and CPU
time of `check --no-cache` and, for the classes, of `check --no-cache --fix` (the fixed file is checked again: no
finding with a safe fix may remain).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "import tensorflow as tf\n\n"


def many_findings(count: int) -> str:
    """One layer whose `__init__` creates `count` raw variables after `super().__init__()`."""
    lines = [HEADER, "class Wide(tf.keras.layers.Layer):\n", "    def __init__(self, units):\n",
             "        super().__init__()\n"]
    lines += [f"        self.v{i} = tf.Variable(tf.zeros((units,)), name=\"v{i}\")\n" for i in range(count)]
    return "".join(lines)


SMALL_LAYER = '''
class Scale{i}(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.w = tf.Variable(tf.random.normal((1, units)), name="w")

    def build(self, input_shape):
        self.b = tf.Variable(tf.zeros((input_shape[-1],)), name="b")

    def call(self, inputs):
        return inputs * self.w + self.b
'''


def many_classes(count: int) -> str:
    """`count` copies of a small layer with two raw variables, each with a safe fix."""
    return HEADER + "".join(SMALL_LAYER.format(i=i) for i in range(count))


def timed(arguments: list[str]) -> tuple[str, subprocess.CompletedProcess]:
    """Run the CLI; (its wall and CPU time, as text; the finished process). CPU time (user + sys) is printed beside
    wall time because it moves less when other work shares the machine."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tflint_vars", *arguments], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode not in (0, 1):
        sys.exit(f"scaling: tflint-vars {' '.join(arguments)} exited {done.returncode}:\n{done.stderr}")
    return f"{elapsed:6.2f} s ({cpu:5.2f} s CPU)", done


def findings_in(output: str) -> int:
    return sum(1 for line in output.splitlines() if ": TFV" in line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, nargs="*", default=[100, 1000, 5000],
                        help="raw variables in one `__init__` (default: 100 1000 5000)")
    parser.add_argument("--classes", type=int, nargs="*", default=[100, 1000],
                        help="small layers in one file, checked and fixed (default: 100 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for count in args.findings:
            path = Path(directory, f"findings_{count}.py")
            path.write_text(many_findings(count))
            seconds, done = timed(["check", "--no-cache", "--output-format", "concise", str(path)])
            print(f"one __init__, {count:>5} findings   check {seconds}   ({findings_in(done.stdout)} found)",
                  flush=True)
        for count in args.classes:
            path = Path(directory, f"classes_{count}.py")
            path.write_text(many_classes(count))
            seconds, done = timed(["check", "--no-cache", "--output-format", "concise", str(path)])
            found = findings_in(done.stdout)
            fix_seconds, _ = timed(["check", "--no-cache", "--fix", "--output-format", "concise", str(path)])
            _, after = timed(["check", "--no-cache", "--output-format", "concise", str(path)])
            print(f"one file, {count:>5} classes   check {seconds}   --fix {fix_seconds}   "
                  f"({found} found, {findings_in(after.stdout)} left after the fix)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
