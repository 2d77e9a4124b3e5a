from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS3, METRIC_KINDS, ModuleAnalysis, is_self_method_call
from tflint_vars.diagnostics import UNSAFE
from tflint_vars.rules.base import Finding, Rule
from tflint_vars.rules.tfv007_add_weight_positional import written_for_keras2

# Where the initializer stands among positional arguments: Keras 3's Metric.add_weight(shape, initializer, ...),
# Keras 2's Metric.add_weight(name, shape, aggregation, synchronization, initializer, dtype).
KERAS3_INITIALIZER_INDEX, KERAS2_INITIALIZER_INDEX = 1, 4


def initializer_given(call: ast.Call) -> bool:
    if any(k.arg == "initializer" or k.arg is None for k in call.keywords):
        return True  # given, or maybe inside `**kwargs`
    if any(isinstance(a, ast.Starred) for a in call.args):
        return True
    index = KERAS2_INITIALIZER_INDEX if call.args and written_for_keras2(call) else KERAS3_INITIALIZER_INDEX
    return len(call.args) > index


class MetricWeightWithoutInitializer(Rule):
    """`add_weight` without `initializer` in a Keras 3 `Metric`: Keras 3 raises ValueError.

    ## What it does
    Finds `self.add_weight(...)` calls without an initializer in `Metric` subclasses built on `tf.keras` or
    `keras`. Classes on `tf_keras` (Keras 2) are not reported.

    ## Why is this bad?
    Keras 3's `Metric.add_weight(shape=(), initializer=None, ...)` has no default initializer. Measured on TF 2.21 /
    Keras 3.15.1 (bench/keras_api_diff.py, `metric_add_weight_no_initializer`): constructing the metric raises
    `ValueError: Attempt to convert a value (None) with an unsupported type (<class 'NoneType'>) to a Tensor`.
    tf-keras 2.21 gives such a weight a glorot-uniform draw, and `reset_state()` sets it to zero.

    ## Example
    ```python
    import tensorflow as tf

    class Total(tf.keras.metrics.Metric):
        def __init__(self, name="total", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_weight(name="total", shape=())
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Total(tf.keras.metrics.Metric):
        def __init__(self, name="total", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_weight(name="total", shape=(), initializer="zeros")
    ```

    ## Fix safety
    Unsafe: the fix adds `initializer="zeros"`, the value Keras 2's `reset_state()` gives the weight. Before any
    reset Keras 2 held a random glorot draw, and tf-keras 2.21 does not reset a compiled metric before the first
    `fit` epoch or `evaluate`: measured (`metric_no_initializer_fit`, `metric_no_initializer_evaluate`), the
    first result Keras 2 reported included that draw, where the fixed metric starts from zero. No fix when
    `**kwargs` may carry an initializer.
    """

    code = "TFV016"
    name = "metric-weight-without-initializer"
    fix = UNSAFE
    VALID = [
        "import keras\nclass M(keras.metrics.Metric):\n    def __init__(self):\n        super().__init__()\n"
        "        self.n = self.add_weight(shape=(), initializer='zeros', name='n')\n",
        "import keras\nclass M(keras.metrics.Metric):\n    def __init__(self):\n        super().__init__()\n"
        "        self.n = self.add_weight((), 'zeros')\n",
        "import tf_keras\nclass M(tf_keras.metrics.Metric):\n    def __init__(self):\n        super().__init__()\n"
        "        self.n = self.add_weight(name='n')\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.n = self.add_weight(name='n', shape=(1,))\n",
    ]
    INVALID = [
        "import tensorflow as tf\nclass M(tf.keras.metrics.Metric):\n    def __init__(self):\n"
        "        super().__init__()\n        self.n = self.add_weight(name='n', shape=(), dtype='int32')\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in analysis.calls:
            cls, node = site.context.keras_class, site.node
            if cls is None or cls.flavor != KERAS3 or cls.kind not in METRIC_KINDS or \
                    not is_self_method_call(node, "add_weight") or initializer_given(node):
                continue
            yield self.finding(node, "`add_weight` without `initializer` in a Metric: Keras 3 has no default "
                                     "(ValueError)", UNSAFE, title='Add `initializer="zeros"`',
                               reason="Keras 2 held a random glorot draw before the first `reset_state()`, and "
                                      "fit/evaluate do not reset first (measured)")

    def fix_edit(self, ctx, site):
        """`initializer="zeros"` added as the last argument."""
        import libcst as cst

        from tflint_vars.plans.edits import Edit

        quote = ctx.quote

        def rewrite(call: cst.Call) -> cst.Call:
            argument = cst.Arg(keyword=cst.Name("initializer"), value=cst.SimpleString(f"{quote}zeros{quote}"),
                               equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                     whitespace_after=cst.SimpleWhitespace("")))
            args = list(call.args)
            if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT:  # a trailing comma: keep it last
                argument = argument.with_changes(comma=args[-1].comma)
                args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            return call.with_changes(args=[*args, argument])

        return Edit(rewrites=[(site.node, rewrite)])
