from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.diagnostics import SAFE
from tflint_vars.plans.initializers import REGULARIZER_REASON, WeightPlan, plan_get_variable
from tflint_vars.rules._raw_variables import (get_variable_message, is_keras3_class, planned_in_place,
                                              weight_finding, where)
from tflint_vars.rules.base import Finding, Rule

GET_VARIABLE = "tensorflow.get_variable"


# variable_scope's parameters after `name_or_scope`, in order: those that set get_variable's defaults (an
# initializer, a regularizer, a dtype ...) change the variable get_variable makes, and add_weight takes none of them.
_SCOPE_PARAMS = ("default_name", "values", "initializer", "regularizer", "caching_device", "partitioner",
                 "custom_getter", "reuse", "dtype", "use_resource", "constraint", "auxiliary_name_scope")
_SCOPE_DEFAULTS = frozenset({"initializer", "regularizer", "caching_device", "partitioner", "custom_getter", "dtype",
                             "use_resource", "constraint"})


def _shared_by_scope(site) -> str | None:
    """A scope with `reuse` shares one variable between calls; add_weight makes one per call. A scope that sets
    get_variable's defaults (`variable_scope("s", regularizer=...)`, `initializer=` ...) changes the variable made,
    and add_weight would drop them (review 4: a scope's regularizer was left out silently)."""
    for scope in site.context.scopes:
        keywords = [k.arg for k in scope.call.keywords]
        keywords += [_SCOPE_PARAMS[i] for i in range(len(scope.call.args) - 1) if i < len(_SCOPE_PARAMS)]
        if "reuse" in keywords or None in keywords or any(isinstance(a, ast.Starred) for a in scope.call.args):
            return "its `variable_scope` may reuse the variable, and add_weight makes a new one per call"
        given = sorted(_SCOPE_DEFAULTS.intersection(keywords))
        if given:
            return (f"its `variable_scope` sets `{given[0]}=`, get_variable's default there, which add_weight would "
                    f"not take")
    return None


class GetVariableInLayer(Rule):
    """`get_variable` inside a Keras Layer or Model: the variable is untracked under Keras 3.

    ## What it does
    Finds `tf.compat.v1.get_variable(...)` (or `tf.get_variable` through any TF1 alias, such as
    `import tensorflow.compat.v1 as tf`) in a method of a Keras `Layer`/`Model` subclass.

    ## Why is this bad?
    `get_variable` creates a variable in the TF1 variable store. Keras 2 picked it up; Keras 3 (`tf.keras` since
    TensorFlow 2.16) does not: it is missing from `layer.weights`, `fit` never trains it and it is not saved.

    ## Example
    ```python
    import tensorflow as tf

    class Dense(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.w = tf.compat.v1.get_variable("w", shape=(input_shape[-1], 4),
                                               initializer=tf.compat.v1.zeros_initializer())
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Dense(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(input_shape[-1], 4), initializer="zeros")
    ```

    ## Fix safety
    Safe when every argument maps to `add_weight` (name, shape, dtype, initializer, trainable, constraint; other
    keywords only at their defaults) and the initializer maps to a Keras one with the same distribution; TF1 random
    initializers must spell out their moments, because the v1 and v2 functions of one name have different defaults.
    As TFV001 (measured by `bench/keras_fix_facts.py`): the dtype is written (get_variable's default is float32)
    with `autocast=False`, a shape that is a number becomes a tuple, a `/` in the name makes the fix unsafe, and the
    place must be `__init__` after `super().__init__()`, `build` or a helper only those call (none in `call`: Keras
    3 raises on add_weight once built; unsafe in another method). A `regularizer=` Keras 2 never applied:
    get_variable's loss is not in `layer.losses`, `model.losses` or `fit`'s loss (facts
    get_variable_regularizer_in_layer_losses, get_variable_regularizer_collection), where add_weight's would be.
    Only TF1's regularization-loss collection may hold it. So where no file of the project (below the nearest
    pyproject.toml, setup.cfg, setup.py or .git) names that collection or a reader of it (`REGULARIZATION_LOSSES`,
    `get_regularization_loss(es)`, `get_total_loss`), the fix leaves the regularizer out, as a comment above the
    statement, and is safe. Unsafe otherwise, naming the file, or when there is no project root, or when a method of
    the class is under `track_tf1_style_variables` (then Keras 2 did add the loss to the layer's losses). None under
    a `variable_scope` with `reuse`, which shares one variable between calls, nor under one that sets get_variable's
    defaults (`initializer=`, `regularizer=`, `dtype=` ...), which add_weight would not take. Unsafe, as TFV001,
    where the class may combine the weight with numpy values (a Keras 3 weight times a numpy float64 is float64;
    get_variable's variable stays float32). All or none: when one `get_variable` of the class (outside `__init__`)
    gets no safe fix, the others' fixes are unsafe too. tf-keras calls `build` again when it loads a model, and
    there get_variable returns the variables it already made while add_weight makes new ones, so a partly fixed
    `build` changes the weight order between save and load: values load into the wrong variables (measured on a
    held-out module: prediction difference 5.6 after load, 0.0 for the original; issue 17).
    """

    code = "TFV004"
    name = "get-variable-in-layer"
    fix = SAFE
    fix_title = "Replace with `self.add_weight(...)`"
    VALID = [
        "import tensorflow.compat.v1 as tf\ndef dense(x):\n    w = tf.get_variable('w', shape=(3, 3))\n"
        "    return tf.matmul(x, w)\n",
    ]
    INVALID = [
        "import tensorflow.compat.v1 as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = tf.get_variable('w', shape=(s[-1], 2))\n",
    ]

    def fix_edit(self, ctx, site):
        """`get_variable(...)` -> `self.add_weight(...)` where it stands, as `plan` decides."""
        from tflint_vars.plans.weights import weight_edit
        return weight_edit(ctx, site, self.plan(ctx.analysis, site))

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in analysis.calls_named(GET_VARIABLE):
            ctx = site.context
            if not is_keras3_class(ctx.keras_class) or ctx.method is None or not ctx.keras_class.is_layer:
                continue
            message = get_variable_message(where(site))
            yield weight_finding(self, site, message, self.plan(analysis, site))

    @staticmethod
    def plan(analysis: ModuleAnalysis, site) -> WeightPlan | str:
        """The call's own plan, made unsafe when another `get_variable` of the class outside `__init__` gets no safe
        fix: tf-keras re-runs `build` when it loads a model, where get_variable returns the variables it made and
        add_weight makes new ones, so a partly fixed set loads its values into the wrong variables (issue 17)."""
        plan = _own_plan(analysis, site)
        if not isinstance(plan, WeightPlan) or plan.unsafe or site.context.method == "__init__":
            return plan
        for other in analysis.calls_named(GET_VARIABLE):
            if other is site or other.context.keras_class is not site.context.keras_class \
                    or other.context.method in (None, "__init__"):
                continue
            other_plan = _own_plan(analysis, other)
            if not isinstance(other_plan, WeightPlan) or other_plan.unsafe:
                plan.unsafe = (f"the `get_variable` on line {other.node.lineno} gets no safe fix, and tf-keras re-runs "
                               f"`build` when loading, where get_variable returns its variables and add_weight makes "
                               f"new ones: a partly fixed set loads into the wrong variables")
                break
        return plan


def _own_plan(analysis: ModuleAnalysis, site) -> WeightPlan | str:
    plan = planned_in_place(analysis, site, plan_get_variable, refuse=_shared_by_scope)
    if isinstance(plan, WeightPlan) and plan.unsafe == REGULARIZER_REASON:
        if _tf1_shim(site.context.keras_class.node):
            plan.unsafe += (" (and the class uses `track_tf1_style_variables`, under which Keras 2 did add it to "
                            "the layer's losses)")
        else:
            _unapplied_regularizer(analysis, plan)
    return plan


def _tf1_shim(cls: ast.ClassDef) -> bool:
    """A method of the class under `track_tf1_style_variables`, TF's migration shim: under Keras 2 it adds
    get_variable's regularization losses to the layer's `losses` (review 4: measured, `model.losses` [2.29])."""
    return any("track_tf1_style_variables" in ast.unparse(decorator)
               for node in cls.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
               for decorator in node.decorator_list)


def _unapplied_regularizer(analysis: ModuleAnalysis, plan: WeightPlan) -> None:
    """Keras 2 never applied get_variable's regularizer in a layer: not in `layer.losses`, so neither `fit` nor a loop
    over `model.losses` minimised it (fact get_variable_regularizer_in_layer_losses); only a reader of TF1's
    regularization-loss collection saw it (fact get_variable_regularizer_collection). Where no file of the project
    reads that collection, the fix leaves the regularizer out, as a comment, and is safe; else it stays unsafe,
    naming the reader."""
    ask = getattr(analysis.resolver, "regularization_reader", None)
    reader = ask() if ask is not None else None
    if reader == "":
        regularizer = plan.keywords.pop("regularizer")
        plan.unsafe = None
        plan.comment = (f"regularizer={regularizer} left out: Keras 2 never added get_variable's regularizer to the "
                        f"layer's losses; pass it to add_weight to apply it")
    elif reader is None:
        plan.unsafe += " (and no project root, such as a pyproject.toml or .git, to show no file reads TF1's " \
                       "regularization-loss collection, where Keras 2 put it)"
    else:
        plan.unsafe += f" (and `{reader}` may read TF1's regularization-loss collection, where Keras 2 put it)"
