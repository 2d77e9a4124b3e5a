from __future__ import annotations

from typing import Iterator

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.diagnostics import SAFE
from tflint_vars.rules._raw_variables import (fix_plan, helper_finding, helper_site, helper_variables, inline_plan,
                                              raw_variables, untracked_message, weight_finding)
from tflint_vars.rules.base import Finding, Rule


class VariableInInit(Rule):
    """Raw `tf.Variable` created in `__init__` of a Keras Layer or Model: untracked under Keras 3.

    ## What it does
    Finds `tf.Variable(...)` inside `__init__` of a Keras `Layer`/`Model` subclass, including variables created in
    loops, appended to lists or stored in dicts. Keras 2's backend constructors (`K.variable`, `K.zeros`, `K.ones`,
    `K.eye`, `K.random_uniform_variable`, `K.random_normal_variable`, with `K` the `keras`, `tf.keras` or `tf_keras`
    backend) are the same: each makes a plain `tf.Variable` (measured: tracked by Keras 2, not in `layer.weights`
    under Keras 3; Keras 3's standalone `keras.backend` has none of them, so there the call raises AttributeError).
    `K.zeros_like`/`K.ones_like` return tensors under both and are not reported. Not reported either: a variable
    that provably never reaches the layer (consumed at once by an operation or a TensorFlow/backend function, such
    as `tf.reduce_sum(v)` or `K.moving_average_update(v, x, 0.9)`, or bound to a local used only so), which Keras 2
    did not track either, and classes on `tf_keras` (itself, or through a project module importing it), which are
    Keras 2 by construction and keep tracking their variables, as TFV006/TFV007/TFV009/TFV010 decide.

    A variable returned by a helper outside the class (a module-level function of the module, or of another module
    of the project, found by the project index through imports, re-exports and star imports) and kept by the layer
    (`self.w = make_bias(n)`) is reported where the layer gets it, naming the helper (TFV001/TFV002/TFV003 by the
    method holding the call). So is one a method of an object the layer holds returns (`self.states =
    self.cell.initial_states(n)`, `self.cell` bound once to `Cell(...)` of the module or of another module of the
    project), and a list or tuple of them. The fix inlines the helper's returned expression where the layer keeps it
    (`self.states = [K.zeros(n), K.zeros(n)]`), and the constructors are then fixed where they stand, each by its
    own plan below. Safe, as a rewrite that keeps what runs, where the name provably means that helper: the class is
    at the module's top level and the call directly in one of its methods; the helper is this module's (a function
    the module binds once, or a method of a class the module binds once, made into an attribute set once in the
    module), undecorated, and its body only returns one expression, with no lambda, comprehension or `:=`, not
    reading its own `self`, and reading no name the calling method binds; every argument is a name, attribute,
    literal, subscript or arithmetic of them (or `int`, `len` ... of them: evaluated again for each use of its
    parameter, with the same value). Otherwise no fix: the variable is made in the helper, where `self.add_weight`
    cannot run. A helper method or staticmethod of the class is reported where it creates the variable when the
    class may keep what it returns: a call of it in the class keeps the result (followed through other methods'
    returns), or its callers are not all in the module (a method Keras or Python calls, `build`,
    `get_initial_state`, a dunder; a private one none calls; a decorated one; one passed on as `self.make`; one
    `call` runs; a base other than Keras's own Layer, Model or Metric or the module's classes). A public method the
    class never calls and never keeps is a factory for its callers (deepchem's `LSTMStep.get_initial_states`): the
    layer that keeps its result is the one reported, as above.

    ## Why is this bad?
    Since TensorFlow 2.16, `tf.keras` is Keras 3. Keras 3 does not track a raw `tf.Variable` assigned in a layer: it
    is not in `layer.weights` or `layer.trainable_weights`, `model.fit` never updates it (the only sign is a warning
    that the model has no trainable weights), and it is not saved. Keras 2 (tf_keras) tracked it, so code written for
    Keras 2 silently stops training. Measured on TF 2.21.0 / Keras 3.15.1 against tf-keras 2.21.0.

    In a `keras.metrics.Metric` subclass, Keras 3 leaves the variable out of `metric.variables`, so `reset_state()`
    never resets it and the metric accumulates across epochs: a metric counting the 8 samples of each epoch reports
    8, 16, 24 over 3 epochs of `fit` under Keras 3 and 8, 8, 8 under Keras 2, which resets it
    (`python tests/measure_keras_classes.py`, with and without TF_USE_LEGACY_KERAS=1, prints them). Raw variables in
    `Optimizer` and `Loss` subclasses behave the same under both Kerases (measured by the same script) and are not
    reported.

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
    The fix writes `self.add_weight(...)` where the `tf.Variable` stands. Each precondition below is a behaviour
    measured under Keras 3 (TF 2.21) and Keras 2 (tf-keras 2.21) by `bench/keras_fix_facts.py`; when one does not
    hold, the fix\'s reason says why (`--show-fixes`, JSON, SARIF).

    - Place: after `super().__init__()` in `__init__`, in `build`, or in a private helper only those call.
      add_weight raises before `super().__init__()` in both Kerases, and Keras 3 raises once the layer is built,
      so: no fix in a lambda, nested function, generator, staticmethod, classmethod or property; before
      `super().__init__()`, a fix that moves the statement (`target = ...` on its own line in `__init__`)
      to just after the super call when its value reads only the constructor's parameters that nothing changes
      before that call and module names (never `self`), and nothing up to the call reads its target or is read
      through an attribute or item by the value (`kwargs.pop(...)`), else none. The move is safe when the base
      constructor cannot read the target either: a local, or `self.x` in a class derived directly from Keras's
      own `Layer`/`Model` that defines only `__init__`, `build`, `call`, `get_config`, `from_config`,
      `compute_output_shape`, `compute_mask` (undecorated) and no class-level code; else unsafe, naming the base,
      the method or the property that might read it before it is set. Unsafe in another method, or
      in a public one (`reset()`) even when `build` calls it, since code outside the class may call it again
      after build. The variable must reach the layer (assigned to `self.x` or by `setattr(self, ...)`,
      maybe in a list, dict or comprehension, appended to a container on `self`, returned, or bound to a local
      read again): one that does not was untracked in Keras 2 too, and add_weight would track it (unsafe).
    - Tracking lists: the lines that add the variable to Keras 2's `self._trainable_weights` /
      `self._non_trainable_weights` (`.append(self.x)`, `.extend([self.x])`) go with the fix, since add_weight
      tracks it and the line raises AttributeError under Keras 3 (TFV030); the fix is unsafe when such a line adds
      other values too or uses the list another way, since it would still raise.
    - Value: it must map to an initializer with the same distribution and dtype: `tf.zeros`/`tf.ones`/`tf.fill`,
      `tf.random.*` (every moment spelled out: Keras' "random_normal" has stddev 0.05), numbers, lists and numpy
      arrays of numbers (`Constant`; numpy keeps float64), `c * tf.ones(s)`, `[c] * n`, `tf.constant(v, shape=s)`,
      and initializer objects called with a shape (the TF guide's `w_init(shape=..., dtype=...)`: add_weight takes
      `w_init` itself). Any other value is evaluated once, where it stood, into a fresh name and fills the weight
      through `Constant`, with the shape it has and the dtype `tf.convert_to_tensor` gives it, converted with the
      variable's own `dtype=` when it has one, as tf.Variable converts it (tf-keras' `Constant` raises on an int
      tensor for a float32 weight) (no fix for a string
      literal: Keras 3's `Constant` raises on a string weight, tf-keras fills it; none for a callable, a lambda,
      `functools.partial(...)` or a function of the module, which tf.Variable calls and `tf.convert_to_tensor`
      rejects under both runtimes). It is evaluated inside `tf.init_scope()`, outside any graph, as tf-keras
      runs `__init__` and `build`: Keras 3 builds an RNN cell inside a scratch graph, where the plain value is a
      symbolic tensor that `Constant` cannot use (TypeError "out of scope"; fact computed_value_in_trace: both
      Kerases pass with `init_scope`). Safe when both hold: every name the value reads exists outside that graph
      (module names and builtins, `__init__`'s parameters, `build`'s input shape, `self.x` set only in
      `__init__`, Keras' own `self.dtype`/`self.name`, or a local bound once to such a value that calls only
      numpy, math and plain builtins: a tensor the method computed belongs to the graph it runs in, `__init__`'s
      too when another layer's `build` constructs the layer), and the value is shown to be numbers or bools (a
      number or bool literal, `tf.eye`/`tf.ones`/`tf.random.*`/`np.zeros`/..., arithmetic a string makes raise,
      `.astype(...)`, a numeric `dtype=` literal (measured: `tf.Variable("a", dtype=tf.float32)` raises
      TypeError under both runtimes, `variable_string_value_numeric_dtype`), or a parameter of `__init__` whose
      default is a number or bool literal and which `__init__` never rebinds: the literal default is taken as
      evidence of the argument's kind, as TFV014 takes it for serializability, so a caller passing a string there
      would meet the raise): a string would make Keras 3's `Constant` raise. The layer's own `dtype=self.dtype`
      shows nothing (measured, `layer_string_dtype_variable`: a layer constructed with `dtype="string"` holds a
      string tf.Variable under both runtimes, and the filled weight raises under Keras 3). A value not shown to
      be numbers fills the weight through `lambda shape, dtype=None, value=<local>: value` instead, the value
      bound when the lambda is made (Keras 3 may run a sub-layer's initializer later): both Kerases take strings,
      floats and ints alike so (fact `callable_initializer_string_weight`), and the fix is safe too. Else unsafe,
      naming the local that may be a graph's tensor. A value whose shape or dtype
      is only unreadable statically (`tf.fill(dims, v)`, `tf.random.normal((int(d),))`) is filled the same way.
    - A local drawn first (`w_init = tf.random.normal(shape, stddev=s)`, then `tf.Variable(w_init)`): when the
      variable is the local's only reader, in the same block after it, and every name the call reads is bound once
      before it, the call is planned as if written in the variable, and the fix removes the local's line. A tensor
      the method computed may belong to a graph Keras 3 traces `build` in; an initializer runs where add_weight
      does, as the original call ran. A local read twice keeps its value (the computed plan above).
    - Shape: Keras 3 raises on a bare number (`tf.zeros(units)`); a literal or an item of `build`'s input shape
      becomes `(n,)`, a name that may be a number or a tuple `tf.TensorShape(n)`, which both Kerases take.
    - dtype: always written (`tf.Variable` does not follow the layer's dtype; add_weight would), with
      `autocast=False` for float weights: under a mixed policy both Kerases autocast an add_weight weight read in
      `call`, never a raw variable. Integer variables keep integer bounds (`RandomUniform(minval=0, ...)`: Keras 2
      raises on 0.0 for an int32).
    - tf.Variable-only API: a Keras 3 weight lacks `.get_shape()`, `.read_value()`, `.op`, `.initializer`,
      `.scatter_*` and others (measured against a built Dense's kernel). Where the class calls `.get_shape()` on
      the attribute the variable is stored to, or passes it to a method or module function that does (deepchem's
      `batch_mat_mult(V, self.W)` calls `B.get_shape()`), the fix reads it there as `tf.convert_to_tensor(self.w)`:
      a Tensor, with `get_shape()` under both Kerases. Unsafe when the class uses another of those attributes
      (or calls `self.w.value()`, a property under Keras 3), the function also needs the variable itself (assigns
      it, or reads an attribute a Tensor lacks), or a use is not seen (as below).
    - Numpy operands: Keras 3's variable promotes with numpy float64 values where a tf.Variable (and Keras 2's
      weight) does not: `w * np.sqrt(2.0)`, `np.sqrt(2.0) * w` and `w * np.ones(2)` are float64 for an add_weight
      weight under Keras 3 and float32 for a tf.Variable (fact numpy_float64_operand), so float32 math in `call`
      then raises "float vs double", and `np.float32(0.9) * w` in a traced step raises NotImplementedError (a
      held-out module's `fit`, issue 17). Where the class may combine the weight with numpy (a method other than
      `__init__`/`build` reads numpy, or one of those stores on `self` a value computed with numpy, through
      locals, the module's functions that use it and its module-level constants such as `DECAY = np.float32(0.9)`),
      the fix reads the weight as `tf.convert_to_tensor(self.w)` in every operator and every argument to the
      module's own functions: what a tf.Variable's operator did (`a.value()`), so the results keep their dtype
      under both Kerases, gradients reach the weight and `fit` trains it (fact tensor_read_numpy_operand); `is` and
      `in` operands are left as they are. Unsafe when a use is not seen: the attribute also set to something else
      (`self.b = None`), the weight stored in a local or a container, returned, passed to code outside TensorFlow
      and the module, reached as `getattr(self, ...)`, `vars(self)` or the layer's weight lists, or its attribute
      read outside the class; or when another weight meets numpy in a variable's initial value. A numpy value
      passed in from outside the module is not seen.
    - Name: Keras 3 rejects `/` (fact slash_in_name): it becomes `_`, an unsafe fix: the weight's name is part of
      what a safe fix keeps, and code may look a weight up by its old name. Keras 2 weights saved from the original,
      as a TF checkpoint or HDF5 (which match by attribute and by order), do load into the renamed weights with the
      same outputs (fact slash_rename_checkpoint). The reason says so, or that the new name is another weight's in
      the class. A computed name may hold `/` (unsafe), except a conditional of literals or an f-string of `range`
      counters.
    - Keywords: `name`, `trainable`, `dtype`, `constraint` pass through (a constraint is applied by `fit` in both);
      `validate_shape=True`, `caching_device=None`, `import_scope=None` are dropped; `shape=` (a partly unknown
      shape lets a variable change shape; add_weight's must be fully defined), `synchronization=`,
      `aggregation=` and any other keyword have no fix.
    - Backend constructors: `K.variable(value, dtype, name, constraint)` is `tf.Variable(value, dtype=dtype or
      K.floatx())`, so the weight gets that dtype, written `dtype=K.floatx()` through the same backend name when
      none is given (no fix when the function is imported alone: nothing spells `floatx()`), and the value the
      initializer above (a random value of another dtype kind than the variable's: no fix). `K.zeros`/`K.ones(shape)`
      become "zeros"/"ones", `K.eye(n)` shape `(n, n)` with `Identity()`, `K.random_uniform_variable(shape, low,
      high)` `RandomUniform(minval=low, maxval=high)`, `K.random_normal_variable(shape, mean, scale)`
      `RandomNormal(mean=mean, stddev=scale)`, with the seed passed on. All are trainable, as add_weight's default.
      Verified under both runtimes, with a save and load (fixture tfv001_backend_variables). Not seen statically: a
      `K.zeros` shape with a 0 dimension gives a constant tensor, not a variable, in both Kerases.
    - Metric: the same keyword `add_weight` call works with Keras 3's and tf_keras' `Metric.add_weight` and makes
      a variable `reset_state` sets to zero, as Keras 2 did; `autocast` is not written (neither takes it). No fix
      for `trainable=` and other keywords a Metric's `add_weight` lacks, nor for subclasses of built-in metrics such
      as `Mean`, whose Keras 3 `reset_state` resets only their own variables.
    """

    code = "TFV001"
    name = "variable-in-init"
    fix = SAFE
    fix_title = "Replace with `self.add_weight(...)`"
    VALID = [
        "import tensorflow as tf\nclass M(tf.Module):\n    def __init__(self):\n        self.v = tf.Variable(1.0)\n",
        "import keras\nclass L(keras.layers.Layer):\n    def __init__(self):\n        super().__init__()\n"
        "        self.v = keras.Variable(1.0)\n",
        "import tensorflow as tf\nclass Plain:\n    def __init__(self):\n        self.v = tf.Variable(1.0)\n",
        # Measured the same under Keras 2 and 3 (see the docs above): not reported.
        "import tensorflow as tf\nclass O(tf.keras.optimizers.SGD):\n    def __init__(self):\n"
        "        super().__init__()\n        self.steps = tf.Variable(0)\n",
        "from keras import losses\nimport tensorflow as tf\nclass S(losses.Loss):\n    def __init__(self):\n"
        "        super().__init__()\n        self.scale = tf.Variable(2.0)\n",
    ]
    INVALID = [
        "import tensorflow as tfx\nclass L(tfx.keras.layers.Dense):\n    def __init__(self):\n"
        "        super().__init__(4)\n        self.v = tfx.Variable(tfx.zeros((4,)))\n",
        "from tensorflow.keras import layers as L\nimport tensorflow as tf\nclass A(L.Layer):\n"
        "    def __init__(self):\n        super().__init__()\n        self.ws = []\n        for i in range(3):\n"
        "            self.ws.append(tf.Variable(0.0))\n",
        "import keras\nimport tensorflow as tf\nK = keras\nclass M(K.metrics.Metric):\n    def __init__(self):\n"
        "        super().__init__()\n        self.total = tf.Variable(0.0)\n",
    ]

    def fix_edit(self, ctx, site):
        """`tf.Variable(...)` -> `self.add_weight(...)` where it stands, as `fix_plan` decides."""
        from tflint_vars.plans.weights import helper_inline_edit, weight_edit
        created = helper_site(ctx.analysis, site)
        if created is not None:  # a helper's variables, kept here: its returned expression inlined
            return helper_inline_edit(inline_plan(ctx.analysis, site, created), site)
        return weight_edit(ctx, site, fix_plan(ctx.analysis, site))

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for site in raw_variables(analysis, lambda method: method == "__init__"):
            plan = fix_plan(analysis, site)
            yield weight_finding(self, site, untracked_message(analysis, site), plan)
        for site, helper, created in helper_variables(analysis, lambda method: method == "__init__"):
            yield helper_finding(self, site, helper, created, analysis=analysis)
