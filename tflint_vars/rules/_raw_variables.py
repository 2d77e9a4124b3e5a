"""What TFV001, TFV002 and TFV003 share: raw `tf.Variable` calls inside a Keras class, and their fix plan."""

from __future__ import annotations

from typing import Iterator

from tflint_vars.analysis import KERAS2, CallSite, ModuleAnalysis, dotted_name
from tflint_vars.fixes.initializers import WeightPlan, plan_add_weight

VARIABLE = "tensorflow.Variable"
# Methods that implement variable creation for their class (tf_keras' Metric.add_weight): a raw tf.Variable is
# their job, not a bug.
VARIABLE_FACTORIES = frozenset({"add_weight", "add_variable", "_add_variable_with_custom_getter"})


# `@tf.__internal__.tracking.no_automatic_dependency_tracking`: the method opts out of tracking under Keras 2 too
# (tf_keras' step counters), so an untracked variable there is what its author meant.
UNTRACKED_BY_DESIGN = "no_automatic_dependency_tracking"


def raw_variables(analysis: ModuleAnalysis, method_matches) -> Iterator[CallSite]:
    for site in analysis.calls_named(VARIABLE):
        ctx = site.context
        if ctx.keras_class is not None and ctx.method is not None and ctx.method not in VARIABLE_FACTORIES \
                and method_matches(ctx.method) and not _untracked_by_design(site):
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
    return plan_add_weight(site.node, analysis.source, analysis.qualify)


def where(site: CallSite) -> str:
    return f"`{site.context.keras_class.name}.{site.context.method}`"


def keras2_note(site: CallSite) -> str:
    if site.context.keras_class.flavor == KERAS2:
        return " (this class is on tf_keras, Keras 2, which tracks it: it breaks on the move to Keras 3)"
    return ""
