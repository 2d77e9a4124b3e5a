"""Counter-examples to the SAFE fixes merged in d84412a..433ffc3 (review 4 of issue 17).

Each case is a small layer module on which the fixer offered a fix labelled safe that does not keep the promise
(same variables, shapes, initial values and outputs under Keras 3 as the original under Keras 2, without breaking
Keras 2). Each test asserts that the fix is not labelled safe, or that `tflint-vars verify` (real TensorFlow 2.21:
Keras 3 and tf-keras) passes on the fixed code; on main both fail.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import check_json, run_cli

pytestmark = pytest.mark.slow

_TOML = """\
description = "review 4 counter-example"

[verify]
kind = "layer"
class = "{cls}"
input_shape = [4, 3]
claim = "untracked"
expect_claim = {{ keras3 = true, keras2 = false }}
"""


def _safe_fix_keeps_promise(tmp_path: Path, source: str, cls: str, code: str, line: int, toml: str | None = None,
                            marker: str | None = None) -> None:
    """The finding `code` at `line` exists; when its fix is labelled safe, verify passes on the fixed module under
    both runtimes."""
    if marker is not None:
        (tmp_path / marker).write_text("")
    module = tmp_path / "layers.py"
    module.write_text(textwrap.dedent(source))
    (tmp_path / "layers.toml").write_text(toml if toml is not None else _TOML.format(cls=cls))
    findings = [f for f in check_json(str(module)) if f["code"] == code and f["line"] == line]
    assert findings, f"no {code} finding at line {line}"
    if findings[0]["fix"] != "safe":
        return
    result = run_cli("verify", "--runtime", "both", str(module))
    assert result.returncode == 0, f"a safe {code} fix breaks the promise:\n{result.stdout[-3000:]}"


# --- 3. Helper inlining: the inlined helper is not the one the call runs --------------------------------------------

INLINE_CASES = {
    # A nested function of the caller shadows the module's helper: the call runs the nested one (ones).
    "nested_function_shadows_helper": ("""\
        import tensorflow as tf


        def make(n):
            return tf.Variable(tf.zeros([n]), trainable=False)


        class A(tf.keras.layers.Layer):
            def build(self, input_shape):
                def make(n):
                    return tf.Variable(tf.ones([n]), trainable=False)
                self.s = make(3)

            def call(self, x):
                return x + tf.reduce_sum(self.s)
        """, "A", 12),
    # A parameter of the caller shadows the module's helper (a factory argument with another default).
    "parameter_shadows_helper": ("""\
        import tensorflow as tf


        def make(n):
            return tf.Variable(tf.zeros([n]), trainable=False)


        def ones(n):
            return tf.Variable(tf.ones([n]), trainable=False)


        class A(tf.keras.layers.Layer):
            def __init__(self, make=ones, **kwargs):
                super().__init__(**kwargs)
                self.s = make(3)

            def call(self, x):
                return x + tf.reduce_sum(self.s)
        """, "A", 15),
    # The helper is defined again under `if`: the module runs the second definition, the fix inlines the first.
    "helper_redefined_under_if": ("""\
        import tensorflow as tf


        def make(n):
            return tf.Variable(tf.zeros([n]), trainable=False)


        if True:
            def make(n):
                return tf.Variable(tf.ones([n]), trainable=False)


        class A(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.s = make(3)

            def call(self, x):
                return x + tf.reduce_sum(self.s)
        """, "A", 15),
    # The layer class is defined in a function whose local `N` shadows the global the helper reads: [3, 2] -> [3, 5].
    "enclosing_function_shadows_global": ("""\
        import tensorflow as tf

        N = 2


        def make(n):
            return tf.Variable(tf.zeros([n, N]), trainable=False)


        def layer_class():
            N = 5

            class A(tf.keras.layers.Layer):
                def build(self, input_shape):
                    self.s = make(3)

                def call(self, x):
                    return x + tf.reduce_sum(self.s) + N

            return A


        A = layer_class()
        """, "A", 15),
    # A subclass in the module binds the held object to another class: B's `self.sub.make` is Maker2's (ones).
    "subclass_rebinds_held_object": ("""\
        import tensorflow as tf


        class Maker:
            def make(self, n):
                return tf.Variable(tf.zeros([n]), trainable=False)


        class Maker2(Maker):
            def make(self, n):
                return tf.Variable(tf.ones([n]), trainable=False)


        class A(tf.keras.layers.Layer):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.sub = Maker()

            def build(self, input_shape):
                self.s = self.sub.make(3)

            def call(self, x):
                return x + tf.reduce_sum(self.s)


        class B(A):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.sub = Maker2()
        """, "B", 20),
}


@pytest.mark.parametrize("case", sorted(INLINE_CASES))
def test_inlined_helper_is_the_one_the_call_runs(tmp_path, case):
    source, cls, line = INLINE_CASES[case]
    code = "TFV001" if case == "parameter_shadows_helper" else "TFV003"  # made in `__init__`, else in `build`
    _safe_fix_keeps_promise(tmp_path, source, cls, code, line)
