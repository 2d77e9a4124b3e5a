from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.diagnostics import UNSAFE
from tflint_vars.fixes.hoist import HoistPlan, plan_hoist, state_kind
from tflint_vars.rules.base import Finding, Rule


class StateOutsideBuild(Rule):
    """State created in `call` with `add_weight` or by constructing a sublayer: Keras 3 raises once built.

    ## What it does
    Finds `self.add_weight(...)` and the construction of a Keras layer (a built-in such as `Dense`, or a layer
    class of the module) inside `call` of a Keras `Layer`/`Model`, typically created lazily behind
    `if self.w is None:` or `hasattr`. A raw `tf.Variable` in `call` is TFV002 and is reported once, there.

    ## Why is this bad?
    Keras 3 locks a layer's state once it is built, and `call` runs after `build`: `add_weight` there raises
    `ValueError: You cannot add new elements of state (variables or sub-layers) to a layer that is already built`.
    Keras 2 allowed it. A sublayer constructed on every call also gets fresh, untrained weights each time.

    ## Example
    ```python
    import tensorflow as tf

    class Lazy(tf.keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = None

        def call(self, x):
            if self.w is None:
                self.w = self.add_weight(name="w", shape=(x.shape[-1],), initializer="ones")
            return x * self.w
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Lazy(tf.keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = None

        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w
    ```

    ## Fix safety
    Unsafe: the fix moves `self.<name> = ...` into `build(self, input_shape)` (created when missing), maps
    `x.shape` of `call`'s input to `input_shape` and removes the guard. State created from anything but the input
    shape may need a human to check that `build` can compute it. Offered when the statement stands on its own at
    the top of `call` or in a guard (`if self.x is None:`, `if not hasattr(self, "x"):`) that only creates state,
    and reads nothing `build` cannot see (locals of `call`, the input other than `.shape`).
    """

    code = "TFV006"
    name = "state-outside-build"
    fix = UNSAFE
    VALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(name='w', shape=(s[-1],))\n    def call(self, x):\n        return x * self.w\n",
    ]
    INVALID = [
        "import keras\nclass L(keras.Layer):\n    def call(self, x):\n"
        "        return keras.layers.Dense(4)(x)\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in analysis.calls:
            ctx = site.context
            if ctx.keras_class is None or ctx.method != "call":
                continue
            kind = state_kind(analysis, site.node)
            if kind not in ("add_weight", "layer"):
                continue
            where = f"`{ctx.keras_class.name}.call`"
            plan = plan_hoist(analysis, site)
            fix, why = (UNSAFE, "") if isinstance(plan, HoistPlan) else (None, f" (no fix: {plan})")
            if kind == "add_weight":
                yield self.finding(
                    site.node,
                    f"`add_weight` in {where} creates state after the layer is built: Keras 3 raises ValueError "
                    f"\"You cannot add new elements of state ... to a layer that is already built\" (Keras 2 allowed "
                    f"it); create it in `build(self, input_shape)`{why}",
                    fix,
                )
            else:
                layer = ast.unparse(site.node.func)
                yield self.finding(
                    site.node,
                    f"layer `{layer}` constructed in {where}: a new layer with fresh weights on every call, and "
                    f"Keras 3 raises ValueError when state is added to a built layer; construct it in `__init__` "
                    f"or `build`{why}",
                    fix,
                )
