"""The miss hunt of `make precision`: a plain ast pass, independent of tflint-vars, that lists candidate sites of
Keras 2 -> 3 breakages (issue 17's table) inside classes deriving from a Keras Layer/Model/Metric.

It over-reports on purpose: a candidate is a place to read, not a finding. "Keras class" is decided by names only:
a base whose dotted name has a `keras`/`layers`/`metrics`/`models` part or ends in a Keras base name, or a class of
the same code base (matched by its simple name) that is itself a Keras class.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

KERAS_BASES = {"Layer", "Model", "Metric", "Wrapper", "Sequential", "RNN", "Dense", "Conv1D", "Conv2D", "Conv3D",
               "Embedding", "MeanMetricWrapper", "Mean", "Reduce", "Bidirectional", "DepthwiseConv2D",
               "SeparableConv2D", "Conv2DTranspose", "Activation", "Dropout", "BatchNormalization",
               "LayerNormalization", "MultiHeadAttention", "Attention", "LSTM", "GRU", "SimpleRNN", "LSTMCell",
               "GRUCell", "SimpleRNNCell", "AbstractRNNCell", "InputSpec", "Lambda", "Functional", "Network"}
KERAS_PARTS = {"keras", "layers", "metrics", "models", "engine", "base_layer"}
BACKEND_VARIABLES = {"variable", "zeros", "ones", "eye", "zeros_like", "ones_like", "random_uniform_variable",
                     "random_normal_variable", "truncated_normal_variable"}
BACKEND_NAMES = {"K", "backend", "keras_backend", "KB"}
STATE_LAYERS = {"Dense", "Conv1D", "Conv2D", "Conv3D", "Embedding", "BatchNormalization", "LayerNormalization",
                "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
                "AlphaDropout", "RandomFlip", "RandomRotation", "RandomZoom", "RandomCrop", "LSTM", "GRU",
                "MultiHeadAttention", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"}


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return dotted(node.func) + "()"
    if isinstance(node, ast.Subscript):
        return dotted(node.value) + "[]"
    return "?"


def _looks_keras(base: str, keras_classes: set[str]) -> bool:
    parts = base.split(".")
    return parts[-1] in KERAS_BASES or parts[-1] in keras_classes or bool(KERAS_PARTS & set(parts[:-1]))


def _python_files(root: Path) -> list[Path]:
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found += [Path(directory) / f for f in sorted(files) if f.endswith(".py")]
    return found


def _variable_helpers(tree: ast.Module) -> set[str]:
    """Module-level functions whose body makes a tf.Variable or a backend variable."""
    helpers = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and _variable_kind(inner):
                    helpers.add(node.name)
                    break
    return helpers


def _variable_kind(call: ast.Call) -> str | None:
    name = dotted(call.func)
    parts = name.split(".")
    if parts[-1] == "Variable" and (len(parts) == 1 or parts[0] in {"tf", "tensorflow", "tf1", "tf2", "v1"}
                                    or "compat" in parts):
        return "tf.Variable"
    if len(parts) >= 2 and parts[-1] in BACKEND_VARIABLES and parts[-2] in BACKEND_NAMES:
        return f"K.{parts[-1]}"
    return None


def _statement_spans(tree: ast.Module) -> dict[int, tuple[int, int]]:
    """id(node) -> (first, last line) of the innermost statement holding it, so a finding anywhere on a multi-line
    statement counts as reporting the site."""
    spans: dict[int, tuple[int, int]] = {}

    def visit(node: ast.AST, span: tuple[int, int]) -> None:
        if isinstance(node, ast.stmt):
            span = (node.lineno, node.end_lineno or node.lineno)
        spans[id(node)] = span
        for child in ast.iter_child_nodes(node):
            visit(child, span)

    visit(tree, (1, 1))
    return spans


def _site_patterns(node: ast.AST, function: str | None, helpers: set[str], is_metric: bool) -> list[str]:
    """The candidate patterns one node matches (a node may match none)."""
    found = []
    if isinstance(node, ast.Call):
        name = dotted(node.func)
        last = name.split(".")[-1]
        kind = _variable_kind(node)
        if kind:
            found.append(f"{kind} in {function or 'class body'}")
        elif last in helpers and name == last:
            found.append(f"variable helper {last}()")
        if last in {"add_weight", "add_variable"}:
            if node.args:
                found.append(f"{last} positional args")
            if last == "add_variable":
                found.append("add_variable")
            if is_metric and not any(k.arg == "initializer" for k in node.keywords) and len(node.args) < 4:
                found.append("Metric add_weight without initializer")
            if any(k.arg in {"synchronization", "aggregation", "partitioner", "use_resource", "getter",
                             "caching_device"} for k in node.keywords):
                found.append("add_weight Keras 2 keyword")
        if last in {"add_metric", "add_update"}:
            found.append(last)
        if last == "get_variable":
            found.append("get_variable")
        if last == "variable_scope":
            found.append("variable_scope")
        if last == "as_list" and function in {"build", "compute_output_shape"}:
            found.append(f"as_list in {function}")
        if last in STATE_LAYERS and function in {"call", "__call__"}:
            found.append(f"layer {last}() built in {function}")
        if ".layers." in f".{name}" and any(p in name for p in ("tf.layers", "compat.v1.layers")):
            found.append("tf.compat.v1.layers")
        if any(k.arg == "dynamic" for k in node.keywords):
            found.append("dynamic= keyword")
        if name == "super().__init__" and node.args:
            found.append("super().__init__ positional args")
    elif isinstance(node, ast.Attribute):
        if node.attr in {"_trainable_weights", "_non_trainable_weights"}:
            found.append(node.attr)
        if node.attr in {"input_shape", "output_shape"} and isinstance(node.ctx, ast.Load):
            found.append(f".{node.attr} read")
        if node.attr == "updates" and isinstance(node.ctx, ast.Load):
            found.append(".updates read")
        if node.attr == "track_tf1_style_variables":
            found.append("track_tf1_style_variables")
        if node.attr in {"value", "rank", "ndims", "dims"} and function in {"build", "compute_output_shape"} \
                and "shape" in dotted(node.value):
            found.append(f".{node.attr} on a shape in {function}")
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute) and \
            node.target.attr in {"trainable_weights", "non_trainable_weights"}:
        found.append(f"{node.target.attr} +=")
    return found


def _class_sites(cls: ast.ClassDef, helpers: set[str], is_metric: bool) -> list[tuple[ast.AST, str, str | None]]:
    sites = []
    for item in cls.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if item.name == "__init__" and item.args.kwarg is None:
                sites.append((item, "__init__ without **kwargs", "__init__"))
            if item.name == "build" and len(item.args.args) + len(item.args.posonlyargs) > 2:
                sites.append((item, "build with extra parameters", "build"))
            for node in ast.walk(item):
                sites += [(node, pattern, item.name) for pattern in
                          _site_patterns(node, item.name, helpers, is_metric)]
        elif not isinstance(item, ast.ClassDef):
            for node in ast.walk(item):
                sites += [(node, pattern, None) for pattern in _site_patterns(node, None, helpers, is_metric)]
    return sites


def scan(root: Path) -> list[dict]:
    """Candidate sites under `root`: dicts with file (relative), line, start/end of the statement, pattern, cls."""
    trees = {}
    for path in _python_files(root):
        try:
            trees[path] = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
    classes = [(path, node) for path, tree in trees.items() for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    keras_classes: set[str] = set()
    metric_classes: set[str] = set()
    changed = True
    while changed:  # a class of the code base is Keras when one of its bases is
        changed = False
        for _, cls in classes:
            bases = [dotted(b) for b in cls.bases]
            if cls.name not in keras_classes and any(_looks_keras(b, keras_classes) for b in bases):
                keras_classes.add(cls.name)
                changed = True
            if cls.name not in metric_classes and any(
                    b.split(".")[-1] in {"Metric", "Mean", "Reduce"} | metric_classes for b in bases):
                metric_classes.add(cls.name)
                changed = True
    candidates = []
    for path, tree in trees.items():
        helpers = _variable_helpers(tree)
        spans = _statement_spans(tree)
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name in keras_classes):
            for node, pattern, _ in _class_sites(cls, helpers, cls.name in metric_classes):
                start, end = spans[id(node)]
                if isinstance(node, ast.FunctionDef):  # a signature: the def line (and its decorators) only
                    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    end = node.body[0].lineno - 1 if node.body[0].lineno > node.lineno else node.lineno
                candidates.append({"file": os.path.relpath(path, root), "line": node.lineno, "start": start,
                                   "end": end, "pattern": pattern, "cls": cls.name})
    unique = {(c["file"], c["line"], c["pattern"]): c for c in candidates}  # nested classes are walked twice
    return sorted(unique.values(), key=lambda c: (c["file"], c["line"], c["pattern"]))
