"""What a fix changes, as data: the `Edit` a rule's `fix_edit` plans for one finding, in stdlib `ast` terms, and the
`PlanContext` (one module as the planners see it) it is planned in. The fixer (`tflint_vars.fixes.transform`) locates
the edits in the libcst tree and applies them; nothing here imports libcst, so a rule may import this module at
module level without paying for it."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any, Callable

from tflint_vars.analysis import ModuleAnalysis
from tflint_vars.diagnostics import Diagnostic
from tflint_vars.plans.hoist import HoistPlan
from tflint_vars.plans.initializers import source_segment

Rewrite = Callable[[Any], Any]  # a libcst node -> its replacement

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass
class Edit:
    """What fixing one diagnostic changes, in ast terms."""

    diagnostic: Diagnostic | None = None  # set by the engine
    rewrites: list[tuple[ast.AST, Rewrite]] = field(default_factory=list)
    opaque: set[int] = field(default_factory=set)  # ids of rewritten nodes whose content is re-rendered, not kept
    hoist: HoistPlan | None = None
    imports: list[str] = field(default_factory=list)
    # (statement, `super().__init__(...)` statement): the statement moves to just after the super call.
    move_after: tuple[ast.stmt, ast.stmt] | None = None
    # Calls standing alone as statements (`self._trainable_weights.append(self.w)`): their statements are removed.
    removals: list[ast.Call] = field(default_factory=list)
    # (`__init__`, a libcst statement): the statement is added at the end of `__init__`'s body (TFV006's fix of a
    # layer constructed and called at once in `call`); (the class, statement) for a class with no `__init__`: one
    # passing every argument to `super().__init__` is added, the statement at its end.
    init_append: tuple[ast.FunctionDef | ast.ClassDef, Any] | None = None
    # (statement `self.x = ...`, attribute, assignment text): the statement runs only the first time; after that
    # `self.x.<assign text>` sets the existing weight (a variable a public `reset()` made again).
    recreate: tuple[ast.stmt, str, str] | None = None
    # (statement, context manager expression): the statement is wrapped in `with <expression>:` (TFV018's
    # `with tf.init_scope():`).
    wrap_with: tuple[ast.stmt, str] | None = None
    # (statement, text): a `# text` comment line is written just before the statement.
    comment_before: tuple[ast.stmt, str] | None = None


class PlanContext:
    """One module as the fixers see it: its analysis, text, lines and conventions."""

    def __init__(self, analysis: ModuleAnalysis, text: str, path: str):
        self.analysis = analysis
        self.text = text
        self.path = path
        self.lines = _LINE.findall(text)
        self.sites = {id(site.node): site for site in analysis.calls}
        self._parents: dict[ast.AST, ast.AST] | None = None
        self._quote: str | None = None
        longest = max((len(line.rstrip("\r\n")) for line in self.lines), default=0)
        # Wrap where the module itself wraps: at its longest line, kept between 79 and 120 columns.
        self.line_limit = min(max(longest, 79), 120)
        self.module_imports = _module_imports(analysis.tree)
        self.module_names = _module_bindings(analysis.tree)

    def line(self, lineno: int) -> str:
        return self.lines[lineno - 1].rstrip("\r\n") if 0 < lineno <= len(self.lines) else ""

    def char_col(self, lineno: int, byte_col: int) -> int:
        """ast's UTF-8 byte column as libcst's character column."""
        line = self.line(lineno)
        return byte_col if line.isascii() else len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def parent(self, node: ast.AST) -> ast.AST | None:
        if self._parents is None:
            self._parents = {c: n for n in ast.walk(self.analysis.tree) for c in ast.iter_child_nodes(n)}
        return self._parents.get(node)

    def statement_indent(self, node: ast.AST) -> str:
        """The indentation of the block holding the statement that contains `node`."""
        while node is not None and not isinstance(node, ast.stmt):
            node = self.parent(node)
        line = self.line(node.lineno) if node is not None else ""
        return line[:len(line) - len(line.lstrip(" \t"))]

    @property
    def quote(self) -> str:
        """The module's usual string quote, for the literals a fix writes itself."""
        if self._quote is None:
            self._quote = module_quote(self.text)
        return self._quote

    def segment(self, node: ast.AST) -> str:
        return source_segment(self.text, node) or ""


def module_quote(text: str) -> str:
    """The quote most string literals of `text` use (double when as many or more)."""
    single = double = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING:
                body = token.string.lstrip("rRbBuUfF")
                single += body.startswith("'")
                double += body.startswith('"')
    except (tokenize.TokenError, SyntaxError):
        pass
    return "'" if single > double else '"'


def _module_imports(tree: ast.Module) -> dict[str, str]:
    """Names bound by module-level imports (also inside top-level if/try), local name -> imported module path."""
    imports: dict[str, str] = {}
    stack = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    imports.setdefault(alias.name.partition(".")[0], alias.name.partition(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, (ast.If, ast.Try)):
            stack.extend(node.body + node.orelse + getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                stack.extend(handler.body)
    return imports


def _module_bindings(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).partition(".")[0] for a in node.names)
    return names


class Unfixable(Exception):
    """A fixer cannot build its edit: the reason is reported with the dropped fix."""
