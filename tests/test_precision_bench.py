"""`make precision` (bench/precision.py, bench/precision_scan.py, bench/precision_facts.py, issue 17): the miss
hunt's scan, the comparison with the recorded verdicts, the recorded verdict files themselves, and (slow) the Keras
behaviour the verdicts rest on, under Keras 3 and Keras 2."""

from __future__ import annotations

import csv
import os
import sys
import textwrap

import pytest
from conftest import ROOT, bench_facts

sys.path.insert(0, str(ROOT / "bench"))
import precision  # noqa: E402
import precision_scan  # noqa: E402

LAYER_MODULE = textwrap.dedent("""\
    import tensorflow as tf
    from tensorflow.keras import backend as K

    class Base(tf.keras.layers.Layer):
        pass

    class Child(Base):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.b = K.zeros(shape=[self.units])
            self.w = self.add_weight("w", shape=(2,))

        def call(self, x):
            self.add_update(self.b.assign(x))
            return tf.keras.layers.Dropout(0.5)(x)

    class NotKeras:
        def build(self, input_shape):
            self.v = tf.Variable(0.0)
    """)


def test_scan_lists_candidates_in_keras_classes_only(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "layers.py").write_text(LAYER_MODULE)
    found = {(c["file"], c["line"], c["pattern"], c["cls"]) for c in precision_scan.scan(tmp_path)}
    path = os.path.join("pkg", "layers.py")
    assert found == {
        (path, 8, "__init__ without **kwargs", "Child"),  # a subclass of a Keras class of the same code base
        (path, 13, "K.zeros in build", "Child"),
        (path, 14, "add_weight positional args", "Child"),
        (path, 17, "add_update", "Child"),
        (path, 18, "layer Dropout() built in call", "Child"),
    }  # nothing from NotKeras


def test_scan_span_covers_the_whole_statement(tmp_path):
    (tmp_path / "m.py").write_text(LAYER_MODULE.replace('self.add_weight("w", shape=(2,))',
                                                        'self.add_weight(\n                "w", shape=(2,))'))
    (site,) = [c for c in precision_scan.scan(tmp_path) if c["pattern"] == "add_weight positional args"]
    assert (site["line"], site["start"], site["end"]) == (14, 14, 15)


def _write_csv(path, header, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_compare_reports_precision_unread_gone_and_closed_misses(tmp_path):
    verdicts, misses = tmp_path / "verdicts.csv", tmp_path / "misses.csv"
    _write_csv(verdicts, ["package", "file", "line", "code", "verdict", "reason"], [
        ["p", "a.py", 3, "TFV001", "true", "r1"],
        ["p", "a.py", 9, "TFV007", "false", "r2"],
        ["p", "b.py", 5, "TFV003", "false", "closed since"],
    ])
    _write_csv(misses, ["package", "file", "line", "pattern", "what_breaks", "why_no_finding"], [
        ["p", "c.py", 7, "add_metric", "NotImplementedError", "no rule"],
        ["p", "c.py", 20, "add_update", "AttributeError", "no rule"],
    ])
    findings = {"p": [{"path": "a.py", "line": 3, "code": "TFV001"}, {"path": "a.py", "line": 9, "code": "TFV007"},
                      {"path": "a.py", "line": 12, "code": "TFV002"}]}
    candidates = [{"package": "p", "file": "c.py", "line": 7, "reported": True},
                  {"package": "p", "file": "c.py", "line": 20, "reported": False}]
    text = "\n".join(precision.compare(findings, candidates, verdicts, misses))
    assert "with a verdict: 2 (true 1, false 1, precision 50.0%)" in text
    assert "findings without a verdict (to read): 1\n  p a.py:12 TFV002" in text
    assert "verdicts whose finding is gone: 1\n  false p b.py:5 TFV003  (closed since)" in text
    assert "misses recorded: 2; now reported: 1\n  p c.py:7 add_metric" in text
    # a run limited to other packages (--package) compares nothing of p's
    text = "\n".join(precision.compare({"q": []}, [], verdicts, misses))
    assert "recorded in" in text and ": 0; findings of this run with a verdict: 0" in text
    assert "verdicts whose finding is gone: 0" in text and "misses recorded: 0" in text


def test_dist_file_matches_sdists_and_wheels_by_normalized_name(tmp_path):
    for name in ["QKeras-0.9.0-py3-none-any.whl", "keras-bert-0.89.0.tar.gz", "keras_tcn-3.5.7-py3-none-any.whl",
                 "keras-bert-extra-1.0.tar.gz"]:
        (tmp_path / name).write_text("")
    assert precision._dist_file(tmp_path, "qkeras==0.9.0").name == "QKeras-0.9.0-py3-none-any.whl"
    assert precision._dist_file(tmp_path, "keras-bert==0.89.0").name == "keras-bert-0.89.0.tar.gz"
    assert precision._dist_file(tmp_path, "keras-tcn==3.5.7").name == "keras_tcn-3.5.7-py3-none-any.whl"
    assert precision._dist_file(tmp_path, "keras-tcn==3.5.8") is None


def test_recorded_verdicts_and_misses_are_complete():
    """Every recorded row names a pinned package and says why; a re-run keys on (package, file, line, code)."""
    verdicts = precision.read_csv(precision.VERDICTS)
    assert len(verdicts) >= 100
    keys = [(v["package"], v["file"], v["line"], v["code"]) for v in verdicts]
    assert len(keys) == len(set(keys))
    for row in verdicts:
        assert row["package"] in precision.PACKAGES and row["verdict"] in {"true", "false"} and row["reason"]
    for row in precision.read_csv(precision.MISSES):
        assert row["package"] in precision.PACKAGES and row["what_breaks"] and row["why_no_finding"]


@pytest.mark.slow
def test_the_keras_behaviour_the_verdicts_rest_on():
    k3, k2 = bench_facts("precision_facts.py", False), bench_facts("precision_facts.py", True)
    assert k3["v1_layers_names"] == "'12 of 12 raise AttributeError'" and k2["v1_layers_names"].startswith("'0 of")
    # true findings: a variable reached through a tf.Module attribute is a layer weight in Keras 2 only
    assert (k3["variable_on_module_attribute_weights"], k2["variable_on_module_attribute_weights"]) == ("0", "1")
    # false findings: a stateless layer built in call, a lazy sublayer in Model.call, functional shapes
    assert k3["stateless_layer_built_in_call_fit"] == k2["stateless_layer_built_in_call_fit"] == "1.0"
    assert k3["dropout_rate_0_built_in_call_fit"] == k2["dropout_rate_0_built_in_call_fit"] == "0.0"  # identity
    assert k3["lazy_sublayer_in_model_call"] == k2["lazy_sublayer_in_model_call"]
    assert k3["functional_input_output_shape"] == k2["functional_input_output_shape"] == "((None, 3), (None, 2))"
    # not a miss: K.zeros inside call fails under fit in both runtimes (a variable made on every trace)
    assert k3["backend_zeros_in_call_fit"].startswith("ValueError") and k2["backend_zeros_in_call_fit"].startswith(
        "ValueError")
    # misses: each breaks under Keras 3 and works under Keras 2
    assert (k3["backend_zeros_in_build_weights"], k2["backend_zeros_in_build_weights"]) == ("0", "1")
    for fact, error in [("dropout_built_in_call_fit", "ValueError"), ("add_update", "AttributeError"),
                        ("add_metric", "NotImplementedError"), ("private_trainable_weights_read", "AttributeError"),
                        ("model_dynamic_keyword", "ValueError"), ("model_updates", "AttributeError"),
                        ("layer_output_shape", "AttributeError")]:
        assert k3[fact].startswith(error + ":"), (fact, k3[fact])
        assert not k2[fact].split(":")[0].endswith("Error"), (fact, k2[fact])
