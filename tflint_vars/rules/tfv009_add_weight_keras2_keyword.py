from __future__ import annotations

import ast
from typing import Callable, Iterator

from tflint_vars.analysis import KERAS3, ModuleAnalysis, dotted_name
from tflint_vars.diagnostics import SAFE, UNSAFE
from tflint_vars.rules.base import Finding, Rule

# Keras 2's add_weight keywords that Keras 3's does not take (keras/src/layers/layer.py has no **kwargs: each raises
# TypeError), and what the fix does with each. `autocast` is valid in both (tf_keras 2.21 accepts it beside
# `experimental_autocast`), and so is `aggregation`, but Keras 3 takes it as a string, not a tf.VariableAggregation.
_AGGREGATION = "tensorflow.VariableAggregation."
_AUTO_SYNC = "tensorflow.VariableSynchronization.AUTO"
_NO_EQUIVALENT = {
    "getter": "a custom getter has no Keras 3 equivalent; create the variable the getter's way in `build`",
    "layout": "Keras 3 sets DTensor layouts through its distribution API (`keras.distribution`)",
    "experimental_enable_variable_lifting": "Keras 3 has no variable lifting switch",
}
# Keywords removed by the fix when Keras 2 ignored them or gave them their default (measured on tf-keras 2.21 with TF
# 2.21: the variable created is the same ResourceVariable, tracked, trainable, AUTO synchronization, NONE aggregation).
_DROPPED_WHEN_PURE = {
    "use_resource": "TF2 creates every Keras 2 weight as a resource variable, whatever `use_resource` says",
    "partitioner": "Keras 2 ignores `partitioner` (tf_keras base_layer.py pops it unused)",
}


def _pure(node: ast.AST) -> bool:
    """Evaluating `node` does nothing that removing it would lose: a literal, a name or an attribute chain."""
    return isinstance(node, ast.Constant) or dotted_name(node) is not None


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _quote(source: str, call: ast.Call) -> str:
    """The quote the call's own string literals use, for the one the fix writes; double by default."""
    for node in ast.walk(call):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = ast.get_source_segment(source, node) or ""
            if text[:1] in ("'", '"'):
                return text[0]
    return '"'


def plan(analysis: ModuleAnalysis, keyword: ast.keyword, keywords: set[str]) -> tuple[str | None, str | None,
                                                                                   str | None, tuple] | None:
    """(fix safety, the fix's title, why it is unsafe or absent, the edit) for one keyword of a Keras 3
    `add_weight`, or None when the keyword is valid Keras 3. The edit is ("rename", new keyword), ("drop",) or
    ("value", text)."""
    name, value = keyword.arg, keyword.value
    remove = f"Remove `{name}=`"
    if name == "experimental_autocast":
        if "autocast" in keywords:
            return None, "Remove `experimental_autocast=`", "`autocast` is passed too: which one wins is a choice", ()
        return SAFE, "Rename to `autocast` (tf-keras 2.21 takes it too)", None, ("rename", "autocast")
    if name in _DROPPED_WHEN_PURE:
        why = _DROPPED_WHEN_PURE[name]
        return (SAFE, f"{remove} ({why})", None, ("drop",)) if _pure(value) else \
            (UNSAFE, f"{remove} ({why})", "the fix drops the evaluation of its value", ("drop",))
    if name == "synchronization":
        if analysis.qualify(value) == _AUTO_SYNC:
            return SAFE, f"{remove} (AUTO is the default)", None, ("drop",)
        return None, "Create an ON_READ weight as a `keras.Variable`", \
            "Keras 3's `add_weight` has no `synchronization`", ()
    if name == "aggregation":
        qualified = analysis.qualify(value) or ""
        if not qualified.startswith(_AGGREGATION):
            return None  # a string (Keras 3's spelling) or a value the rule cannot see
        mode = qualified[len(_AGGREGATION):].lower()
        if mode == "none":
            return SAFE, f"{remove} (NONE is the default of both Kerases)", None, ("drop",)
        if mode in ("mean", "sum", "only_first_replica"):
            return UNSAFE, f"Replace with `aggregation=\"{mode}\"`", \
                "tf-keras rejects strings: the class then fails under TF_USE_LEGACY_KERAS=1", ("value", mode)
        return None, None, "not a Keras 3 aggregation mode", ()
    if name in ("caching_device", "collections"):
        if _is_none(value):
            return SAFE, f"{remove} (None is the default)", None, ("drop",)
        why = ("reads stop being cached on that device (values are unchanged)" if name == "caching_device" else
               "the weight leaves those TF1 graph collections (eager TF2 never adds Keras 2 weights to them)")
        return UNSAFE, remove, f"no Keras 3 equivalent; removing it: {why}", ("drop",)
    if name in _NO_EQUIVALENT:
        return None, None, _NO_EQUIVALENT[name], ()
    return None


class AddWeightKeras2Keyword(Rule):
    """`add_weight` with a keyword only Keras 2 takes, in a Keras 3 class: Keras 3 raises TypeError.

    ## What it does
    Finds, in `add_weight(...)` calls of a class built on `tf.keras` or `keras`, the keywords of Keras 2's signature
    that Keras 3's lacks: `experimental_autocast`, `use_resource`, `partitioner`, `synchronization`, `caching_device`,
    `collections`, `getter`, `layout`, `experimental_enable_variable_lifting`, and an `aggregation` given as a
    `tf.VariableAggregation` member. Classes on `tf_keras` (Keras 2) are not reported.

    ## Why is this bad?
    Keras 3's `Layer.add_weight(*args, shape, initializer, dtype, trainable, autocast, regularizer, constraint,
    aggregation, overwrite_with_gradient, name)` takes no `**kwargs`. Measured on TF 2.21 / Keras 3.15.1: each of
    these keywords raises `TypeError: Layer.add_weight() got an unexpected keyword argument '...'` in `build`, and
    `aggregation=tf.VariableAggregation.MEAN` raises `ValueError: Invalid value for argument aggregation` (Keras 3
    wants `"mean"`). tf-keras 2.21 accepts them (measured for each but `layout` and
    `experimental_enable_variable_lifting`, which its `add_weight` lists as accepted).

    ## Example
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones",
                                         experimental_autocast=False, use_resource=True)
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    class Scale(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones",
                                         autocast=False)
    ```

    ## Fix safety
    Safe where the keyword has a Keras 3 spelling with the same meaning, or did nothing under Keras 2:
    `experimental_autocast` becomes `autocast` (measured under `mixed_float16`: with False the weight reads as
    float32 in both Kerases, and tf-keras 2.21 accepts `autocast` too, so Keras 2 users keep working); `use_resource`
    and `partitioner` are removed (tf-keras 2.21 on TF 2.21 creates the same ResourceVariable whatever they say,
    measured), as are `synchronization=tf.VariableSynchronization.AUTO`, `aggregation=tf.VariableAggregation.NONE`,
    `caching_device=None` and `collections=None` (the defaults). A removed value that is not a literal, a name or
    an attribute is an unsafe removal (its evaluation goes). Unsafe: `aggregation=tf.VariableAggregation.MEAN` becomes
    `aggregation="mean"` (tf-keras rejects the string), and other `caching_device` and `collections` values are
    removed (reads stop being cached on that device; TF1 graph collections are lost). No fix for `getter`, `layout`,
    `experimental_enable_variable_lifting` and other `synchronization` values, which have no Keras 3 equivalent.
    """

    code = "TFV009"
    name = "add-weight-keras2-keyword"
    fix = SAFE
    VALID = [
        "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(name='w', shape=(1,), experimental_autocast=False, use_resource=True)\n",
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(name='w', shape=(1,), autocast=False, aggregation='mean')\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(name='w', shape=(1,), aggregation=self.aggregation)\n",
        "import tensorflow as tf\ndef make(layer):\n"
        "    return layer.add_weight(name='w', shape=(1,), use_resource=True)\n",
    ]
    INVALID = [
        "import keras\nclass L(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(name='w', shape=(1,), partitioner=None)\n",
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(name='w', shape=(1,), aggregation=tf.VariableAggregation.MEAN)\n",
        "from tensorflow import keras\nclass L(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(name='w', shape=(1,), getter=my_getter)\n",
    ]

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in analysis.calls:
            node, keras_class = site.node, site.context.keras_class
            if keras_class is None or keras_class.flavor != KERAS3:
                continue
            if not (isinstance(node.func, ast.Attribute) and node.func.attr == "add_weight"):
                continue
            names = {k.arg for k in node.keywords}
            for keyword in node.keywords:
                if keyword.arg is None:
                    continue
                planned = plan(analysis, keyword, names)
                if planned is None:
                    continue
                fix, title, reason, _ = planned
                error = "ValueError" if keyword.arg == "aggregation" else "TypeError"
                yield self.finding(keyword, f"`add_weight({keyword.arg}=...)` is Keras 2 only: Keras 3 raises {error}",
                                   fix, title=title, reason=reason)

    @staticmethod
    def rewrite(keyword: ast.keyword, analysis: ModuleAnalysis) -> tuple[ast.Call, Callable]:
        """The fix of the finding at `keyword`: its `add_weight` call, and the libcst rewrite of that call. Several
        keywords of one call each rewrite the same call node, by keyword name, so their fixes compose."""
        import libcst as cst  # only when fixing: detection never loads libcst

        call = next(site.node for site in analysis.calls if any(k is keyword for k in site.node.keywords))
        *_, edit = plan(analysis, keyword, {k.arg for k in call.keywords})
        name = keyword.arg
        quote = _quote(analysis.source, call)

        def apply(node: cst.Call) -> cst.Call:
            args = list(node.args)
            index = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == name), None)
            if index is None:
                return node
            if edit[0] == "rename":
                args[index] = args[index].with_changes(keyword=cst.Name(edit[1]))
            elif edit[0] == "value":
                args[index] = args[index].with_changes(value=cst.SimpleString(f"{quote}{edit[1]}{quote}"))
            else:
                removed = args.pop(index)
                if index == len(args) and args:  # the last went: its predecessor takes its comma and layout
                    args[-1] = args[-1].with_changes(comma=removed.comma,
                                                     whitespace_after_arg=removed.whitespace_after_arg)
            return node.with_changes(args=args)

        return call, apply
