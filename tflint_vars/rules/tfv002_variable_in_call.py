from __future__ import annotations

from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.diagnostics import UNSAFE
from tflint_vars.plans.hoist import HoistPlan, plan_hoist
from tflint_vars.plans.initializers import WeightPlan
from tflint_vars.rules._raw_variables import fix_plan, per_call_message, raw_variables, where
from tflint_vars.rules.base import Finding, Rule


class VariableInCall(Rule):
    """Raw `tf.Variable` created in `call` of a Keras Layer or Model: a new, untracked variable on every call.

    ## What it does
    Finds `tf.Variable(...)` inside the `call` method of a Keras `Layer`/`Model` subclass.

    ## Why is this bad?
    `call` runs on every forward pass: each run creates a fresh variable with its initial value, so nothing it
    learns survives, and under `tf.function` (which `fit` uses) TensorFlow raises `ValueError` because a
    `tf.function` may only create variables on its first trace. Under Keras 3 the variable is also untracked.

    ## Example
    ```python
    import tensorflow as tf

    class Shift(tf.keras.layers.Layer):
        def call(self, inputs):
            b = tf.Variable(tf.zeros((4,)))
            return inputs + b
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Shift(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.b = self.add_weight(shape=(4,), initializer="zeros")

        def call(self, inputs):
            return inputs + self.b
    ```

    ## Fix safety
    Unsafe: the fix moves creation into `build(self, input_shape)` and changes behaviour (the variable now persists
    across calls, which is what training needs but not what the code did). `inputs.shape[...]` in the shape becomes
    `input_shape[...]`. Offered when the variable is assigned on a line of its own (`b = tf.Variable(...)` or
    `self.b = ...`) at the top of `call` or in an `if self.b is None:` guard, its initial value maps to a Keras
    initializer, and it reads nothing `build` cannot see (locals of `call`, the input other than `.shape`, or the
    input after `call` reassigned it: `x.shape` is then not the shape `build` receives).
    """

    code = "TFV002"
    name = "variable-in-call"
    fix = UNSAFE
    VALID = [
        "import tensorflow as tf\nclass F(tf.Module):\n    def __call__(self, x):\n        return x\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass M(tf.keras.Model):\n    def call(self, x):\n"
        "        v = tf.Variable(1.0)\n        return x * v\n",
    ]

    def fix_edit(self, ctx, site):
        """Move the statement creating the state from `call` into `build(self, input_shape)` (`plan_hoist`)."""
        from tflint_vars.plans.weights import hoist_edit
        return hoist_edit(ctx, site)

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in raw_variables(analysis, lambda method: method == "call"):
            plan = fix_plan(analysis, site, place=False)
            if isinstance(plan, WeightPlan) and plan.computed:  # evaluated in `call`: it cannot move to `build`
                plan = plan.unsafe.split(": the fix fills")[0]
            if not isinstance(plan, str):
                plan = plan_hoist(analysis, site)
            message = per_call_message(where(site))
            if isinstance(plan, HoistPlan):
                yield self.finding(site.node, message, UNSAFE)
            else:
                yield self.finding(site.node, f"{message} (no fix: {plan})")
