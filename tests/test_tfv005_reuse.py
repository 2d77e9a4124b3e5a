"""TFV005's interprocedural step: callers, constant scope names, reuse values with defaults, loops."""

from __future__ import annotations

import pytest

from tflint_vars.engine import check_source

from tflint_vars.diagnostics import CodeSelection

HEADER = "import tensorflow.compat.v1 as tf\n"
DENSE = HEADER + (
    "def dense(x, name, reuse=False):\n"
    "    with tf.variable_scope(name, reuse=reuse):\n"
    "        return tf.get_variable('w', [1])\n"
)


def tfv005(source: str) -> list[int]:
    return [d.line for d in check_source(source.encode(), "m.py", CodeSelection(["TFV005"]))]


@pytest.mark.parametrize("calls,lines", [
    ("dense(1, 'a')\ndense(2, 'a')\n", [4]),                # same constant name twice, default reuse=False
    ("dense(1, 'a')\ndense(2, 'a', reuse=True)\n", []),     # the seed: second call reuses
    ("dense(1, 'a')\ndense(2, 'a', True)\n", []),           # reuse by position
    ("dense(1, 'a')\ndense(2, 'b')\n", []),                 # distinct names
    ("dense(1, 'a')\n", []),                                # entered once
    ("for i in range(3):\n    dense(i, 'a')\n", [4]),      # called in a loop
    ("for i in range(3):\n    dense(i, 'a', reuse=tf.AUTO_REUSE)\n", []),
    ("dense(1, 'a', reuse=None)\ndense(2, 'a', reuse=None)\n", [4]),
    ("dense(1, name='a')\ndense(2, name='a', reuse=flag)\n", []),  # unknown reuse: no claim
    ("dense(1, 'a')\ndense(2, 'a', **kw)\n", []),          # unknowable arguments
    ("for n in ['a', 'b']:\n    dense(1, n)\n", []),        # the name varies per iteration
    # magenta sketch_rnn: `if not gpu_mode:` builds on the CPU, `else:` on the GPU; one run enters the scope once.
    ("if cpu:\n    dense(1, 'a')\nelse:\n    dense(2, 'a')\n", []),
    ("if cpu:\n    dense(1, 'a')\nelif gpu:\n    dense(2, 'a')\n", []),
    ("if cpu:\n    dense(1, 'a')\nelse:\n    dense(2, 'a')\ndense(3, 'a')\n", [4]),  # then once more
    ("if cpu:\n    dense(1, 'a')\nif gpu:\n    dense(2, 'a')\n", [4]),  # two tests: both may run
])
def test_callers_of_the_enclosing_function(calls, lines):
    assert tfv005(DENSE + calls) == lines


def test_default_reuse_true_is_truthy():
    source = DENSE.replace("reuse=False", "reuse=True") + "dense(1, 'a')\ndense(2, 'a')\n"
    assert tfv005(source) == []


def test_methods_called_through_self():
    source = HEADER + (
        "class Net:\n"
        "    def block(self, x, scope):\n"
        "        with tf.variable_scope(scope):\n"
        "            return tf.get_variable('w', [1])\n"
        "    def build(self, x):\n"
        "        return self.block(self.block(x, 'b'), 'b')\n"
    )
    assert tfv005(source) == [5]


def test_default_name_scopes_are_unique():
    source = HEADER + "for i in range(2):\n    with tf.variable_scope(None, default_name='s'):\n" \
                      "        tf.get_variable('w', [1])\n"
    assert tfv005(source) == []


def test_enclosing_scope_with_reuse_is_inherited():
    source = HEADER + ("for i in range(2):\n    with tf.variable_scope('outer', reuse=tf.AUTO_REUSE):\n"
                       "        with tf.variable_scope('inner'):\n            tf.get_variable('w', [1])\n")
    assert tfv005(source) == []


CELLS = HEADER + (
    "def layer_norm(h, scope):\n    with tf.variable_scope(scope):\n        return tf.get_variable('g', [1]) * h\n"
    "class LSTMCell:\n    def __call__(self, x, scope=None):\n"
    "        with tf.variable_scope(scope or {name}):\n            return layer_norm(x, 'ln_all')\n"
    "class HyperCell:\n    def __call__(self, x, scope=None):\n"
    "        with tf.variable_scope(scope or {name}):\n            return layer_norm(x, 'ln_all')\n"
)


@pytest.mark.parametrize("name,lines", [
    ("type(self).__name__", []),      # magenta sketch_rnn: each cell class under its own name
    ("self.__class__.__name__", []),
    ("'cell'", [4]),                  # one constant name: both cells make cell/ln_all/g
])
def test_a_helper_under_each_class_own_scope_name(name, lines):
    assert tfv005(CELLS.format(name=name)) == lines


def test_one_diagnostic_per_scope():
    source = DENSE.replace("        return tf.get_variable('w', [1])\n",
                           "        tf.get_variable('w', [1])\n        return tf.get_variable('b', [1])\n")
    assert tfv005(source + "dense(1, 'a')\ndense(2, 'a')\n") == [4]
