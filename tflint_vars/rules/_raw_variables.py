"""What TFV001, TFV002 and TFV003 share: raw `tf.Variable` calls inside a Keras class, and their fix plan.

Which Keras classes, measured with `tests/measure_keras_classes.py` (TF 2.21.0, Keras 3.15.1; tf-keras 2.21.0 with
TF_USE_LEGACY_KERAS=1), a subclass of each creating `self.v = tf.Variable(...)` in `__init__`:

- Layer, Model, Wrapper: Keras 3 leaves it out of `layer.weights`; Keras 2 tracks it (see TFV001).
- Metric (`keras.metrics.Metric`, and subclasses of `Mean` ...): Keras 3 prints `metric.variables []`, and after
  `update_state([1, 2, 3]); reset_state()` the variables still hold 6.0 and 3.0, so `update_state([10])` then gives
  4.0 instead of 10.0: the metric accumulates across epochs and is not saved. Keras 2 (whose Metric is a Layer)
  prints `['total:0', 'count:0']`, resets them to 0.0 and gives 10.0. Reported, with the `add_weight` fix:
  `self.add_weight(name=..., shape=..., initializer=..., dtype=...)` by keyword is Keras 3's
  `Metric.add_weight(shape=(), initializer=None, dtype=None, name=None)` and tf_keras'
  `Metric.add_weight(name, shape=(), aggregation, synchronization, initializer=None, dtype=None)`; both create a
  non-trainable variable that `reset_state` sets to zero, as Keras 2 did with the raw one. Neither takes
  `trainable`, `constraint` ..., so a `tf.Variable` with those keywords gets no fix. A subclass of a built-in
  metric (`Mean` ...) gets none either: Keras 3's `Mean.reset_state` assigns 0 to `total` and `count` only, so an
  `add_weight` variable is not reset (verify: "`reset_state()` leaves running unreset after the fix"), where Keras 2
  reset every variable (`extra after reset 0.0`), unless the class defines `reset_state` itself.
- Optimizer (a `keras.optimizers.SGD` subclass): both Kerases leave it out of `optimizer.variables`
  (Keras 3: `['raw_sgd/iteration', 'raw_sgd/learning_rate']`, Keras 2: `['iteration:0', 'SGD/m/Variable:0']`) and
  both write it to a `tf.train.Checkpoint` (`True` in both): no change on the move to Keras 3, not reported.
- Loss (a `keras.losses.Loss` subclass scaling its loss by a `tf.Variable(2.0)`): after `fit` it is 2.0 and not in
  `model.trainable_weights` under both: a loss is never trained, not reported.
"""

from __future__ import annotations

from typing import Iterator

from tflint_vars.analysis import (BUILTIN_METRIC, KERAS2, LAYER_KINDS, METRIC_KINDS, CallSite, ModuleAnalysis,
                                  dotted_name)
from tflint_vars.fixes.initializers import WeightPlan, plan_add_weight

VARIABLE = "tensorflow.Variable"
# Methods that implement variable creation for their class (tf_keras' Metric.add_weight): a raw tf.Variable is
# their job, not a bug.
VARIABLE_FACTORIES = frozenset({"add_weight", "add_variable", "_add_variable_with_custom_getter"})
# The kinds of Keras class in which a raw tf.Variable stops being tracked under Keras 3 (see above).
REPORTED_KINDS = LAYER_KINDS | METRIC_KINDS
# The keywords a Metric's add_weight takes in both Kerases (besides shape and initializer).
METRIC_KEYWORDS = frozenset({"name", "dtype"})


# `@tf.__internal__.tracking.no_automatic_dependency_tracking`: the method opts out of tracking under Keras 2 too
# (tf_keras' step counters), so an untracked variable there is what its author meant.
UNTRACKED_BY_DESIGN = "no_automatic_dependency_tracking"


def raw_variables(analysis: ModuleAnalysis, method_matches) -> Iterator[CallSite]:
    for site in analysis.calls_named(VARIABLE):
        ctx = site.context
        if ctx.keras_class is not None and ctx.method is not None and ctx.method not in VARIABLE_FACTORIES \
                and ctx.keras_class.kind in REPORTED_KINDS and method_matches(ctx.method) \
                and not _untracked_by_design(site):
            yield site


def _untracked_by_design(site: CallSite) -> bool:
    method = site.context.keras_class.method(site.context.method)
    return method is not None and any((dotted_name(d) or "").endswith(UNTRACKED_BY_DESIGN)
                                      for d in method.decorator_list)


def has_self(site: CallSite) -> bool:
    method = site.context.keras_class.method(site.context.method)
    params = method.args.posonlyargs + method.args.args if method else []
    return bool(params) and params[0].arg == "self"


def fix_plan(analysis: ModuleAnalysis, site: CallSite) -> WeightPlan | str:
    if not has_self(site):
        return "the method has no `self`"
    keras_class = site.context.keras_class
    if keras_class.kind == BUILTIN_METRIC and keras_class.method("reset_state") is None:
        return ("Keras 3's built-in metrics reset only their own variables in `reset_state`, so it would not reset "
                "this one as Keras 2 did; add the variable with `self.add_weight(...)` and reset it in `reset_state`")
    plan = plan_add_weight(site.node, analysis.source, analysis.qualify)
    if keras_class.kind in METRIC_KINDS and isinstance(plan, WeightPlan):
        unsupported = sorted(set(plan.keywords) - METRIC_KEYWORDS)
        if unsupported:
            return f"a Metric's `add_weight` takes no {', '.join(f'`{k}`' for k in unsupported)}"
    return plan


def untracked_effects(site: CallSite) -> str:
    """What being untracked costs the class, by kind."""
    if site.context.keras_class.kind in METRIC_KINDS:
        return ("not in `metric.variables`, so `reset_state()` never resets it (the metric accumulates across "
                "epochs), not saved")
    return "not in `layer.weights`, never trained by `fit`, not saved"


def where(site: CallSite) -> str:
    return f"`{site.context.keras_class.name}.{site.context.method}`"


def keras2_note(site: CallSite) -> str:
    if site.context.keras_class.flavor == KERAS2:
        return " (this class is on tf_keras, Keras 2, which tracks it: it breaks on the move to Keras 3)"
    return ""
