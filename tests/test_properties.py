"""Property tests: generated Keras layer modules that combine every rule's patterns, and hypothesmith's valid Python.

Properties: checking never crashes and never calls valid Python unreadable; a fix's output compiles; fixing twice
equals fixing once; no safe-fixable diagnostic is left after a safe fix; and flake8 --select TFV (the real flake8,
in-process through its Application) reports exactly what `check` reports. Example counts are fixed (derandomized) and
keep the module under a minute; TFLINT_VARS_PROPERTY_EXAMPLES=N runs N random examples per test for a longer hunt.
"""

from __future__ import annotations

import keyword
import os
import textwrap
import warnings
from pathlib import Path

import hypothesmith
from flake8.main.application import Application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tflint_vars.engine import check_source
from tflint_vars.fixes.fixer import fix_bytes, wanted

SCALE = int(os.environ.get("TFLINT_VARS_PROPERTY_EXAMPLES", "0")) or None


def examples(count: int) -> settings:
    return settings(max_examples=SCALE or count, deadline=None, derandomize=SCALE is None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


RESERVED = set(keyword.kwlist) | {"self", "tf", "keras", "tf_keras", "np", "super", "range", "len", "None", "layers",
                                  "inputs", "input_shape", "kwargs", "print", "i", "k"}
identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(lambda name: name not in RESERVED)
class_names = st.from_regex(r"[A-Z][A-Za-z0-9]{0,9}", fullmatch=True).filter(lambda n: n not in RESERVED)
sizes = st.integers(1, 64)


@st.composite
def import_forms(draw) -> tuple[list[str], str, str]:
    """(import lines, the tensorflow alias, the Layer/Model base class expression)."""
    tf = draw(st.sampled_from(["tf", "tensorflow", "tfx"]) | identifiers)
    imports = [f"import tensorflow as {tf}" if tf != "tensorflow" else "import tensorflow"]
    form = draw(st.sampled_from(["tf.keras", "tf.keras.Model", "layers_as", "keras", "keras_layer", "tf_keras",
                                 "dense", "from_keras_layers"]))
    if form == "tf.keras":
        base = f"{tf}.keras.layers.Layer"
    elif form == "tf.keras.Model":
        base = f"{tf}.keras.Model"
    elif form == "layers_as":
        alias = draw(st.sampled_from(["L", "layers", "kl"]))
        imports.append(f"from tensorflow.keras import layers as {alias}" if alias != "layers"
                       else "from tensorflow.keras import layers")
        base = f"{alias}.Layer"
    elif form == "keras":
        imports.append("import keras")
        base = "keras.layers.Layer"
    elif form == "keras_layer":
        imports.append("import keras")
        base = "keras.Layer"
    elif form == "tf_keras":
        imports.append("import tf_keras")
        base = "tf_keras.layers.Layer"
    elif form == "dense":
        base = f"{tf}.keras.layers.Dense"
    else:
        imports.append("from keras.layers import Layer")
        base = "Layer"
    return imports, tf, base


def initial_values(tf: str):
    mapped = [
        st.builds(lambda n: f"{tf}.zeros(({n},))", sizes),
        st.builds(lambda n, m: f"{tf}.ones(({n}, {m}))", sizes, sizes),
        st.builds(lambda n, s: f"{tf}.random.normal(({n},), stddev={s})", sizes, st.sampled_from(["0.1", "1.0"])),
        st.builds(lambda n: f"{tf}.random.uniform([{n}], minval=-1.0, maxval=1.0)", sizes),
        st.builds(lambda n: f"{tf}.fill(({n},), 2.0)", sizes),
        st.just("1.5"),
        st.just(f"{tf}.constant(0.5)"),
    ]
    unmapped = [
        st.just(f"{tf}.zeros(inputs.shape)"),
        st.just("compute_initial_value()"),
        st.just("3"),  # an int: add_weight would make a float
        st.builds(lambda n: f"[0.0] * {n}", sizes),
    ]
    return st.one_of(*mapped, *unmapped)


@st.composite
def statements(draw, tf: str, method: str, used: set[str]) -> list[str]:
    """One statement (as lines) creating state the way real layer code does."""
    name = draw(identifiers.filter(lambda n: n not in used))
    used.add(name)
    value = draw(initial_values(tf))
    v1 = f"{tf}.compat.v1"
    kind = draw(st.sampled_from(["variable", "variable_kw", "list", "dict", "loop", "nested", "positional",
                                 "get_variable", "scoped_get_variable", "add_weight", "lazy", "sublayer"]))
    trainable = draw(st.sampled_from(["", ", trainable=False", ", trainable=True"]))
    if kind == "variable":
        return [f"self.{name} = {tf}.Variable({value}{trainable})"]
    if kind == "variable_kw":
        return [f"self.{name} = {tf}.Variable(initial_value={value}, name={name!r}{trainable})"]
    if kind == "list":
        return [f"self.{name} = [{tf}.Variable({value}) for _ in range({draw(sizes)})]"]
    if kind == "dict":
        return [f"self.{name} = {{{name!r}: {tf}.Variable({value}, name={name!r})}}"]
    if kind == "loop":
        return [f"self.{name} = []", f"for i in range({draw(sizes)}):",
                f"    self.{name}.append({tf}.Variable({value}{trainable}))"]
    if kind == "nested":
        return [f"if {draw(st.sampled_from(['True', 'self.built', 'kwargs']))}:",
                f"    self.{name} = {tf}.Variable({value})", "else:", f"    self.{name} = None"]
    if kind == "positional":
        return [f"self.{name} = self.add_weight({name!r}, ({draw(sizes)},))"]
    if kind == "get_variable":
        return [f"self.{name} = {v1}.get_variable({name!r}, shape=[{draw(sizes)}])"]
    if kind == "scoped_get_variable":
        return [f"with {v1}.variable_scope({draw(identifiers)!r}):",
                f"    self.{name} = {v1}.get_variable({name!r}, shape=[{draw(sizes)}], "
                f"initializer={v1}.zeros_initializer())"]
    if kind == "add_weight":
        return [f"self.{name} = self.add_weight(name={name!r}, shape=({draw(sizes)},), initializer='zeros')"]
    if kind == "lazy" and method == "call":
        return [f"if self.{name} is None:",
                f"    self.{name} = self.add_weight(name={name!r}, shape=(inputs.shape[-1],))"]
    if kind == "sublayer" and method == "call":
        return [f"if not hasattr(self, {name!r}):", f"    self.{name} = {tf}.keras.layers.Dense({draw(sizes)})"]
    return [f"v_{name} = {tf}.Variable({value})"]


@st.composite
def layer_modules(draw) -> str:
    imports, tf, base = draw(import_forms())
    lines = [*imports, "", ""]
    used: set[str] = set()
    for _ in range(draw(st.integers(1, 2))):
        cls = draw(class_names.filter(lambda n: n not in used))
        used.add(cls)
        lines.append(f"class {cls}({base}):")
        for method, signature in (("__init__", "self, **kwargs"), ("build", "self, input_shape"),
                                  ("call", "self, inputs")):
            if method != "__init__" and not draw(st.booleans()):
                continue
            body = ["super().__init__(**kwargs)"] if method == "__init__" else []
            for _ in range(draw(st.integers(0, 3))):
                body += draw(statements(tf, method, used))
            if method == "call":
                body.append("return inputs")
            elif method == "build":
                body.append("super().build(input_shape)")
            lines.append(f"    def {method}({signature}):")
            lines += [f"        {line}" for line in body]
            lines.append("")
        lines.append("")
    if draw(st.booleans()):  # TF1 graph code at module level: get_variable under a scope entered in a loop
        v1 = f"{tf}.compat.v1"
        lines += ["def tower(x):", f"    with {v1}.variable_scope('tower'):",
                  f"        w = {v1}.get_variable('w', shape=[3])", "    return x * w", "",
                  "for _ in range(2):", "    tower(1.0)", ""]
    return "\n".join(lines) + "\n"


def compiles(data: bytes) -> None:
    with warnings.catch_warnings():  # hypothesmith writes `"a"()`, which compiles with a SyntaxWarning
        warnings.simplefilter("ignore")
        compile(data, "<fixed>", "exec", dont_inherit=True)


def positions(diagnostics) -> list[tuple[int, int, str]]:
    return sorted((d.line, d.column, d.code) for d in diagnostics)


@examples(120)
@given(layer_modules())
def test_generated_layers_check_and_fix(source):
    data = source.encode()
    compiles(data)  # the generator writes valid Python
    diagnostics = check_source(data, "generated.py")
    assert all(d.code != "TFV000" for d in diagnostics), diagnostics
    for unsafe in (False, True):
        first = fix_bytes(data, "generated.py", unsafe=unsafe)
        compiles(first.data)
        second = fix_bytes(first.data, "generated.py", unsafe=unsafe)
        assert second.data == first.data, "fixing twice changed the file again"
        if not unsafe:
            left = [(d, why) for d, why in first.dropped if d.fix == "safe"]
            undone = [d for d in first.remaining if wanted(d, unsafe)]
            assert not undone, f"safe fixes left after --fix: {undone} (dropped: {left})"


def flake8_report(path: Path, report: Path) -> list[tuple[int, int, str]]:
    """The real flake8, in-process through its Application (as `flake8` runs), only our plugin selected."""
    report.unlink(missing_ok=True)  # flake8 appends to its output file, and creates it only when it reports
    Application().run(["--isolated", "--select", "TFV", "--jobs", "1", "--output-file", str(report),
                       "--format", "%(row)d\t%(col)d\t%(code)s", str(path)])
    rows = report.read_text().splitlines() if report.exists() else []
    return sorted((int(row), int(col), code) for row, col, code in (line.split("\t") for line in rows))


@examples(40)
@given(layer_modules())
def test_flake8_reports_what_check_reports(tmp_path, source):
    path = tmp_path / "generated.py"
    path.write_text(source)
    assert flake8_report(path, tmp_path / "flake8.txt") == positions(check_source(source.encode(), str(path)))


@examples(60)
@given(hypothesmith.from_grammar())
def test_any_valid_python_checks_without_crashing(source):
    try:
        data = source.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no file can hold them as UTF-8; still must not crash
        data = source.encode("utf-8", "surrogatepass")
        assert [d.code for d in check_source(data, "any.py")] == ["TFV000"]
        return
    # Valid Python is never reported as unreadable (hypothesmith's code compiles).
    assert not [d for d in check_source(data, "any.py") if d.code == "TFV000"]


@examples(60)
@given(hypothesmith.from_grammar(), layer_modules())
def test_valid_python_inside_a_layer_module_checks_and_fixes(noise, module):
    # Arbitrary valid statements around generated layer classes: the analysis must cope with any syntax next to
    # the patterns it looks for, and a fix must still produce code that compiles.
    source = module + "\n" + textwrap.dedent(noise) + "\n"
    try:
        compiles(source.encode("utf-8"))
    except (SyntaxError, ValueError, UnicodeEncodeError):
        return  # e.g. `from __future__` no longer first, or surrogates: not valid as a combination
    data = source.encode("utf-8")
    check_source(data, "combined.py")
    compiles(fix_bytes(data, "combined.py", unsafe=True).data)


def test_flake8_report_reads_real_diagnostics(tmp_path):
    # The comparison above would pass vacuously if the helper never saw a diagnostic.
    path = tmp_path / "seed.py"
    path.write_bytes((Path(__file__).parent.parent / "fixtures" / "seed1_variable_in_init.py").read_bytes())
    rows = flake8_report(path, tmp_path / "flake8.txt")
    assert len(rows) == 2 and rows == positions(check_source(path.read_bytes(), str(path)))
