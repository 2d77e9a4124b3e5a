"""The fixes as libcst transformations: one pass over one module's text.

Planning runs on the stdlib `ast` the rules already use: the rules are re-run to get each diagnostic's node and
context, and a fixer per code turns it into an `Edit` (which ast nodes to rewrite, which statement to move into
`build`, which import to add). The edits are then located in the libcst tree by source range and applied by one
transformer, which leaves every other token untouched. The result is re-parsed by libcst and compiled; when it does
not parse, the edits are applied one at a time and those that break it are dropped with the parser's message.
"""

from __future__ import annotations

import ast
import io
import re
import warnings
import tokenize
from dataclasses import dataclass, field
from typing import Callable, Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from tflint_vars.analysis import KERAS2, CallSite, KerasClass, ModuleAnalysis, analyze, canonical_name, dotted_name
from tflint_vars.diagnostics import Diagnostic
from tflint_vars.fixes.hoist import HoistPlan, plan_hoist
from tflint_vars.fixes.initializers import WeightPlan, plan_add_weight, plan_get_variable
from tflint_vars.rules import ALL_RULES
from tflint_vars.rules.tfv005_get_variable_without_reuse import SCOPE_PARAMS
from tflint_vars.rules.tfv007_add_weight_positional import KERAS2_ORDER

Rewrite = Callable[[cst.CSTNode], cst.CSTNode]

# add_weight keywords in the order the fixes write them.
ADD_WEIGHT_ORDER = ("name", "shape", "initializer", "regularizer", "trainable", "dtype", "autocast", "constraint")
# The import a fix adds when no import can spell the Keras initializers module: (statement, local name, expression).
_KERAS_IMPORTS = {
    "tensorflow": ("import tensorflow as tf", "tf", "tf.keras.initializers"),
    "keras": ("import keras", "keras", "keras.initializers"),
    "tf_keras": ("import tf_keras", "tf_keras", "tf_keras.initializers"),
}
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass
class Edit:
    """What fixing one diagnostic changes, in ast terms."""

    diagnostic: Diagnostic
    rewrites: list[tuple[ast.AST, Rewrite]] = field(default_factory=list)
    opaque: set[int] = field(default_factory=set)  # ids of rewritten nodes whose content is re-rendered, not kept
    hoist: HoistPlan | None = None
    imports: list[str] = field(default_factory=list)


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
            single = double = 0
            try:
                for token in tokenize.generate_tokens(io.StringIO(self.text).readline):
                    if token.type == tokenize.STRING:
                        body = token.string.lstrip("rRbBuUfF")
                        single += body.startswith("'")
                        double += body.startswith('"')
            except (tokenize.TokenError, SyntaxError):
                pass
            self._quote = "'" if single > double else '"'
        return self._quote

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""


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


# ---------------------------------------------------------------------------------------------------------------
# Rendering


def _requote(value: str, quote: str) -> str:
    """A plain literal the plan wrote ("zeros") in the module's quote style."""
    if quote == "'" and re.fullmatch(r'"[A-Za-z0-9_.]*"', value):
        return f"'{value[1:-1]}'"
    return value


def keras_initializers(ctx: PlanContext, keras_class: KerasClass) -> tuple[str, str | None] | str:
    """(expression naming the class's Keras initializers module, import to add or None), or why there is none.

    Prefers an existing import from the same package the class's base is spelled with (`tf.keras...` ->
    `tf.keras.initializers`, `keras.Layer` -> `keras.initializers`, `tf_keras...` -> `tf_keras.initializers`):
    under TF_USE_LEGACY_KERAS=1 `tf.keras` and `keras` are different Kerases, and the two must not mix."""
    wanted = "tf_keras.initializers" if keras_class.flavor == KERAS2 else "keras.initializers"
    root, head = _base_spelling(ctx, keras_class, set())
    candidates = []
    for local, target in ctx.module_imports.items():
        for suffix in ("", ".initializers", ".keras.initializers"):
            if canonical_name(target + suffix) == wanted:
                candidates.append((local != head, target.split(".")[0] != root, local + suffix))
                break
    same_root = [c for c in candidates if not c[1]]
    if same_root:
        return min(same_root)[2], None
    statement, name, expression = _KERAS_IMPORTS.get(root or "", _KERAS_IMPORTS[
        "tf_keras" if keras_class.flavor == KERAS2 else "tensorflow"])
    if name not in ctx.module_names:
        return expression, statement
    if candidates:
        return min(candidates)[2], None
    return f"no import spells `{wanted}` and the name `{name}` is taken"


def _base_spelling(ctx: PlanContext, keras_class: KerasClass, seen: set) -> tuple[str | None, str | None]:
    """(root package, local import name) of the spelling of the class's Keras base, following local classes."""
    local_classes = {c.name: c for c in ctx.analysis.keras_classes.values()}
    seen.add(keras_class.name)
    for base in keras_class.node.bases:
        dotted = dotted_name(base)
        if dotted is None:
            continue
        head = dotted.partition(".")[0]
        if head in ctx.module_imports:
            return ctx.module_imports[head].split(".")[0], head
        if head in local_classes and head not in seen:
            return _base_spelling(ctx, local_classes[head], seen)
    return None, None


def _initializer_text(ctx: PlanContext, plan: WeightPlan, keras_class: KerasClass, edit: Edit) -> str | None:
    """The initializer argument, or None (add_weight's default); adds the import it needs to `edit`."""
    if plan.initializer_class:
        namespace = keras_initializers(ctx, keras_class)
        if isinstance(namespace, str):
            raise _Unfixable(namespace)
        expression, statement = namespace
        if statement:
            edit.imports.append(statement)
        args = ", ".join(f"{key}={value}" for key, value in plan.initializer_args)
        return f"{expression}.{plan.initializer_class}({args})"
    if plan.initializer is None:
        return None
    return _requote(plan.initializer, ctx.quote) if "initializer" in plan.generated else plan.initializer


def _add_weight_args(ctx: PlanContext, plan: WeightPlan, keras_class: KerasClass, edit: Edit) -> list[str]:
    values = {key: (_requote(value, ctx.quote) if key in plan.generated else value)
              for key, value in plan.keywords.items()}
    values["shape"] = plan.shape
    initializer = _initializer_text(ctx, plan, keras_class, edit)
    if initializer is not None:
        values["initializer"] = initializer
    return [f"{key}={values[key]}" for key in ADD_WEIGHT_ORDER if key in values]


def _layout_call(ctx: PlanContext, original: ast.Call, func: str, args: list[str], shift: int = 0) -> str:
    """`func(args)` laid out where `original` stands: one argument per line when the original broke after its
    parenthesis, else on one line, wrapped with continuation lines aligned to the parenthesis when too long.
    Continuation lines carry absolute indentation; `_RelativeIndents` makes them relative to the block. `shift`:
    how far another edit moves the call's start on its line."""
    segment = ctx.segment(original)
    after_func = segment[len(ctx.segment(original.func)):].lstrip(" \t")
    first_line = after_func[1:].split("\n", 1)[0].strip() if after_func.startswith("(") else ""
    lines = segment.splitlines()
    if len(lines) > 1 and not first_line:
        arg_line = next((line for line in lines[1:] if line.strip()), lines[-1])
        indent = arg_line[:len(arg_line) - len(arg_line.lstrip())]
        last = lines[-1]
        close_alone = last.strip() == ")"
        trailing_comma = segment[:-1].rstrip().endswith(",")
        body = (",\n" + indent).join(args)
        if close_alone:
            return f"{func}(\n{indent}{body}{',' if trailing_comma else ''}\n{last[:len(last) - len(last.lstrip())]})"
        return f"{func}(\n{indent}{body}{',' if trailing_comma else ''})"
    start = ctx.char_col(original.lineno, original.col_offset) + shift
    first = ctx.line(original.lineno)
    indent = first[:len(first) - len(first.lstrip(" \t"))]  # kept as is, so tab-indented code stays tabbed
    end_line = ctx.line(original.end_lineno)
    suffix = len(end_line) - ctx.char_col(original.end_lineno, original.end_col_offset)
    align = start + len(func) + 1
    rows: list[list[str]] = [[]]
    width = align
    for index, arg in enumerate(args):
        piece = len(arg) + 1  # with its comma or closing parenthesis
        tail = suffix if index == len(args) - 1 else 0
        if rows[-1] and ("\n" in arg or width + 1 + piece + tail > ctx.line_limit):
            rows.append([])
            width = align
        width += (1 if rows[-1] else 0) + piece
        rows[-1].append(arg)
    continuation = indent + " " * (align - len(indent))
    return f"{func}(" + (",\n" + continuation).join(", ".join(row) for row in rows) + ")"


class _RelativeIndents(cst.CSTTransformer):
    """Continuation lines parsed from text carry absolute indentation; libcst adds the block's own indentation to
    lines marked `indent=True`, so strip the block's indentation there (or mark the line absolute)."""

    def __init__(self, block_indent: str):
        super().__init__()
        self.block_indent = block_indent

    def leave_ParenthesizedWhitespace(self, original_node, updated_node):
        value = updated_node.last_line.value
        if updated_node.indent and value.startswith(self.block_indent):
            return updated_node.with_changes(last_line=cst.SimpleWhitespace(value[len(self.block_indent):]))
        return updated_node.with_changes(indent=False)


class _MapInputShape(cst.CSTTransformer):
    """`<input>.shape` -> `<build param>` in an expression moved from `call` into `build`."""

    def __init__(self, input_param: str, build_param: str):
        super().__init__()
        self.input_param, self.build_param = input_param, build_param

    def leave_Attribute(self, original_node, updated_node):
        if _is_input_shape(updated_node, self.input_param):
            return cst.Name(self.build_param, lpar=updated_node.lpar, rpar=updated_node.rpar)
        return updated_node


def _is_input_shape(node: cst.CSTNode, input_param: str) -> bool:
    return isinstance(node, cst.Attribute) and node.attr.value == "shape" and isinstance(node.value, cst.Name) \
        and node.value.value == input_param


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _expression(ctx: PlanContext, text: str, where: ast.AST) -> cst.BaseExpression:
    return cst.parse_expression(text).visit(_RelativeIndents(ctx.statement_indent(where)))


class _Unfixable(Exception):
    """A fixer cannot build its edit: the reason is reported with the dropped fix."""


# ---------------------------------------------------------------------------------------------------------------
# Fixers: one per code, turning a diagnostic at `site` into an Edit.


def _replace_with(node: cst.BaseExpression) -> Rewrite:
    def rewrite(updated: cst.CSTNode) -> cst.CSTNode:
        return node.with_changes(lpar=updated.lpar, rpar=updated.rpar)
    return rewrite


def _weight_edit(ctx: PlanContext, site: CallSite, diagnostic: Diagnostic, plan: WeightPlan | str,
                 hoist: HoistPlan | None = None) -> Edit:
    if isinstance(plan, str):
        raise _Unfixable(plan)
    edit = Edit(diagnostic)
    args = _add_weight_args(ctx, plan, site.context.keras_class, edit)
    if hoist is not None and hoist.input_param:
        mapper = _MapInputShape(hoist.input_param, hoist.build_param)
        args = [f"{key}={_code(cst.parse_expression(value).visit(mapper))}"
                for key, _, value in (arg.partition("=") for arg in args)]
    shift = 0
    if hoist is not None and hoist.local_name and hoist.statement.lineno == site.node.lineno:
        shift = len("self.")  # `x = ...` becomes `self.x = ...`
    node = _expression(ctx, _layout_call(ctx, site.node, "self.add_weight", args, shift), site.node)
    edit.rewrites.append((site.node, _replace_with(node)))
    edit.opaque.add(id(site.node))
    return edit


def fix_variable(ctx: PlanContext, site: CallSite, diagnostic: Diagnostic) -> Edit:
    """TFV001/TFV003: tf.Variable(...) -> self.add_weight(...) in place."""
    from tflint_vars.rules._raw_variables import fix_plan
    return _weight_edit(ctx, site, diagnostic, fix_plan(ctx.analysis, site))


def fix_get_variable(ctx: PlanContext, site: CallSite, diagnostic: Diagnostic) -> Edit:
    """TFV004: get_variable(...) -> self.add_weight(...) in place."""
    from tflint_vars.rules.tfv004_get_variable_in_layer import GetVariableInLayer
    return _weight_edit(ctx, site, diagnostic, GetVariableInLayer.plan(ctx.analysis, site))


def fix_positional(ctx: PlanContext, site: CallSite, diagnostic: Diagnostic) -> Edit:
    """TFV007: each positional argument gets its Keras 2 keyword; nothing else changes."""
    count = len(site.node.args)

    def rewrite(call: cst.Call) -> cst.Call:
        args = list(call.args)
        positional = [i for i, arg in enumerate(args) if arg.keyword is None and not arg.star]
        if len(positional) != count:
            raise _Unfixable("the call changed under another fix")
        for index, position in enumerate(positional):
            args[position] = args[position].with_changes(
                keyword=cst.Name(KERAS2_ORDER[index]),
                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                      whitespace_after=cst.SimpleWhitespace("")))
        return call.with_changes(args=args)

    return Edit(diagnostic, rewrites=[(site.node, rewrite)])


def fix_scope_reuse(ctx: PlanContext, site: CallSite, diagnostic: Diagnostic) -> Edit:
    """TFV005: `reuse=<alias>.AUTO_REUSE` on the innermost variable_scope, spelled with the scope call's prefix."""
    scope = site.context.scopes[-1].call
    edit = Edit(diagnostic)
    if any(isinstance(a, ast.Starred) for a in scope.args) or any(k.arg is None for k in scope.keywords):
        raise _Unfixable("the variable_scope arguments are passed with * or **")
    if len(scope.args) > SCOPE_PARAMS.index("reuse"):
        raise _Unfixable("`reuse` is passed by position")
    if isinstance(scope.func, ast.Attribute):
        auto_reuse = f"{ctx.segment(scope.func.value)}.AUTO_REUSE"
    else:
        auto_reuse = _imported_auto_reuse(ctx, scope.func, edit)
    existing = next((k.value for k in scope.keywords if k.arg == "reuse"), None)
    if existing is None:
        new_value = auto_reuse
    elif isinstance(existing, ast.Constant) and not existing.value:
        new_value = auto_reuse
    else:
        # `reuse=reuse`: keep a caller's reuse=True (variables must then exist), share otherwise.
        new_value = f"{ctx.segment(existing)} or {auto_reuse}"
    value = cst.parse_expression(new_value)

    def rewrite(call: cst.Call) -> cst.Call:
        args = list(call.args)
        for index, arg in enumerate(args):
            if arg.keyword is not None and arg.keyword.value == "reuse":
                args[index] = arg.with_changes(value=value)
                return call.with_changes(args=args)
        new_arg = cst.Arg(value=value, keyword=cst.Name("reuse"),
                          equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                whitespace_after=cst.SimpleWhitespace("")))
        if not args:
            return call.with_changes(args=[new_arg])
        last = args[-1]
        if isinstance(last.comma, cst.Comma):
            # A trailing comma: the new argument takes it (and the line break before `)`); the old last argument
            # gets the separator its predecessors use.
            separator = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else \
                cst.Comma(whitespace_after=call.whitespace_before_args)
            args[-1] = last.with_changes(comma=separator)
            new_arg = new_arg.with_changes(comma=last.comma)
        return call.with_changes(args=[*args, new_arg])

    edit.rewrites.append((scope, rewrite))
    return edit


def _imported_auto_reuse(ctx: PlanContext, func: ast.expr, edit: Edit) -> str:
    """AUTO_REUSE for a `variable_scope` imported by name: an imported AUTO_REUSE, `<tf>.AUTO_REUSE` through a v1
    alias, or an import added beside the one of variable_scope."""
    imports = ctx.module_imports
    for local, target in imports.items():
        if canonical_name(target) == "tensorflow.AUTO_REUSE":
            return local
    for local, target in imports.items():
        if target in ("tensorflow.compat.v1", "tensorflow._api.v2.compat.v1"):
            return f"{local}.AUTO_REUSE"
    for local, target in imports.items():
        if target == "tensorflow":
            return f"{local}.compat.v1.AUTO_REUSE"
    source = imports.get(getattr(func, "id", ""), "")
    module = source.rpartition(".")[0]
    if not module or "AUTO_REUSE" in ctx.module_names:
        raise _Unfixable("no import to spell AUTO_REUSE with")
    edit.imports.append(f"from {module} import AUTO_REUSE")
    return "AUTO_REUSE"


def fix_hoist(ctx: PlanContext, site: CallSite, diagnostic: Diagnostic) -> Edit:
    """TFV002/TFV006: move the statement into build(self, input_shape)."""
    plan = plan_hoist(ctx.analysis, site)
    if isinstance(plan, str):
        raise _Unfixable(plan)
    if plan.weight_plan is not None:
        edit = _weight_edit(ctx, site, diagnostic, plan.weight_plan, hoist=plan)
    else:
        edit = Edit(diagnostic)
        build_param = plan.build_param
        for use in plan.shape_uses:
            edit.rewrites.append((use, lambda node, p=build_param: cst.Name(p, lpar=node.lpar, rpar=node.rpar)))
    edit.hoist = plan
    attribute = plan.attribute
    local_names = [plan.statement.targets[0]] if plan.local_name else []
    for use in local_names + plan.local_uses:
        edit.rewrites.append((use, lambda node, a=attribute: cst.Attribute(
            value=cst.Name("self"), attr=cst.Name(a), lpar=node.lpar, rpar=node.rpar)))
    return edit


FIXERS: dict[str, Callable[[PlanContext, CallSite, Diagnostic], Edit]] = {
    "TFV001": fix_variable,
    "TFV002": fix_hoist,
    "TFV003": fix_variable,
    "TFV004": fix_get_variable,
    "TFV005": fix_scope_reuse,
    "TFV006": fix_hoist,
    "TFV007": fix_positional,
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


class _Tree:
    """The libcst module with positions and parents, and an index from source ranges to nodes."""

    INDEXED = (cst.Call, cst.Name, cst.Attribute, cst.Assign)

    def __init__(self, text: str):
        self.wrapper = MetadataWrapper(cst.parse_module(text))
        self.module = self.wrapper.module
        self.positions = self.wrapper.resolve(PositionProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.index: dict[tuple, cst.CSTNode] = {}
        for node, where in self.positions.items():
            if isinstance(node, self.INDEXED):
                key = (type(node), where.start.line, where.start.column, where.end.line, where.end.column)
                self.index.setdefault(key, node)

    def find(self, ctx: PlanContext, node: ast.AST) -> cst.CSTNode | None:
        kind = {ast.Call: cst.Call, ast.Name: cst.Name, ast.Attribute: cst.Attribute,
                ast.Assign: cst.Assign}.get(type(node))
        start = (node.lineno, ctx.char_col(node.lineno, node.col_offset))
        end = (node.end_lineno, ctx.char_col(node.end_lineno, node.end_col_offset))
        return self.index.get((kind, *start, *end))

    def span(self, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]]:
        where = self.positions[node]
        return (where.start.line, where.start.column), (where.end.line, where.end.column)

    def enclosing(self, node: cst.CSTNode, kind: type) -> cst.CSTNode | None:
        while node is not None and not isinstance(node, kind):
            node = self.parents.get(node)
        return node


def _locate(ctx: PlanContext, tree: _Tree, edit: Edit) -> _Located:
    rewrites, opaque, ranges = [], [], []
    for ast_node, rewrite in edit.rewrites:
        node = tree.find(ctx, ast_node)
        if node is None:
            raise _Unfixable("the code to rewrite could not be located in the libcst tree")
        rewrites.append((node, rewrite))
        ranges.append(tree.span(node))
        if id(ast_node) in edit.opaque:
            opaque.append(tree.span(node))
    located = _Located(edit, rewrites, opaque, ranges)
    if edit.hoist is not None:
        assign = tree.find(ctx, edit.hoist.statement)
        statement = tree.parents.get(assign) if assign is not None else None
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            raise _Unfixable("the statement to move could not be located in the libcst tree")
        located.statement = statement
        if edit.hoist.guard is not None:
            guard = tree.parents.get(tree.parents.get(statement))
            if not isinstance(guard, cst.If) or not isinstance(guard.body, cst.IndentedBlock):
                raise _Unfixable("the guard could not be located in the libcst tree")
            located.guard = guard
        located.klass = tree.enclosing(statement, cst.ClassDef)
        if edit.hoist.has_build:
            build = _method(located.klass, "build")
            if build is None or not isinstance(build.body, cst.IndentedBlock):
                raise _Unfixable("`build` is not an indented block")
        ranges.append(tree.span(statement))
    return located


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
    def __init__(self, edits: list[_Located]):
        super().__init__()
        self.rewrites: dict[cst.CSTNode, list[Rewrite]] = {}
        self.moved: dict[cst.SimpleStatementLine, _Located] = {}
        self.guards: set[cst.If] = set()
        self.hoists: dict[cst.ClassDef, list[_Located]] = {}
        self.imports: list[str] = []
        for located in edits:
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

    def on_leave(self, original_node, updated_node):
        updated = super().on_leave(original_node, updated_node)
        if not isinstance(updated, cst.CSTNode):
            return updated
        for rewrite in self.rewrites.get(original_node, ()):
            updated = rewrite(updated)
        return updated

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if original_node in self.moved:
            self.captured[original_node] = updated_node
            return cst.RemoveFromParent()
        return updated_node

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
            blank: list[cst.EmptyLine] = []
            if call is not None:
                for line in call.leading_lines:
                    if line.comment is not None:
                        break
                    blank.append(line)
                separator = blank or [cst.EmptyLine(indent=False)]
                body[index] = call.with_changes(leading_lines=[*separator, *call.leading_lines[len(blank):]])
            else:
                separator = [cst.EmptyLine(indent=False)]
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
            site = ctx.sites.get(id(finding.node))
            if site is not None:
                line = finding.node.lineno
                found.setdefault((finding.code, line, ctx.char_col(line, finding.node.col_offset) + 1), site)
    return found


def fix_text_once(text: str, path: str, diagnostics: Iterable[Diagnostic]
                  ) -> tuple[str, list[Diagnostic], list[tuple[Diagnostic, str]]]:
    """Apply the fixes of `diagnostics` (all from `text`) in one pass: (new text, fixed, dropped with why)."""
    diagnostics = list(diagnostics)
    analysis = analyze(ast.parse(text, path), text)
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
        except _Unfixable as reason:
            dropped.append((diagnostic, str(reason)))
    if not edits:
        return text, [], dropped

    tree = _Tree(text)
    if tree.module.code != text:  # libcst drops a final lone "\r" (old Mac line ends): it would change bytes we keep
        return text, [], dropped + [(edit.diagnostic, "libcst cannot reproduce this file exactly (a final lone CR "
                                     "line end)") for edit in edits]
    located: list[_Located] = []
    for edit in edits:
        try:
            candidate = _locate(ctx, tree, edit)
        except _Unfixable as reason:
            dropped.append((edit.diagnostic, str(reason)))
            continue
        conflict = _conflicts(candidate, located)
        if conflict:
            dropped.append((edit.diagnostic, conflict))
        else:
            located.append(candidate)
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
        return new_text, [item.edit.diagnostic for unit in units for item in unit], dropped
    # Something does not parse: add the fixes one unit at a time and keep those that leave the module parseable.
    accepted: list[_Located] = []
    best = text
    for unit in units:
        attempt, error = _render(tree, accepted + unit, path)
        if error is None:
            accepted += unit
            best = attempt
        else:
            dropped.extend((item.edit.diagnostic, f"the fixed code would not parse: {error}") for item in unit)
    return best, [item.edit.diagnostic for item in accepted], dropped


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
        code = tree.module.visit(_Apply(ordered)).code
    except _Unfixable as reason:
        return "", str(reason)
    except Exception as error:  # a transformation that builds an invalid tree: libcst raises on codegen/validation
        return "", f"{type(error).__name__}: {error}"
    return code, parse_error(code, path)
