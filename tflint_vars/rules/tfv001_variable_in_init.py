from __future__ import annotations

from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.diagnostics import SAFE
from tflint_vars.rules._raw_variables import fix_plan, keras2_note, raw_variables, weight_finding, where
from tflint_vars.rules.base import Finding, Rule


class VariableInInit(Rule):
    """Raw `tf.Variable` created in `__init__` of a Keras Layer or Model: untracked under Keras 3.

    ## What it does
    Finds `tf.Variable(...)` inside `__init__` of a Keras `Layer`/`Model` subclass, including variables created in
    loops, appended to lists or stored in dicts.

    ## Why is this bad?
    Since TensorFlow 2.16, `tf.keras` is Keras 3. Keras 3 does not track a raw `tf.Variable` assigned in a layer: it
    is not in `layer.weights` or `layer.trainable_weights`, `model.fit` never updates it (the only sign is a warning
    that the model has no trainable weights), and it is not saved. Keras 2 (tf_keras) tracked it, so code written for
    Keras 2 silently stops training. Measured on TF 2.21.0 / Keras 3.15.1 against tf-keras 2.21.0.

    ## Example
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.w = tf.Variable(tf.random.normal((1, units)), name="w")
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.w = self.add_weight(name="w", shape=(1, units),
                                     initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0))
    ```

    ## Fix safety
    Safe when the initial value maps to a Keras initializer with the same distribution (`tf.zeros` -> "zeros",
    `tf.random.normal(s)` -> `RandomNormal(mean=0.0, stddev=1.0)`, a float literal -> `Constant`, ...) and its shape
    has no run-time computation. Otherwise no fix is offered and the message says why.
    """

    code = "TFV001"
    name = "variable-in-init"
    fix = SAFE
    VALID = [
        "import tensorflow as tf\nclass M(tf.Module):\n    def __init__(self):\n        self.v = tf.Variable(1.0)\n",
        "import keras\nclass L(keras.layers.Layer):\n    def __init__(self):\n        super().__init__()\n"
        "        self.v = keras.Variable(1.0)\n",
        "import tensorflow as tf\nclass Plain:\n    def __init__(self):\n        self.v = tf.Variable(1.0)\n",
    ]
    INVALID = [
        "import tensorflow as tfx\nclass L(tfx.keras.layers.Dense):\n    def __init__(self):\n"
        "        super().__init__(4)\n        self.v = tfx.Variable(tfx.zeros((4,)))\n",
        "from tensorflow.keras import layers as L\nimport tensorflow as tf\nclass A(L.Layer):\n"
        "    def __init__(self):\n        super().__init__()\n        self.ws = []\n        for i in range(3):\n"
        "            self.ws.append(tf.Variable(0.0))\n",
    ]

    def fix_edit(self, ctx, site):
        """`tf.Variable(...)` -> `self.add_weight(...)` where it stands, as `fix_plan` decides."""
        from tflint_vars.fixes.weights import weight_edit
        return weight_edit(ctx, site, fix_plan(ctx.analysis, site))

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in raw_variables(analysis, lambda method: method == "__init__"):
            plan = fix_plan(analysis, site)
            message = (f"`tf.Variable` created in {where(site)} is untracked under Keras 3: not in `layer.weights`, "
                       f"never trained by `fit`, not saved{keras2_note(site)}; use `self.add_weight(...)`")
            yield weight_finding(self, site, message, plan)
