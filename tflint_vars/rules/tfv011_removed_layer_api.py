from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS3, LAYER_KINDS, MODEL, ModuleAnalysis, keras_class_kind
from tflint_vars.rules.base import Finding, Rule

# Keras 2 Layer API that Keras 3's Layer lacks (bench/keras_api_diff.py, "surface.Layer"), used from inside a layer:
# what Keras 3 does, and what to write instead.
REMOVED = {
    "add_metric": ("NotImplementedError", "update a `keras.metrics.Mean` instead"),
    "add_update": ("AttributeError", "call `v.assign(...)` directly"),
    "updates": ("AttributeError", "assignments apply at once; drop the read"),
    "input_shape": ("AttributeError", "keep the shape `build` receives"),
    "output_shape": ("AttributeError", "use `compute_output_shape(...)`"),
}
CALLED = frozenset({"add_metric", "add_update"})


class RemovedLayerApi(Rule):
    """Keras 2 Layer API that Keras 3 removed (`add_metric`, `add_update`, `updates`, `input_shape`, `output_shape`).

    ## What it does
    Finds, in a `Layer` or `Model` subclass built on `tf.keras` or `keras`, the calls `self.add_metric(...)` and
    `self.add_update(...)`, and reads of `.updates`, `.input_shape` and `.output_shape` on `self` or on an attribute
    of `self` (a sublayer). Classes on `tf_keras` (Keras 2) are not reported, nor the shapes of a functional model
    (`super().__init__(inputs=..., outputs=...)`), nor those of an attribute the class sets from anything but a Keras
    layer class (a helper's result may be a functional `Model`, which keeps both).

    ## Why is this bad?
    Keras 3's `Layer` has none of them (bench/keras_api_diff.py lists the public names Keras 2 has and Keras 3
    lacks). Measured on TF 2.21 / Keras 3.15.1 against tf-keras 2.21: `self.add_metric(m, name="m")` in `call` raises
    `NotImplementedError`; `self.add_update(...)`, `layer.updates`, `layer.input_shape` and `layer.output_shape`
    (even on a layer of a functional model) raise `AttributeError`. Keras 2 ran all of them.

    ## Example
    ```python
    import tensorflow as tf

    class Probe(tf.keras.layers.Layer):
        def call(self, x):
            self.add_metric(tf.reduce_mean(x), name="mean_activation")
            return x
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Probe(tf.keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mean_activation = tf.keras.metrics.Mean(name="mean_activation")

        def call(self, x):
            self.mean_activation.update_state(x)
            return x
    ```

    ## Fix safety
    No fix: each has a Keras 3 replacement that changes where the value is computed or reported (a metric object
    to track, a direct assignment, a shape kept from `build`), which needs a human.
    """

    code = "TFV011"
    name = "removed-layer-api"
    fix = None
    VALID = [
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def call(self, x):\n"
        "        self.add_metric(x, name='m')\n        return x\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        self.n = input_shape[-1]\n    def call(self, x):\n        return x\n",
        "import keras\nclass W(keras.layers.Layer):\n    @property\n    def updates(self):\n"
        "        return self.cell.updates\n",
        # keras-cv's backbones: a functional Model keeps `input_shape` in Keras 3.
        "import keras\nclass B(keras.Model):\n    def __init__(self, **kwargs):\n        x = keras.Input((3,))\n"
        "        super().__init__(inputs=x, outputs=keras.layers.Dense(2)(x), **kwargs)\n"
        "    def get_config(self):\n        return {'input_shape': self.input_shape[1:]}\n",
        # tensorflow-similarity: an attribute holding a helper's result, maybe a functional Model (keeps both).
        "import keras\ndef get_projector(d):\n    x = keras.Input((d,))\n"
        "    return keras.Model(x, keras.layers.Dense(2)(x))\n"
        "class C(keras.Model):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
        "        self.projector = get_projector(3)\n    def summary_shape(self):\n"
        "        return self.projector.output_shape\n",
        "import keras\nclass L(keras.layers.Layer):\n    def __init__(self, input_shape=None, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.input_shape = input_shape\n"
        "    def call(self, x):\n        return tf.reshape(x, self.input_shape)\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def call(self, x):\n"
        "        self.add_update(self.v.assign(x))\n        return x\n",
        "from tensorflow import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n"
        "        return tf.reshape(x, self.dense.output_shape)\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        self.dense = keras.layers.Dense(4)\n        self.dense.build(input_shape)\n"
        "        self.n = self.dense.output_shape[-1]\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.keras_classes.values():
            if cls.flavor != KERAS3 or not cls.is_layer:
                continue
            nodes = [n for n in ast.walk(cls.node) if isinstance(n, ast.Attribute) and n.attr in REMOVED]
            # An attribute the class sets itself (`self.input_shape = ...`, valid in Keras 3) is its own.
            own = {n.attr for n in nodes if not isinstance(n.ctx, ast.Load) and _on_self(n)}
            # An `updates` property that reads a sublayer's (tf-agents' wrappers): Keras 3 never reads `updates`,
            # so the override is dead code there, not a crash.
            dead = {id(n) for method in cls.node.body if isinstance(method, ast.FunctionDef)
                    and method.name == "updates" for n in ast.walk(method)}
            nodes = [n for n in nodes if id(n) not in dead]
            if _functional(cls):
                # Keras 3's functional Model keeps both (bench/precision_facts.py, `functional_input_output_shape`)
                own |= SHAPES
            not_layers = None
            for node in nodes:
                if node.attr in own or not isinstance(node.ctx, ast.Load) or not _on_self(node.value):
                    continue
                if node.attr in SHAPES and isinstance(node.value, ast.Attribute):
                    if not_layers is None:
                        not_layers = _attributes_not_known_as_layers(analysis, cls)
                    if node.value.attr in not_layers:
                        continue  # maybe a functional Model, which keeps both in Keras 3
                if node.attr in CALLED and not _is_called(analysis, node):
                    continue
                error, advice = REMOVED[node.attr]
                what = f"`{node.attr}()`" if node.attr in CALLED else f"`.{node.attr}`"
                yield self.finding(node, f"{what} is gone from Keras 3 layers ({error})",
                                   title=advice[0].upper() + advice[1:])


SHAPES = frozenset({"input_shape", "output_shape"})


def _functional(cls) -> bool:
    """A Model whose `__init__` builds it as a functional model: `super().__init__(inputs=..., outputs=...)`."""
    init = cls.method("__init__")
    for node in ast.walk(init) if init is not None and cls.kind == MODEL else ():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__" \
                and isinstance(node.func.value, ast.Call) and getattr(node.func.value.func, "id", None) == "super":
            keywords = {k.arg for k in node.keywords}
            if {"inputs", "outputs"} <= keywords or len(node.args) >= 2:
                return True
    return False


def _attributes_not_known_as_layers(analysis: ModuleAnalysis, cls) -> set[str]:
    """The attributes of `self` the class assigns a value that is not shown to be a layer: anything but a call of a
    Keras layer class (a helper's result may be a functional `Model`, which keeps `input_shape`/`output_shape` in
    Keras 3: tensorflow-similarity's `self.projector = get_projector(...)`). An attribute never assigned in the class
    is not listed: nothing suggests a model there."""
    local = analysis.keras_classes_by_name
    found: set[str] = set()
    for node in ast.walk(cls.node):
        if type(node) is not ast.Assign:
            continue
        for target in node.targets:
            if not (isinstance(target, ast.Attribute) and _on_self(target) and isinstance(target.value, ast.Name)):
                continue
            value = node.value
            kind = None
            if isinstance(value, ast.Call):
                if isinstance(value.func, ast.Name) and value.func.id in local:
                    kind = local[value.func.id].kind
                else:
                    name = analysis.qualify(value.func)
                    known = keras_class_kind(name) if name else None
                    kind = known[1] if known else None
            if kind not in LAYER_KINDS or kind == MODEL:
                found.add(target.attr)
    return found


def _on_self(node: ast.AST) -> bool:
    """`self`, or an attribute of it (`self.dense`): the layer or one of its sublayers."""
    if isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "self"


def _is_called(analysis: ModuleAnalysis, attribute: ast.Attribute) -> bool:
    return any(site.node.func is attribute for site in analysis.calls)
