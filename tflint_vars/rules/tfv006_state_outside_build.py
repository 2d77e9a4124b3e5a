from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import KERAS3, RAW_VARIABLES, KerasClass, ModuleAnalysis, dotted_name, statements
from tflint_vars.diagnostics import SAFE, UNSAFE
from tflint_vars.plans.hoist import HoistPlan, InlinePlan, created_once, guarded_attributes, inline_construction, \
    plain_layer_base, plan_hoist, plan_inline, state_kind
from tflint_vars.rules.base import Finding, Rule


UNSAFE_REASON = "state created from more than the input shape may need a human to check that `build` can compute it"
# A layer with weights constructed and called at once in `call`: the fix changes what it computes.
INLINE_UNSAFE_REASON = ("the original makes a new layer, with fresh untrained weights, on every call; the fix makes "
                        "one in `__init__`, whose weights train and are saved")

# Built-in layers without weights: constructing one in `call` and using it at once creates no state.
STATELESS_LAYERS = frozenset({
    "Activation", "ReLU", "Softmax", "ELU", "LeakyReLU", "ThresholdedReLU", "Identity", "Lambda", "Masking",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout", "GaussianDropout",
    "GaussianNoise", "ActivityRegularization", "Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D",
    "Cropping2D", "Cropping3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D",
    "UpSampling3D", "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot",
    "Rescaling", "Resizing", "CenterCrop", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "AvgPool1D",
    "AvgPool2D", "AvgPool3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
    "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
})


def _stateless_local_layer(analysis: ModuleAnalysis, call: ast.Call) -> bool:
    """A layer class of this module that owns no state: a plain `Layer` subclass with no `build` and no variable,
    `add_weight`, sublayer or seed made anywhere in it (deepchem's `NeighborList`). Constructed in `call` and used at
    once, Keras 3's `fit` runs (bench/precision_facts.py, `stateless_layer_built_in_call_fit`)."""
    name = call.func.id if type(call.func) is ast.Name else None
    key = ("stateless local layer", name)
    if key not in analysis.memos:  # once per class name, not once per construction
        analysis.memos[key] = _stateless(analysis, [c for c in analysis.keras_classes.values() if c.name == name])
    return analysis.memos[key]


def _stateless(analysis: ModuleAnalysis, local: list[KerasClass]) -> bool:
    if len(local) != 1 or local[0].method("build") is not None or not plain_layer_base(analysis, local[0]):
        return False
    return not any(type(node) is ast.Call and (state_kind(analysis, node) is not None or _makes_state(analysis, node))
                   for node in ast.walk(local[0].node))


# Calls that make state under names `state_kind` does not know: Keras 3's seeds, a variable by any spelling, and
# the backend's variable makers (`K.zeros` is a variable, `tf.zeros` a tensor).
_STATEFUL_CALLS = frozenset({"SeedGenerator", "Variable", "add_weight", "add_variable"})


def _makes_state(analysis: ModuleAnalysis, call: ast.Call) -> bool:
    name = analysis.qualify(call.func) or dotted_name(call.func) or ""
    return name.rsplit(".", 1)[-1] in _STATEFUL_CALLS or name in RAW_VARIABLES


# Built-in layers with no weights in Keras 2 that own a seed variable in Keras 3 (its SeedGenerator): made in `call`
# and used at once, Keras 2 trains, Keras 3's `fit` raises ValueError (bench/keras_api_diff.py, `variables_owned.*`
# and `constructed_in_call_fit.*`, measured for each).
SEEDED_IN_KERAS3 = frozenset({"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
                              "GaussianDropout", "GaussianNoise"})


def _weightless_in_keras2(site) -> bool:
    """A built-in of the Dropout family: no state in Keras 2, a seed in Keras 3 (SEEDED_IN_KERAS3)."""
    return bool(site.name) and site.name.rsplit(".", 1)[-1] in SEEDED_IN_KERAS3


def self_attribute_assignments(function: ast.AST) -> dict[int, ast.Assign]:
    """id(call) -> the `self.<attr> = <call>` statement that stores it."""
    assigned = {}
    for node in statements(function):  # assignments are statements: the expressions need no walk
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call):
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                assigned[id(node.value)] = node
    return assigned


def _created_once(analysis: ModuleAnalysis, keras_class: KerasClass, call: ast.Call) -> bool:
    """The call sits under a lazy-creation guard of `call` (`if self.x is None:`, `if not hasattr(self, "x"):`)."""
    call_method = keras_class.method("call")
    key = ("tfv006-guarded", id(call_method))
    if key not in analysis.memos:  # once per method, not once per call site in it
        analysis.memos[key] = {id(inner) for node in ast.walk(call_method)
                               if isinstance(node, ast.If) and guarded_attributes(node.test)
                               for stmt in node.body for inner in ast.walk(stmt)}
    return id(call) in analysis.memos[key]


def _keras3_traced_base(analysis: ModuleAnalysis, keras_class: KerasClass) -> str | None:
    """The Keras base, "Model" or "Layer", of a Keras 3 class with no `build` method and sublayers made in
    `__init__`, which Keras 3 builds by tracing `call` on first use; None for any other class.

    A Model is built by tracing `call` both on first use (keras/src/layers/layer.py: `_maybe_build`,
    `might_have_unbuilt_state`) and when `load_model` rebuilds it (keras/src/models/model.py:
    `Model.build_from_config` runs `call` when `build` is the default), so state created lazily in `call` exists
    before the model counts as built, and is tracked. A Layer is traced on first use too, but
    `Layer.build_from_config` calls the default `build`, which only marks it built: the lazy state then raises in
    `load_model`. Measured with TF 2.21 / Keras 3.15.1 (a Dense made in `__init__`, another lazily in `call`,
    trained, saved as .keras, loaded): the Model round-trips with all four weights; the Layer, in a Sequential or
    functional model, raises on load."""
    if keras_class.flavor != KERAS3:
        return None
    by_name = {cls.name: cls for cls in analysis.keras_classes.values()}
    chain, current, has_sublayer = [], keras_class, False
    while current is not None and current not in chain:
        chain.append(current)
        if current.method("build") is not None:
            return None
        init = current.method("__init__")
        if init is not None:
            has_sublayer |= any(state_kind(analysis, stored.value) == "layer"
                                for stored in self_attribute_assignments(init).values())
        local_bases = [by_name[b.id] for b in current.node.bases if isinstance(b, ast.Name) and b.id in by_name]
        if local_bases:
            current = local_bases[0]
            continue
        # The Keras base must be Keras' own Layer or Model, whose build is the default one (Dense has its own).
        names = {(analysis.qualify(b) or "").rsplit(".", 1)[-1] for b in current.node.bases}
        base = "Model" if "Model" in names else "Layer" if "Layer" in names else None
        return base if has_sublayer else None
    return None


class StateOutsideBuild(Rule):
    """State created in `call` with `add_weight` or by constructing a sublayer: Keras 3 raises once built.

    ## What it does
    Finds `self.add_weight(...)` and the construction of a Keras layer (a built-in such as `Dense`, or a layer
    class of the module) inside `call` of a Keras `Layer`/`Model`, typically created lazily behind
    `if self.w is None:` or `hasattr`. In a Keras 3 class this includes `Dropout` and the other random layers
    (`SpatialDropout1D`-`3D`, `AlphaDropout`, `GaussianDropout`, `GaussianNoise`) constructed and used at once,
    which own a seed variable in Keras 3. A raw `tf.Variable` in `call` is TFV002 and is reported once, there.
    Not reported: lazy creation in a Keras 3 `Model` with no `build` method and sublayers made in `__init__`, which
    Keras 3 builds by tracing `call`, on first use and in `load_model` (the lazy state is then created before the
    model is built, and tracked).

    ## Why is this bad?
    Keras 3 locks a layer's state once it is built, and `call` runs after `build`: `add_weight` there raises
    `ValueError: You cannot add new elements of state (variables or sub-layers) to a layer that is already built`.
    Keras 2 allowed it. A sublayer constructed on every call also gets fresh, untrained weights each time.

    Keras 3's `Dropout`, `SpatialDropout1D`-`3D`, `AlphaDropout`, `GaussianDropout` and `GaussianNoise` own a
    `SeedGenerator` variable, where Keras 2's own none. Measured on TF 2.21 / Keras 3.15.1 against tf-keras 2.21
    (bench/keras_api_diff.py): `tf.keras.layers.Dropout(0.5)(x, training=training)` in `call`, trained with `fit`,
    raises ValueError in Keras 3 (a `tf.function` cannot create a variable on each call) and trains in Keras 2.
    (The `Random*` preprocessing layers fail so in both.)

    A `Layer` with no `build` and sublayers made in `__init__` hides this: Keras 3 traces its first call, so the lazy
    state is created and the layer trains and saves. But `keras.models.load_model` rebuilds it with
    `Layer.build_from_config`, which calls the default `build`; that only marks the layer built, and the next call
    raises the ValueError above. Measured on TF 2.21 / Keras 3.15.1 (fixtures/tfv006_lazy_sublayer_load_model.py:
    a Sequential holding the layer, trained, saved as `.keras`, loaded): `load_model` raises; tf-keras 2.21 loads it.
    A `Model` is rebuilt by tracing `call` (`Model.build_from_config`) and round-trips.

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
    The fix moves `self.<name> = ...` into `build(self, input_shape)` (created when missing), maps `x.shape` of
    `call`'s input to `input_shape` and removes the guard. Safe for an `add_weight` made once behind
    `if self.x is None:` or `if not hasattr(self, "x"):` when TFV002's conditions show it is the same weight (the
    guard holds only it, nothing else sets `self.x`, the `self` attributes it reads are set only in `__init__`,
    Keras's own Layer or Model as bases); else unsafe, saying which does not hold. Unsafe for a sublayer, and for
    state made on every call: state created from anything but the input shape may need a human to check that
    `build` can compute it. Offered when the statement stands on its own at
    the top of `call` or in a guard (`if self.x is None:`, `if not hasattr(self, "x"):`) that only creates state,
    and reads nothing `build` cannot see (locals of `call`, the input other than `.shape`).

    A layer constructed and called at once in `call` (`layers.Dropout(self.rate)(x, training=training)`) is
    constructed instead at the end of `__init__`, as `self.dropout = layers.Dropout(self.rate)`, and `call` calls
    `self.dropout(x, training=training)`, its arguments kept. One attribute per construction, named after the layer
    class in snake case (`dropout`, `dropout_1`, ...), never a name the class, its bases or its subclasses in the
    module use, nor a member of a Keras Model. Offered when the construction reads only literals, names the module
    binds once, and `self` attributes that `__init__` sets once in its own body and nothing else sets or changes
    (then it makes the same layer there as in `call`) and the module sets on no other object, and calls nothing;
    when the class's own `__init__` calls `super().__init__(...)` in its body, with no `return`, and calls neither
    `self(...)` nor the class's own methods (which could run `call` before the construction); and when its bases are
    Keras's own Layer or Model or classes of the module (a base from elsewhere may own the name), none of which sets
    an attribute it reads. A class with no `__init__` gets `def __init__(self, *args, **kwargs):
    super().__init__(*args, **kwargs)`, which passes every argument on as the inherited one took them: measured
    alike for the original and the added one, under both runtimes, a layer's positional `(trainable, name)` (Keras 2
    takes them, Keras 3 raises TypeError for both), a Model built by position `(inputs, outputs)`, and `get_config`
    (`original_*`, `added_init_*`); it then reads no `self` attribute. A subclass in another module that sets the
    same attribute is not seen.

    Safe for `Dropout`, `SpatialDropout1D`-`3D`, `AlphaDropout`, `GaussianDropout` and `GaussianNoise`: Keras 2's own
    no state, so one layer does what a new one on every call did, in a loop or comprehension too. Measured on
    TF 2.21 / Keras 3.15.1 against tf-keras 2.21 (bench/inline_layer_facts.py, fact names in brackets): the original
    raises in Keras 3's `fit` and trains in Keras 2, the fixed layer trains under both (`inline_dropout_fit_*`); its
    `weights` are the Dense's kernel and bias alone under both (`inline_dropout_fixed_weights`: the new sublayer adds
    none, Keras 3's seed is not among them). One shared Dropout draws a new mask on each call, twice in one traced
    step and across steps, under both runtimes (`shared_dropout_masks_differ_in_one_trace_and_across_steps`), as a
    new layer per call did. A `seed=` changes nothing in Keras 2: a new `Dropout(0.5, seed=1)` on every call draws a
    new mask each time (`inline_seeded_dropout_masks_differ_between_calls`: True), as one shared seeded layer does
    (`shared_seeded_dropout_masks_differ_between_calls`: True under both; a new seeded layer in Keras 3 repeats its
    mask). Checkpoints stay compatible: weights saved from a model holding the original load into one holding the
    fixed layer, and back, with equal outputs, as `.weights.h5` under both runtimes, and under tf-keras as a legacy
    `.h5` and a TF checkpoint (`assert_existing_objects_matched` passes); a `.keras` file of the original loads with
    the fixed class (`inline_dropout_weights_h5_*`, `inline_dropout_legacy_h5_original_to_fixed`,
    `inline_dropout_tf_checkpoint_original_to_fixed`, `inline_dropout_keras_file_original_loaded_as_fixed`: True).
    fixtures/tfv006_inline_dropout.py, tfv006_inline_no_init.py and keras-cv's TransformerEncoder (tests/heldout)
    verify under both runtimes with `save = true`.

    Unsafe for a layer with weights (`Dense(4)(x)`): the original makes new, untrained weights on every call, and
    the fixed layer one set that trains and is saved. No fix for one in a loop, comprehension or nested function,
    where the original makes a layer with weights of its own per pass (fixtures/tfv006_inline_refused.py).
    """

    code = "TFV006"
    name = "state-outside-build"
    fix = SAFE
    fix_title = "Move it into `build(self, input_shape)`"
    VALID = [
        "import tensorflow as tf\nclass L(tf.keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(name='w', shape=(s[-1],))\n"
        "    def call(self, x):\n        return x * self.w\n",
    ]
    INVALID = [
        "import keras\nclass L(keras.Layer):\n    def call(self, x):\n"
        "        return keras.layers.Dense(4)(x)\n",
    ]

    def fix_edit(self, ctx, site):
        """Move the statement creating the state from `call` into `build(self, input_shape)` (`plan_hoist`); a
        layer constructed and called at once moves to the end of `__init__` (`plan_inline`)."""
        from tflint_vars.plans.weights import hoist_edit, inline_edit
        if not isinstance(plan_hoist(ctx.analysis, site), HoistPlan) and inline_construction(ctx.analysis, site):
            return inline_edit(ctx, site, _weightless_in_keras2(site))
        return hoist_edit(ctx, site)

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        stored: dict[int, ast.Assign] = {}
        for cls in analysis.keras_classes.values():
            call_method = cls.method("call")
            if call_method is not None:
                stored.update(self_attribute_assignments(call_method))
        for site in analysis.calls:
            ctx = site.context
            if ctx.keras_class is None or ctx.method != "call" or not ctx.keras_class.is_layer:  # a Loss has call
                continue
            kind = state_kind(analysis, site.node)
            if kind not in ("add_weight", "layer"):
                continue
            lazy = _created_once(analysis, ctx.keras_class, site.node)
            traced = _keras3_traced_base(analysis, ctx.keras_class) if lazy else None
            if traced == "Model":
                continue
            seeded = kind == "layer" and ctx.keras_class.flavor == KERAS3 and bool(site.name) and \
                site.name.rsplit(".", 1)[1] in SEEDED_IN_KERAS3
            if kind == "layer" and not seeded and \
                    not self._layer_adds_state(analysis, site, stored_on_self=id(site.node) in stored):
                continue
            where = f"`{ctx.keras_class.name}.call`"
            plan = plan_hoist(analysis, site)
            if isinstance(plan, HoistPlan):
                # an add_weight made once behind its guard, shown to be the same weight when made in build: safe
                once = created_once(analysis, ctx.keras_class, plan) if kind == "add_weight" else UNSAFE_REASON
                fix, reason = (UNSAFE, once) if once else (SAFE, None)
            elif inline_construction(analysis, site):
                # `layers.Dropout(r)(x)`: constructed once, at the end of `__init__`
                weightless = _weightless_in_keras2(site)
                inline = plan_inline(analysis, site, shared_ok=weightless)
                if isinstance(inline, InlinePlan):
                    fix, reason = (SAFE, None) if weightless else (UNSAFE, INLINE_UNSAFE_REASON)
                else:
                    fix, reason = None, inline
            else:
                fix, reason = None, plan
            title = None
            if not isinstance(plan, HoistPlan) and inline_construction(analysis, site):
                attribute = f"`self.{inline.attribute}`" if isinstance(inline, InlinePlan) else "an attribute"
                place = "in an added `__init__(self, *args, **kwargs)`" if isinstance(inline, InlinePlan) and \
                    isinstance(inline.init, ast.ClassDef) else "at the end of `__init__`"
                title = f"Construct it once, {place}, as {attribute}, and call that"
            what = "`add_weight`" if kind == "add_weight" else f"layer `{ast.unparse(site.node.func)}` constructed"
            if seeded and not lazy and id(site.node) not in stored:
                problem = f"{what} in {where}: it owns a seed variable in Keras 3, so `fit` raises ValueError"
            elif traced == "Layer":
                # Keras 3 traces the first call of such a layer (no `build`, sublayers in `__init__`): it trains and
                # saves, but `load_model` rebuilds it with the default `build`, which then adds the state.
                problem = f"{what} lazily in {where}: Keras 3's `load_model` raises ValueError on it"
            elif kind == "add_weight":
                problem = f"{what} in {where} adds state after build: Keras 3 raises ValueError (Keras 2 allowed it)"
            elif lazy:
                problem = f"{what} lazily in {where} adds state after build: Keras 3 raises ValueError"
            else:
                problem = f"{what} in {where} makes a new layer with fresh weights on every call"
            yield self.finding(site.node, problem, fix, title=title, reason=reason)

    @staticmethod
    def _layer_adds_state(analysis: ModuleAnalysis, site, stored_on_self: bool) -> bool:
        """Any layer stored on `self` adds state (Keras 3 then raises), and so does a layer with weights even when
        used once (fresh untrained weights every call); a weightless built-in or module class used at once does
        not."""
        if stored_on_self:
            return True
        if not site.name:  # a Keras layer class of this module
            return not _stateless_local_layer(analysis, site.node)
        return site.name.rsplit(".", 1)[1] not in STATELESS_LAYERS
