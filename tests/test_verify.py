"""`tflint-vars verify` under the real TensorFlow 2.21 (Keras 3) and tf-keras (Keras 2), in subprocesses.

Two verify runs carry the TensorFlow work, batched so the suite stays fast: every fixture under both runtimes with the
project's own fixes, and a directory of planted wrong fixes and broken fixtures under Keras 3.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import FIXTURES, ROOT, fixture_names, run_cli

from tflint_vars.verify.declaration import DeclarationError, load_fixture

pytestmark = pytest.mark.slow


# Layers as real projects hold them: in a package that imports itself absolutely and relatively, and called on a
# list of inputs. Each creates a tf.Variable in __init__ (TFV001), so the fix and the claim are exercised.
PACKAGE_CASE = {
    "mypkg/__init__.py": "",
    "mypkg/sizes.py": "UNITS = 2\n",
    "mypkg/layers/__init__.py": "",
    "mypkg/layers/scaled.py": """\
        import tensorflow as tf

        from mypkg.sizes import UNITS
        from .. import sizes


        class Scaled(tf.keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.scale = tf.Variable(tf.ones((sizes.UNITS,)), name="scale")

            def call(self, inputs):
                return inputs[:, :UNITS] * self.scale
        """,
    "mypkg/layers/scaled.toml": """\
        [verify]
        kind = "layer"
        class = "Scaled"
        input_shape = [4, 3]
        claim = "untracked"
        expect_claim = { keras3 = true, keras2 = false }
        """,
    "two_inputs.py": """\
        import tensorflow as tf


        class Gate(tf.keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.mix = tf.Variable(tf.fill((3,), 0.5), name="mix")

            def call(self, inputs):
                a, b = inputs
                return self.mix * a + (1.0 - self.mix) * b
        """,
    "two_inputs.toml": """\
        [verify]
        kind = "layer"
        class = "Gate"
        input_shape = [[4, 3], [4, 3]]
        claim = "untracked"
        expect_claim = { keras3 = true, keras2 = false }
        """,
}


@pytest.fixture(scope="session")
def project_cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    for name, text in PACKAGE_CASE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


@pytest.fixture(scope="session")
def fixtures_verified(planted_run, project_cases) -> dict:
    """ONE verify run: every fixture and the project cases, both runtimes, the real fixes, the interpreter named by
    --python (the planted run, mostly waiting on its hang and on worker restarts, goes on meanwhile)."""
    result = run_cli("verify", "--runtime", "both", "--output-format", "json", "--python", sys.executable,
                     str(FIXTURES), str(project_cases / "mypkg"), str(project_cases / "two_inputs.py"))
    report = json.loads(result.stdout)
    report["returncode"] = result.returncode
    report["stderr"] = result.stderr
    return report


def _result(report: dict, fixture: str, runtime: str) -> dict:
    [found] = [r for r in report["results"] if r["fixture"] == fixture and r["runtime"] == runtime]
    return found


def test_every_fixture_passes_under_both_runtimes(fixtures_verified):
    results = [r for r in fixtures_verified["results"] if r["fixture"] in fixture_names()]
    assert sorted({(r["fixture"], r["runtime"]) for r in results}) == sorted(
        (name, runtime) for name in fixture_names() for runtime in ("keras3", "keras2"))
    not_passing = [(r["fixture"], r["runtime"], r["verdict"], r["reasons"]) for r in results
                   if r["verdict"] != "pass" and r["fixture"] != "tfv000_python2_syntax"]
    assert not_passing == []
    assert {r["verdict"] for r in results if r["fixture"] == "tfv000_python2_syntax"} == {"skip"}
    assert fixtures_verified["returncode"] == 0
    # + the package fixtures' modules (those without a .toml are skipped), scaled.py, two_inputs.py and mypkg's three
    # modules (skipped)
    total = 2 * (len(list(FIXTURES.rglob("*.py"))) + 2 + 3)
    assert f"verify [{total}/{total}]" in fixtures_verified["stderr"]  # the progress line


def test_package_fixture_layers_on_project_base_classes_verify(fixtures_verified):
    """fixtures/project_index: layers whose Keras base is in another module of their package, found by the project
    index; the fixed package passes under both runtimes and each claim holds under Keras 3 only."""
    layers = str(FIXTURES / "project_index" / "pkg" / "layers.py")
    results = [r for r in fixtures_verified["results"] if r["path"] == layers]
    assert sorted(r["runtime"] for r in results) == ["keras2", "keras3"]
    for result in results:
        assert result["verdict"] == "pass", (result["runtime"], result["reasons"])
        assert len(result["claims"]) == 6
        assert {c["reproduced"] for c in result["claims"]} == {result["runtime"] == "keras3"}


@pytest.mark.parametrize("fixture", ["scaled", "two_inputs"])
def test_a_layer_in_a_package_and_a_layer_of_two_inputs_verify(fixtures_verified, fixture):
    """The package's own absolute and relative imports resolve (pytest's rootdir rule); a list of input shapes is a
    list of inputs, through the call, gradients and fit."""
    for runtime in ("keras3", "keras2"):
        result = _result(fixtures_verified, fixture, runtime)
        assert result["verdict"] == "pass", (runtime, result["reasons"])
        [exercise] = result["exercises"]
        assert exercise["checks"]["grads"]["missing"] == [] and exercise["checks"]["fit"]["unchanged"] == []
        assert [c["reproduced"] for c in result["claims"]] == [runtime == "keras3"]
    assert {info["python"] for info in fixtures_verified["runtimes"].values()} == {sys.executable}


def test_tfv001_claim_holds_under_keras3_and_not_keras2(fixtures_verified):
    for fixture in ("seed1_variable_in_init", "tfv001_dense_subclass", "tfv003_variable_in_build"):
        [keras3] = _result(fixtures_verified, fixture, "keras3")["claims"]
        [keras2] = _result(fixtures_verified, fixture, "keras2")["claims"]
        assert (keras3["claim"], keras3["reproduced"], keras2["reproduced"]) == ("untracked", True, False), fixture
    # The seed's own variables: untracked before the fix under Keras 3 only, tracked and trained after it.
    [seed1] = _result(fixtures_verified, "seed1_variable_in_init", "keras3")["exercises"]
    assert [v["tracked"] for v in seed1["original"]["created"]] == [False, False]
    assert seed1["original"]["fit"]["unchanged"] == ["weight", "bias"]  # fit leaves them alone
    assert [v["tracked"] for v in seed1["fixed"]["created"]] == [True, True]
    assert seed1["checks"]["fit"]["unchanged"] == [] and seed1["checks"]["grads"]["missing"] == []
    assert seed1["checks"]["outputs"]["equal"] is True
    [weight] = [i for i in seed1["checks"]["initial_values"] if i["variable"] == "weight"]
    # tf.random.normal's stddev kept: within the judge's own tolerance (5 standard errors of the sample drawn)
    assert weight["random"] and abs(weight["fixed"]["std"] - 1.0) <= weight["std_relative_tolerance"]


def test_tf1_and_regularizer_evidence(fixtures_verified):
    [reuse] = _result(fixtures_verified, "tfv005_shared_weights_missing_reuse", "keras3")["exercises"]
    assert "already exists" in reuse["original"]["error"]["message"]
    assert reuse["fixed"]["error"] is None and reuse["fixed"]["scopes"] == {"shared_layer": ["bias", "weights"]}
    [regularized] = _result(fixtures_verified, "seed3_add_weight_regularizer", "keras3")["exercises"]
    assert regularized["original"]["regularized"] == 1 and regularized["original"]["losses"] == 1


def test_text_report_is_a_table(fixtures_verified):
    # The text format renders the same results; rendered here from the JSON run to keep one TensorFlow run.
    import io

    from tflint_vars.verify.report import write_text
    from tflint_vars.verify.runner import Result

    results = [Result(r["fixture"], r["runtime"], r["verdict"], r["reasons"], r["notes"], r["claims"],
                      r["exercises"]) for r in fixtures_verified["results"]]
    stream = io.StringIO()
    write_text(results, fixtures_verified, stream)
    lines = stream.getvalue().splitlines()
    assert lines[0].split() == ["fixture", "runtime", "created", "tracked", "before", "tracked", "after", "grads",
                                "fit", "outputs", "equal", "claim", "verdict"]
    [seed1_keras3] = [line for line in lines if line.startswith("seed1_variable_in_init ") and " keras3 " in line]
    assert seed1_keras3.split()[2:5] == ["2", "0/2", "2/2"] and seed1_keras3.split()[-1] == "pass"


PLANTED_FIXER = '''
"""Deliberately wrong fixes, to prove the verifier catches them."""

def fix_source(source, path="<string>", *, unsafe=False):
    if path.endswith("seed1_random_normal.py"):
        # Keras' "random_normal" has stddev 0.05; tf.random.normal has 1.0.
        source = source.replace("tf.Variable(tf.random.normal(shape=(1, units)), name='weight')",
                                "self.add_weight(shape=(1, units), initializer='random_normal', name='weight')")
        return source.replace("tf.Variable(tf.zeros(shape=(units,)), name='bias')",
                              "self.add_weight(shape=(units,), initializer='zeros', name='bias')")
    if path.endswith("tfv003_trainable_dropped.py"):
        source = source.replace('tf.Variable(tf.zeros((input_shape[-1],)), name="b")',
                                'self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="b")')
        return source.replace('tf.Variable(tf.zeros(()), trainable=False, name="counter")',
                              'self.add_weight(shape=(), initializer="zeros", name="counter")')
    if path.endswith("d_drawn_per_instance.py"):
        return source + "# touched: the same layer, run as a fix\\n"
    if path.endswith("e_stateful_doubled.py"):
        return source.replace("return x * self.w + self.calls", "return 2.0 * x * self.w + self.calls")
    return source  # everything else: unchanged, which leaves seed1_unfixed's variables untracked
'''


# Outputs that depend on a constant each instance draws anew, outside its variables (deepchem's LSTMStep).
DRAWN_PER_INSTANCE = """import numpy as np
import tensorflow as tf
class L(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.c = tf.constant(np.random.uniform(size=(3,)).astype("float32"))
    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(3,), initializer="ones")
    def call(self, x):
        return x * self.w + self.c
"""
# Outputs that follow from the variables, one of which `call` updates: a changed output is still the fix's.
STATEFUL = """import tensorflow as tf
class L(tf.keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(3,), initializer="ones")
        self.calls = self.add_weight(name="calls", shape=(), initializer="zeros", trainable=False)
    def call(self, x):
        self.calls.assign_add(1.0)
        return x * self.w + self.calls
"""


@pytest.fixture(scope="session")
def planted_run(tmp_path_factory):
    """ONE verify run under Keras 3 over planted wrong fixes and fixtures that hang, crash or miss an import; started
    in the background so that it overlaps the fixtures' run."""
    root = tmp_path_factory.mktemp("planted")
    cases = root / "cases"
    cases.mkdir()
    for source, name in (("seed1_variable_in_init", "seed1_random_normal"), ("seed1_variable_in_init", "seed1_unfixed"),
                         ("tfv003_variable_in_build", "tfv003_trainable_dropped")):
        shutil.copy(FIXTURES / f"{source}.py", cases / f"{name}.py")
        shutil.copy(FIXTURES / f"{source}.toml", cases / f"{name}.toml")
    script = '[verify]\nkind = "script"\n'
    for name, code in (("a_crashes", "import os\nos._exit(3)\n"), ("b_hangs", "import time\ntime.sleep(600)\n"),
                       ("c_missing_import", "import tflint_vars_no_such_module\n")):
        (cases / f"{name}.py").write_text(code)
        (cases / f"{name}.toml").write_text(script)
    layer = '[verify]\nkind = "layer"\nclass = "L"\ninput_shape = [2, 3]\n'
    for name, code in (("d_drawn_per_instance", DRAWN_PER_INSTANCE), ("e_stateful_doubled", STATEFUL)):
        (cases / f"{name}.py").write_text(code)
        (cases / f"{name}.toml").write_text(layer)
    (root / "planted_fixer.py").write_text(textwrap.dedent(PLANTED_FIXER))
    process = subprocess.Popen(
        [sys.executable, "-m", "tflint_vars", "verify", "--runtime", "keras3", "--output-format", "json",
         "--timeout", str(HANG_TIMEOUT), "--fixer", f"{root / 'planted_fixer.py'}:fix_source", str(cases)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield process
    if process.poll() is None:
        process.kill()
        process.communicate()


HANG_TIMEOUT = 20


@pytest.fixture(scope="session")
def planted_verified(planted_run) -> dict:
    stdout, stderr = planted_run.communicate(timeout=600)
    report = json.loads(stdout)
    return {r["fixture"]: r for r in report["results"]} | {"returncode": planted_run.returncode}


def test_wrong_initializer_mapping_fails_with_the_numbers(planted_verified):
    result = planted_verified["seed1_random_normal"]
    assert result["verdict"] == "fail"
    [reason] = [r for r in result["reasons"] if "initial distribution of weight changed" in r]
    [weight] = [i for e in result["exercises"] for i in e["checks"]["initial_values"] if i["variable"] == "weight"]
    assert abs(weight["original"]["std"] - 1.0) < 0.1 and abs(weight["fixed"]["std"] - 0.05) < 0.01
    assert f"std {weight['original']['std']:.4f} -> {weight['fixed']['std']:.4f}" in reason


def test_dropped_trainable_false_fails(planted_verified):
    result = planted_verified["tfv003_trainable_dropped"]
    assert result["verdict"] == "fail"
    assert "Bias: trainable changed for counter: False -> True" in result["reasons"]


def test_outputs_the_original_cannot_reproduce_are_not_held_against_a_fix(planted_verified):
    """The original differs from its own copy (a constant drawn per instance): the outputs are noted, not failed.
    Where outputs follow from the variables, state updated in `call` included, a changed output still fails."""
    drawn = planted_verified["d_drawn_per_instance"]
    assert drawn["verdict"] == "pass", drawn["reasons"]
    assert any("outputs not compared: the original's own copy" in note for note in drawn["notes"])
    doubled = planted_verified["e_stateful_doubled"]
    assert doubled["verdict"] == "fail"
    assert any("outputs differ after copying the original's values" in r for r in doubled["reasons"])


def test_missing_fix_leaves_variables_untracked_and_fails(planted_verified):
    result = planted_verified["seed1_unfixed"]
    assert result["verdict"] == "fail"
    assert "CustomLayer: untracked after the fix: weight, bias" in result["reasons"]


def test_hang_crash_and_missing_import_are_errors_of_their_own(planted_verified):
    assert planted_verified["a_crashes"]["verdict"] == "error"
    assert "worker exited with status 3" in planted_verified["a_crashes"]["reasons"][0]
    assert planted_verified["b_hangs"]["verdict"] == "error"
    assert planted_verified["b_hangs"]["reasons"] == [f"timed out after {HANG_TIMEOUT} s running b_hangs"]
    assert planted_verified["c_missing_import"]["verdict"] == "error"
    assert "ModuleNotFoundError during import" in planted_verified["c_missing_import"]["reasons"][0]
    # The fixtures after them still ran in replacement workers, and the run exits 1.
    assert {planted_verified[n]["verdict"] for n in ("seed1_random_normal", "seed1_unfixed")} == {"fail"}
    assert planted_verified["returncode"] == 1


# ------------------------------------------------------------------ without TensorFlow: declarations and usage


@pytest.mark.parametrize("table, message", [
    ('kind = "layr"', "`kind` must be one of"),
    ('kind = "layer"', "needs `class`"),
    ('kind = "layer"\nclass = "L"\ninput_shape = [0, 3]', "`input_shape` must be a non-empty list of positive"),
    ('kind = "layer"\nclass = "L"\nclaim = "raises"', "needs `error`"),
    ('kind = "skip"', "needs a `reason`"),
    ('kind = "script"\nscopes = { a = ["w"] }', "applies to kind = \"tf1-graph\" only"),
    ('kind = "layer"\nclass = "L"\ninput = [1]', "unknown key `input`"),
])
def test_bad_declarations_are_named(tmp_path, table, message):
    (tmp_path / "case.py").write_text("")
    (tmp_path / "case.toml").write_text(f"[verify]\n{table}\n")
    with pytest.raises(DeclarationError, match=message) as raised:
        load_fixture(tmp_path / "case.py")
    assert str(tmp_path / "case.toml") in str(raised.value)


def test_every_fixture_declares_how_to_verify_it():
    for name in fixture_names():
        fixture = load_fixture(FIXTURES / f"{name}.py")
        assert fixture.exercises and "no [verify]" not in (fixture.skip_reason or ""), name


def test_an_interpreter_without_tensorflow_is_an_error_that_says_so(tmp_path):
    (tmp_path / "case.py").write_text("x = 1\n")
    (tmp_path / "case.toml").write_text('[verify]\nkind = "script"\n')
    bare = tmp_path / "bare"  # a venv of its own: no TensorFlow in it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    result = run_cli("verify", "--runtime", "keras3", "--python", str(bare / "bin" / "python"), str(tmp_path))
    assert result.returncode == 1
    assert f"the interpreter {bare / 'bin' / 'python'} cannot import TensorFlow" in result.stdout, result.stdout


def test_usage_errors_exit_2_and_help_warns_that_code_runs(tmp_path):
    result = run_cli("verify", "--fixer", "no_such_module_for_tflint:fix", str(FIXTURES))
    assert result.returncode == 2 and "cannot import 'no_such_module_for_tflint'" in result.stderr
    result = run_cli("verify", str(tmp_path / "missing"))
    assert result.returncode == 2 and "no such file or directory" in result.stderr
    result = run_cli("verify", "--python", str(tmp_path / "no-python"), str(FIXTURES))
    assert result.returncode == 2 and "no-python: no such executable" in result.stderr
    help_text = " ".join(run_cli("verify", "--help").stdout.split())
    assert "EXECUTES the files named" in help_text


# ------------------------------------------------------------------ the keys the proving ground needed

GAINS_CASES = {
    # An embedding-style lookup: integer inputs in the table's range; the .keras round trip after the fix.
    "lookup": ('''
        import tensorflow as tf


        class Lookup(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.table = tf.Variable(tf.random.normal((10, 3)), name="table")

            def call(self, inputs):
                return tf.gather(self.table, inputs)
        ''', 'input_shape = [4, 2]\ninput_dtype = "int32"\ninput_range = [0, 10]\nsave = true'),
    # The same, fixed to a weight Keras 3 cannot load back (the fix leaves the table untracked).
    "lookup_unsaved": ("lookup", 'input_shape = [4, 2]\ninput_dtype = "int32"\ninput_range = [0, 10]\nsave = true'),
    # float32 math on a float32 variable: right under float32, broken once the fix's weight is autocast to float16.
    "gate": ('''
        import tensorflow as tf


        class Gate(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.k = tf.Variable(0.5, name="k")

            def call(self, inputs):
                return inputs * tf.cast(self.k * tf.ones((), tf.float32), inputs.dtype)
        ''', 'input_shape = [4, 3]'),
    "gate_mixed": ("gate", 'input_shape = [4, 3]\npolicy = "mixed_float16"'),
    # A fix that changes a variable's dtype, and one that changes its shape.
    "scale_dtype": ('''
        import tensorflow as tf


        class Scale(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.s = tf.Variable(tf.ones((3,)), name="s")
                super().build(input_shape)

            def call(self, inputs):
                return inputs * tf.cast(self.s, inputs.dtype)
        ''', 'input_shape = [4, 3]'),
    "scale_shape": ("scale_dtype", 'input_shape = [4, 3]'),
    # State re-created by a public method after build, as between epochs: add_weight there raises under Keras 3.
    "reset": ('''
        import tensorflow as tf


        class RunningMean(tf.keras.layers.Layer):
            def reset(self):
                self.total = tf.Variable(tf.zeros((3,)), trainable=False, name="total")

            def build(self, input_shape):
                self.reset()
                super().build(input_shape)

            def call(self, x):
                return x - self.total
        ''', 'input_shape = [2, 3]\nafter_build = "reset"\nunused = ["total"]'),
    # A get_config that forgets a constructor argument: the ORIGINAL cannot load under Keras 2 either (cls(**config)
    # misses `units`), so save/load is not required of the fix; the note says so.
    "forgot_config": ('''
        import tensorflow as tf


        class Bias(tf.keras.layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.b = tf.Variable(tf.ones((units,)), name="b")

            def call(self, inputs):
                return inputs + self.b

            def get_config(self):
                return super().get_config()
        ''', 'kwargs = { units = 3 }\ninput_shape = [2, 3]\nsave = true'),
}

GAINS_FIXER = '''
def fix_source(source, path="<string>", *, unsafe=False):
    name = path.rsplit("/", 1)[-1]
    if name == "lookup.py":
        return source.replace('tf.Variable(tf.random.normal((10, 3)), name="table")',
                              'self.add_weight(name="table", shape=(10, 3), '
                              'initializer=tf.keras.initializers.RandomNormal(stddev=1.0))')
    if name == "lookup_unsaved.py":
        return source.replace("super().__init__(**kwargs)", "super().__init__(**kwargs)  # fixed")
    if name.startswith("gate"):
        return source.replace('tf.Variable(0.5, name="k")',
                              'self.add_weight(name="k", shape=(), initializer=tf.keras.initializers.Constant(0.5))')
    if name == "scale_dtype.py":
        return source.replace('tf.Variable(tf.ones((3,)), name="s")',
                              'self.add_weight(name="s", shape=(3,), initializer="ones", dtype="float64")')
    if name == "reset.py":
        return source.replace('tf.Variable(tf.zeros((3,)), trainable=False, name="total")',
                              'self.add_weight(name="total", shape=(3,), initializer="zeros", trainable=False)')
    if name == "forgot_config.py":
        return source.replace('tf.Variable(tf.ones((units,)), name="b")',
                              'self.add_weight(name="b", shape=(units,), initializer="ones")')
    if name == "scale_shape.py":
        return source.replace('tf.Variable(tf.ones((3,)), name="s")',
                              'self.add_weight(name="s", shape=(1, 3), initializer="ones")')
    return source
'''


@pytest.fixture(scope="module")
def gains_verified(tmp_path_factory) -> dict:
    """ONE verify run, both runtimes, through the CLI: the new keys, with a planted fixer so that the verdicts do not
    depend on how the project's own fixes evolve."""
    root = tmp_path_factory.mktemp("gains")
    cases = root / "cases"
    cases.mkdir()
    for name, (code, keys) in GAINS_CASES.items():
        code = GAINS_CASES[code][0] if code in GAINS_CASES else code
        (cases / f"{name}.py").write_text(textwrap.dedent(code).lstrip())
        class_name = {"lookup": "Lookup", "gate": "Gate", "scale": "Scale", "reset": "RunningMean",
                      "forgot": "Bias"}[name.split("_")[0]]
        (cases / f"{name}.toml").write_text(f'[verify]\nkind = "layer"\nclass = "{class_name}"\n{keys}\n')
    (root / "gains_fixer.py").write_text(GAINS_FIXER)
    result = run_cli("verify", "--runtime", "both", "--output-format", "json",
                     "--fixer", f"{root / 'gains_fixer.py'}:fix_source", str(cases))
    report = json.loads(result.stdout)
    return {(r["fixture"], r["runtime"]): r for r in report["results"]} | {"returncode": result.returncode}


def test_integer_inputs_and_a_keras_round_trip(gains_verified):
    for runtime in ("keras3", "keras2"):
        result = gains_verified[("lookup", runtime)]
        assert result["verdict"] == "pass", (runtime, result["reasons"])
        [exercise] = result["exercises"]
        assert exercise["fixed"]["save"] == {"ok": True, "error": None, "weights": 1}
        assert exercise["checks"]["grads"]["missing"] == [] and exercise["checks"]["outputs"]["equal"]
    # Under Keras 3 the original's untracked table is not saved: its round trip loads a fresh random table.
    [original_keras3] = gains_verified[("lookup", "keras3")]["exercises"]
    assert original_keras3["original"]["save"]["ok"] is False
    assert original_keras3["original"]["save"]["error"] == "0 weights saved, 0 loaded" or \
        original_keras3["original"]["save"]["error"] == "outputs differ after loading"


def test_a_fix_that_is_not_saved_fails_the_save_check(gains_verified):
    result = gains_verified[("lookup_unsaved", "keras3")]
    assert result["verdict"] == "fail"
    assert ("Lookup: save/load: the fixed layer's .keras round trip: outputs differ after loading (the original's "
            "round-trips under Keras 2)") in result["reasons"], result["reasons"]
    [exercise] = result["exercises"]
    assert exercise["original_keras2_save"] == {"ok": True, "error": None, "weights": 1}


@pytest.mark.parametrize("runtime", ["keras3", "keras2"])
def test_save_load_is_judged_against_the_originals_round_trip_under_keras2(gains_verified, runtime):
    """The fixed layer's round trip fails under both runtimes, as the original's does under Keras 2 (its get_config
    forgets `units`): not a failure of the fix, and the output says on what basis it was judged."""
    result = gains_verified[("forgot_config", runtime)]
    [exercise] = result["exercises"]
    assert exercise["fixed"]["save"]["ok"] is False and "TypeError" in exercise["fixed"]["save"]["error"]
    reference = exercise["original_keras2_save"]
    assert reference["ok"] is False and "TypeError" in reference["error"], reference
    assert result["verdict"] == "pass", result["reasons"]
    [note] = [n for n in result["notes"] if "save/load" in n]
    assert note.startswith("Bias: save/load not required: the original's own .keras round trip fails under Keras 2 (")
    assert f"the fixed layer's under {runtime} fails too (" in note


def test_policy_applies_to_original_and_fixed(gains_verified):
    assert gains_verified[("gate", "keras2")]["verdict"] == "pass"
    mixed = gains_verified[("gate_mixed", "keras2")]
    assert mixed["verdict"] == "fail"  # the fixed weight is autocast to float16; the raw tf.Variable never was
    assert any("Gate: fixed code InvalidArgumentError" in reason for reason in mixed["reasons"]), mixed["reasons"]


@pytest.mark.parametrize("runtime", ["keras3", "keras2"])
def test_dtype_and_shape_changes_fail_naming_the_check(gains_verified, runtime):
    dtype = gains_verified[("scale_dtype", runtime)]
    assert dtype["verdict"] == "fail"
    assert "Scale: dtype changed for s: float32 -> float64" in dtype["reasons"]
    shape = gains_verified[("scale_shape", runtime)]
    assert shape["verdict"] == "fail"
    assert "Scale: shape changed for s: [3] -> [1, 3]" in shape["reasons"]
    assert gains_verified["returncode"] == 1


def test_a_method_called_after_build(gains_verified):
    """`after_build = "reset"`: the original re-creates its raw variable (both runtimes); the planted add_weight fix
    raises under Keras 3 once the layer is built."""
    keras3 = gains_verified[("reset", "keras3")]
    assert keras3["verdict"] == "fail"
    assert any("You cannot add new elements of state" in reason for reason in keras3["reasons"]), keras3["reasons"]
    [exercise] = keras3["exercises"]
    assert [v["short"] for v in exercise["original"]["created"]] == ["total", "total"]  # build's, then reset()'s


@pytest.mark.parametrize("table, message", [
    ('input_shape = [4, 2]\nafter_build = "re set"', "`after_build` must be a method name"),
    ('input_shape = [4, 2]\ninput_dtype = "int8"', "`input_dtype` must be one of"),
    ('input_shape = [4, 2]\ninput_dtype = "int32"\ninput_range = [3, 1]', "`input_range` must be [low, high]"),
    ('input_shape = [4, 2]\ninput_dtype = "int32"\ninput_range = [0.5, 3]', "must hold integers"),
    ('input_shape = [4, 2]\npolicy = 16', "`policy` must be a Keras dtype policy"),
    ('save = true', "`save` needs `input_shape`"),
    ('input_shape = [4, 2]\nsave = "yes"', "`save` must be true or false"),
])
def test_bad_new_keys_are_named(tmp_path, table, message):
    (tmp_path / "case.py").write_text("")
    (tmp_path / "case.toml").write_text(f'[verify]\nkind = "layer"\nclass = "L"\n{table}\n')
    with pytest.raises(DeclarationError, match=re.escape(message)):
        load_fixture(tmp_path / "case.py")
