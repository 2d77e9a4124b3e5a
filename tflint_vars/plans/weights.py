"""The rewrite the add_weight fixes share (TFV001-TFV004, TFV006): `self.add_weight(...)` rendered from a
`WeightPlan` where the call stands, spelled through the module's own Keras import, laid out as the module lays out its
code; and the hoist of state from `call` into `build`. The rules call these from their `fix_edit`; libcst is loaded
only here and in the engine (`transform`), never by detection.
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from tflint_vars.analysis import KERAS2, CallSite, KerasClass, canonical_name, dotted_name
from tflint_vars.plans.hoist import HoistPlan, move_after_super, plan_hoist, plan_inline
from tflint_vars.plans.tracking import tracking_hacks
from tflint_vars.plans.initializers import WeightPlan
from tflint_vars.plans.edits import Edit, PlanContext, Rewrite, Unfixable as _Unfixable

# add_weight keywords in the order the fixes write them.
ADD_WEIGHT_ORDER = ("name", "shape", "initializer", "regularizer", "trainable", "dtype", "autocast", "constraint")
# The import a fix adds when no import can spell the Keras initializers module: (statement, local name, expression).
_KERAS_IMPORTS = {
    "tensorflow": ("import tensorflow as tf", "tf", "tf.keras.initializers"),
    "keras": ("import keras", "keras", "keras.initializers"),
    "tf_keras": ("import tf_keras", "tf_keras", "tf_keras.initializers"),
}

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
    local_classes = ctx.analysis.keras_classes_by_name
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
    expression = cst.parse_expression(text)
    if "\n" not in text and "\r" not in text:  # on one line: no continuation line to re-indent
        return expression
    return expression.visit(_RelativeIndents(ctx.statement_indent(where)))


def _replace_with(node: cst.BaseExpression) -> Rewrite:
    def rewrite(updated: cst.CSTNode) -> cst.CSTNode:
        return node.with_changes(lpar=updated.lpar, rpar=updated.rpar)
    return rewrite


def weight_edit(ctx: PlanContext, site: CallSite, plan: WeightPlan | str, hoist: HoistPlan | None = None) -> Edit:
    """The Edit replacing the call at `site` by `self.add_weight(...)` as `plan` says."""
    if isinstance(plan, str):
        raise _Unfixable(plan)
    edit = Edit()
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
    if site.context.method == "__init__":
        edit.move_after = move_after_super(ctx.analysis, site)  # created before super().__init__(): moved after it
    if hoist is None:
        # Keras 2's `self._trainable_weights.append(...)`: add_weight tracks
        edit.removals = tracking_hacks(ctx.analysis, site)[0]
        if plan.inlined is not None:  # its value now the initializer's: the local is read nowhere else
            edit.removals.append(plan.inlined)
        edit.recreate = plan.recreate
        if plan.comment is not None:
            statement = site.node
            while statement is not None and not isinstance(statement, ast.stmt):
                statement = ctx.parent(statement)
            edit.comment_before = (statement, plan.comment)
        tf_name = next((local for local, target in ctx.module_imports.items() if target in (
            "tensorflow", "tensorflow.compat.v1", "tensorflow.compat.v2")), None)
        if plan.tensor_reads and tf_name is None:
            raise _Unfixable("no `tensorflow` import to read the weight through `tf.convert_to_tensor`")
        for read in plan.tensor_reads:  # as a Tensor, as the tf.Variable was read (plans/reads.py)
            edit.rewrites.append((read, _tensor_read(f"{tf_name}.convert_to_tensor")))
    return edit


def _tensor_read(function: str) -> Rewrite:
    def rewrite(updated: cst.CSTNode) -> cst.CSTNode:
        if isinstance(updated, cst.Call) and _code(updated.func) == function:
            return updated  # two findings of one attribute (made in two places) wrap its reads once
        return cst.Call(func=cst.parse_expression(function), args=[cst.Arg(updated.with_changes(lpar=[], rpar=[]))],
                        lpar=updated.lpar, rpar=updated.rpar)
    return rewrite


def hoist_edit(ctx: PlanContext, site: CallSite) -> Edit:
    """TFV002/TFV006: move the statement into build(self, input_shape)."""
    plan = plan_hoist(ctx.analysis, site)
    if isinstance(plan, str):
        raise _Unfixable(plan)
    if plan.weight_plan is not None:
        edit = weight_edit(ctx, site, plan.weight_plan, hoist=plan)
    else:
        edit = Edit()
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




def inline_edit(ctx: PlanContext, site: CallSite, shared_ok: bool) -> Edit:
    """TFV006: a layer constructed and called at once in `call` (`layers.Dropout(r)(x)`) is constructed at the end
    of `__init__` as `self.<fresh name> = layers.Dropout(r)`, and `call` calls `self.<fresh name>(x)`."""
    plan = plan_inline(ctx.analysis, site, shared_ok)
    if isinstance(plan, str):
        raise _Unfixable(plan)
    edit = Edit()
    attribute = plan.attribute
    edit.rewrites.append((plan.construction, lambda node, a=attribute: cst.Attribute(
        value=cst.Name("self"), attr=cst.Name(a), lpar=node.lpar, rpar=node.rpar)))
    edit.opaque.add(id(plan.construction))
    segment = ctx.segment(plan.construction)
    line = ctx.lines[plan.construction.lineno - 1]
    newline = line[len(line.rstrip("\r\n")):] or "\n"  # the module's own line end (a CRLF file stays CRLF)
    statement = cst.parse_statement(f"self.{attribute} = {segment}{newline}")
    if "\n" in segment or "\r" in segment:  # continuation lines: relative to the block, as in `call`
        statement = statement.visit(_RelativeIndents(ctx.statement_indent(plan.construction)))
    edit.init_append = (plan.init, statement)
    return edit


def helper_inline_edit(plan, site) -> Edit:
    """A helper call replaced by its returned expression (`tflint_vars.plans.inline`); `plan` a str: why not."""
    if isinstance(plan, str):
        raise _Unfixable(plan)
    replacement = cst.parse_expression(plan.text)
    edit = Edit(rewrites=[(site.node, lambda node: replacement)])
    edit.opaque.add(id(site.node))
    return edit
