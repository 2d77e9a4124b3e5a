"""The proving ground (`tflint_vars.verify.prove`, `tests/prove.py`) on the real TensorFlow, Keras 3 and tf-keras.

Two runs: planted wrong fixes of hand-written layers, each of which one check must catch (and a right fix that must
pass), through the library; and a small budget of generated modules with the project's own fixes, through the script
`make prove` runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from tflint_vars.verify.prove import Case, classes, prove, summary

pytestmark = pytest.mark.slow

LAYER = '''
import tensorflow as tf


class Gain(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.g = tf.Variable({value}, name="g"{extra})

    def call(self, inputs):
        return inputs * self.g
'''

# name -> (the tf.Variable's value and keywords, the planted add_weight that replaces it)
PLANTED = {
    "right": ("tf.ones((3,))", "", 'self.add_weight(name="g", shape=(3,), initializer="ones")'),
    "value": ("tf.zeros((3,))", "", 'self.add_weight(name="g", shape=(3,), initializer="ones")'),
    "distribution": ("tf.random.normal((3,))", "",
                     'self.add_weight(name="g", shape=(3,), initializer="random_normal")'),  # stddev 0.05, not 1
    "trainable": ("tf.ones((3,))", ", trainable=False", 'self.add_weight(name="g", shape=(3,), initializer="ones")'),
    "name": ("tf.ones((3,))", "", 'self.add_weight(name="gain", shape=(3,), initializer="ones")'),
    "dtype": ("tf.ones((3,))", "", 'self.add_weight(name="g", shape=(3,), initializer="ones", dtype="float64")'),
    "crash": ("tf.ones((3,))", "", 'self.add_weight(name="g/0", shape=(3,), initializer="ones")'),
    "unchanged": ("tf.ones((3,))", "", None),
}


def planted_fixer(source: str, path: str = "<string>", *, unsafe: bool = False) -> str:
    for name, (value, extra, replacement) in PLANTED.items():
        original = f'tf.Variable({value}, name="g"{extra})'
        if replacement and original in source and f"# {name}\n" in source:
            return source.replace(original, replacement)
    return source


@pytest.fixture(scope="module")
def planted() -> dict:
    cases = [Case(source=f"# {name}\n" + textwrap.dedent(LAYER).format(value=value, extra=extra).lstrip(),
                  class_name="Gain", input_shape=[4, 3], name=name)
             for name, (value, extra, _) in PLANTED.items()]
    outcomes, facts = prove(cases, planted_fixer)
    return {o.case.name: o for o in outcomes} | {"facts": facts, "outcomes": outcomes}


@pytest.mark.parametrize("name, check, message", [
    ("value", "initial value", "g: constant value changed"),
    ("distribution", "initial distribution", "g: std"),
    ("trainable", "trainable", "g: False -> True"),
    ("name", "name", "'g' -> 'gain'"),
    ("dtype", "dtype", "g: float32 -> float64"),
    ("crash", "crash", "ValueError during construct and call: Argument `name` must be a string and cannot contain"),
])
def test_each_planted_wrong_fix_is_caught_by_its_check(planted, name, check, message):
    outcome = planted[name]
    assert outcome.status == "wrong"
    keras3 = [w for w in outcome.wrong if w.runtime == "keras3" and w.check == check]
    assert keras3 and message in keras3[0].message, outcome.wrong


def test_a_right_fix_is_proven_and_an_unchanged_module_is_not_run(planted):
    assert planted["right"].status == "proven", planted["right"].wrong
    assert planted["right"].untracked == {"keras3": [], "keras2": []}
    assert planted["right"].fixed["keras3"]["save"]["ok"] is True  # the .keras round trip of the fixed layer
    assert planted["unchanged"].status == "unchanged" and planted["unchanged"].reference is None
    counts = summary(planted["outcomes"])
    assert (counts["modules"], counts["changed"], counts["proven"], counts["wrong"]) == (8, 7, 1, 6)
    # Classes group wrong fixes by check, one per runtime where it shows.
    assert "initial value: constant value changed" in classes(planted["outcomes"])
    assert set(planted["facts"]["runtimes"]) == {"reference", "keras3", "keras2"}


def test_make_prove_small_budget(tmp_path):
    """The script `make prove` runs, on a handful of generated modules with the project's own safe fixes."""
    report = tmp_path / "prove.json"
    result = subprocess.run([sys.executable, "tests/prove.py", "--modules", "6", "--seed", "0", "--json", str(report)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    summary_line = result.stdout.strip().splitlines()[-2]
    assert summary_line.startswith("proving ground (safe fixes, seed 0): 6 modules generated, "), result.stdout
    data = json.loads(report.read_text())
    assert len(data["outcomes"]) == 6 and data["summary"]["modules"] == 6
    assert {o["status"] for o in data["outcomes"]} <= {"unchanged", "discarded", "proven", "wrong"}
    wrong = [(o["case"], o["wrong"]) for o in data["outcomes"] if o["status"] == "wrong"]
    assert wrong == [] and result.returncode == 0, result.stdout
