from __future__ import annotations

import ast
from typing import Iterator

from tflint_vars.analysis import CallSite, ModuleAnalysis, ScopeEntry, canonical_name, dotted_name, statements
from tflint_vars.diagnostics import UNSAFE
from tflint_vars.plans.initializers import bind_arguments
from tflint_vars.rules.base import Finding, Rule

GET_VARIABLE = "tensorflow.get_variable"
SCOPE_PARAMS = ("name_or_scope", "default_name", "values", "initializer", "regularizer", "caching_device",
                "partitioner", "custom_getter", "reuse", "dtype", "use_resource", "constraint")
UNKNOWN = object()  # a value this static step cannot know
AUTO_REUSE = "AUTO_REUSE"
# Calls that start a fresh graph: a scope entered once per graph is entered once.
FRESH_GRAPH = ("tensorflow.Graph", "tensorflow.reset_default_graph")


def _loop_starts_fresh_graph(analysis: ModuleAnalysis, loop: ast.AST) -> bool:
    """Whether a loop makes a new default graph on each iteration."""
    return any(isinstance(n, ast.Call) and analysis.qualify(n.func) in FRESH_GRAPH for n in ast.walk(loop))


def _functions_starting_fresh_graphs(analysis: ModuleAnalysis) -> set:
    """The functions (None: module level) whose own code makes a new default graph."""
    return {site.context.function for site in analysis.calls if site.name in FRESH_GRAPH}


def _constant(node: ast.expr | None, env: dict[str, object]) -> object:
    """The value of a scope name or reuse expression: a constant, AUTO_REUSE, a bound parameter, or UNKNOWN."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Attribute) and node.attr == AUTO_REUSE:
        return AUTO_REUSE
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    return UNKNOWN


def _falsy(value: object) -> bool:
    return value is not UNKNOWN and not value


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> tuple[list[str], dict]:
    args = function.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    defaults = dict(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    names = positional + [a.arg for a in args.kwonlyargs]
    return (names[1:] if is_method else names), defaults


def _exclusive_branches(analysis: ModuleAnalysis, first: CallSite, second: CallSite) -> bool:
    """The two calls stand in the `if` and the `else` of one test, so one run makes only one of them (magenta's
    sketch_rnn builds its model under `if not gpu_mode:` or under `else:`)."""
    if first.context.function is not second.context.function:
        return False
    for node in ast.walk(first.context.function or analysis.tree):
        if type(node) is ast.If and node.orelse:
            branches = [{id(n) for statement in block for n in ast.walk(statement)}
                        for block in (node.body, node.orelse)]
            if any(id(first.node) in one and id(second.node) in other
                   for one, other in (branches, branches[::-1])):
                return True
    return False


class GetVariableWithoutReuse(Rule):
    """`get_variable` under a `variable_scope` that is entered twice without `reuse`: TF1 raises "already exists".

    ## What it does
    Finds `get_variable` calls under `variable_scope(name)` whose `reuse` is false or None while the same scope
    name is entered more than once: the enclosing function is called twice in the module with the same constant
    scope name and no truthy `reuse` (defaults included), or the scope or its function is entered in a loop. A
    call under an enclosing scope whose name changes with the loop (`variable_scope("layer_%d" % i)`), or under
    enclosing scopes of other names (`variable_scope(scope or type(self).__name__)` in two classes), makes other
    full names and is not a second entry; nor are two calls in the `if` and the `else` of one test.

    ## Why is this bad?
    In TF1 graph code (`tf.compat.v1`), the second `get_variable("weights")` in scope `s` raises at graph build
    time: `ValueError: Variable s/weights already exists, disallowed. Did you mean to set reuse=True or
    reuse=tf.AUTO_REUSE in VarScope?`. Weight sharing needs `reuse=True` on later entries, or `AUTO_REUSE`.

    ## Example
    ```python
    import tensorflow.compat.v1 as tf

    def dense(x, name, reuse=False):
        with tf.variable_scope(name, reuse=reuse):
            w = tf.get_variable("w", shape=[10, 5])
            return tf.matmul(x, w)

    a = dense(tf.placeholder(tf.float32, [None, 10]), "shared")
    b = dense(tf.placeholder(tf.float32, [None, 10]), "shared")
    ```

    ## Use instead
    ```python
    import tensorflow.compat.v1 as tf

    def dense(x, name, reuse=False):
        with tf.variable_scope(name, reuse=reuse):
            w = tf.get_variable("w", shape=[10, 5])
            return tf.matmul(x, w)

    a = dense(tf.placeholder(tf.float32, [None, 10]), "shared")
    b = dense(tf.placeholder(tf.float32, [None, 10]), "shared", reuse=True)
    ```

    ## Fix safety
    Unsafe: the fix adds `reuse=<alias>.AUTO_REUSE` to the scope, which shares the variables between the entries.
    That is what the second entry needs to build at all, but if the author meant two separate sets of weights the
    scope names should differ instead.
    """

    code = "TFV005"
    name = "get-variable-without-reuse"
    fix = UNSAFE
    fix_title = "Pass `reuse=AUTO_REUSE` to the scope"
    VALID = [
        "import tensorflow.compat.v1 as tf\nfor i in range(2):\n    with tf.variable_scope('s', reuse=tf.AUTO_REUSE):\n"
        "        tf.get_variable('w', shape=[1])\n",
        "import tensorflow.compat.v1 as tf\ndef f(name):\n    with tf.variable_scope(name):\n"
        "        return tf.get_variable('w', shape=[1])\nf('a')\nf('b')\n",
    ]
    INVALID = [
        "import tensorflow.compat.v1 as tf\nfor i in range(2):\n    with tf.variable_scope('s'):\n"
        "        tf.get_variable('w', shape=[1])\n",
    ]

    def fix_edit(self, ctx, site):
        return scope_reuse_edit(ctx, site)

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        reported: set[int] = set()
        self._fresh_graph_functions = _functions_starting_fresh_graphs(analysis)
        for site in analysis.calls_named(GET_VARIABLE):
            if not site.context.scopes:
                continue
            entry = site.context.scopes[-1]
            if id(entry.call) in reported:
                continue
            outer_reuse = [_constant(self._scope_args(e.call).get("reuse"), {}) for e in site.context.scopes[:-1]]
            if any(not _falsy(value) and value is not None for value in outer_reuse):
                continue  # an enclosing scope reuses (or may): the inner one inherits it
            second_entry = self._second_entry(analysis, entry)
            if second_entry is None:
                continue
            reported.add(id(entry.call))
            scope_name, line = second_entry
            yield self.finding(
                site.node,
                f"`variable_scope({scope_name!r})` entered again ({line}) without `reuse`: `get_variable` raises "
                f"ValueError",
                UNSAFE,
                reason="the entries then share their variables; if they were meant to be separate, rename a scope",
            )

    @staticmethod
    def _scope_args(call: ast.Call) -> dict[str, ast.expr]:
        return bind_arguments(call, SCOPE_PARAMS) or {"reuse": ast.Name("?")}

    def _second_entry(self, analysis: ModuleAnalysis, entry: ScopeEntry) -> tuple[str, str] | None:
        """(scope name, where it is entered again) when the scope is provably entered twice without reuse."""
        args = self._scope_args(entry.call)
        if "default_name" in args:
            return None  # default_name scopes are uniquified by TensorFlow
        name_node, reuse_node = args.get("name_or_scope"), args.get("reuse")
        function = entry.function
        is_method = function is not None and self._is_method(analysis, function)
        params, defaults = _parameters(function, is_method) if function else ([], {})

        if entry.loop is not None:
            if _loop_starts_fresh_graph(analysis, entry.loop):
                return None
            # A parameter has one value for every iteration; a reuse passed in by callers is unknown here.
            name = _constant(name_node, {p: ast.unparse(name_node) for p in params})
            if isinstance(name, str) and _falsy(_constant(reuse_node, {})):
                return name, "in a loop"
            return None

        if function is None:
            return None
        entered: dict[tuple, CallSite] = {}
        for caller in self._callers(analysis, function, is_method):
            bound = bind_arguments(caller.node, tuple(params))
            if bound is None or caller.context.function in self._fresh_graph_functions:
                continue
            env = {p: _constant(bound[p] if p in bound else defaults.get(p), {}) for p in params}
            name, reuse = _constant(name_node, env), _constant(reuse_node, env)
            if not isinstance(name, str):
                continue
            if _falsy(reuse) and caller.context.in_loop and not self._own_scope_per_pass(caller):
                return name, f"in a loop, line {caller.node.lineno}"
            # The full name is the caller's enclosing scopes, then this one: only the same full name collides.
            full = (tuple(self._scope_key(analysis, e) for e in caller.context.scopes), name)
            if _falsy(reuse) and full in entered and not _exclusive_branches(analysis, entered[full], caller):
                return name, f"line {caller.node.lineno}, first line {entered[full].node.lineno}"
            entered.setdefault(full, caller)
        return None

    def _scope_key(self, analysis: ModuleAnalysis, entry: ScopeEntry) -> tuple[str, str | None]:
        """An enclosing scope's name as written, and its class where the name is the class's own
        (`variable_scope(scope or type(self).__name__)` in magenta's RNN cells: one name per cell class)."""
        name = self._scope_args(entry.call).get("name_or_scope")
        written = ast.dump(name or entry.call)
        reads_class = name is not None and any(
            (type(n) is ast.Call and dotted_name(n.func) == "type" and [dotted_name(a) for a in n.args] == ["self"])
            or dotted_name(n) == "self.__class__" for n in ast.walk(name))
        owner = next((n.name for n in statements(analysis.tree) if type(n) is ast.ClassDef
                      and entry.function in n.body), None) if reads_class else None
        return written, owner

    def _own_scope_per_pass(self, caller: CallSite) -> bool:
        """The call stands, in its loop, under a `variable_scope` entered in that loop whose name reads the loop's
        variables (`variable_scope("layer_%d" % i)`): each pass opens a scope of its own, so the names the called
        function makes differ from pass to pass (measured: the graph builds)."""
        loop = caller.context.loop
        targets = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)} \
            if isinstance(loop, (ast.For, ast.AsyncFor, ast.comprehension)) else set()
        for entry in caller.context.scopes:
            name = self._scope_args(entry.call).get("name_or_scope")
            if entry.loop is loop and name is not None and any(
                    isinstance(n, ast.Name) and n.id in targets for n in ast.walk(name)):
                return True
        return False

    @staticmethod
    def _is_method(analysis: ModuleAnalysis, function: ast.AST) -> bool:
        return any(isinstance(n, ast.ClassDef) and function in n.body for n in statements(analysis.tree))

    @staticmethod
    def _callers(analysis: ModuleAnalysis, function: ast.AST, is_method: bool) -> Iterator[CallSite]:
        for site in analysis.calls:
            func = site.node.func
            if is_method:
                if isinstance(func, ast.Attribute) and func.attr == function.name \
                        and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
                    yield site
            elif isinstance(func, ast.Name) and func.id == function.name:
                yield site


def scope_reuse_edit(ctx, site: CallSite):
    """`reuse=<alias>.AUTO_REUSE` on the innermost variable_scope, spelled with the scope call's prefix."""
    import libcst as cst

    from tflint_vars.plans.edits import Edit, Unfixable as _Unfixable

    scope = site.context.scopes[-1].call
    edit = Edit()
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


def _imported_auto_reuse(ctx, func: ast.expr, edit) -> str:
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
    from tflint_vars.plans.edits import Unfixable as _Unfixable

    source = imports.get(getattr(func, "id", ""), "")
    module = source.rpartition(".")[0]
    if not module or "AUTO_REUSE" in ctx.module_names:
        raise _Unfixable("no import to spell AUTO_REUSE with")
    edit.imports.append(f"from {module} import AUTO_REUSE")
    return "AUTO_REUSE"
