from __future__ import annotations

from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.diagnostics import SAFE
from tflint_vars.rules._raw_variables import (CALL_METHODS, fix_plan, helper_finding, helper_site, helper_variables,
                                              inline_plan, raw_variables, untracked_message, weight_finding)
from tflint_vars.rules.base import Finding, Rule


class VariableInMethod(Rule):
    """Raw `tf.Variable` created in `build` or another method of a Keras Layer or Model: untracked under Keras 3.

    ## What it does
    Finds `tf.Variable(...)` in any method of a Keras `Layer`/`Model` subclass other than `__init__` (TFV001) and
    `call` (TFV002), most often `build`.

    ## Why is this bad?
    Keras 3 (`tf.keras` since TensorFlow 2.16) tracks only variables created with `add_weight` (or
    `keras.Variable`). A raw `tf.Variable` stored on the layer is missing from `layer.weights`, is never updated by
    `model.fit`, and is not saved. Keras 2 tracked it, so the layer silently stops training after the upgrade.

    ## Example
    ```python
    import tensorflow as tf

    class Bias(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.b = tf.Variable(tf.zeros((input_shape[-1],)), name="b")
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Bias(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.b = self.add_weight(name="b", shape=(input_shape[-1],), initializer="zeros")
    ```

    ## Fix safety
    The same fix as TFV001's, with the same preconditions, each measured under Keras 3 and Keras 2; `tflint-vars
    rule TFV001` lists them (one text for both rules). In short: safe in `build` or in a private helper only
    `__init__` (after `super().__init__()`) or `build` call, when the value maps to an initializer with the same
    distribution and dtype, or fills the weight through `Constant` where TFV001 shows that safe (the value reads
    nothing a traced graph may own, and is numbers or bools); unsafe in a public method such as `reset()`, which
    may run again after the layer is built (Keras 3 then raises on new state), and wherever TFV001's fix is
    unsafe; none where it has none. When a precondition does not hold, the fix\'s reason says why
    (`--show-fixes`, JSON, SARIF).
    """

    code = "TFV003"
    name = "variable-in-method"
    fix = SAFE
    fix_title = "Replace with `self.add_weight(...)`"
    VALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, input_shape):\n"
        "        self.b = self.add_weight(name='b', shape=(3,))\n",
    ]
    INVALID = [
        "from keras.layers import Layer\nimport tensorflow as tf\nclass L(Layer):\n    def reset(self):\n"
        "        self.state = tf.Variable(tf.zeros((2,)), trainable=False)\n",
    ]

    def fix_edit(self, ctx, site):
        """`tf.Variable(...)` -> `self.add_weight(...)` where it stands, as `fix_plan` decides."""
        from tflint_vars.plans.weights import helper_inline_edit, weight_edit
        created = helper_site(ctx.analysis, site)
        if created is not None:  # a helper's variables, kept here: its returned expression inlined
            return helper_inline_edit(inline_plan(ctx.analysis, site, created), site)
        return weight_edit(ctx, site, fix_plan(ctx.analysis, site))

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in raw_variables(analysis, lambda method: method != "__init__" and method not in CALL_METHODS):
            plan = fix_plan(analysis, site)
            yield weight_finding(self, site, untracked_message(analysis, site), plan)
        for site, helper, created in helper_variables(analysis, lambda m: m != "__init__" and m not in CALL_METHODS):
            yield helper_finding(self, site, helper, created, analysis=analysis)
