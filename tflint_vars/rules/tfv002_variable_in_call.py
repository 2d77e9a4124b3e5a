from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis, dotted_name
from tflint_vars.diagnostics import SAFE, UNSAFE
from tflint_vars.plans.hoist import HoistPlan, created_once, guarded_attributes, plan_hoist
from tflint_vars.plans.initializers import WeightPlan
from tflint_vars.rules._raw_variables import (CALL_METHODS, creator, fix_plan, helper_finding, helper_variables,
                                              numpy_operands, per_call_message, raw_variables, variable_only_api,
                                              where)
from tflint_vars.rules.base import Finding, Rule


def _guarded_once(site) -> str | None:
    """`if self.x is None: self.x = tf.Variable(...)` (or `if not self.x`, `if not hasattr(self, "x")`): made on
    the first call only (measured: one variable, and `fit` runs), so the defect is that it is untracked. The guard's
    test as written, else None."""
    method = site.context.function
    for node in ast.walk(method) if method is not None else ():
        if isinstance(node, ast.If):
            attributes = guarded_attributes(node.test)  # empty for `if not self.built`, which also runs once
            for statement in node.body if attributes is not None else ():
                if isinstance(statement, ast.Assign) and statement.value is site.node and len(statement.targets) == 1 \
                        and (not attributes or (dotted_name(statement.targets[0]) or "")[5:] in attributes):
                    return ast.unparse(node.test)
    return None


class VariableInCall(Rule):
    """Raw `tf.Variable` created in `call` of a Keras Layer or Model: a new, untracked variable on every call.

    ## What it does
    Finds `tf.Variable(...)` inside the `call` method of a Keras `Layer`/`Model` subclass, or a `__call__` override,
    which also runs on every forward pass (no fix there: it wraps Keras' own `__call__`, which calls `build`).

    ## Why is this bad?
    `call` runs on every forward pass: each run creates a fresh variable with its initial value, so nothing it
    learns survives, and under `tf.function` (which `fit` uses) TensorFlow raises `ValueError` because a
    `tf.function` may only create variables on its first trace. Under Keras 3 the variable is also untracked.
    Behind a guard (`if self.v is None: self.v = tf.Variable(...)`, `if not self.built:`) it is made once (measured:
    one variable, and `fit` runs): there the message says the real defect, that Keras 3 leaves it untracked, never
    trained and unsaved.

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
    The fix moves creation into `build(self, input_shape)` as `self.add_weight(...)`; `inputs.shape[...]` in the
    shape becomes `input_shape[...]`. Unsafe for a variable made on every call: it then persists across calls,
    which training needs but not what the code did. Safe for one made once behind `if self.x is None:` (or
    `if not hasattr(self, "x"):`) when that is shown to be the same weight: the guard holds only that statement,
    `call` makes no state before it, nothing else in the class sets `self.x` (but `self.x = None` in `__init__`),
    the `self` attributes the value reads are set only in `__init__`, the bases are Keras's own Layer or Model, and
    the add_weight conversion is safe as TFV001's (value, name, numpy operands): Keras runs `build` just before the
    first call, with its input shape, and the weight lands at the end of `build`, where it came among the layer's
    weights. Else unsafe, saying which does not hold. Offered when the variable is assigned on a line of its own
    (`b = tf.Variable(...)` or `self.b = ...`) at the top of `call` or in an `if self.b is None:` guard, its
    initial value maps to a Keras initializer, and it reads nothing `build` cannot see (locals of `call`, the input
    other than `.shape`, or the input after `call` reassigned it: `x.shape` is then not the shape `build`
    receives).
    """

    code = "TFV002"
    name = "variable-in-call"
    fix = SAFE
    fix_title = "Create it once in `build` with `self.add_weight(...)`"
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
        for site in raw_variables(analysis, lambda method: method in CALL_METHODS):
            plan = fix_plan(analysis, site, place=False)
            if isinstance(plan, WeightPlan) and plan.computed:  # evaluated in `call`: it cannot move to `build`
                plan = (plan.unsafe.split(": the fix fills")[0] if plan.unsafe else
                        "its initial value does not map to a Keras initializer, and `build` cannot compute the value "
                        "`call` computes")
            if not isinstance(plan, str):
                plan = plan_hoist(analysis, site)
            guard = _guarded_once(site)
            if guard:
                message = (f"{creator(site)} made once in {where(site)} (behind `if {guard}`) is untracked under "
                           f"Keras 3: not trained or saved")
            else:
                message = per_call_message(where(site), creator(site))
            if isinstance(plan, HoistPlan):
                why = created_once(analysis, site.context.keras_class, plan) if guard else \
                    "the variable then persists across calls, which training needs but the code did not do"
                why = why or (plan.weight_plan.unsafe if plan.weight_plan else None) or numpy_operands(analysis, site) \
                    or variable_only_api(analysis, site)
                yield self.finding(site.node, message, UNSAFE if why else SAFE, reason=why)
            else:
                yield self.finding(site.node, message, reason=plan)
        for site, helper, created in helper_variables(analysis, lambda method: method in CALL_METHODS):
            yield helper_finding(self, site, helper, created, in_call=True)
