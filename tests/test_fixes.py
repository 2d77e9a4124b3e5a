"""The fixes: every fixable fixture against its expected output (`NAME.py.fixed`, `NAME.py.unsafe-fixed`),
idempotence, byte preservation (CRLF, BOM, latin-1), dropping a fix whose output does not parse, and refusals."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, expected_diagnostics, fixture_names, package_fixture_names
from tflint_vars.diagnostics import SAFE, UNSAFE
from tflint_vars.engine import check_source
from tflint_vars.fixes.fixer import FixResult, fix_bytes, fix_source

FIXABLE = [n for n in fixture_names() if any(e["fix"] in (SAFE, UNSAFE) for e in expected_diagnostics(n))]
WITH_UNSAFE = [n for n in FIXABLE if any(e["fix"] == UNSAFE for e in expected_diagnostics(n))]


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _expected(name: str, unsafe: bool) -> bytes:
    path = FIXTURES / f"{name}.py.unsafe-fixed"
    return path.read_bytes() if unsafe and path.exists() else _read(f"{name}.py.fixed")


def test_every_fixable_fixture_carries_its_expected_output():
    assert len(FIXABLE) >= 12 and len(WITH_UNSAFE) >= 5
    expected_files = {p.name for p in FIXTURES.glob("*.py.fixed")} | {p.name for p in FIXTURES.glob("*.unsafe-fixed")}
    assert expected_files == {f"{n}.py.fixed" for n in FIXABLE} | {f"{n}.py.unsafe-fixed" for n in WITH_UNSAFE}


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("name", FIXABLE)
def test_fix_matches_expected_output_and_is_idempotent(name, unsafe):
    path = str(FIXTURES / f"{name}.py")
    result = fix_bytes(_read(f"{name}.py"), path, unsafe=unsafe)
    assert result.data == _expected(name, unsafe)
    assert result.dropped == []
    wanted = {SAFE, UNSAFE} if unsafe else {SAFE}
    assert sorted((d.code, d.line) for d in result.fixed) == \
        sorted((e["code"], e["line"]) for e in expected_diagnostics(name)
               if e["fix"] in wanted or e.get("removed_with") in wanted)  # fixed with the fix removing its line
    assert not [d for d in result.remaining if d.fix in wanted]
    assert result.remaining == check_source(result.data, path)
    compile(result.data, path, "exec", dont_inherit=True)
    again = fix_bytes(result.data, path, unsafe=unsafe)
    assert not again.changed and again.fixed == []


def test_unsafe_only_fixtures_are_unchanged_by_safe_fixes():
    for name in WITH_UNSAFE:
        if not any(e["fix"] == SAFE for e in expected_diagnostics(name)):
            assert _read(f"{name}.py.fixed") == _read(f"{name}.py"), name


def test_clean_file_is_returned_untouched_without_loading_libcst():
    code = ("import sys\nfrom tflint_vars.fixes.fixer import fix_bytes\n"
            f"r = fix_bytes(open({str(FIXTURES / 'seed2_add_weight_in_build.py')!r}, 'rb').read())\n"
            "print(r.changed, r.fixed, 'libcst' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stdout.split() == ["False", "[]", "False"], result.stderr


@pytest.mark.parametrize("bom", [False, True], ids=["crlf", "crlf+bom"])
def test_crlf_stays_crlf(bom):
    prefix = b"\xef\xbb\xbf" if bom else b""
    for name in FIXABLE:
        data = prefix + _read(f"{name}.py").replace(b"\n", b"\r\n")
        result = fix_bytes(data, f"{name}.py", unsafe=True)
        assert result.data == prefix + _expected(name, True).replace(b"\n", b"\r\n"), name
        assert b"\n" not in result.data.replace(b"\r\n", b""), name


def test_latin1_with_cookie_stays_latin1():
    header = "# -*- coding: latin-1 -*-\n# Schätzung der Gewichte: café\n".encode("latin-1")
    result = fix_bytes(header + _read("seed1_variable_in_init.py"), "latin1.py")
    assert result.data == header + _expected("seed1_variable_in_init", False)
    assert len(result.fixed) == 2
    assert result.data.decode("latin-1").count("café") == 1


def test_non_ascii_before_the_call_keeps_columns_right():
    source = ("import tensorflow as tf\n\n\nclass L(tf.keras.layers.Layer):\n    def __init__(self):\n"
              "        super().__init__()\n        self.größe = tf.Variable(tf.zeros((2,)), name='größe')\n")
    # The continuation line aligns under the parenthesis counted in characters, not UTF-8 bytes.
    assert fix_source(source) == source.replace(
        "tf.Variable(tf.zeros((2,)), name='größe')",
        "self.add_weight(name='größe', shape=(2,),\n" + " " * len("        self.größe = self.add_weight(")
        + "initializer='zeros', dtype='float32',\n" + " " * len("        self.größe = self.add_weight(")
        + "autocast=False)").replace(  # and TFV014's **kwargs
        "def __init__(self):\n        super().__init__()",
        "def __init__(self, **kwargs):\n        super().__init__(**kwargs)")


def test_comments_and_formatting_elsewhere_are_kept_byte_for_byte():
    source = _read("seed1_variable_in_init.py").decode()
    fixed = fix_source(source)
    untouched = [line for line in source.splitlines(True) if "tf.Variable" not in line]
    assert all(line in fixed for line in untouched)
    assert "# Direct tf.Variable creation. Needs manual initialization" in fixed


def test_a_fix_whose_output_does_not_parse_is_dropped(monkeypatch):
    """Plant a broken fixer through the FIXERS registry: its fix is dropped with the parser's message, the other
    fix in the file is still applied."""
    import libcst as cst

    from tflint_vars.fixes import transform

    real = transform.FIXERS["TFV007"]

    def broken_on_line_6(ctx, site, diagnostic):
        if diagnostic.line != 6:
            return real(ctx, site, diagnostic)
        return transform.Edit(diagnostic, rewrites=[(site.node, lambda node: cst.Name("lambda"))])

    monkeypatch.setitem(transform.FIXERS, "TFV007", broken_on_line_6)
    data = _read("tfv007_positional_name.py")
    result = fix_bytes(data, "tfv007_positional_name.py")
    assert [d.line for d in result.fixed] == [7]
    assert [(d.line, why.split(":")[0]) for d, why in result.dropped] == [(6, "the fixed code would not parse")]
    assert b'self.add_weight(name="offset", shape=(input_shape[-1],), dtype="float32", initializer="zeros")' \
        in result.data
    assert b'self.add_weight("gain", shape=' in result.data
    ast.parse(result.data)


def test_fix_result_api():
    data = _read("tfv007_positional_name.py")
    result = fix_bytes(data, "x.py")
    assert isinstance(result, FixResult) and result.changed
    unchanged = fix_bytes(result.data, "x.py")
    assert not unchanged.changed and unchanged.data == result.data
    assert fix_source(data.decode()) == result.data.decode()


def test_selection_limits_what_is_fixed():
    from tflint_vars.diagnostics import CodeSelection

    data = _read("tfv001_lists_dicts_loops.py")
    result = fix_bytes(data, "x.py", selection=CodeSelection(["TFV003"]))
    assert not result.changed and result.remaining == []


def _single(source: str):
    diagnostics = check_source(source.encode(), "t.py")
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


LAYER = "import tensorflow as tf\n\n\nclass L(tf.keras.layers.Layer):\n"


@pytest.mark.parametrize("body, reason", [
    ("    def call(self, x):\n        n = x.shape[-1] * 2\n        b = tf.Variable(tf.zeros((n,)))\n"
     "        return x + b\n", "reads `n`, a local of `call`"),
    ("    def call(self, x):\n        return x + tf.Variable(tf.zeros((3,)))\n", "not assigned on a line of its own"),
    ("    def call(self, x, training=None):\n        if training:\n"
     "            self.w = self.add_weight(shape=(3,))\n        return x\n", "not a guard on the state it creates"),
    ("    def call(self, x):\n        b = tf.Variable(tf.zeros(tf.shape(x)))\n        return x + b\n",
     "computed at run time"),
    ("    def call(self, x):\n        if self.w is None:\n            self.w = self.add_weight(shape=(3,))\n"
     "            print('made')\n        return x\n", "does more than create state"),
    ("    def call(self, x):\n        weights = tf.Variable(tf.zeros((3,)))\n        return x + weights\n",
     "shadow a Layer attribute"),
    ("    def build(self):\n        pass\n\n    def call(self, x):\n        self.w = self.add_weight(shape=(3,))\n"
     "        return x\n", "`build` takes no input shape"),
    ("    def call(self, x):\n        self.d = tf.keras.layers.Dense(x.shape.rank)\n        return self.d(x)\n",
     "other than as `x.shape[...]`"),
])
def test_state_that_cannot_move_into_build_has_no_fix_and_says_why(body, reason):
    diagnostic = _single(LAYER + body)
    assert diagnostic.fix is None and reason in diagnostic.fix_reason
    assert not fix_bytes((LAYER + body).encode(), unsafe=True).changed


def test_hoist_into_existing_build_goes_before_super_build_and_maps_its_parameter():
    source = LAYER + (
        "    def build(self, shape):\n        self.k = self.add_weight(name='k', shape=(shape[-1], 2))\n"
        "        super().build(shape)\n\n"
        "    def call(self, x):\n        # created lazily\n        if self.v is None:\n"
        "            self.v = self.add_weight(name='v', shape=(x.shape[-1],))\n"
        "            self.u = self.add_weight(name='u', shape=(x.shape[-1],))\n"
        "        b = tf.Variable(tf.zeros((x.shape[-1],)))\n"
        "        return x * self.v * self.u + b\n")
    assert fix_source(source, unsafe=True) == LAYER + (
        "    def build(self, shape):\n        self.k = self.add_weight(name='k', shape=(shape[-1], 2))\n"
        "        # created lazily\n"
        "        self.v = self.add_weight(name='v', shape=(shape[-1],))\n"
        "        self.u = self.add_weight(name='u', shape=(shape[-1],))\n"
        "        self.b = self.add_weight(shape=(shape[-1],), initializer='zeros',\n"
        "                                 dtype='float32', autocast=False)\n"
        "        super().build(shape)\n\n"
        "    def call(self, x):\n        return x * self.v * self.u + self.b\n")


def test_synthesised_build_calls_super_build_for_a_builtin_base():
    source = ("import tensorflow as tf\n\n\nclass L(tf.keras.layers.Dense):\n    def call(self, x):\n"
              "        self.extra = tf.keras.layers.Dense(3)\n        return self.extra(super().call(x))\n")
    fixed = fix_source(source, unsafe=True)
    assert ("    def build(self, input_shape):\n        self.extra = tf.keras.layers.Dense(3)\n"
            "        super().build(input_shape)\n\n    def call(self, x):\n") in fixed


def test_a_guard_is_kept_when_one_of_its_statements_is_not_fixed():
    source = LAYER + ("    def call(self, x):\n        if self.v is None:\n"
                      "            self.v = self.add_weight(name='v', shape=(3,))\n"
                      "            self.u = self.add_weight(name='u', shape=(3,))  # noqa: TFV006\n"
                      "        return x\n")
    result = fix_bytes(source.encode(), unsafe=True)
    assert not result.changed
    assert [why for _, why in result.dropped] == ["its guard also holds state whose fix is not being applied"]


def test_initializer_namespace_follows_the_class_spelling_and_adds_an_import_only_when_needed():
    keras_module = ("import keras\nimport tensorflow as tf\n\n\nclass L(keras.layers.Layer):\n"
                    "    def __init__(self):\n        super().__init__()\n"
                    "        self.w = tf.Variable(tf.random.normal((2,)))\n")
    assert "initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1.0)" in fix_source(keras_module)
    tf_keras_module = ("import tf_keras\nimport tensorflow as tf\n\n\nclass L(tf_keras.layers.Layer):\n"
                       "    def __init__(self):\n        super().__init__()\n"
                       "        self.w = tf.Variable(tf.random.uniform((2,)))\n")
    assert fix_source(tf_keras_module) == tf_keras_module  # Keras 2 by construction: not reported (issue 17)
    no_alias = ('"""Doc."""\nfrom tensorflow.keras.layers import Layer\nfrom tensorflow import Variable, random\n\n\n'
                "class L(Layer):\n    def __init__(self):\n        super().__init__()\n"
                "        self.w = Variable(random.normal((2,)))\n")
    fixed = fix_source(no_alias)
    assert fixed.startswith('"""Doc."""\nfrom tensorflow.keras.layers import Layer\nfrom tensorflow import '
                            'Variable, random\nimport tensorflow as tf\n\n\nclass L(Layer):\n')
    assert "initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0)" in fixed
    assert fix_source(fixed) == fixed


def test_variable_scope_reuse_is_added_with_the_scope_prefix_and_keeps_a_trailing_comma():
    source = ("import tensorflow as tf\n\n\ndef f(x):\n    with tf.compat.v1.variable_scope(\n        'tower',\n"
              "        values=[x],\n    ):\n        return tf.compat.v1.get_variable('w', shape=[1])\n\n\n"
              "for _ in range(2):\n    f(1)\n")
    assert fix_source(source, unsafe=True) == source.replace(
        "        values=[x],\n", "        values=[x],\n        reuse=tf.compat.v1.AUTO_REUSE,\n")
    constant_false = source.replace("values=[x],", "reuse=False,")
    assert "reuse=tf.compat.v1.AUTO_REUSE," in fix_source(constant_false, unsafe=True)
    assert fix_source(source) == source  # unsafe: not applied by default


def test_a_crashing_fixer_costs_only_its_own_fixes(monkeypatch):
    from tflint_vars.fixes import transform

    def crash(ctx, site, diagnostic):
        raise RuntimeError("planted")

    monkeypatch.setitem(transform.FIXERS, "TFV007", crash)
    result = fix_bytes(_read("tfv007_positional_name.py"), "x.py")
    assert not result.changed
    assert {why for _, why in result.dropped} == {"internal error in the fixer: RuntimeError: planted"}


def test_tab_indented_code_keeps_its_tabs():
    source = ("import tensorflow as tf\n\n\nclass L(tf.keras.layers.Layer):\n\tdef __init__(self):\n"
              "\t\tsuper().__init__()\n\t\tself.w = tf.Variable(tf.random.normal((2,)), name='w')\n")
    fixed = fix_source(source)
    assert fixed.endswith("\t\tself.w = self.add_weight(name='w', shape=(2,),\n\t\t"
                          + " " * len("self.w = self.add_weight(")
                          + "initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0),\n\t\t"
                          + " " * len("self.w = self.add_weight(") + "dtype='float32', autocast=False)\n")


INIT = "    def __init__(self, n):\n        super().__init__()\n"


@pytest.mark.parametrize("body, level, reason", [
    # Place of creation (Keras 3 raises on add_weight before super().__init__() and once built).
    (INIT + "        self._make(n)\n\n    def _make(self, n):\n        self.w = tf.Variable(tf.zeros((n,)))\n",
     SAFE, None),
    ("    def call(self, x):\n        return x * self._w()\n\n    def _w(self):\n"
     "        return tf.Variable(tf.zeros((2,)))\n", None, "is called from `call`"),
    ("    def reset(self):\n        self.w = tf.Variable(tf.zeros((2,)))\n\n    def build(self, s):\n"
     "        self.reset()\n", UNSAFE, "is public"),
    ("    @property\n    def w(self):\n        return tf.Variable(tf.zeros((2,)))\n", None, "is a property"),
    ("    @classmethod\n    def make(self):\n        return tf.Variable(tf.zeros((2,)))\n", None, "is a classmethod"),
    (INIT + "        self.ws = list(tf.Variable(tf.zeros((2,))) for _ in range(n))\n", None, "in a generator"),
    ("    def __init__(self):\n        self.w = tf.Variable(tf.zeros((2,)))\n", None,
     "does not call `super().__init__()`"),
    # Names: Keras 3 rejects `/`.
    (INIT + "        self.ws = [tf.Variable(tf.zeros((2,)), name=f'w{i}') for i in range(n)]\n", SAFE, None),
    (INIT + "        self.w = tf.Variable(tf.zeros((2,)), name='a' if n else 'b')\n", SAFE, None),
    (INIT + "        self.w = tf.Variable(tf.zeros((2,)), name=f'scope/w{n}')\n", None, "holds `/`"),
    # Keywords.
    (INIT + "        self.w = tf.Variable(tf.zeros((2,)), synchronization=tf.VariableSynchronization.AUTO)\n",
     None, "no `synchronization=`"),
    (INIT + "        self.w = tf.Variable(tf.zeros((2,)), validate_shape=False)\n", None, "`validate_shape=`"),
    (INIT + "        self.w = tf.Variable(tf.zeros((2,)), caching_device=None, validate_shape=True)\n", SAFE, None),
    # Values.
    # (TF itself raises on these two: the unsafe fix evaluates the same value, where it stood.)
    (INIT + "        self.w = tf.Variable(tf.random.normal((2,), dtype=tf.int32))\n", UNSAFE, "not a distribution"),
    (INIT + "        self.w = tf.Variable(tf.random.uniform((2,), dtype=tf.int32))\n", UNSAFE, "needs `maxval=`"),
    # A value no initializer keeps, filled in through Constant: safe when it reads nothing a traced graph may own and
    # is shown to be numbers or bools (measured: a bool weight behaves as the bool tf.Variable in both Kerases). A
    # value that may be a string (which Keras 3's Constant cannot fill) is filled through `lambda shape, dtype=None:
    # value` instead, safe as well (fact callable_initializer_string_weight).
    (INIT + "        self.w = tf.Variable(True)\n", SAFE, None),
    (INIT + "        self.w = tf.Variable(tf.zeros((n,)) + 1.0)\n", SAFE, None),
    ("    def __init__(self, v):\n        super().__init__()\n        self.w = tf.Variable(v)\n", SAFE, None),
    ("    def __init__(self, v=-0.3):\n        super().__init__()\n        self.w = tf.Variable(v)\n", SAFE, None),
    ("    def __init__(self, n=2, v=0.3):\n        super().__init__()\n        self.w = tf.Variable(tf.fill([n], v))\n",
     SAFE, None),
    ("    def __init__(self, v=None):\n        super().__init__()\n        self.w = tf.Variable(v)\n", SAFE, None),
    ("    def __init__(self, v='a'):\n        super().__init__()\n        self.w = tf.Variable(v)\n", SAFE, None),
    ("    def __init__(self, v=0.3):\n        super().__init__()\n        v = str(v)\n"
     "        self.w = tf.Variable(v)\n", SAFE, None),
    ("    def __init__(self, v):\n        super().__init__()\n        self.w = tf.Variable(v or 1.0)\n", SAFE, None),
    # The layer's own dtype may be "string" (a layer constructed so holds a string variable): the lambda fills it.
    ("    def __init__(self, v):\n        super().__init__()\n        self.v = v\n    def build(self, s):\n"
     "        self.w = tf.Variable(self.v, dtype=self.dtype)\n", SAFE, None),
    ("    def build(self, s):\n        m = tf.eye(s[-1])\n        self.w = tf.Variable(m * 0.5)\n", UNSAFE,
     "`m` may be a tensor of such a graph"),
    ("    def build(self, s):\n        self.k = tf.eye(s[-1])\n        self.w = tf.Variable(self.k * 0.5)\n", UNSAFE,
     "`self.k` may be a tensor of such a graph"),
    ("    def build(self, s):\n        d = int(s[-1])\n        self.w = tf.Variable(tf.eye(d) * 0.5)\n", SAFE, None),
    # A tensor local of `__init__`: a layer constructed in another's `build` (a Keras 3 scratch graph) makes it there.
    ("    def __init__(self, n):\n        super().__init__()\n        t = tf.ones((3,))\n"
     "        self.w = tf.Variable(t * 2.0)\n", UNSAFE, "`t` may be a tensor of such a graph"),
    # The variable's `dtype=` converts the value, as tf.Variable does (tf-keras' Constant rejects an int32 tensor
    # for a float32 weight): the fix passes it to tf.convert_to_tensor.
    ("    def __init__(self, v=1):\n        super().__init__()\n        self.w = tf.Variable(v, dtype=tf.float32)\n",
     SAFE, None),
    # `int(...)` of an input-shape item in a shape is a Python int: the draw maps to RandomNormal.
    ("    def build(self, s):\n        self.w = tf.Variable(tf.random.normal((int(s[-1]),)))\n", SAFE, None),
    ("    def __init__(self, v):\n        super().__init__()\n        self.w = tf.Variable(lambda: v)\n", None,
     "is a callable, which tf.Variable calls"),
    # A draw of a dtype not known statically: the reason says so (not "an integer tf.random.uniform").
    ("    def __init__(self, dt):\n        super().__init__()\n        self.w = tf.Variable(tf.random.normal((2,), "
     "dtype=dt))\n", UNSAFE, "its dtype dt is not known"),
    # get_variable.
    ("    def build(self, s):\n        with tf.compat.v1.variable_scope('a', reuse=True):\n"
     "            self.w = tf.compat.v1.get_variable('w', shape=(2,))\n", None, "may reuse the variable"),
    ("    def build(self, s):\n        self.w = tf.compat.v1.get_variable('w', shape=(2,), partitioner=None,"
     " use_resource=True)\n", SAFE, None),
])
def test_fix_level_and_its_reason(body, level, reason):
    # TFV014 (no **kwargs in LAYER's __init__) is beside the point here.
    [diagnostic] = [d for d in check_source((LAYER + body).encode(), "t.py") if d.code != "TFV014"]
    assert diagnostic.fix == level, diagnostic.fix_reason
    if reason is not None:
        assert reason in diagnostic.fix_reason
    if level is not None:
        fixed = fix_source(LAYER + body, unsafe=True)
        compile(fixed, "t.py", "exec")
        assert "add_weight" in fixed and not [d for d in check_source(fixed.encode(), "t.py") if d.fix]


PACKAGE_FIXABLE = [n for n in package_fixture_names() if any(e["fix"] == SAFE for e in expected_diagnostics(n))]


def test_package_fixtures_carry_their_expected_output():
    assert PACKAGE_FIXABLE and {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/**/*.py.fixed")} == \
        {f"{n}.py.fixed" for n in PACKAGE_FIXABLE}


@pytest.mark.parametrize("name", PACKAGE_FIXABLE)
def test_package_fixture_fix_through_the_cli_matches_expected_output(name, tmp_path):
    """A package fixture's fix depends on the project index (its base classes are in other modules), so it is fixed
    where it lives, in a copy of its whole fixture directory, through the real CLI (issue 16: the file was stale)."""
    top = name.split("/")[0]
    shutil.copytree(FIXTURES / top, tmp_path / top)
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--no-cache", "--fix", "."],
                            cwd=tmp_path / top, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    assert (tmp_path / f"{name}.py").read_bytes() == _read(f"{name}.py.fixed")


HELPER_MODULE = """import tensorflow as tf
from tensorflow.keras import backend as K


{helper}


class Cell(tf.keras.layers.Layer):
    def get_initial_states(self, shape):
        return [K.zeros(shape), K.zeros(shape)]


class L(tf.keras.layers.Layer):
    def __init__(self, n=3, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        self.cell = Cell()

    def build(self, input_shape):
{body}

    def call(self, x):
        return x
"""
PLAIN_HELPER = "def make(shape, dtype='float32'):\n    return K.zeros(shape, dtype=dtype)"


@pytest.mark.parametrize("helper, body, level, reason", [
    # Inlined where the layer keeps it, then the constructors become add_weight calls.
    (PLAIN_HELPER, "        self.w = make((self.n,))", SAFE, None),
    ("def make(shape):\n    '''Doc.'''\n    return [K.zeros(shape), K.zeros(shape)]",
     "        self.w = make([self.n, int(input_shape[-1])])", SAFE, None),
    (PLAIN_HELPER, "        self.states = self.cell.get_initial_states([self.n, 2])", SAFE, None),
    # Not inlined: an argument evaluated again could differ, a helper doing more than return, a decorated one, a
    # name the caller rebinds, a default that is not a literal.
    (PLAIN_HELPER, "        self.w = make(tf.shape(input_shape))", None, "may differ when evaluated again"),
    ("def make(shape):\n    print(shape)\n    return K.zeros(shape)", "        self.w = make((self.n,))", None,
     "does more than return one expression"),
    ("import functools\n@functools.lru_cache\ndef make(shape):\n    return K.zeros(shape)",
     "        self.w = make((self.n,))", None, "decorated"),
    ("def make(shape):\n    return K.zeros(shape)", "        K = None\n        self.w = make((self.n,))", None,
     "`K` names something else"),
    ("SIZE = (3,)\ndef make(shape=SIZE):\n    return K.zeros(shape)", "        self.w = make()", None,
     "default is not a literal"),
])
def test_a_helper_is_inlined_where_the_layer_keeps_its_variables(helper, body, level, reason):
    source = HELPER_MODULE.format(helper=helper, body=body)
    [diagnostic] = [d for d in check_source(source.encode(), "t.py") if d.line == source[:source.index(body)]
                    .count("\n") + body.count("\n") + 1]
    assert diagnostic.fix == level, diagnostic.fix_reason
    if reason is not None:
        assert reason in diagnostic.fix_reason
    else:
        fixed = fix_source(source)
        compile(fixed, "t.py", "exec")
        assert "add_weight" in fixed and not [d for d in check_source(fixed.encode(), "t.py")
                                             if d.code in ("TFV001", "TFV003")]
