"""The pytest plugin and `verify --replay`, run for real: pytest in subprocesses (pytester and the sample project's own
suite) under the real TensorFlow with Keras 3 and with tf-keras (Keras 2), and the replay's real workers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, commands, doc_blocks, run_cli

SAMPLE = ROOT / "tests" / "data" / "sample_project"
RUNTIME_ENV = {"keras3": "0", "keras2": "1"}

# Every raw variable a sample layer keeps: (file, line, class, code, seen by). Nothing else may be reported: the
# classes in correct.py (add_weight, keras.Variable, a scratch variable, tf.Module, a plain class) must stay silent.
EXPECTED = {
    ("hidden.py", 9, "FactoryScale", "TFV001", "runtime"),
    ("hidden.py", 18, "BackendOffset", "TFV001", "runtime"),
    ("hidden.py", 28, "GetattrGate", "TFV001", "runtime"),
    ("layers.py", 8, "ScaledDense", "TFV001", "both"),
    ("layers.py", 11, "ScaledDense", "TFV003", "both"),
    ("layers.py", 19, "GetVariableBias", "TFV004", "both"),
    ("layers.py", 29, "PlantedShift", "TFV001", "both"),
}


def environment(runtime: str) -> dict[str, str]:
    return {**os.environ, "TF_USE_LEGACY_KERAS": RUNTIME_ENV[runtime], "TF_CPP_MIN_LOG_LEVEL": "3",
            "CUDA_VISIBLE_DEVICES": ""}


def run_sample_suite(directory: Path, runtime: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *options], cwd=directory,
                          capture_output=True, text=True, env=environment(runtime), timeout=600)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """A copy of the sample project (its runs write caches and reports; the repository stays clean)."""
    copy = tmp_path_factory.mktemp("sample") / "sample_project"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture(scope="module")
def reports(sample) -> dict[str, tuple[subprocess.CompletedProcess, dict]]:
    """The sample project's own suite under `--tflint-vars`, once per runtime."""
    runs = {}
    for runtime in RUNTIME_ENV:
        report = sample / f"{runtime}.json"
        run = run_sample_suite(sample, runtime, "--tflint-vars", f"--tflint-vars-report={report}")
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        runs[runtime] = (run, json.loads(report.read_text()))
    return runs


def test_disabled_plugin_is_loaded_and_imports_no_tensorflow(pytester):
    pytester.makepyfile(test_quiet="""
        import sys

        def test_loaded_without_tensorflow(request):
            assert request.config.pluginmanager.hasplugin("tflint_vars")
            assert "tensorflow" not in sys.modules
            assert not request.config.pluginmanager.has_plugin("tflint-vars-watcher")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "tflint-vars (keras" not in result.stdout.str()  # no summary section


@pytest.mark.slow
@pytest.mark.parametrize("runtime", RUNTIME_ENV)
def test_every_defective_sample_class_at_its_line_and_nothing_else(reports, runtime):
    run, report = reports[runtime]
    found = {(Path(f["path"]).name, f["line"], f["class"], f["code"], f["seen_by"]) for f in report["findings"]}
    assert found == EXPECTED
    assert report["runtime"] == runtime
    # What the running Keras did: Keras 3 dropped each variable from layer.weights; Keras 2 still tracks them all.
    assert {f["in_weights"] for f in report["findings"]} == {runtime == "keras2"}
    assert all(f["tests"] for f in report["findings"])
    factory = next(f for f in report["findings"] if f["class"] == "FactoryScale")
    assert factory["created_at"].endswith(os.path.join("sample_layers", "factories.py") + ":10")
    assert set(factory["tests"]) == {"tests/test_layers.py::test_factory_scale",
                                     "tests/test_layers.py::test_a_model_trains"}
    out = run.stdout
    assert "sample_layers/hidden.py:28: TFV001 `tf.Variable` in `GetattrGate.__init__` is untracked under " \
           "Keras 3" in out
    assert out.count("(runtime)") == 3
    assert ("Keras 2 ran it and tracks it" if runtime == "keras2" else "Keras 3 ran it: missing from") in out
    for correct in ("AddWeightScale", "KerasVariableScale", "ScratchInit", "RunningMean", "PlainCounter"):
        assert correct not in out


@pytest.mark.slow
def test_the_report_records_how_each_class_was_built_and_called(reports):
    _, report = reports["keras3"]
    classes = {entry["class"]: entry for entry in report["classes"]}
    assert set(classes) == {"FactoryScale", "BackendOffset", "GetattrGate", "ScaledDense", "GetVariableBias",
                            "PlantedShift"}
    scaled = classes["ScaledDense"]
    assert (scaled["args"], scaled["kwargs"], scaled["unserializable"]) == ([5], {}, [])
    assert scaled["inputs"] == {"shape": [4, 3], "dtype": "float32"}
    assert scaled["findings"] == ["TFV001:8", "TFV003:11"]
    assert classes["GetVariableBias"]["args"] == []


@pytest.mark.slow
def test_replay_proves_the_safe_fixes(reports, sample):
    result = run_cli("verify", "--replay", str(sample / "keras2.json"), "--output-format", "json", cwd=sample)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    verdicts = {r["class"]: r["verdict"] for r in json.loads(result.stdout)["replay"]}
    assert verdicts == {
        "sample_layers.layers.ScaledDense": "fix proven",
        "sample_layers.layers.GetVariableBias": "fix proven",
        "sample_layers.layers.PlantedShift": "fix proven",
        "sample_layers.hidden.FactoryScale": "no fix",
        "sample_layers.hidden.BackendOffset": "no fix",
        "sample_layers.hidden.GetattrGate": "no fix",
    }
    assert not list(sample.rglob("*.py.fixed")) and "add_weight" not in (sample / "sample_layers" / "layers.py"
                                                                         ).read_text()


@pytest.mark.slow
def test_replay_flags_the_planted_wrong_fix(reports, sample):
    result = run_cli("verify", "--replay", str(sample / "keras3.json"), "--fixer", "planted_fixer.py:fix_wrongly",
                     cwd=sample)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "sample_layers.layers.PlantedShift: fix wrong ([keras2] PlantedShift: initial value of shift changed " \
           "(max |diff| 1.0))\n    [keras3] PlantedShift: initial value of shift changed (max |diff| 1.0)\n" \
        in result.stdout
    assert "sample_layers.layers.ScaledDense: fix proven" in result.stdout
    assert "6 classes: 2 fix proven, 1 fix wrong, 3 no fix, 0 not replayable" in result.stdout


@pytest.mark.slow
def test_fail_option_noqa_ini_and_what_is_not_replayable(pytester):
    pytester.makeini("""
        [pytest]
        tflint_vars = true
    """)
    pytester.makepyfile(mylayers="""
        import tensorflow as tf


        class Quiet(tf.keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.v = tf.Variable(1.0)  # noqa: TFV001


        class Loud(tf.keras.layers.Layer):
            def __init__(self, activation, **kwargs):
                super().__init__(**kwargs)
                self.activation = activation

            def call(self, inputs):
                self.w = tf.Variable(tf.ones_like(inputs[0]))
                return self.activation(inputs * self.w)
    """)
    pytester.makepyfile(test_layers="""
        import tensorflow as tf
        from mylayers import Loud, Quiet

        def test_layers():
            Quiet()
            Loud(tf.nn.relu)(tf.ones((2, 3)))
    """)
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--tflint-vars-fail",
                                           f"--tflint-vars-report={report}")
    assert result.ret == 1
    result.assert_outcomes(passed=1)
    data = json.loads(report.read_text())
    assert [(f["class"], f["code"], f["line"], f["seen_by"]) for f in data["findings"]] == [
        ("Loud", "TFV002", 16, "both")]
    assert data["classes"][0]["unserializable"] == ["argument 1 (function)"]
    replayed = run_cli("verify", "--replay", str(report), cwd=pytester.path)
    assert replayed.returncode == 0, replayed.stderr
    assert "mylayers.Loud: not replayable (constructor arguments that cannot be recorded: argument 1 (function))" \
        in replayed.stdout


def test_replay_of_something_else_is_a_usage_error(tmp_path):
    (tmp_path / "r.json").write_text("{}")
    result = run_cli("verify", "--replay", str(tmp_path / "r.json"))
    assert result.returncode == 2
    assert "is not a report of `pytest --tflint-vars" in result.stderr


@pytest.mark.slow
def test_the_readme_worked_example_runs_as_written(tmp_path):
    """The "In your test suite" commands (docs/verify.md), run as written from a copy of the repository's layout;
    every line of the output shown there must be in what they print."""
    (block,) = doc_blocks("In your test suite", "sh")
    (shown,) = doc_blocks("In your test suite", "text")
    tree = tmp_path / "tests" / "data" / "sample_project"
    shutil.copytree(SAMPLE, tree, ignore=shutil.ignore_patterns("__pycache__"))
    env = environment("keras3")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # pytest and tflint-vars, as installed
    result = subprocess.run(["bash", "-ec", "\n".join(commands(block))], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    missing = [line for line in shown.splitlines() if line not in result.stdout]
    assert not missing, result.stdout[-5000:]
