"""The generic fix engine: one pass of libcst edits over one module's text.

Planning runs on the stdlib `ast` the rules already use: the rules are re-run to get each diagnostic's node and
context, and the rule's own `fix_edit` turns it into an `Edit` (which ast nodes to rewrite, which statement to move
into `build`, which import to add); the rendering the add_weight fixes share is in `tflint_vars.plans.weights`.
The edits are then located in the libcst tree by source range and applied by one transformer, which leaves every
other token untouched. The result is re-parsed by libcst and compiled; when it does
not parse, the edits are applied one at a time and those that break it are dropped with the parser's message.
"""

from __future__ import annotations

import ast
import bisect
import re
import textwrap
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from tflint_vars.analysis import CallSite, ModuleAnalysis, analyze
from tflint_vars.diagnostics import Diagnostic
from tflint_vars.engine import rare_gc
from tflint_vars.plans.edits import Edit, PlanContext, Rewrite, Unfixable
from tflint_vars.project import resolver_for
from tflint_vars.rules.registry import ALL_RULES, RULES_BY_CODE
from tflint_vars.rules.tfv100_unused_noqa import UnusedNoqa, without_codes

_KEEPENDS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # lines with their ends

# ---------------------------------------------------------------------------------------------------------------
# The fixers are the rules' own: a rule with a fix defines `fix_edit(self, ctx, site) -> Edit | str` (a str: why
# there is no fix here). FIXERS maps each code to a callable (ctx, site, diagnostic) -> Edit.


def _rule_fixer(rule) -> Callable[[PlanContext, CallSite, Diagnostic], Edit]:
    def fixer(ctx: PlanContext, site: CallSite, diagnostic: Diagnostic) -> Edit:
        edit = rule.fix_edit(ctx, site)
        if isinstance(edit, str):
            raise Unfixable(edit)
        edit.diagnostic = diagnostic
        return edit
    return fixer


def fix_by_rule(ctx: PlanContext, site: CallSite | ast.AST, diagnostic: Diagnostic) -> Edit:
    """Rules that own their fix (`Rule.rewrite(finding node, analysis)` -> the ast node to rewrite and its libcst
    rewrite) are applied as they say."""
    node = site.node if isinstance(site, CallSite) else site
    target, rewrite = RULES_BY_CODE[diagnostic.code].rewrite(node, ctx.analysis)
    return Edit(diagnostic, rewrites=[(target, rewrite)])


FIXERS: dict[str, Callable[[PlanContext, CallSite, Diagnostic], Edit]] = {
    **{rule.code: _rule_fixer(rule()) for rule in ALL_RULES if callable(getattr(rule, "fix_edit", None))},
    # Rules whose finding is not a call (TFV009, TFV010) give a libcst rewrite of the finding's node instead.
    **{rule.code: fix_by_rule for rule in ALL_RULES if hasattr(rule, "rewrite")},
}


# ---------------------------------------------------------------------------------------------------------------
# Locating edits in the libcst tree and applying them.


@dataclass
class _Located:
    """An Edit with its libcst nodes."""

    edit: Edit
    rewrites: list[tuple[cst.CSTNode, Rewrite]]
    opaque_ranges: list[tuple[tuple[int, int], tuple[int, int]]]
    ranges: list[tuple[tuple[int, int], tuple[int, int]]]
    statement: cst.SimpleStatementLine | None = None
    guard: cst.If | None = None
    klass: cst.ClassDef | None = None
    moved: cst.SimpleStatementLine | None = None  # Edit.move_after's statement and anchor, in libcst
    anchor: cst.SimpleStatementLine | None = None
    removed: list[cst.SimpleStatementLine] = field(default_factory=list)
    init: cst.FunctionDef | cst.ClassDef | None = None  # Edit.init_append's `__init__` (or class), in libcst
    recreated: cst.SimpleStatementLine | None = None  # Edit.recreate's statement
    wrapped: cst.SimpleStatementLine | None = None  # Edit.wrap_with's statement
    commented: cst.SimpleStatementLine | None = None  # Edit.comment_before's statement


# The nodes that make up the statement structure of a module: the parents `_Tree` records.
_STATEMENT_LEVEL = tuple(kind for kind in (cst.BaseStatement, cst.BaseSuite, cst.Else, cst.Finally, cst.ExceptHandler,
                                           getattr(cst, "ExceptStarHandler", None), getattr(cst, "MatchCase", None))
                         if kind is not None)


def _statement_parents(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    """The parent of every statement, block and clause, of each small statement of a line, and of an expression
    statement's value: all that locating an edit asks, at a small part of libcst's ParentNodeProvider's cost, which
    visits every expression of the module (measured: 2.4 of about 6 s of CPU to fix 400 layers in one file)."""
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                parents[small] = node
                if isinstance(small, cst.Expr):
                    parents[small.value] = small
            continue
        for child in node.children:
            if isinstance(child, _STATEMENT_LEVEL):
                parents[child] = node
                stack.append(child)
    return parents


def _positions(wrapper: MetadataWrapper) -> Mapping[cst.CSTNode, CodeRange]:
    """`wrapper.resolve(PositionProvider)`, without the batch visit of the whole module that `resolve` runs after it
    for batchable providers even when there are none (measured: a third of the 2.0 s of CPU it takes on 400
    layers in one file). The provider's own `_gen` is what `resolve` calls."""
    provider = PositionProvider()
    if not callable(getattr(provider, "_gen", None)):  # a libcst without it: the public way
        return wrapper.resolve(PositionProvider)
    return provider._gen(wrapper)


_DEF = re.compile(r"(?:async\s+)?def\s+")
_CLASS = re.compile(r"class\s+")


class _Tree:
    """The libcst module with positions and statement parents, and an index from source ranges to nodes."""

    INDEXED = (cst.Call, cst.Name, cst.Attribute, cst.Assign)

    def __init__(self, text: str):
        # A module parsed here and used only here: the wrapper need not copy it (a deep copy of every node).
        self.wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
        self.module = self.wrapper.module
        self.positions = _positions(self.wrapper)
        self.parents = _statement_parents(self.module)
        self._top_level_starts: list[tuple[int, int]] | None = None
        self.index: dict[tuple, cst.CSTNode] = {}
        for node, where in self.positions.items():
            if isinstance(node, self.INDEXED):
                key = (type(node), where.start.line, where.start.column, where.end.line, where.end.column)
                self.index.setdefault(key, node)
            elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):  # by its name: ast and libcst disagree on extents
                name = self.positions[node.name].start
                self.index.setdefault((type(node), name.line, name.column), node)

    def find(self, ctx: PlanContext, node: ast.AST) -> cst.CSTNode | None:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            line = ctx.line(node.lineno)
            start = ctx.char_col(node.lineno, node.col_offset)
            match = (_DEF if isinstance(node, ast.FunctionDef) else _CLASS).match(line, start)
            kind = cst.FunctionDef if isinstance(node, ast.FunctionDef) else cst.ClassDef
            return self.index.get((kind, node.lineno, match.end())) if match else None
        kind = {ast.Call: cst.Call, ast.Name: cst.Name, ast.Attribute: cst.Attribute,
                ast.Assign: cst.Assign}.get(type(node))
        start = (node.lineno, ctx.char_col(node.lineno, node.col_offset))
        end = (node.end_lineno, ctx.char_col(node.end_lineno, node.end_col_offset))
        return self.index.get((kind, *start, *end))

    def top_level(self, line: int, column: int) -> cst.CSTNode | None:
        """The statement of the module's body whose range holds the position."""
        if self._top_level_starts is None:
            self._top_level_starts = [(self.positions[node].start.line, self.positions[node].start.column)
                                      for node in self.module.body]
        at = bisect.bisect_right(self._top_level_starts, (line, column)) - 1
        if at < 0:
            return None
        statement = self.module.body[at]
        end = self.positions[statement].end
        return statement if (line, column) <= (end.line, end.column) else None

    def span(self, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]]:
        where = self.positions[node]
        return (where.start.line, where.start.column), (where.end.line, where.end.column)

    def enclosing(self, node: cst.CSTNode, kind: type) -> cst.CSTNode | None:
        """The nearest statement of `kind` around a statement (see `_statement_parents`)."""
        while node is not None and not isinstance(node, kind):
            node = self.parents.get(node)
        return node


def _locate(ctx: PlanContext, tree: _Tree, edit: Edit) -> _Located:
    rewrites, opaque, ranges = [], [], []
    for ast_node, rewrite in edit.rewrites:
        node = tree.find(ctx, ast_node)
        if node is None:
            raise Unfixable("the code to rewrite could not be located in the libcst tree")
        rewrites.append((node, rewrite))
        ranges.append(tree.span(node))
        if id(ast_node) in edit.opaque:
            opaque.append(tree.span(node))
    located = _Located(edit, rewrites, opaque, ranges)
    if edit.hoist is not None:
        assign = tree.find(ctx, edit.hoist.statement)
        statement = tree.parents.get(assign) if assign is not None else None
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            raise Unfixable("the statement to move could not be located in the libcst tree")
        located.statement = statement
        if edit.hoist.guard is not None:
            guard = tree.parents.get(tree.parents.get(statement))
            if not isinstance(guard, cst.If) or not isinstance(guard.body, cst.IndentedBlock):
                raise Unfixable("the guard could not be located in the libcst tree")
            located.guard = guard
        located.klass = tree.enclosing(statement, cst.ClassDef)
        if edit.hoist.has_build:
            build = _method(located.klass, "build")
            if build is None or not isinstance(build.body, cst.IndentedBlock):
                raise Unfixable("`build` is not an indented block")
        ranges.append(tree.span(statement))
    if edit.move_after is not None:
        statement, anchor = (_statement_line(tree, tree.find(ctx, node)) for node in
                             (edit.move_after[0], edit.move_after[1].value))
        if statement is None or anchor is None:
            raise Unfixable("the statement to move could not be located in the libcst tree")
        located.moved, located.anchor = statement, anchor
        ranges.append(tree.span(statement))
    if edit.init_append is not None:
        init = tree.find(ctx, edit.init_append[0])
        if not isinstance(init, (cst.FunctionDef, cst.ClassDef)) or not isinstance(init.body, cst.IndentedBlock):
            raise Unfixable("`__init__` or its class could not be located in the libcst tree as an indented block")
        located.init = init
    # Statements an edit changes as a whole: guarded (recreate), wrapped in `with` or given a comment line.
    for name, verb in (("recreate", "guard"), ("wrap_with", "wrap"), ("comment_before", "comment")):
        target = getattr(edit, name)
        if target is None:
            continue
        statement = _statement_line(tree, tree.find(ctx, target[0]))
        if statement is None:
            raise Unfixable(f"the statement to {verb} could not be located in the libcst tree")
        setattr(located, _LOCATED_STATEMENT[name], statement)
        ranges.append(tree.span(statement))
    for call in edit.removals:
        statement = _statement_line(tree, tree.find(ctx, call))
        if statement is None:
            raise Unfixable("the statement to remove could not be located in the libcst tree")
        located.removed.append(statement)
        ranges.append(tree.span(statement))
        opaque.append(tree.span(statement))
    return located


# Edit field -> the _Located field holding its statement in libcst.
_LOCATED_STATEMENT = {"recreate": "recreated", "wrap_with": "wrapped", "comment_before": "commented"}


def _statement_line(tree: _Tree, node: cst.CSTNode | None) -> cst.SimpleStatementLine | None:
    """The line holding `node` (an Assign, or the Call of an expression statement) when it holds nothing else."""
    parent = tree.parents.get(node) if node is not None else None
    if isinstance(parent, cst.Expr):
        parent = tree.parents.get(parent)
    return parent if isinstance(parent, cst.SimpleStatementLine) and len(parent.body) == 1 else None


def _method(klass: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else []
    return next((s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == name), None)


def _inside(inner: tuple, outer: tuple) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1] and inner != outer


def _conflicts(located: _Located, accepted: list[_Located]) -> str | None:
    for other in accepted:
        for mine in located.ranges:
            for theirs in other.opaque_ranges:
                if mine == theirs or _inside(mine, theirs):
                    return f"it overlaps the fix of {other.edit.diagnostic.code} on line {other.edit.diagnostic.line}"
        for theirs in other.ranges:
            for mine in located.opaque_ranges:
                if mine == theirs or _inside(theirs, mine):
                    return f"it overlaps the fix of {other.edit.diagnostic.code} on line {other.edit.diagnostic.line}"
        if located.statement is not None and located.statement is other.statement:
            return f"it moves the same statement as the fix of {other.edit.diagnostic.code}"
    return None


class _Apply(cst.CSTTransformer):
    def __init__(self, edits: list[_Located], positions):
        super().__init__()
        self.rewrites: dict[cst.CSTNode, list[Rewrite]] = {}
        self.moved: dict[cst.SimpleStatementLine, _Located] = {}
        self.guards: set[cst.If] = set()
        self.hoists: dict[cst.ClassDef, list[_Located]] = {}
        self.imports: list[str] = []
        self.move_after: dict[cst.SimpleStatementLine, list[cst.SimpleStatementLine]] = {}  # anchor -> moved
        self.removed = {statement for located in edits for statement in located.removed}
        # `__init__` -> the statements added at its end, in the order of the code they come from
        self.init_appends: dict[cst.FunctionDef | cst.ClassDef, list[cst.BaseStatement]] = {}
        for located in sorted((item for item in edits if item.init is not None), key=lambda item: item.ranges[0]):
            self.init_appends.setdefault(located.init, []).append(located.edit.init_append[1])
        self.recreated = {located.recreated: located.edit.recreate for located in edits
                          if located.recreated is not None}
        self.wrapped = {located.wrapped: located.edit.wrap_with[1] for located in edits if located.wrapped is not None}
        self.commented = {located.commented: located.edit.comment_before[1] for located in edits
                          if located.commented is not None}
        for located in edits:
            if located.moved is not None and located.moved not in self.move_after.get(located.anchor, []):
                self.move_after.setdefault(located.anchor, []).append(located.moved)
            for node, rewrite in located.rewrites:
                self.rewrites.setdefault(node, []).append(rewrite)
            if located.statement is not None:
                self.moved[located.statement] = located
                self.hoists.setdefault(located.klass, []).append(located)
                if located.guard is not None:
                    self.guards.add(located.guard)
            for statement in located.edit.imports:
                if statement not in self.imports:
                    self.imports.append(statement)
        self.captured: dict[cst.SimpleStatementLine, cst.SimpleStatementLine] = {}
        self.guard_comments: dict[cst.If, list[cst.EmptyLine]] = {}
        self.moved_after = {statement for moved in self.move_after.values() for statement in moved}
        # Where the nodes this transformer changes start: a subtree holding none of them is left as it is, unvisited,
        # so that a pass costs the size of what changes rather than the size of the module per render.
        self.positions = positions
        touched = [node for located in edits for node in (
            *(node for node, _ in located.rewrites), *located.removed, located.statement, located.guard, located.klass,
            located.moved, located.anchor, located.init, located.recreated, located.wrapped, located.commented)
            if node is not None]
        self.starts = sorted((positions[node].start.line, positions[node].start.column) for node in touched)

    def on_visit(self, node):
        where = self.positions.get(node)
        # A Param's range is its name only (libcst): its default, which a fix may rewrite (TFV017), lies outside.
        if where is not None and not isinstance(node, (cst.Module, cst.Param)):
            first = bisect.bisect_left(self.starts, (where.start.line, where.start.column))
            if first == len(self.starts) or self.starts[first] > (where.end.line, where.end.column):
                return False
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        updated = super().on_leave(original_node, updated_node)
        if not isinstance(updated, cst.CSTNode):
            return updated
        for rewrite in self.rewrites.get(original_node, ()):
            updated = rewrite(updated)
        return updated

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if original_node in self.removed:
            return cst.RemoveFromParent()
        if original_node in self.commented:
            updated_node = updated_node.with_changes(leading_lines=[*updated_node.leading_lines, *(
                cst.EmptyLine(comment=cst.Comment(f"# {line}"))
                for line in textwrap.wrap(self.commented[original_node], 100, break_long_words=False))])
        if original_node in self.recreated:  # made the first time; later runs assign the weight made then
            _, attribute, assignment = self.recreated[original_node]
            return cst.If(test=cst.parse_expression(f'hasattr(self, "{attribute}")'),
                          body=cst.IndentedBlock([cst.parse_statement(f"self.{attribute}.{assignment}\n")]),
                          orelse=cst.Else(body=cst.IndentedBlock([updated_node.with_changes(leading_lines=[])])),
                          leading_lines=updated_node.leading_lines)
        if original_node in self.wrapped:
            return cst.With(items=[cst.WithItem(cst.parse_expression(self.wrapped[original_node]))],
                            body=cst.IndentedBlock([updated_node.with_changes(leading_lines=[])]),
                            leading_lines=updated_node.leading_lines)
        if original_node in self.moved or original_node in self.moved_after:
            self.captured[original_node] = updated_node
            return cst.RemoveFromParent()
        if original_node in self.move_after:  # the moved statements come before their anchor: captured by now
            moved = [self.captured[statement] for statement in self.move_after[original_node]]
            return cst.FlattenSentinel([updated_node, *(statement.with_changes(leading_lines=[
                line for line in statement.leading_lines if line.comment is not None]) for statement in moved)])
        return updated_node

    def leave_FunctionDef(self, original_node, updated_node):
        appended = self.init_appends.get(original_node)
        if not appended:
            return updated_node
        body = [*updated_node.body.body, *appended]
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    def leave_If(self, original_node, updated_node):
        if original_node in self.guards:
            comments = [line for line in original_node.leading_lines if line.comment is not None]
            header = original_node.body.header.comment
            if header is not None:
                comments.append(cst.EmptyLine(comment=header))
            self.guard_comments[original_node] = comments
            return cst.RemoveFromParent()
        return updated_node

    def leave_IndentedBlock(self, original_node, updated_node):
        if not updated_node.body:
            return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated_node

    def leave_ClassDef(self, original_node, updated_node):
        updated_node = self._hoist(original_node, updated_node)
        appended = self.init_appends.get(original_node)
        return _with_new_init(updated_node, appended) if appended else updated_node

    def _hoist(self, original_node, updated_node):
        hoists = self.hoists.get(original_node)
        if not hoists:
            return updated_node
        statements = []
        for located in hoists:  # in source order
            statement = self.captured[located.statement]
            comments = [line for line in statement.leading_lines if line.comment is not None]
            if located.guard is not None and located.guard in self.guard_comments:
                comments = self.guard_comments.pop(located.guard) + comments
            statements.append(statement.with_changes(leading_lines=comments))
        plan = hoists[0].edit.hoist
        body = list(updated_node.body.body)
        build = _method(updated_node, "build")
        if build is not None:
            block = list(build.body.body)
            if len(block) == 1 and _is_pass(block[0]):
                block = []
            at = len(block) - 1 if block and _is_build_tail(block[-1]) else len(block)
            block[at:at] = statements
            body[body.index(build)] = build.with_changes(body=build.body.with_changes(body=block))
        else:
            if any(h.edit.hoist.super_build for h in hoists):
                statements.append(cst.parse_statement("super().build(input_shape)\n"))
            call = _method(updated_node, "call")
            index = body.index(call) if call is not None else len(body)
            blank, separator = _make_room(body, index)
            new_build = cst.FunctionDef(
                name=cst.Name("build"),
                params=cst.Parameters(params=[cst.Param(cst.Name("self")), cst.Param(cst.Name(plan.build_param))]),
                body=cst.IndentedBlock(body=statements, indent=call.body.indent if call is not None and
                                       isinstance(call.body, cst.IndentedBlock) else None),
                leading_lines=blank if index == 0 else separator,
            )
            body.insert(index, new_build)
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    def leave_Module(self, original_node, updated_node):
        if not self.imports:
            return updated_node
        body = list(updated_node.body)
        index = _import_block_end(body)
        new = [cst.parse_statement(statement + "\n") for statement in self.imports]
        return updated_node.with_changes(body=body[:index] + new + body[index:])


def _make_room(body: list[cst.BaseStatement], index: int) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """Before a method inserted at `index` of a class body: (the blank lines the statement there had, which the new
    method takes when it comes first; the separator that statement keeps after it, its own comments still its own).
    The statement at `index` is updated in `body`."""
    following = body[index] if index < len(body) else None
    if following is None:
        return [], [cst.EmptyLine(indent=False)]
    blank: list[cst.EmptyLine] = []
    for line in following.leading_lines:
        if line.comment is not None:
            break
        blank.append(line)
    separator = blank or [cst.EmptyLine(indent=False)]
    body[index] = following.with_changes(leading_lines=[*separator, *following.leading_lines[len(blank):]])
    return blank, separator


def _with_new_init(klass: cst.ClassDef, statements: list[cst.BaseStatement]) -> cst.ClassDef:
    """The class with `def __init__(self, *args, **kwargs): super().__init__(*args, **kwargs)` and `statements`, before
    its first method: every argument reaches the base's `__init__` as before."""
    body = list(klass.body.body)
    index = next((i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)), len(body))
    following = body[index] if index < len(body) else None
    indent = following.body.indent if isinstance(following, cst.FunctionDef) and \
        isinstance(following.body, cst.IndentedBlock) else None
    init = cst.parse_statement("def __init__(self, *args, **kwargs):\n    super().__init__(*args, **kwargs)\n")
    blank, separator = _make_room(body, index)
    init = init.with_changes(body=init.body.with_changes(body=[*init.body.body, *statements], indent=indent),
                             leading_lines=blank if index == 0 else separator)
    body.insert(index, init)
    return klass.with_changes(body=klass.body.with_changes(body=body))


def _is_pass(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 \
        and isinstance(statement.body[0], cst.Pass)


_TAIL = re.compile(r"(super\(.*\)\.build\(.*\)|self\.built\s*=\s*True|return\b.*)", re.S)


def _is_build_tail(statement: cst.CSTNode) -> bool:
    """`super().build(...)`, `self.built = True` or `return` ending a build: new state goes before it."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    return bool(_TAIL.fullmatch(cst.Module([]).code_for_node(statement.body[0]).strip()))


def _import_block_end(body: list[cst.CSTNode]) -> int:
    """Index after the module's leading import block (after the docstring and `__future__` imports)."""
    end = 0
    for index, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine):
            small = statement.body
            if all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in small):
                end = index + 1
                continue
            if index == 0 and len(small) == 1 and isinstance(small[0], cst.Expr) \
                    and isinstance(small[0].value, (cst.SimpleString, cst.ConcatenatedString)):
                end = 1
                continue
        if isinstance(statement, cst.Try) and end == index and _all_imports(statement.body):
            end = index + 1
            continue
        break
    return end


def _all_imports(block: cst.BaseSuite) -> bool:
    return isinstance(block, cst.IndentedBlock) and all(
        isinstance(s, cst.SimpleStatementLine) and all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body)
        for s in block.body)


# ---------------------------------------------------------------------------------------------------------------
# One pass


def parse_error(code: str, path: str) -> str | None:
    """Why `code` does not parse (libcst, then compile), or None."""
    try:
        cst.parse_module(code)
    except cst.ParserSyntaxError as error:
        return f"libcst: {error.message} (line {error.raw_line}, column {error.raw_column})"
    try:
        with warnings.catch_warnings():  # `"\d"` or `"a"()` warn at compile time: the user's code, not our output
            warnings.simplefilter("ignore")
            compile(code, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return f"{type(error).__name__}: {getattr(error, 'msg', error)} (line {getattr(error, 'lineno', '?')})"
    return None


def _findings(analysis: ModuleAnalysis, ctx: PlanContext, codes: set[str]) -> dict[tuple, CallSite]:
    """(code, line, column) -> the call site a rule reported there, for the codes being fixed."""
    found = {}
    for rule in ALL_RULES:
        if rule.code not in codes:
            continue
        for finding in rule().check(analysis):
            # A finding on a statement (TFV018) is its own site; a call is one only when the analysis recorded it.
            site = ctx.sites.get(id(finding.node), finding.node if hasattr(rule, "rewrite")
                                 or isinstance(finding.node, ast.stmt) else None)
            if site is not None:
                line = finding.node.lineno
                found.setdefault((finding.code, line, ctx.char_col(line, finding.node.col_offset) + 1), site)
    return found


def fix_text_once(text: str, path: str, diagnostics: Iterable[Diagnostic], reported: Iterable[Diagnostic] = ()
                  ) -> tuple[str, list[Diagnostic], list[tuple[Diagnostic, str]]]:
    """Apply the fixes of `diagnostics` (all from `text`) in one pass: (new text, fixed, dropped with why). `reported`:
    every diagnostic of `text`; those on a statement a fix removes with its own (a Keras 2 tracking-list line the
    add_weight fix removes, TFV030) count as fixed too. Unused `# noqa` directives (TFV100) go first, as text: each
    edit stays after the code on its own line, so the positions the other fixes are located by do not move."""
    with rare_gc():  # libcst allocates millions of nodes: the collector's full passes made a large file superlinear
        return _fix_text_once(text, path, list(diagnostics), list(reported))


def _fix_text_once(text: str, path: str, diagnostics: list[Diagnostic], reported: list[Diagnostic]
                   ) -> tuple[str, list[Diagnostic], list[tuple[Diagnostic, str]]]:
    directives = [d for d in diagnostics if d.code == UnusedNoqa.code]
    if not directives:
        return _fix_code_once(text, path, diagnostics, reported)
    text, removed, refused = remove_unused_noqa(text, directives)
    new_text, fixed, dropped = _fix_code_once(text, path, [d for d in diagnostics if d.code != UnusedNoqa.code],
                                              reported)
    return new_text, removed + fixed, refused + dropped


def remove_unused_noqa(text: str, directives: list[Diagnostic]
                       ) -> tuple[str, list[Diagnostic], list[tuple[Diagnostic, str]]]:
    """`text` without the unused codes TFV100's `directives` name (see UnusedNoqa.directive_finding):
    (new text, fixed, dropped with why)."""
    lines = _KEEPENDS.findall(text)
    fixed, dropped = [], []
    for diagnostic in directives:
        codes = set(re.findall(r"`([A-Za-z]+[0-9]+)`", diagnostic.message))
        if diagnostic.line > len(lines):
            dropped.append((diagnostic, "no fix applies here"))
            continue
        new = without_codes(lines[diagnostic.line - 1], diagnostic.column, codes)
        if new == lines[diagnostic.line - 1]:
            dropped.append((diagnostic, "the directive is no longer where it was reported"))
            continue
        lines[diagnostic.line - 1] = new
        fixed.append(diagnostic)
    return "".join(lines), fixed, dropped


def _fix_code_once(text: str, path: str, diagnostics: list[Diagnostic], reported: Iterable[Diagnostic] = ()
                   ) -> tuple[str, list[Diagnostic], list[tuple[Diagnostic, str]]]:
    """fix_text_once for the fixes libcst applies."""
    if not diagnostics:
        return text, [], []
    reported = list(reported)
    analysis = analyze(ast.parse(text, path), text, resolver_for(path))  # the project's bases too
    ctx = PlanContext(analysis, text, path)
    found = _findings(analysis, ctx, {d.code for d in diagnostics})
    dropped: list[tuple[Diagnostic, str]] = []
    edits: list[Edit] = []
    for diagnostic in diagnostics:
        site = found.get((diagnostic.code, diagnostic.line, diagnostic.column))
        fixer = FIXERS.get(diagnostic.code)
        if site is None or fixer is None:
            dropped.append((diagnostic, "no fix applies here"))
            continue
        try:
            edits.append(fixer(ctx, site, diagnostic))
        except Unfixable as reason:
            dropped.append((diagnostic, str(reason)))
    if not edits:
        return text, [], dropped

    tree = _Tree(text)
    if tree.module.code != text:  # libcst drops a final lone "\r" (old Mac line ends): it would change bytes we keep
        return text, [], dropped + [(edit.diagnostic, "libcst cannot reproduce this file exactly (a final lone CR "
                                     "line end)") for edit in edits]
    located: list[_Located] = []
    # Edits in different top-level statements cannot overlap: each is compared with those in its own statement only
    # (with all, once one spans several statements or none).
    by_statement: dict[cst.CSTNode | None, list[_Located]] = {}
    for edit in edits:
        try:
            candidate = _locate(ctx, tree, edit)
        except Unfixable as reason:
            dropped.append((edit.diagnostic, str(reason)))
            continue
        statement = _top_level_of(tree, [candidate])
        others = located if statement is None or None in by_statement else by_statement.get(statement, [])
        conflict = _conflicts(candidate, others)
        if conflict:
            dropped.append((edit.diagnostic, conflict))
        else:
            located.append(candidate)
            by_statement.setdefault(statement, []).append(candidate)
    located = _complete_guards(tree, located, dropped)

    # One unit per guard: its statements move together or not at all.
    units: list[list[_Located]] = []
    by_guard: dict[cst.If, list[_Located]] = {}
    for item in located:
        if item.guard is not None:
            if item.guard not in by_guard:
                by_guard[item.guard] = []
                units.append(by_guard[item.guard])
            by_guard[item.guard].append(item)
        else:
            units.append([item])

    new_text, error = _render(tree, [item for unit in units for item in unit], path)
    if error is None:
        return new_text, [item.edit.diagnostic for unit in units for item in unit] + _removed_with(
            ctx, [item for unit in units for item in unit], reported), dropped
    # Something does not parse: add the fixes one unit at a time and keep those that leave the module parseable.
    # A unit is tried on the top-level statement it changes, with the units accepted there before it: the statements
    # of a module parse or not independently, and rendering the whole module per unit made this quadratic. The
    # whole module is rendered only to word the error of a unit that fails, and once at the end.
    accepted: list[_Located] = []
    by_statement: dict[cst.CSTNode | None, list[_Located]] = {}
    for unit in units:
        statement = None if any(item.edit.imports for item in unit) else _top_level_of(tree, unit)
        if statement is not None and _render_statement(tree, statement, by_statement.get(statement, []) + unit, path):
            accepted += unit
            by_statement.setdefault(statement, []).extend(unit)
            continue
        attempt, error = _render(tree, accepted + unit, path)
        if error is None:
            accepted += unit
            by_statement.setdefault(statement, []).extend(unit)
        else:
            dropped.extend((item.edit.diagnostic, f"the fixed code would not parse: {error}") for item in unit)
    best, error = _render(tree, accepted, path) if accepted else (text, None)
    if error is not None:  # statements that do not parse alike alone and together: one whole module per unit
        return _render_one_by_one(ctx, tree, units, reported, dropped)
    return best, [item.edit.diagnostic for item in accepted] + _removed_with(ctx, accepted, reported), dropped


def _render_one_by_one(ctx: PlanContext, tree: _Tree, units: list[list[_Located]], reported: list[Diagnostic],
                       dropped: list) -> tuple[str, list[Diagnostic], list[tuple[Diagnostic, str]]]:
    text, path = ctx.text, ctx.path
    dropped[:] = [(diagnostic, why) for diagnostic, why in dropped if not why.startswith("the fixed code would not")]
    accepted: list[_Located] = []
    best = text
    for unit in units:
        attempt, error = _render(tree, accepted + unit, path)
        if error is None:
            accepted += unit
            best = attempt
        else:
            dropped.extend((item.edit.diagnostic, f"the fixed code would not parse: {error}") for item in unit)
    return best, [item.edit.diagnostic for item in accepted] + _removed_with(ctx, accepted, reported), dropped


def _removed_with(ctx: PlanContext, applied: list[_Located], reported: list[Diagnostic]) -> list[Diagnostic]:
    """The reported diagnostics, other than the applied ones', that stand on a statement an applied edit removes."""
    lines = {call.lineno: call for item in applied for call in item.edit.removals}
    own = {id(item.edit.diagnostic) for item in applied}
    return [d for d in reported if id(d) not in own and d.line in lines
            and d.column == ctx.char_col(d.line, lines[d.line].col_offset) + 1]


def _top_level_of(tree: _Tree, items: list[_Located]) -> cst.CSTNode | None:
    """The one top-level statement of the module that holds every node the items change (imports aside), else
    None."""
    starts = [tree.positions[node].start for item in items for node in (
        *(node for node, _ in item.rewrites), *item.removed, item.statement, item.guard, item.moved, item.anchor,
        item.init, item.recreated, item.wrapped, item.commented) if node is not None]
    if not starts:
        return None
    found = {tree.top_level(start.line, start.column) for start in starts}
    return found.pop() if len(found) == 1 else None


def _render_statement(tree: _Tree, statement: cst.CSTNode, edits: list[_Located], path: str) -> bool:
    """Whether the top-level `statement`, with `edits` applied, parses on its own."""
    ordered = sorted(edits, key=lambda item: tree.span(item.statement) if item.statement is not None else ((0, 0),))
    try:
        changed = statement.visit(_Apply(ordered, tree.positions))
        if not isinstance(changed, cst.CSTNode):
            return False
        code = tree.module.with_changes(header=[], body=[changed], footer=[]).code
    except Exception:  # as in _render: the whole module's render words the reason
        return False
    return parse_error(code, path) is None


def _complete_guards(tree: _Tree, located: list[_Located], dropped: list) -> list[_Located]:
    """A guard is removed only when every statement in it moves; otherwise none of its statements move."""
    moving: dict[cst.If, set] = {}
    for item in located:
        if item.guard is not None:
            moving.setdefault(item.guard, set()).add(item.statement)
    result = []
    for item in located:
        if item.guard is not None and set(item.guard.body.body) != moving[item.guard]:
            dropped.append((item.edit.diagnostic, "its guard also holds state whose fix is not being applied"))
            continue
        result.append(item)
    return result


def _render(tree: _Tree, edits: list[_Located], path: str) -> tuple[str, str | None]:
    ordered = sorted(edits, key=lambda item: tree.span(item.statement) if item.statement is not None else ((0, 0),))
    try:
        code = tree.module.visit(_Apply(ordered, tree.positions)).code
    except Unfixable as reason:
        return "", str(reason)
    except Exception as error:  # a transformation that builds an invalid tree: libcst raises on codegen/validation
        return "", f"{type(error).__name__}: {error}"
    return code, parse_error(code, path)
