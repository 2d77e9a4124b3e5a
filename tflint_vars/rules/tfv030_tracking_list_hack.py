from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import LAYER_KINDS, ModuleAnalysis, dotted_name
from tflint_vars.diagnostics import SAFE
from tflint_vars.plans.tracking import TRACKING_LISTS, on_self_named, tracking_items
from tflint_vars.rules._raw_variables import is_keras3_class
from tflint_vars.rules.base import Finding, Rule

# Properties both Kerases define without a setter: `self.trainable_weights += [...]` raises AttributeError in both
# (measured: Keras 3 "has no setter", tf_keras "Can't set the attribute").
READ_ONLY_LISTS = frozenset({"trainable_weights", "non_trainable_weights"})


def _add_weight_attributes(cls_node: ast.ClassDef) -> set[str]:
    """`self.x` attributes every assignment of which in the class is `self.add_weight(...)`."""
    assigned: dict[str, bool] = {}
    for node in ast.walk(cls_node):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = dotted_name(target)
                if name and name.startswith("self.") and name.count(".") == 1:
                    value = node.value
                    by_add_weight = isinstance(node, ast.Assign) and isinstance(value, ast.Call) \
                        and dotted_name(value.func) == "self.add_weight"
                    assigned[name] = assigned.get(name, True) and by_add_weight
    return {name for name, ok in assigned.items() if ok}


class TrackingListHack(Rule):
    """Keras 2's tracking lists (`self._trainable_weights.append(v)`) in a Keras layer: AttributeError under Keras 3.

    ## What it does
    Finds reads of `self._trainable_weights` and `self._non_trainable_weights` (most often
    `self._trainable_weights.append(v)`, the Keras 2 way to have a raw variable tracked) and augmented assignments
    to `self.trainable_weights`/`self.non_trainable_weights` in a Keras `Layer`/`Model` subclass.

    ## Why is this bad?
    A Keras 3 layer has neither list: the line raises AttributeError (measured, TF 2.21 / Keras 3.15.1; tf-keras 2.21
    runs it). `self.trainable_weights += [v]` assigns to a read-only property and raises AttributeError under both
    Kerases. Keras 3 tracks the variables made with `self.add_weight(...)`.

    ## Example
    ```python
    import tensorflow as tf

    class Gate(tf.keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.gate = tf.Variable(tf.ones((units,)), name="gate")
            self._trainable_weights.append(self.gate)
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Gate(tf.keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.gate = self.add_weight(name="gate", shape=(units,), initializer="ones")
    ```

    ## Fix safety
    The fix removes `self._trainable_weights.append(self.x)` (or `.extend([self.x, ...])`, or the non-trainable
    list) when every value it adds is an attribute the class only ever sets with `self.add_weight(...)`: add_weight
    already tracks it in both Kerases, and Keras 2 lists a weight once however often it is added (verified under both
    runtimes, fixture tfv030_tracking_list_hack). When the value is a raw `tf.Variable` (or a `K.variable`), TFV001
    and TFV003's add_weight fix removes the line with it, and their fix is unsafe, with the reason, when such a line
    cannot go (it adds other values too, or is not a plain `append`/`extend`). Any other use has no fix.
    """

    code = "TFV030"
    name = "tracking-list-hack"
    fix = SAFE
    fix_title = "Remove the line (an `add_weight` weight is tracked without it)"
    VALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.b = self.add_weight(name='b', shape=(3,))\n",
        "import tensorflow as tf\nclass M(tf.Module):\n    def __init__(self):\n"
        "        self._trainable_weights = []\n        self._trainable_weights.append(1)\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        for w in self._non_trainable_weights:\n            print(w)\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.trainable_weights += [tf.Variable(1.0)]\n",
    ]

    def fix_edit(self, ctx, site):
        """Remove the statement, as `_removal` decides."""
        from tflint_vars.plans.edits import Edit

        reason = _removal(site.node, site.context.keras_class)
        return reason if reason else Edit(removals=[site.node])

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.keras_classes.values():
            if cls.kind not in LAYER_KINDS or not is_keras3_class(cls):  # tf_keras has the lists
                continue
            calls = {id(n.func.value): n for n in ast.walk(cls.node) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Attribute)}
            for node in ast.walk(cls.node):
                if on_self_named(node, TRACKING_LISTS) and isinstance(node.ctx, ast.Load):
                    message = f"`self.{node.attr}` (Keras 2's tracking list) is gone from Keras 3 (AttributeError)"
                    call = calls.get(id(node))
                    if call is not None and tracking_items(call) is not None:
                        reason = _removal(call, cls)
                        yield self.finding(call, message, None if reason else SAFE, reason=reason)
                    else:
                        yield self.finding(node, message, reason="only `.append`/`.extend` of weights go")
                elif isinstance(node, ast.AugAssign) and on_self_named(node.target, READ_ONLY_LISTS):
                    yield self.finding(node.target, f"`self.{node.target.attr}` is read-only in Keras 2 and 3 "
                                                    f"(AttributeError)", reason="an `add_weight` weight is tracked "
                                                    "without it: create the weight with `self.add_weight(...)`")


def _removal(call: ast.Call, cls) -> str | None:
    """None when removing the statement `call` stands in keeps behaviour, else why not."""
    items = tracking_items(call)
    weights = _add_weight_attributes(cls.node)
    if items is None or not all(dotted_name(item) in weights for item in items):
        return "it adds a value that is not an add_weight weight; TFV001/TFV003's add_weight fix removes the line"
    return None
