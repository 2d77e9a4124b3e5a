"""The shortcuts the cold-speed work took must answer exactly what the slow, obvious code answers."""

from __future__ import annotations

import ast

import pytest

from conftest import FIXTURES
from tflint_vars.analysis import statements
from tflint_vars.plans.initializers import source_segment

TRICKY = '''
import a
try:
    import b
except* ValueError as e:
    import c
else:
    class D:
        import e
finally:
    for x in y:
        import f
    else:
        while z:
            import g
        else:
            with h() as i:
                import j
match k:
    case [1, *rest] if rest:
        import l
    case _:
        class M(N):
            def n(self, p=q()) -> r():
                async def s():
                    async with t():
                        import u
                lambda: v()
                return [w for w in x]
if aa:
    import bb
elif cc:
    import dd
else:
    import ee
'''

MIXED_LINE_ENDINGS = 'x = f(a,\r\n      b)  # c\r\ny = "été" + g(1,\r  2)\n\fz = [1,\n 2] + h("\x0c")\nw = 3'


def sources() -> list[tuple[str, str]]:
    return [("tricky", TRICKY), ("mixed", MIXED_LINE_ENDINGS)] + \
        [(p.name, p.read_text()) for p in sorted(FIXTURES.glob("*.py")) if p.name != "tfv000_python2_syntax.py"]


@pytest.mark.parametrize("name,text", sources())
def test_statements_are_the_statements_of_a_full_walk_in_its_order(name, text):
    tree = ast.parse(text)
    expected = [n for n in ast.walk(tree)
                if n is tree or isinstance(n, (ast.stmt, ast.excepthandler, ast.match_case))]
    assert list(statements(tree)) == expected


@pytest.mark.parametrize("name,text", sources())
def test_source_segment_is_ast_get_source_segment(name, text):
    tree = ast.parse(text)
    nodes = [n for n in ast.walk(tree) if hasattr(n, "end_col_offset")]
    assert nodes
    for node in nodes:
        assert source_segment(text, node) == ast.get_source_segment(text, node)
