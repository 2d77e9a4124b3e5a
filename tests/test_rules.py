"""Each rule against its own documentation: the docstring's Example fires, Use instead does not, and so do the
VALID/INVALID lists beside it. The docstring is what `tflint-vars rule CODE` prints, so docs cannot drift from code."""

from __future__ import annotations

import pytest

from tflint_vars.engine import check_source

from tflint_vars.diagnostics import CodeSelection
from tflint_vars.rules.registry import ALL_RULES, RULES_BY_CODE

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety")


def codes_in(source: str) -> list[str]:
    return [d.code for d in check_source(source.encode(), "example.py", CodeSelection())]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_documentation_has_every_section(rule):
    doc = rule.documentation()
    for section in SECTIONS:
        assert section in doc, f"{rule.code} lacks {section}"
    assert rule.summary() and not rule.summary().startswith("#")


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_docstring_example_fires_and_use_instead_does_not(rule):
    example, use_instead = rule.doc_examples()
    assert example and use_instead
    assert rule.code in codes_in(example)
    assert rule.code not in codes_in(use_instead)


@pytest.mark.parametrize("rule,source", [(r, s) for r in ALL_RULES for s in r.INVALID],
                         ids=lambda v: getattr(v, "code", ""))
def test_invalid_examples_fire(rule, source):
    assert rule.code in codes_in(source)


@pytest.mark.parametrize("rule,source", [(r, s) for r in ALL_RULES for s in r.VALID],
                         ids=lambda v: getattr(v, "code", ""))
def test_valid_examples_do_not_fire(rule, source):
    assert rule.code not in codes_in(source)


def test_codes_are_unique_and_ordered():
    codes = [rule.code for rule in ALL_RULES]
    assert codes == sorted(set(codes)) and codes[0] == "TFV000"
    assert set(RULES_BY_CODE) == set(codes)


# False-alarm classes found on real code (tf-keras 2.21.0, tensor2tensor 1.15.7, keras 3.15.1): each stays quiet.
@pytest.mark.parametrize("source", [
    # tensor2tensor bin/t2t_avg_all.py: the loop resets the default graph, so the scope is new each time.
    "import tensorflow.compat.v1 as tf\nfor step in range(3):\n    with tf.variable_scope('train_stats'):\n"
    "        tf.get_variable('n', initializer=0)\n    tf.reset_default_graph()\n",
    "import tensorflow.compat.v1 as tf\ndef f():\n    with tf.variable_scope('s'):\n        tf.get_variable('w', [1])\n"
    "for i in range(2):\n    with tf.Graph().as_default():\n        f()\n",
    # tf_keras metrics/base_metric.py: Metric.add_weight implements weight creation with tf.Variable.
    "import tf_keras\nimport tensorflow as tf\nclass Metric(tf_keras.layers.Layer):\n"
    "    def add_weight(self, name, shape=()):\n        return tf.Variable(tf.zeros(shape), name=name)\n",
    # keras quantizers/gptq_core_test.py: a weightless layer constructed and used at once in call.
    "import keras\nclass M(keras.Model):\n    def call(self, x):\n"
    "        return keras.layers.GlobalAveragePooling1D()(x)\n",
])
def test_false_alarm_classes_stay_quiet(source):
    assert codes_in(source) == []


def test_weightful_or_stored_layers_in_call_still_fire():
    stored = ("import keras\nclass M(keras.Model):\n    def call(self, x):\n"
              "        self.pool = keras.layers.GlobalAveragePooling1D()\n        return self.pool(x)\n")
    fresh = "import keras\nclass M(keras.Model):\n    def call(self, x):\n        return keras.layers.Dense(3)(x)\n"
    assert codes_in(stored) == ["TFV006"]
    assert codes_in(fresh) == ["TFV006"]


@pytest.mark.parametrize("body", [
    "    def build(self, s):\n        pass\n",  # a build of its own: it may make weights
    "    def call(self, x):\n        return keras.layers.Dense(2)(x)\n",  # a sublayer
    "    def __init__(self):\n        super().__init__()\n        self.seed = keras.random.SeedGenerator(1)\n",
    "    def call(self, x):\n        return x * keras.backend.zeros((1,))\n",  # a backend variable
])
def test_a_module_layer_class_with_state_constructed_in_call_still_fires(body):
    """Only a module class that owns nothing is quiet (tests/../fixtures/no_finding_stateless_layer_in_call.py)."""
    source = (f"import keras\nclass Part(keras.layers.Layer):\n{body}"
              "class M(keras.layers.Layer):\n    def call(self, x):\n        return Part()(x)\n")
    last_line = source.count("\n")
    found = check_source(source.encode(), "example.py", CodeSelection())
    assert [(d.code, d.line) for d in found if d.line == last_line] == [("TFV006", last_line)]


def test_tfv008_names_both_ways_out():
    """Issue 13: rewrite to the Keras layer class, or keep TF1 graph code on tf-keras with TF_USE_LEGACY_KERAS=1
    (both measured under TF 2.21; see the rule's docstring)."""
    from tflint_vars.engine import check_source

    source = (b"import tensorflow.compat.v1 as tf\n"
              b"a = tf.layers.dense(x, 3)\nb = tf.layers.conv2d_transpose(x, 3, 3)\nc = tf.layers.Flatten()\n"
              b"d = tf.layers.experimental.something(x)\n")
    titles = [d.fix_title for d in check_source(source, "t.py")]
    assert titles == [
        f"Rewrite to {target}, or keep TF1 graph code on tf-keras with `TF_USE_LEGACY_KERAS=1`"
        for target in ("`tf.keras.layers.Dense`", "`tf.keras.layers.Conv2DTranspose`", "`tf.keras.layers.Flatten`",
                       "the `tf.keras.layers` equivalent")]


def _messages(source: str) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in check_source(source.encode(), "example.py", CodeSelection())]


def test_a_metric_that_cannot_accumulate_is_not_said_to():
    """tensorflow-similarity's DistanceMetric remakes its variable in `reset_state`, DistanceGapMetric only
    `assign`s a per-batch value: untracked under Keras 3 (not saved), but nothing carries over epochs."""
    head = "import tensorflow as tf\nclass M(tf.keras.metrics.Metric):\n"
    init = "    def __init__(self, **kw):\n        super().__init__(**kw)\n"
    remade = (head + init + "        self.d = tf.Variable(0.0)\n"
              "    def update_state(self, x):\n        self.d = tf.reduce_mean(x)\n"
              "    def reset_state(self):\n        self.d = tf.Variable(0.0)\n")
    assigned = (head + init + "        self.g = tf.Variable(0.0)\n"
                "    def update_state(self, x):\n        self.g.assign(tf.reduce_max(x))\n"
                "    def result(self):\n        return self.g\n")
    summed = (head + init + "        self.s = tf.Variable(0.0)\n"
              "    def update_state(self, x):\n        self.s.assign(self.s + tf.reduce_sum(x))\n")
    for source in (remade, assigned):
        messages = _messages(source)
        assert messages and all(m.endswith("untracked under Keras 3: not saved") for _, m in messages), messages
    assert [code for code, _ in _messages(remade)] == ["TFV001", "TFV003"]
    assert _messages(summed)[0][1].endswith("untracked under Keras 3: `reset_state()` skips it")


def test_a_variable_kept_through_a_list_element_reaches_the_layer():
    """deepchem's AtomicConvolution.build: `vars.append(tf.Variable(val))` then `self.rc = vars[0]`."""
    head = "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
    kept = head + "        vs = []\n        vs.append(tf.Variable(1.0))\n        self.rc = vs[0]\n"
    sliced = head + "        v = tf.Variable([1.0, 2.0])\n        self.first = v[0] * 2.0\n"
    assert codes_in(kept) == ["TFV003"]
    assert codes_in(sliced) == []


def test_a_variable_in_a_theano_branch_is_not_reported():
    """keras-rl2's NAFLayer.call: `if K.backend() == 'theano':` never runs with TensorFlow's Keras."""
    source = ("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n"
              "class L(tf.keras.layers.Layer):\n    def call(self, x):\n        if K.backend() == 'theano':\n"
              "            z = K.zeros((2,))\n        elif K.backend() == 'tensorflow':\n"
              "            z = K.zeros((2,))\n        return x + z\n")
    assert [(d.code, d.line) for d in check_source(source.encode(), "m.py", CodeSelection())] == [("TFV002", 8)]


_LAYER = "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n"
_MAKE = "    def make(self):\n        return tf.Variable(1.0)  # <-\n"


@pytest.mark.parametrize("source", [
    # A public factory the class never calls: its callers own the variable (deepchem's LSTMStep.get_initial_states).
    _LAYER + _MAKE.replace("  # <-", ""),
    # Kept by the class's own build, directly or through another method's return.
    _LAYER + _MAKE + "    def build(self, s):\n        self.v = self.make()\n",
    _LAYER + _MAKE + "    def states(self):\n        return [self.make()]\n"
    "    def build(self, s):\n        self.s = self.states()\n",
    # Every call seen, none keeps it: reduced at once, also through a cycle of returns.
    _LAYER + _MAKE.replace("  # <-", "") + "    def __init__(self):\n        super().__init__()\n"
    "        self.t = tf.reduce_sum(self.make())\n",
    _LAYER + "    def _a(self, n):\n        return tf.Variable(1.0) if n else self._b(n)\n"
    "    def _b(self, n):\n        return self._a(n - 1)\n"
    "    def build(self, s):\n        self.t = tf.reduce_sum(self._b(2))\n",
    # Callers this module does not show: a private method none calls (a subclass elsewhere may), a method passed on,
    # a method Keras calls, a decorated one, a base other than Keras's own Layer, Model or Metric.
    _LAYER + _MAKE.replace("make", "_make"),
    _LAYER + _MAKE + "    def build(self, s):\n        self.f = self.make\n",
    _LAYER + "    def get_initial_state(self, inputs):\n        return tf.Variable(1.0)  # <-\n",
    _LAYER + "    @property\n    def v(self):\n        return tf.Variable(1.0)  # <-\n",
    _LAYER.replace("Layer)", "Dense)") + _MAKE,
    # A subclass in the module keeps it, through `self` or `super()`.
    _LAYER + _MAKE + "class M(L):\n    def build(self, s):\n        self.v = super().make()\n",
    # Made by a method `call` runs: a new variable each call, which `tf.function` rejects wherever it goes.
    _LAYER + "    def _w(self):\n        return tf.Variable(1.0)  # <-\n"
    "    def call(self, x):\n        return x * self._w()\n",
    # Kept by another layer through an object it holds (bound once to a class of the module): at the store.
    "import tensorflow as tf\nclass Cell(tf.keras.layers.Layer):\n" + _MAKE.replace("  # <-", "")
    + "class Outer(tf.keras.layers.Layer):\n    def build(self, s):\n        self.cell = Cell()\n"
    "        self.v = self.cell.make()  # <-\n",
    "import tensorflow as tf\nclass Cell(tf.keras.layers.Layer):\n" + _MAKE.replace("  # <-", "")
    + "class Outer(tf.keras.layers.Layer):\n    def build(self, s):\n        cell = Cell()\n"
    "        self.v = [cell.make()]  # <-\n",
    # Not followed: the attribute bound twice, the local a parameter.
    "import tensorflow as tf\nclass Cell(tf.keras.layers.Layer):\n" + _MAKE.replace("  # <-", "")
    + "class Outer(tf.keras.layers.Layer):\n    def __init__(self):\n        super().__init__()\n"
    "        self.cell = Cell()\n    def build(self, s):\n        self.cell = Cell()\n"
    "        self.v = self.cell.make()\n",
    "import tensorflow as tf\nclass Cell(tf.keras.layers.Layer):\n" + _MAKE.replace("  # <-", "")
    + "class Outer(tf.keras.layers.Layer):\n    def build(self, s, cell=None):\n        cell = Cell()\n"
    "        self.v = cell.make()\n",
])
def test_a_returned_variable_is_reported_where_a_layer_may_keep_it(source):
    """A method's returned variable is its class's state only when the class may keep it (issue 17's held-out
    LSTMStep); a layer keeping what a held object's method returns is reported where it keeps it. The lines marked
    `# <-` are reported, no other."""
    marked = [number for number, line in enumerate(source.splitlines(), 1) if line.endswith("# <-")]
    found = check_source(source.encode(), "example.py", CodeSelection())
    assert sorted(d.line for d in found if d.code in ("TFV001", "TFV002", "TFV003")) == marked, \
        [(d.code, d.line, d.message) for d in found]
