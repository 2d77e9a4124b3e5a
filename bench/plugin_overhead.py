"""Measures what `pytest --tflint-vars` costs on a suite that builds layers: the sample project's own suite
(tests/data/sample_project) plus a generated file of `--layers` tests, each building, calling and fitting a small
model of the sample's layers (raw variables, factories, add_weight) and Keras' Dense.

    python bench/plugin_overhead.py [--repeat 3] [--layers 100] [--runtime keras3|keras2]

Runs the same suite without and with the plugin, alternately, `--repeat` times each, in a copy of the sample project,
and prints the median CPU time (user + system: steady when other work shares the machine) and wall time
of each, and the overhead. Both runs pay the same TensorFlow import; the plugin's own
costs are its per-test creator scope and stack walks, its class wrappers, and the static check at the end.
"""

from __future__ import annotations

import argparse
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
SAMPLE = ROOT / "tests" / "data" / "sample_project"

MANY = '''
import numpy as np
import pytest
import tensorflow as tf

from sample_layers.correct import AddWeightScale
from sample_layers.hidden import FactoryScale
from sample_layers.layers import ScaledDense


@pytest.mark.parametrize("seed", range({layers}))
def test_build_call_fit(seed):
    x = np.random.RandomState(seed).normal(size=(8, 4)).astype("float32")
    model = tf.keras.Sequential([tf.keras.Input((4,)), ScaledDense(3), FactoryScale(3), AddWeightScale(),
                                 tf.keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    assert model(x).shape == (8, 2)
'''


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(directory: Path, env: dict[str, str], enabled: bool) -> tuple[float, float]:
    """One pytest run: its CPU seconds (user + system, steady on a shared machine) and its wall seconds."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + (["--tflint-vars"] if enabled else [])
    cpu, started = cpu_seconds(), time.monotonic()
    result = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True)
    seconds, cpu = time.monotonic() - started, cpu_seconds() - cpu
    if result.returncode != 0:
        sys.exit(f"pytest failed ({'with' if enabled else 'without'} the plugin):\n{result.stdout[-2000:]}")
    return cpu, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--layers", type=int, default=100, help="generated tests, each building one model")
    parser.add_argument("--runtime", choices=("keras3", "keras2"), default="keras3")
    args = parser.parse_args()
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1" if args.runtime == "keras2" else "0",
           "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    with tempfile.TemporaryDirectory(prefix="tflint-vars-overhead-") as temporary:
        directory = Path(temporary) / "sample_project"
        shutil.copytree(SAMPLE, directory, ignore=shutil.ignore_patterns("__pycache__"))
        (directory / "tests" / "test_many.py").write_text(MANY.replace("{layers}", str(args.layers)))
        runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for _ in range(args.repeat):
            for enabled in (False, True):
                runs[enabled].append(run(directory, env, enabled))
    print(f"{args.runtime}: {args.layers} generated tests + the sample suite, medians of {args.repeat} runs")
    for index, what in ((0, "CPU"), (1, "wall")):
        off = statistics.median(r[index] for r in runs[False])
        on = statistics.median(r[index] for r in runs[True])
        print(f"  {what}: without the plugin {off:.1f} s, with --tflint-vars {on:.1f} s: overhead "
              f"{100 * (on - off) / off:+.1f} % (runs: {', '.join(f'{r[index]:.1f}' for r in runs[False])} / "
              f"{', '.join(f'{r[index]:.1f}' for r in runs[True])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
