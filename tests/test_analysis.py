"""The analysis layer: which classes are Keras classes (and which Keras), where each call stands, canonical names."""

from __future__ import annotations

import ast

import pytest

from tflint_vars.analysis import KERAS2, KERAS3, analyze, canonical_name, keras_layer_class_flavor


def classes(source: str) -> dict[str, str | None]:
    analysis = analyze(ast.parse(source), source)
    found = {c.name: c.flavor for c in analysis.keras_classes.values()}
    return {n.name: found.get(n.name) for n in ast.walk(analysis.tree) if isinstance(n, ast.ClassDef)}


@pytest.mark.parametrize("imports,base,flavor", [
    ("import tensorflow as tf", "tf.keras.layers.Layer", KERAS3),
    ("import tensorflow as tf", "tf.keras.Model", KERAS3),
    ("import tensorflow as tf", "tf.keras.models.Model", KERAS3),
    ("import tensorflow as tfx", "tfx.keras.layers.Dense", KERAS3),
    ("import keras", "keras.Layer", KERAS3),
    ("import keras", "keras.layers.Layer", KERAS3),
    ("import keras", "keras.Model", KERAS3),
    ("from tensorflow.keras import layers", "layers.Layer", KERAS3),
    ("from tensorflow.keras import layers as L", "L.Conv2D", KERAS3),
    ("from keras.layers import Layer", "Layer", KERAS3),
    ("from tensorflow import keras", "keras.layers.Layer", KERAS3),
    ("from tensorflow.keras.layers import Dense as D", "D", KERAS3),
    ("import tensorflow.compat.v1 as tf", "tf.keras.layers.Layer", KERAS3),
    ("import tf_keras", "tf_keras.layers.Layer", KERAS2),
    ("import tf_keras as keras", "keras.layers.Layer", KERAS2),
    ("from tf_keras.src.engine import base_layer", "base_layer.Layer", KERAS2),
    ("import tensorflow as tf", "tf.Module", None),
    ("import tensorflow as tf", "tf.keras.layers.InputSpec", None),
    ("import tensorflow as tf", "tf.keras.optimizers.schedules.LearningRateSchedule", None),
    ("import tensorflow as tf", "tf.keras.losses.Reduction", None),
    ("", "object", None),
    ("", "Layer", None),  # not imported: unknown, not guessed
])
def test_keras_classes_through_every_import_form(imports, base, flavor):
    assert classes(f"{imports}\nclass C({base}):\n    pass\n") == {"C": flavor}


@pytest.mark.parametrize("imports,base,kind", [
    ("import tensorflow as tf", "tf.keras.layers.Layer", "layer"),
    ("import tensorflow as tf", "tf.keras.layers.Wrapper", "layer"),
    ("from keras.layers import Wrapper", "Wrapper", "layer"),
    ("import tensorflow as tf", "tf.keras.Model", "model"),
    ("from tensorflow.keras.models import Sequential", "Sequential", "model"),
    ("import tensorflow as tf", "tf.keras.metrics.Metric", "metric"),
    ("import keras", "keras.Metric", "metric"),
    ("from keras.metrics import Mean", "Mean", "builtin-metric"),
    ("from tensorflow.keras import metrics", "metrics.AUC", "builtin-metric"),
    ("import tf_keras", "tf_keras.metrics.Metric", "metric"),
    ("import tensorflow as tf", "tf.keras.optimizers.Optimizer", "optimizer"),
    ("from keras import optimizers", "optimizers.Adam", "optimizer"),
    ("import keras", "keras.Optimizer", "optimizer"),
    ("import tensorflow as tf", "tf.keras.losses.Loss", "loss"),
    ("from keras.losses import MeanSquaredError", "MeanSquaredError", "loss"),
    ("import keras", "keras.Loss", "loss"),
])
def test_keras_class_kinds_through_every_import_form(imports, base, kind):
    source = f"{imports}\nclass C({base}):\n    pass\nclass D(C):\n    pass\n"
    analysis = analyze(ast.parse(source), source)
    assert sorted((c.name, c.kind) for c in analysis.keras_classes.values()) == [("C", kind), ("D", kind)]


@pytest.mark.parametrize("source,flavor", [
    ("import tensorflow as tf\nK = tf.keras\nL = K.layers\nclass C(L.Layer):\n    pass\n", KERAS3),
    ("import keras\nlayers = keras.layers\nclass C(layers.Dense):\n    pass\n", KERAS3),
    ("from tensorflow import keras as K\nclass C(K.layers.Layer):\n    pass\n", KERAS3),
    ("import tf_keras\nk = tf_keras\nBase = k.layers.Layer\nclass C(Base):\n    pass\n", KERAS2),
    # A try body's alias is what runs where its package is installed: the fallback does not replace it.
    ("import tensorflow as tf\nimport tf_keras\ntry:\n    K = tf_keras\nexcept ImportError:\n    K = tf.keras\n"
     "class C(K.layers.Layer):\n    pass\n", KERAS2),
    # Reassignment later in the module wins, as for imports.
    ("import tensorflow as tf\nimport tf_keras\nK = tf_keras\nK = tf.keras\nclass C(K.layers.Layer):\n    pass\n",
     KERAS3),
    # Only module-level aliases, and only of imported names.
    ("import tensorflow as tf\ndef f():\n    K = tf.keras\nclass C(K.layers.Layer):\n    pass\n", None),
    ("K = something.keras\nclass C(K.layers.Layer):\n    pass\n", None),
])
def test_module_aliases(source, flavor):
    assert classes(source) == {"C": flavor}


def test_module_alias_of_compat_v1_qualifies_calls():
    source = "import tensorflow as tf\nv1 = tf.compat.v1\nv1.get_variable('w', [1])\n"
    analysis = analyze(ast.parse(source), source)
    assert [site.name for site in analysis.calls] == ["tensorflow.get_variable"]


def test_inheritance_inside_the_module_in_any_order():
    source = ("import tf_keras\nclass C(B):\n    pass\nclass B(A):\n    pass\nclass A(tf_keras.layers.Layer):\n"
              "    pass\nclass Plain(object):\n    pass\n")
    assert classes(source) == {"C": KERAS2, "B": KERAS2, "A": KERAS2, "Plain": None}


def test_context_method_loop_and_scopes():
    source = (
        "import tensorflow as tf\n"
        "class L(tf.keras.layers.Layer):\n"
        "    def __init__(self):\n"
        "        def helper():\n"
        "            return tf.Variable(1.0)\n"
        "        for i in range(2):\n"
        "            tf.Variable(2.0)\n"
        "    def call(self, x):\n"
        "        with tf.compat.v1.variable_scope('s'):\n"
        "            return tf.compat.v1.get_variable('w', [1])\n"
        "def free():\n"
        "    return tf.Variable(3.0)\n"
    )
    analysis = analyze(ast.parse(source), source)
    sites = {s.node.lineno: s for s in analysis.calls if s.name in ("tensorflow.Variable", "tensorflow.get_variable")}
    assert sites[5].context.method == "__init__" and not sites[5].context.in_loop
    assert sites[7].context.method == "__init__" and sites[7].context.in_loop
    assert sites[10].context.method == "call" and len(sites[10].context.scopes) == 1
    assert sites[12].context.keras_class is None and sites[12].context.method is None


@pytest.mark.parametrize("qualified,canonical", [
    ("tensorflow.compat.v1.get_variable", "tensorflow.get_variable"),
    ("tensorflow.compat.v1.layers.dense", "tensorflow.layers.dense"),
    ("tensorflow.compat.v1.keras.layers.Layer", "keras.layers.Layer"),
    ("tensorflow.keras.layers.Dense", "keras.layers.Dense"),
    ("tensorflow.python.keras.engine.base_layer.Layer", "tf_keras.engine.base_layer.Layer"),
    ("keras.src.layers.Layer", "keras.layers.Layer"),
    ("tensorflow.Variable", "tensorflow.Variable"),
])
def test_canonical_names(qualified, canonical):
    assert canonical_name(qualified) == canonical


def test_layer_class_names():
    assert keras_layer_class_flavor("keras.layers.Dense") == KERAS3
    assert keras_layer_class_flavor("keras.layers.dense") is None
    assert keras_layer_class_flavor("keras.Variable") is None
    assert keras_layer_class_flavor("tf_keras.Model") == KERAS2


@pytest.mark.parametrize("guard,flavor", [
    # transformers' modeling_tf_utils: tf_keras wherever it is installed, so the class runs on Keras 2.
    ("try:\n    import tf_keras as keras\nexcept (ModuleNotFoundError, ImportError):\n    import keras\n", KERAS2),
    ("try:\n    import tf_keras as keras\nexcept:\n    import keras\n", KERAS2),
    ("try:\n    import keras\nexcept ImportError:\n    import tf_keras as keras\n", KERAS3),
    # A handler that does not catch an import failure is not a fallback: the later binding stands, as before.
    ("try:\n    import tf_keras as keras\nexcept ValueError:\n    import keras\n", KERAS3),
    ("import tf_keras as keras\nimport keras\n", KERAS3),
])
def test_an_import_fallback_does_not_replace_the_try_body_binding(guard, flavor):
    assert classes(f"{guard}class C(keras.layers.Layer):\n    pass\n") == {"C": flavor}


_LATTICE = 'import tensorflow as tf\nversion_fn = getattr(tf.keras, "version", None)\n'


@pytest.mark.parametrize("gate,flavor", [
    # tensorflow-lattice: tf.keras is taken only where the test found it is Keras 2 (TF < 2.16), so both are Keras 2.
    (_LATTICE + 'if version_fn and version_fn().startswith("3."):\n    import tf_keras as keras\n'
     'else:\n    keras = tf.keras\n', KERAS2),
    ('import tensorflow as tf\nif tf.__version__ >= "2.16":\n    import tf_keras as keras\nelse:\n'
     '    from tensorflow import keras\n', KERAS2),
    ('import tensorflow as tf\nif not tf.keras.__version__.startswith("3"):\n    keras = tf.keras\nelse:\n'
     '    import tf_keras as keras\n', KERAS2),
    # A test that is not of a version really chooses: the later binding stands, as before.
    ('import os\nimport tensorflow as tf\nif os.environ.get("TF_USE_LEGACY_KERAS"):\n    import tf_keras as keras\n'
     'else:\n    keras = tf.keras\n', KERAS3),
    (_LATTICE + 'if version_fn and version_fn().startswith("3."):\n    import tf_keras as keras\n', KERAS2),
])
def test_a_version_gated_tf_keras_binding_is_keras_2_in_both_branches(gate, flavor):
    assert classes(f"{gate}class C(keras.layers.Layer):\n    pass\n") == {"C": flavor}


def test_a_resolver_answers_only_for_bases_not_keras_by_name():
    """The project index (tflint_vars.project) is asked about imported bases that are not Keras by name, and a
    local class on top of one it confirms is Keras too; a local class of the same name as an import is asked."""
    source = ("import tensorflow as tf\nfrom .base import BaseLayer\nfrom pkg.mixins import Mixin\n"
              "class A(BaseLayer):\n    pass\nclass B(A):\n    pass\nclass C(tf.keras.layers.Layer, Mixin):\n"
              "    pass\nclass D(Mixin):\n    pass\nclass BaseLayer(BaseLayer):\n    pass\n")
    asked = []

    def resolver(ref):
        asked.append(ref)
        return (KERAS3, "layer") if ref == ".base.BaseLayer" else None

    analysis = analyze(ast.parse(source), source, resolver)
    assert sorted(c.name for c in analysis.keras_classes.values()) == ["A", "B", "BaseLayer", "C"]
    assert sorted(set(asked)) == [".base.BaseLayer", "pkg.mixins.Mixin"]


def test_an_import_is_asked_what_it_stands_for_only_when_a_call_uses_it_as_tensorflow():
    """`tf.Variable` / `tf.layers.dense` / a bare imported `Variable` through a project module make the analysis ask
    (tflint_vars.project's `alias`); a project helper such as `common_layers.layers()` or `util.dense()`, and
    TensorFlow's own names, do not: the index never reads those modules for it."""
    source = ("import tensorflow\nfrom pkg import compat as tf\nfrom pkg.layers import common_layers, util\n"
              "from pkg.compat import Variable\nimport mtf\n"
              "tf.Variable(1.0)\ntf.layers.dense(x, 3)\nVariable(2.0)\ncommon_layers.layers()\nutil.dense(x)\n"
              "tensorflow.Variable(3.0)\nmtf.layers.dense(x)\n")

    class Resolver:
        asked: list[str] = []

        def __call__(self, ref):
            return None

        def alias(self, ref):
            self.asked.append(ref)
            return "tensorflow.compat.v2" if ref == "pkg.compat" else None

    resolver = Resolver()
    analysis = analyze(ast.parse(source), source, resolver)
    assert sorted(resolver.asked) == ["mtf", "pkg.compat", "pkg.compat.Variable"]
    assert [site.name for site in analysis.calls] == [
        "tensorflow.Variable", "tensorflow.layers.dense", "pkg.compat.Variable", "pkg.layers.common_layers.layers",
        "pkg.layers.util.dense", "tensorflow.Variable", "mtf.layers.dense"]


def test_the_walk_enters_only_nodes_read_from_the_grammar():
    """The analysis walk pushes every value of a non-scalar field that is not in _SKIPPED, unchecked: each field the
    grammar types as an identifier, int, string or constant must be scalar or of a skipped type."""
    import re

    from tflint_vars.analysis import _LEAVES, _SCALAR_FIELDS, _SKIPPED

    unexpected = []
    for name in dir(ast):
        node_type = getattr(ast, name)
        if not (isinstance(node_type, type) and issubclass(node_type, ast.AST)) or node_type in _LEAVES:
            continue
        signature = re.match(r"\w+\((.*)\)", node_type.__doc__ or "")
        for part in (signature.group(1).split(", ") if signature and signature.group(1) else ()):
            typ, _, field = part.rpartition(" ")
            if typ.rstrip("*?") in ("identifier", "int", "string", "constant") and field not in _SCALAR_FIELDS:
                unexpected.append(f"{name}.{field}")
    assert unexpected == ["MatchSingleton.value"]  # True, False or None
    assert {bool, type(None), int, float, complex, str, bytes, type(Ellipsis)} <= _SKIPPED


def test_the_walk_covers_match_statements_and_finds_calls_in_them():
    source = (
        "import tensorflow as tf\n"
        "def f(x):\n"
        "    match x:\n"
        "        case True | None:\n"
        "            return tf.Variable(1.0)\n"
        "        case {'k': [1, *rest]} if rest:\n"
        "            return tf.layers.dense(x, 3)\n"
        "        case tf.keras.layers.Dense(units=4) as d:\n"
        "            return tf.get_variable('w', [1])\n"
    )
    analysis = analyze(ast.parse(source), source)
    assert [site.name for site in analysis.calls] == ["tensorflow.Variable", "tensorflow.layers.dense",
                                                      "tensorflow.get_variable"]


def test_the_walk_passes_over_constant_defaults_and_decorator_arguments():
    source = "import tensorflow as tf\n@tf.function(jit_compile=True)\ndef f(x=1.5, *, y=b'', z=...):\n" \
             "    return tf.Variable(x)\n"
    analysis = analyze(ast.parse(source), source)
    assert sorted(site.name for site in analysis.calls) == ["tensorflow.Variable", "tensorflow.function"]
