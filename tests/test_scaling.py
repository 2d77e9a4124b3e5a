"""No quadratic path in one file (issue 16): what a rule or a fix asks per call site must not walk the whole method,
class or module again. Counted, not timed, so that a loaded machine cannot make these pass or fail: the number of
`ast.walk` calls over the method and the class stays the same whether the method holds 10 findings or 40."""

from __future__ import annotations

import ast
import sys

import libcst as cst

from conftest import ROOT
from tflint_vars.diagnostics import CodeSelection
from tflint_vars.engine import check_source
from tflint_vars.fixes import transform
from tflint_vars.fixes.fixer import fix_bytes

sys.path.insert(0, str(ROOT / "bench"))
from one_file import many_classes, many_findings  # noqa: E402  (bench/ is not a package)


def _walks_of_the_class_and_its_methods(monkeypatch, text: str, code: str = "TFV001",
                                        marker: str = "tf.Variable(") -> int:
    real_walk = ast.walk
    count = 0

    def counting_walk(node):
        nonlocal count
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            count += 1
        return real_walk(node)

    monkeypatch.setattr(ast, "walk", counting_walk)
    diagnostics = check_source(text.encode(), "wide.py", CodeSelection([code]))
    monkeypatch.setattr(ast, "walk", real_walk)
    assert len(diagnostics) == text.count(marker) and all(d.code == code for d in diagnostics)
    return count


def test_a_method_is_walked_as_often_with_40_findings_as_with_10(monkeypatch):
    assert _walks_of_the_class_and_its_methods(monkeypatch, many_findings(40)) == \
        _walks_of_the_class_and_its_methods(monkeypatch, many_findings(10))


def test_a_metric_asks_what_its_variables_accumulate_once_per_class(monkeypatch):
    """A Metric's message says whether each variable may accumulate across epochs: the class is read once for all."""
    def metric(count: int) -> str:
        return many_findings(count).replace("tf.keras.layers.Layer", "tf.keras.metrics.Metric")
    assert _walks_of_the_class_and_its_methods(monkeypatch, metric(40)) == \
        _walks_of_the_class_and_its_methods(monkeypatch, metric(10))


def test_lazy_sublayers_in_call_ask_the_guards_once(monkeypatch):
    """TFV006 asks, per sublayer created in `call`, whether a lazy-creation guard holds it: the guards of `call` are
    collected once, not walked again per sublayer."""
    def lazy_sublayers(count: int) -> str:
        guarded = "".join(f"        if self.dense{i} is None:\n            self.dense{i} = tf.keras.layers.Dense(4)\n"
                          f"        x = self.dense{i}(x)\n" for i in range(count))
        return ("import tensorflow as tf\n\n\nclass Lazy(tf.keras.layers.Layer):\n    def __init__(self):\n"
                "        super().__init__()\n" + "".join(f"        self.dense{i} = None\n" for i in range(count)) +
                "\n    def call(self, x):\n" + guarded + "        return x\n")
    assert _walks_of_the_class_and_its_methods(monkeypatch, lazy_sublayers(40), "TFV006", "Dense(") == \
        _walks_of_the_class_and_its_methods(monkeypatch, lazy_sublayers(10), "TFV006", "Dense(")


def test_moves_before_super_are_indexed_too(monkeypatch):
    """Variables created before `super().__init__()`: each asks what the statements up to the super call read and
    bind (the fix moves it after the call; safe here, a class on Keras's Layer with nothing the base constructor
    could run)."""
    def before_super(count: int) -> str:
        return many_findings(count).replace("        super().__init__()\n", "") + "        super().__init__()\n"

    assert _walks_of_the_class_and_its_methods(monkeypatch, before_super(40)) == \
        _walks_of_the_class_and_its_methods(monkeypatch, before_super(10))
    # Only the last may move: a later statement up to the call reads `units`, which the earlier ones read too.
    diagnostics = check_source(before_super(3).encode(), "wide.py", CodeSelection(["TFV001"]))
    assert [d.fix for d in diagnostics] == [None, None, "safe"]
    assert all("its statement cannot move after it" in d.fix_reason for d in diagnostics[:2])


def test_an_edit_that_does_not_parse_is_dropped_in_its_class_and_the_others_apply(monkeypatch):
    """When the combined edits do not parse, each is tried on its own top-level statement: the broken one is dropped
    with the parser's message (worded on the whole module, as before), every other class is fixed."""
    real = transform.FIXERS["TFV001"]
    source = many_classes(4).encode()
    broken_line = next(d.line for d in check_source(source, "layers.py")
                       if d.code == "TFV001" and "`Scale1.__init__`" in d.message)

    def broken_in_one_class(ctx, site, diagnostic):
        if site.context.keras_class.name != "Scale1":
            return real(ctx, site, diagnostic)
        return transform.Edit(diagnostic, rewrites=[(site.node, lambda node: cst.Name("lambda"))])

    monkeypatch.setitem(transform.FIXERS, "TFV001", broken_in_one_class)
    result = fix_bytes(source, "layers.py", selection=CodeSelection(["TFV001", "TFV003"]))
    assert [(d.line, why.split(":")[0]) for d, why in result.dropped] == \
        [(broken_line, "the fixed code would not parse")]
    assert "(line " in result.dropped[0][1]
    assert len(result.fixed) == 7 and result.data.count(b"self.add_weight(") == 7
    assert [d.message.split(" is ")[0] for d in result.remaining] == ["`tf.Variable` in `Scale1.__init__`"]
    ast.parse(result.data)
