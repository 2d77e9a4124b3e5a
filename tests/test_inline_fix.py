"""TFV006's fix of a layer constructed and called at once in `call` (`layers.Dropout(self.rate)(x)`): constructed
once, at the end of `__init__`, under a fresh attribute name. The fixes through the CLI on keras-cv's
TransformerEncoder; the preconditions and their reasons; the names; the Keras facts the fix rests on
(bench/inline_layer_facts.py) under both runtimes; and the verifier's judgement of the variables an original makes
on every call. The fixtures (fixtures/tfv006_inline_*) carry the runtime evidence of the fixed layers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, bench_facts, run_cli
from tflint_vars.engine import check_source
from tflint_vars.fixes.fixer import fix_source
from tflint_vars.plans.hoist import KERAS_MEMBERS, LAYER_ATTRIBUTES
from tflint_vars.verify.declaration import Exercise
from tflint_vars.verify.judge import judge_exercise

HEAD = "import tensorflow as tf\nfrom tensorflow.keras import layers\n\n"


def _layer(init: str, call: str, extra: str = "", bases: str = "layers.Layer") -> str:
    return (HEAD + extra + f"class L({bases}):\n    def __init__(self, rate=0.5, **kwargs):\n"
            "        super().__init__(**kwargs)\n        self.rate = rate\n" + init +
            "\n    def call(self, x, training=None):\n" + call)


def _tfv006(source: str) -> list:
    return [d for d in check_source(source.encode(), "m.py") if d.code == "TFV006"]


def test_transformer_encoder_is_fixed_through_the_cli(tmp_path):
    module = tmp_path / "kcv_transformer_encoder.py"
    shutil.copyfile(ROOT / "tests" / "heldout" / "kcv_transformer_encoder.py", module)
    result = run_cli("check", "--fix", str(module))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Fixed 3 of 3 diagnostics" in result.stderr + result.stdout
    fixed = module.read_text()
    assert ("        self.dense2 = layers.Dense(self.mlp_units[1])\n"
            "        self.dropout = layers.Dropout(self.mlp_dropout)\n"
            "        self.dropout_1 = layers.Dropout(self.mlp_dropout)\n"
            "        self.dropout_2 = layers.Dropout(self.mlp_dropout)\n") in fixed
    for use in ("x = self.dropout(x)\n", "y = self.dropout_1(y)\n", "y = self.dropout_2(y)\n"):
        assert use in fixed
    assert "layers.Dropout(self.mlp_dropout)(" not in fixed
    again = run_cli("check", "--fix", str(module))
    assert again.returncode == 0 and module.read_text() == fixed


@pytest.mark.parametrize("init, call, extra, reason", [
    ("", "        r = self.rate\n        return layers.Dropout(r)(x)\n", "", "it reads `r`, a local of `call`"),
    ("", "        return layers.Dropout(float(self.rate))(x)\n", "", "its arguments call `float`"),
    ("", "        return layers.Dropout(self.rate)(x)\n    def reset(self):\n        self.rate = 0.1\n", "",
     "it reads `self.rate`, which code other than `__init__` sets"),
    ("        if self.rate:\n            self.other = 0.2\n", "        return layers.Dropout(self.other)(x)\n", "",
     "it reads `self.other`, which `__init__` does not set exactly once in its own body"),
    ("        self.rates = [0.1]\n", "        return layers.Dropout(self.rates[0])(x)\n"
     "    def more(self):\n        self.rates.append(0.2)\n", "",
     "it reads `self.rates`, whose methods `more` calls"),
    ("", "        return layers.Dropout(RATE)(x)\n", "RATE = 0.1\nRATE = 0.2\n\n\n",
     "it reads `RATE`, which is not a name the module binds once"),
    ("        return\n", "        return layers.Dropout(self.rate)(x)\n", "", "`__init__` has a `return`"),
    ("", "        return [layers.Dense(2)(x) for _ in range(2)][0]\n", "", "it is constructed in a comprehension"),
    ("", "        def f(t):\n            return layers.Dense(2)(t)\n        return f(x)\n", "",
     "it is constructed in a function nested in `call`"),
    ("", "        return layers.Dropout(self.rate)(x)\n", "", None),
], ids=["call-local", "calls", "set-elsewhere", "set-in-branch", "changed-in-place", "module-name-twice",
        "init-returns", "comprehension-weights", "nested-weights", "fixable"])
def test_preconditions_and_their_reasons(init, call, extra, reason):
    (diagnostic,) = _tfv006(_layer(init, call, extra))
    if reason is None:
        assert diagnostic.fix == "safe" and diagnostic.fix_reason is None
        assert diagnostic.fix_title == \
            "Construct it once, at the end of `__init__`, as `self.dropout`, and call that"
    else:
        assert diagnostic.fix is None and reason in diagnostic.fix_reason, diagnostic.fix_reason


def test_a_base_from_elsewhere_or_attributes_by_name_are_refused():
    (elsewhere,) = _tfv006(_layer("", "        return layers.Dropout(self.rate)(x)\n",
                                  "from mypkg import Base\n\n\n", bases="Base, layers.Layer"))
    # the class is a Keras layer through layers.Layer; Base may own `self.dropout`
    assert elsewhere.fix is None and "its base `Base` is not Keras's own Layer or Model" in elsewhere.fix_reason
    (by_name,) = _tfv006(_layer("        setattr(self, 'k', 1)\n", "        return layers.Dropout(self.rate)(x)\n"))
    assert by_name.fix is None and "uses attributes by name (`setattr`)" in by_name.fix_reason


def test_a_dropout_in_a_loop_is_shared_and_a_weighted_layer_outside_one_is_unsafe():
    source = _layer("", "        for _ in range(2):\n            x = layers.Dropout(self.rate)(x)\n"
                        "        return layers.Dense(2)(x)\n")
    loop, dense = _tfv006(source)
    assert loop.fix == "safe" and dense.fix == "unsafe" and "fresh untrained weights" in dense.fix_reason
    fixed = fix_source(source, "m.py", unsafe=True)
    assert "        self.dropout = layers.Dropout(self.rate)\n        self.dense = layers.Dense(2)\n" in fixed
    assert "x = self.dropout(x)" in fixed and "return self.dense(x)" in fixed


def test_fresh_names_skip_every_name_the_class_its_bases_and_subclasses_use():
    source = (HEAD + "class Base(layers.Layer):\n    def __init__(self, **kwargs):\n"
              "        super().__init__(**kwargs)\n"
              "        self.dropout = 1\n\n\n"
              "class L(Base):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n\n"
              "    def dropout_1(self):\n        return 1\n\n"
              "    def call(self, x):\n        x = layers.Dropout(0.1)(x)\n"
              "        return layers.GaussianNoise(0.1)(layers.SpatialDropout1D(0.1)(x))\n\n\n"
              "class Sub(L):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
              "        self.dropout_2 = 2\n        self.gaussian_noise = 3\n")
    fixed = fix_source(source, "m.py")
    assert ("        super().__init__(**kwargs)\n        self.dropout_3 = layers.Dropout(0.1)\n"
            "        self.gaussian_noise_1 = layers.GaussianNoise(0.1)\n"
            "        self.spatial_dropout1d = layers.SpatialDropout1D(0.1)\n") in fixed
    assert "x = self.dropout_3(x)\n        return self.gaussian_noise_1(self.spatial_dropout1d(x))\n" in fixed


def test_a_construction_on_several_lines_keeps_its_layout_in_init():
    source = _layer("", "        return layers.Dropout(\n            rate=self.rate,  # the rate\n        )(x)\n")
    fixed = fix_source(source, "m.py")
    assert ("        self.rate = rate\n        self.dropout = layers.Dropout(\n"
            "            rate=self.rate,  # the rate\n        )\n") in fixed
    assert "        return self.dropout(x)\n" in fixed


@pytest.mark.slow
def test_keras_members_hold_every_public_member_of_a_compiled_model():
    """KERAS_MEMBERS, recomputed under both runtimes: a fresh name never shadows a Model member."""
    script = ("import json, os\n"
              "k = __import__('tf_keras' if os.environ.get('TF_USE_LEGACY_KERAS') == '1' else 'keras')\n"
              "i = k.Input((1,)); m = k.Model(i, k.layers.Dense(1)(i)); m.compile('sgd', 'mse')\n"
              "print(json.dumps(sorted(n for n in set(dir(m)) | set(vars(m)) if not n.startswith('_'))))\n")
    for legacy in ("0", "1"):
        env = {**os.environ, "TF_USE_LEGACY_KERAS": legacy, "TF_CPP_MIN_LOG_LEVEL": "3"}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        members = set(json.loads(result.stdout.splitlines()[-1]))
        assert members <= KERAS_MEMBERS | LAYER_ATTRIBUTES, sorted(members - KERAS_MEMBERS)


@pytest.mark.slow
def test_the_facts_the_fix_rests_on():
    k3, k2 = bench_facts("inline_layer_facts.py", False), bench_facts("inline_layer_facts.py", True)
    assert k3["inline_dropout_fit_original"].startswith("ValueError")
    assert k2["inline_dropout_fit_original"] == "'trains'"
    assert k3["inline_dropout_fit_fixed"] == k2["inline_dropout_fit_fixed"] == "'trains'"
    assert k3["inline_dropout_fixed_weights"] == k2["inline_dropout_fixed_weights"] == "['bias', 'kernel']"
    for k in (k3, k2):
        assert k["shared_dropout_masks_differ_in_one_trace_and_across_steps"] == "(True, True)"
        assert k["shared_seeded_dropout_masks_differ_between_calls"] == "True"
        for name in ("inline_dropout_weights_h5_original_to_fixed", "inline_dropout_weights_h5_fixed_to_original",
                     "inline_dropout_keras_file_original_loaded_as_fixed"):
            assert k[name] == "True", name
    assert k2["inline_seeded_dropout_masks_differ_between_calls"] == "True"  # Keras 2, the reference: new masks
    for k in (k3, k2):  # a class with no `__init__`: the added one takes what the inherited one took
        for name in ("positional_layer_arguments", "functional_model_by_position", "layer_get_config"):
            assert k[f"original_{name}"] == k[f"added_init_{name}"], name
    assert k2["original_positional_layer_arguments"] == "(False, 'n')"
    assert k2["inline_dropout_legacy_h5_original_to_fixed"] == "True"
    assert k2["inline_dropout_tf_checkpoint_original_to_fixed"] == "True"


def _evidence(per_call: int, tracked: bool, again: str = "seed_generator_state") -> dict:
    created = [{"name": "l/kernel:0", "short": "kernel", "tracked": True},
               {"name": "l/seed_generator_state:0", "short": "seed_generator_state", "tracked": tracked}]
    return {"original": {"created": created, "created_per_call": per_call, "made_per_call": [again] * bool(per_call),
                         "error": None},
            "fixed": {"created": created[:1], "error": None},
            "checks": {"unmatched_original": ["l/seed_generator_state:0"], "unmatched_fixed": []}}


# (variables the second call made, whether the first's seed state is tracked, the kind the second call made again)
@pytest.mark.parametrize("per_call, tracked, again, passes", [
    (1, False, "seed_generator_state", True), (0, False, "seed_generator_state", False),
    (1, True, "seed_generator_state", False),
    (1, False, "other", False),  # made once, not again: the fix must keep it (a per-call variable of another kind)
])
def test_variables_an_original_makes_on_every_call_and_does_not_track_are_not_required(per_call, tracked, again,
                                                                                       passes):
    judgement = judge_exercise(Exercise(kind="layer", class_name="L"), "keras3", _evidence(per_call, tracked, again),
                               same_source=False)
    assert (judgement.verdict == "pass") is passes, judgement.reasons
    if passes:
        assert any("the original makes on every call and does not track" in note for note in judgement.notes)


def test_a_subclass_setting_what_the_construction_reads_is_refused():
    source = _layer("", "        return layers.Dropout(self.rate)(x)\n") + (
        "\n\nclass Sub(L):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
        "        self.rate = 0.9\n")
    (diagnostic,) = _tfv006(source)
    assert diagnostic.fix is None and diagnostic.fix_reason == "it reads `self.rate`, which `Sub` sets too"


def test_a_local_of_call_is_not_taken_as_a_name():
    """Another fix may turn a local `dropout` of `call` into `self.dropout`."""
    source = _layer("", "        dropout = 0.5\n        return layers.Dropout(self.rate)(x) * dropout\n")
    (diagnostic,) = _tfv006(source)
    assert "`self.dropout_1`" in diagnostic.fix_title


def test_a_class_with_no_init_gets_one_passing_every_argument_on():
    source = (HEAD + "class L(layers.Layer):\n    def call(self, x):\n        return layers.Dropout(0.5)(x)\n")
    (diagnostic,) = _tfv006(source)
    assert diagnostic.fix == "safe" and "in an added `__init__(self, *args, **kwargs)`" in diagnostic.fix_title
    assert fix_source(source, "m.py").endswith(
        "class L(layers.Layer):\n    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n"
        "        self.dropout = layers.Dropout(0.5)\n\n    def call(self, x):\n        return self.dropout(x)\n")
    (reads,) = _tfv006(HEAD + "class L(layers.Layer):\n    rate = 0.5\n\n    def call(self, x):\n"
                       "        return layers.Dropout(self.rate)(x)\n")
    assert reads.fix is None
    assert reads.fix_reason == "it reads `self.rate`, and `L` has no `__init__` of its own to set it"
    (assigned,) = _tfv006(HEAD + "def make(self, **kwargs):\n    layers.Layer.__init__(self, **kwargs)\n\n\n"
                          "class L(layers.Layer):\n    __init__ = make\n\n    def call(self, x):\n"
                          "        return layers.Dropout(0.5)(x)\n")
    assert assigned.fix is None and "sets `__init__` or `__new__` otherwise than by a method" in assigned.fix_reason
