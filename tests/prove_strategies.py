"""Hypothesis strategies for the differential proving ground (`tests/prove.py`, `make prove`).

Each example is a `Case`: one Keras layer module that creates one to three raw variables, varied along the dimensions
that decide whether a fix is right: shape form, initial-value form, dtype and policy, name, trainable, constraint,
place of creation and import form; and Keras 2 API forms (a constructor without `**kwargs`, positional or `dynamic`
base arguments, `add_variable` with the name first); values and dtypes from `__init__` parameters with a number or
`tf.DType` default. Every variable is used in `call`, so a wrong value, shape,
dtype or a lost gradient shows in the outputs or the gradients. Identifiers and class names come from
`test_properties`' strategies.
"""

from __future__ import annotations

from hypothesis import strategies as st
from test_properties import class_names, identifiers

from tflint_vars.verify.prove import Case

BATCH = 4
dims = st.integers(2, 6)


@st.composite
def import_forms(draw) -> tuple[list[str], str, str, str]:
    """(import lines, the tensorflow alias, the Layer base expression, the keras expression for initializers)."""
    tf = draw(st.sampled_from(["tf", "tf", "tfx"]))
    imports = ["import tensorflow" if tf == "tensorflow" else f"import tensorflow as {tf}", "import numpy as np"]
    form = draw(st.sampled_from(["tf.keras", "tf.keras", "layers_as", "keras", "keras_layer", "tf_keras"]))
    keras = f"{tf}.keras"
    if form == "tf.keras":
        base = f"{tf}.keras.layers.Layer"
    elif form == "layers_as":
        alias = draw(st.sampled_from(["L", "layers", "kl"]))
        imports.append(f"from tensorflow.keras import layers as {alias}" if alias != "layers"
                       else "from tensorflow.keras import layers")
        base = f"{alias}.Layer"
    elif form in ("keras", "keras_layer"):
        imports.append("import keras")
        keras = "keras"
        base = "keras.layers.Layer" if form == "keras" else "keras.Layer"
    else:
        imports.append("import tf_keras")
        keras = "tf_keras"
        base = "tf_keras.layers.Layer"
    return imports, tf, base, keras


@st.composite
def variable_specs(draw, place: str) -> dict:
    """What one variable is: its dtype, shape (and the form it is written in), value form, keywords."""
    dtype = draw(st.sampled_from(["float32"] * 5 + ["float64", "int32"]))
    rank = draw(st.sampled_from([1, 1, 2, 0]))
    shape_forms = ["tuple", "list"]
    if rank == 1:
        shape_forms += ["int", "tensorshape"] + ([] if place == "module_helper" else ["ctor"])
        if place in ("build", "helper_build"):
            shape_forms.append("input_shape")
        if place == "call_guarded":  # the input's width, read in call (a hoist into build maps it to input_shape)
            shape_forms += ["call_input"] * 4
    elif rank == 2:
        shape_forms += ["tensorshape"]
    shape_form = draw(st.sampled_from(shape_forms)) if rank else "scalar"
    if place == "call_sized":
        rank, shape_form = 1, "call_input"
    shape = [draw(dims) for _ in range(rank)]
    creator = draw(st.sampled_from(["variable"] * 4 + ["variable_kw", "get_variable", "backend", "backend"]))
    if creator == "backend" and dtype == "int32":
        creator = "variable"  # the backend constructors make float variables (floatx) unless told
    if creator == "backend":
        values = ["zeros", "ones", "normal", "uniform", "literal", "python_list"]
    elif dtype == "int32":
        values = ["zeros", "fill", "uniform_int", "constant_shape"]
    else:
        values = ["zeros", "ones", "fill", "normal", "uniform", "truncated", "constant_shape", "numpy_zeros",
                  "numpy_full", "initializer", "keras_initializer", "scaled_ones", "python_list", "literal",
                  "computed", "computed_local", "computed_list"]
    if creator == "get_variable":
        values = ["gv_none", "gv_zeros", "gv_normal", "gv_glorot", "gv_constant"] if dtype != "int32" else ["gv_zeros"]
    value = draw(st.sampled_from(values))
    if place == "init" and dtype == "float32" and creator in ("variable", "variable_kw"):
        # From constructor parameters: a `tf.fill` value with a number default (shown a number by it), and a
        # `tf.zeros` whose dtype is a `tf.DType` default (TFV017 writes it as a name). A draw of its own: hypothesis'
        # generation phase seldom reaches the end of a long `sampled_from`.
        value = draw(st.sampled_from([value, "ctor_fill", "ctor_dtype", "ctor_array"]))
    if value == "computed_list" and rank != 1:
        value = "computed"
    if value == "computed_local" and place not in ("build", "init"):
        value = "computed"  # a local of the method the variable is made in (build's: an int; __init__'s: any)
    if value in ("python_list", "numpy_zeros", "numpy_full", "computed_list") and shape_form in (
            "tensorshape", "input_shape", "call_input"):
        shape_form = "tuple"
    if shape_form == "int" and value not in ("zeros", "ones", "numpy_zeros", "numpy_full", "scaled_ones", "computed",
                                             "computed_local"):
        shape_form = "tuple"  # tf.random.*, tf.fill and get_variable take no scalar shape, with or without a fix
    if value == "literal":
        rank, shape, shape_form = 0, [], "scalar"
    if value == "python_list" and rank == 0:
        value = "literal"
    dtype_form = draw(st.sampled_from(["value", "keyword"])) if dtype != "float32" else "none"
    if creator == "backend" and dtype_form == "value":
        dtype_form = "keyword"  # the backend takes its dtype as an argument: `K.zeros(s, dtype=...)`
    if dtype_form == "keyword" and value not in ("python_list", "literal", "numpy_zeros", "numpy_full",
                                                 "computed_list"):
        dtype_form = "value"  # tf.Variable(float32 tensor, dtype=float64) raises before any fix is involved
    return {
        "dtype": dtype, "shape": shape, "shape_form": shape_form, "value": value, "creator": creator,
        "dtype_form": dtype_form,
        "mean": draw(st.sampled_from(["0.0", "1.0", "-0.5"])),
        "scale": draw(st.sampled_from(["0.05", "0.1", "1.0", "2.0"])),
        "constant": draw(st.sampled_from(["0.0", "0.5", "1.5", "-2.0"])),
        "trainable": draw(st.sampled_from([None, None, True, False])),
        "constraint": draw(st.sampled_from([False, False, False, True])),
        "naming": draw(st.sampled_from(["none", "plain", "plain", "slash", "duplicate"])),
        "name": draw(identifiers),
        # float32 math on the variable, as code written for a float32 variable does (numpy values are float64)
        # or with numpy values (a float64 gain, a float32 scalar on the left), where Keras 3's weight differs
        "use": draw(st.sampled_from(["cast", "cast", "float32", "numpy_gain", "numpy_left"]))
        if dtype == "float32" and not value.startswith("numpy") else "cast",
    }


def _shape_expr(var: dict, tf: str, where: str) -> str:
    form, shape = var["shape_form"], var["shape"]
    if form == "scalar":
        return "()"
    if form == "tuple":
        return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    if form == "list":
        return "[" + ", ".join(map(str, shape)) + "]"
    if form == "int":
        return str(shape[0])
    if form == "tensorshape":
        return f"{tf}.TensorShape([{', '.join(map(str, shape))}])"
    if form == "ctor":
        return "(units,)" if where == "init_params" else "(self.units,)"
    if form == "call_input":
        return "(inputs.shape[-1],)"
    return "(input_shape[-1],)"


def _value_expr(var: dict, tf: str, keras: str, where: str) -> str:
    s = _shape_expr(var, tf, where)
    dt = f"{tf}.{var['dtype']}"
    in_value = var["dtype_form"] == "value"
    dkw = f", dtype={dt}" if in_value else ""
    kind, c, scale, mean = var["value"], var["constant"], var["scale"], var["mean"]
    if var["dtype"] == "int32":
        return {"zeros": f"{tf}.zeros({s}, dtype={tf}.int32)", "fill": f"{tf}.fill({s}, 7)",
                "uniform_int": f"{tf}.random.uniform({s}, maxval=1000, dtype={tf}.int32)",
                "constant_shape": f"{tf}.constant(3, shape={s})"}[kind]
    n = var["shape"][0] if var["shape"] else 1
    np_dtype = f", dtype=np.{var['dtype']}" if var["dtype_form"] == "value" else ""
    return {
        "zeros": f"{tf}.zeros({s}{dkw})",
        "ones": f"{tf}.ones({s}{dkw})",
        "fill": f"{tf}.fill({s}, {c})" if not in_value else f"{tf}.fill({s}, {tf}.constant({c}, {dt}))",
        "normal": f"{tf}.random.normal({s}, mean={mean}, stddev={scale}{dkw})",
        "uniform": f"{tf}.random.uniform({s}, minval={mean}, maxval={float(mean) + float(scale)}{dkw})",
        "truncated": f"{tf}.random.truncated_normal({s}, stddev={scale}{dkw})",
        "constant_shape": f"{tf}.constant({c}, shape={s}{dkw})",
        "numpy_zeros": f"np.zeros({s}{np_dtype})",
        "numpy_full": f"np.full({s}, {c}{np_dtype})",
        "initializer": f"{tf}.random_normal_initializer(stddev={scale})(shape={s}{dkw})",
        "keras_initializer": f"{keras}.initializers.GlorotUniform()(shape={s}{dkw})",
        "scaled_ones": f"{c} * {tf}.ones({s}{dkw})",
        # No initializer keeps these: the fix fills the weight with the value through Constant (computed plan).
        "computed": f"{tf}.ones({s}{dkw}) * {c} + {tf}.zeros({s}{dkw})",
        # ... reading a local the method bound just before (`_local_line` writes it): an int in build, a tensor in
        # __init__ (both exist outside any traced graph).
        "computed_local": f"{tf}.ones({s}{dkw}) * {c} + local_{{attr}}",
        # A python list no initializer keeps, converted with the variable's own `dtype=` when it has one.
        "computed_list": f"[{c}] * {n - 1} + [{c}]",
        # Constructor parameters of `__init__` (`cases` adds them): `param_<attr>=<c>`, `dtype_<attr>=tf.float32`.
        "ctor_fill": f"{tf}.fill({s}, param_{{attr}})",
        "ctor_dtype": f"{tf}.zeros({s}, dtype=dtype_{{attr}})",
        # The whole value a parameter whose default (a numpy array) shows no number: filled through a lambda.
        "ctor_array": "param_{attr}",
        "python_list": f"[{c}] * {n}" if len(var["shape"]) < 2 else f"[[{c}] * {var['shape'][-1]}] * {n}",
        "literal": c,
    }[kind]


def creation(var: dict, attr: str, tf: str, keras: str, where: str, previous_name: str | None) -> str:
    """The expression that creates `var` (a tf.Variable(...) or get_variable(...) call)."""
    name = {"none": None, "plain": var["name"], "slash": f"scope/{var['name']}",
            "duplicate": previous_name or var["name"]}[var["naming"]]
    keywords = []
    if var["trainable"] is not None:
        keywords.append(f"trainable={var['trainable']}")
    if var["constraint"]:
        keywords.append(f"constraint=lambda v: {tf}.clip_by_value(v, -1.0, 1.0)")
    if var["creator"] == "get_variable":
        v1 = f"{tf}.compat.v1"
        init = {"gv_none": None, "gv_zeros": f"{v1}.zeros_initializer()",
                "gv_normal": f"{v1}.random_normal_initializer(stddev={var['scale']})",
                "gv_glorot": f"{v1}.glorot_uniform_initializer()",
                "gv_constant": f"{v1}.constant_initializer({var['constant']})"}[var["value"]]
        shape = _shape_expr(var, tf, where)
        args = [repr(name or attr), f"shape={shape}"]
        if var["dtype"] != "float32":
            args.append(f"dtype={tf}.{var['dtype']}")
        if init:
            args.append(f"initializer={init}")
        return f"{v1}.get_variable({', '.join(args + keywords)})"
    if var["creator"] == "backend":
        return _backend_creation(var, name, tf, keras, where)
    value = _value_expr(var, tf, keras, where)
    args = [f"initial_value={value}" if var["creator"] == "variable_kw" else value]
    if var["dtype_form"] == "keyword":
        args.append(f"dtype={tf}.{var['dtype']}")
    if name is not None:
        args.append(f"name={name!r}")
    return f"{tf}.Variable({', '.join(args + keywords)})"


def _backend_creation(var: dict, name: str | None, tf: str, keras: str, where: str) -> str:
    """Keras 2's backend constructor of a variable: `K.zeros(s)`, `K.random_normal_variable(s, mean, scale)`, ..."""
    backend = f"{keras}.backend"
    s = _shape_expr(var, tf, where)
    kind, c, scale, mean = var["value"], var["constant"], var["scale"], var["mean"]
    n = var["shape"][0] if var["shape"] else 1
    call = {
        "zeros": f"{backend}.zeros({s}",
        "ones": f"{backend}.ones({s}",
        "normal": f"{backend}.random_normal_variable({s}, {mean}, {scale}",
        "uniform": f"{backend}.random_uniform_variable({s}, {mean}, {float(mean) + float(scale)}",
        "literal": f"{backend}.variable({c}",
        "python_list": f"{backend}.variable([{c}] * {n}" if len(var["shape"]) < 2
        else f"{backend}.variable([[{c}] * {var['shape'][-1]}] * {n}",
    }[kind]
    if var["dtype_form"] == "keyword":
        call += f", dtype={tf}.{var['dtype']}"
    if name is not None:
        call += f", name={name!r}"
    if var["constraint"] and kind in ("literal", "python_list"):
        call += f", constraint=lambda v: {tf}.clip_by_value(v, -1.0, 1.0)"
    return call + ")"


def use(var: dict, attr: str, tf: str) -> str:
    """A line of `call` that makes the output depend on every value of the variable (and its gradient flow)."""
    if var["use"] == "numpy_gain":  # float64 under Keras 3 unless read as a tensor: `+ float32` raises there
        return (f"out = out * {tf}.cast(1.0 + 0.1 * ({tf}.reduce_mean(self.{attr} * np.sqrt(2.0)) "
                f"+ {tf}.zeros((), {tf}.float32)), out.dtype)")
    if var["use"] == "numpy_left":  # NotImplementedError in a traced step under Keras 3 unless read as a tensor
        return f"out = out * {tf}.cast(1.0 + 0.1 * {tf}.reduce_mean(np.float32(0.5) * self.{attr}), out.dtype)"
    if var["use"] == "float32":
        return (f"out = out * {tf}.cast(1.0 + 0.1 * {tf}.reduce_mean(self.{attr} * {tf}.ones((), {tf}.float32)), "
                "out.dtype)")
    return f"out = out * (1.0 + 0.1 * {tf}.reduce_mean({tf}.cast(self.{attr}, out.dtype)))"


PLACES = ["init", "init", "init", "before_super", "before_super_local", "build", "build", "helper_init",
          "helper_build", "call_guarded", "call_sized", "reset", "module_helper"]


@st.composite
def cases(draw) -> Case:
    imports, tf, base, keras = draw(import_forms())
    cls = draw(class_names)
    count = draw(st.integers(1, 3))
    specs = []
    for index in range(count):
        place = draw(st.sampled_from(PLACES))
        spec = draw(variable_specs(place))
        if spec["creator"] == "backend" and keras == "keras":
            spec["creator"] = "variable"
            spec["dtype_form"] = "value" if spec["dtype_form"] == "keyword" and spec["value"] not in (
                "python_list", "literal") else spec["dtype_form"]
        place = "call_guarded" if place == "call_sized" else place
        attr = f"{draw(identifiers)}_{index}"  # distinct, and never one of the layer's own attributes
        specs.append((attr, place, spec))
    units = next((v["shape"][0] for _, _, v in specs if v["shape_form"] == "ctor"), None)
    blocks: dict[str, list[str]] = {p: [] for p in PLACES}
    previous_name = None
    for attr, place, var in specs:
        where = "init_params" if place in ("before_super", "before_super_local") else "method"
        expr = creation(var, attr, tf, keras, where, previous_name).replace("local_{attr}", f"local_{attr}") \
            .replace("param_{attr}", f"param_{attr}").replace("dtype_{attr}", f"dtype_{attr}")
        previous_name = var["name"] if var["naming"] != "none" else previous_name
        if var["value"] == "computed_local":  # a local bound once just before: an int (of build's input shape)
            blocks[place].append(f"local_{attr} = int(input_shape[-1]) - int(input_shape[-1])"
                                 if place == "build" else f"local_{attr} = 0")
        value = _value_expr(var, tf, keras, where) if var["creator"] in ("variable", "variable_kw") else None
        if value:
            value = value.replace("param_{attr}", f"param_{attr}").replace("dtype_{attr}", f"dtype_{attr}")
        if value and place in ("init", "build", "helper_init", "helper_build") and value in expr \
                and var["value"] != "computed_local" and draw(st.sampled_from([False, False, True])):
            # the initial value drawn into a local first (StyleGAN ports' `w_init`), then the variable made of it
            blocks[place].append(f"init_{attr} = {value}")
            expr = expr.replace(value, f"init_{attr}", 1)
        if place == "before_super_local":
            blocks[place].append(f"{attr} = {expr}")
        elif place == "call_guarded":
            blocks[place] += [f"if self.{attr} is None:", f"    self.{attr} = {expr}"]
        elif place == "module_helper":  # a module function returns it (reported, no fix), kept in __init__
            blocks[place] += [f"def make_{attr}():", f"    return {expr}", "", ""]
            blocks["init"].append(f"self.{attr} = make_{attr}()")
        else:
            blocks[place].append(f"self.{attr} = {expr}")
    lines = [*imports, "", "", *blocks["module_helper"], f"class {cls}({base}):"]
    # Keras 2 constructor forms (TFV013, TFV014): no **kwargs, positional base arguments, `dynamic=False`.
    # Keras 2 forms only where Keras 2 runs them: through `tf.keras` (tf-keras under TF_USE_LEGACY_KERAS=1), not
    # the standalone `keras` package (Keras 3 under both runtimes, where the original could not run under Keras 2).
    keras2_api = keras == f"{tf}.keras"
    init_form = draw(st.sampled_from(["kwargs"] * 5 + ["no_kwargs"] + ["positional", "dynamic_false"] * keras2_api))
    super_args = {"kwargs": "**kwargs", "no_kwargs": "", "positional": "True, None, **kwargs",
                  "dynamic_false": "dynamic=False, **kwargs"}[init_form]
    params = "self, units=None" if units else "self"
    for attr, _, var in specs:
        if var["value"] == "ctor_fill":
            params += f", param_{attr}={var['constant']}"
        elif var["value"] == "ctor_dtype":
            params += f", dtype_{attr}={tf}.{var['dtype']}"
        elif var["value"] == "ctor_array":
            shape = tuple(var["shape"])
            params += f", param_{attr}=np.full({shape!r}, {var['constant']}, dtype=np.float32)"
    params += "" if init_form == "no_kwargs" else ", **kwargs"
    before_super = blocks["before_super"] + blocks["before_super_local"]
    init = [f"def __init__({params}):", *("    " + line for line in before_super),
            f"    super().__init__({super_args})"]
    if units:
        init.append("    self.units = units")
    init += ["    " + f"self.{attr} = {attr}" for attr, place, _ in specs if place == "before_super_local"]
    init += ["    " + f"self.{attr} = None" for attr, place, _ in specs if place == "call_guarded"]
    init += ["    " + line for line in blocks["init"]]
    if blocks["helper_init"]:
        init.append("    self._create_state()")
    body = [init]
    if blocks["helper_init"]:
        body.append(["def _create_state(self):", *("    " + line for line in blocks["helper_init"])])
    build = ["    " + line for line in blocks["build"]]
    # Keras 2's `add_variable`, name first (TFV007 turns it into `add_weight` by keyword).
    extra = draw(st.sampled_from([None] * 4 + ["add_variable"] * keras2_api))
    if extra:
        build.append(f"    self.extra_weight = self.add_variable('extra_weight', (input_shape[-1],), "
                     f"initializer={draw(st.sampled_from(['zeros', 'ones']))!r})")
    if blocks["helper_build"]:
        build.append("    self._build_state(input_shape)")
        body.append(["def _build_state(self, input_shape):", *("    " + line for line in blocks["helper_build"])])
    if blocks["reset"]:
        build.append("    self.reset()")
        body.append(["def reset(self):", *("    " + line for line in blocks["reset"])])
    if build:
        body.append(["def build(self, input_shape):", *build, "    super().build(input_shape)"])
    call = ["def call(self, inputs):", "    out = inputs"]
    if any(v["shape_form"] == "call_input" for _, _, v in specs) and draw(st.booleans()):
        # `inputs` reassigned before the variable reads its width: input_shape[-1] would be the wrong width
        call.append(f"    inputs = {tf}.concat([inputs, inputs], axis=-1)")
    call += ["    " + line for line in blocks["call_guarded"]]
    call += ["    " + use(var, attr, tf) for attr, _, var in specs]
    if extra:
        call.append(f"    out = out + {tf}.cast(self.extra_weight, out.dtype)")
    call.append("    return out")
    body.append(call)
    for block in body:
        lines += ["    " + line for line in block] + [""]
    source = "\n".join(lines).rstrip() + "\n"
    kwargs: dict = {}
    if units:
        kwargs["units"] = units
    layer_dtype = draw(st.sampled_from([None] * 6 + ["float64"])) if init_form != "no_kwargs" else None
    policy = draw(st.sampled_from([None] * 6 + ["mixed_float16"])) if layer_dtype is None else None
    if layer_dtype:
        kwargs["dtype"] = layer_dtype
    width = next((v["shape"][0] for _, p, v in specs if v["shape_form"] == "input_shape"), draw(dims))
    return Case(source=source, class_name=cls, kwargs=kwargs, input_shape=[BATCH, width], policy=policy,
                after_build="reset" if blocks["reset"] else None)
