"""Check one file (its module, from `tflint_vars.sources`); find files; check many on every core. The CLI and the
flake8 adapter both come here, so they report the same diagnostics by construction."""

from __future__ import annotations

import ast
import contextlib
import gc
import os
import stat
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar

from tflint_vars.codes import RULE_NAMES
from tflint_vars.diagnostics import CodeSelection, Diagnostic, noqa_suppresses, working_on
from tflint_vars.sources import LINE_END, Source, load_source, read_error, read_file, unreadable

if TYPE_CHECKING:
    from tflint_vars.analysis import Resolver

# A file with none of these words cannot hold a rule's finding (every rule needs one of them in a call, an import
# or a `call` or `build` method, or the Keras 2 API TFV011-TFV016 report), so it is parsed only to report TFV000, and
# never analysed.
TRIGGER_WORDS = ("ariable", "add_weight", "layers", "def call", "def build", "Metric", "add_metric", "add_update",
                 "updates", "input_shape", "output_shape", "dynamic")

UNUSED_NOQA = "TFV100"

DEFAULT_EXCLUDES = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".eggs", "build", "dist", "node_modules", "_build", "buck-out", "site-packages",
    ".tflint-vars-cache", ".ipynb_checkpoints",
})


def check_source(data: bytes, path: str, selection: CodeSelection | None = None,
                 honour_noqa: bool = True, resolver: Resolver | None = None) -> list[Diagnostic]:
    """Every diagnostic for one file's bytes, located in the file (a notebook's by cell and line), sorted. `resolver`
    answers for base classes imported from the project's other modules (default: this process's project index,
    tflint_vars.project)."""
    selection = selection or CodeSelection()
    source = load_source(data, path)
    if not isinstance(source, Source):
        return [source] if source is not None and selection.enabled("TFV000") else []
    return source.report(check_module(source, selection, honour_noqa, resolver), selection)


def check_module(source: Source, selection: CodeSelection, honour_noqa: bool = True,
                 resolver: Resolver | None = None) -> list[Diagnostic]:
    """The diagnostics of `source`'s module text, located in the module (the fixer works there; `Source.report`
    locates them in the file)."""
    tree = source.parse()
    if isinstance(tree, Diagnostic):
        return [tree] if selection.enabled("TFV000") else []
    if not any(word in source.text for word in TRIGGER_WORDS):
        return unused_noqa(source.text, source.path, {}, selection)  # no rule can fire: every TFV code is unused
    return check_tree(tree, source.text, source.path, selection, honour_noqa, resolver)


def _column(text_line: str, byte_offset: int) -> int:
    """ast's col_offset counts UTF-8 bytes; diagnostics count characters, 1-based."""
    if text_line.isascii():
        return byte_offset + 1
    return len(text_line.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1


def check_tree(tree: ast.Module, text: str, path: str, selection: CodeSelection | None = None,
               honour_noqa: bool = True, resolver: Resolver | None = None) -> list[Diagnostic]:
    """The rules' diagnostics for a parsed file (TFV000 is the parser's business), sorted by position."""
    # The analysis and the rules load with the first file that needs them: a run the result cache answers (or one
    # over files without a trigger word) never imports them.
    from tflint_vars.analysis import analyze
    from tflint_vars.project import resolver_for
    from tflint_vars.rules.registry import ALL_RULES

    selection = selection or CodeSelection()
    if resolver is None:
        resolver = resolver_for(path)
    try:
        analysis = analyze(tree, text, resolver)
    except Exception as error:
        return [_internal_error(path, "the analysis", error)] if selection.enabled("TFV000") else []
    lines = LINE_END.split(text)  # not str.splitlines(): it also splits on \f, \v, \x1c.., shifting every line after
    honour_noqa = honour_noqa and not selection.ignore_noqa
    diagnostics = []
    reported: dict[int, set[str]] = {}  # the codes found on each line, before noqa comments: TFV100 reads them
    for rule_class in ALL_RULES:
        if not selection.enabled(rule_class.code):
            continue
        try:
            findings = list(rule_class().check(analysis))
        except Exception as error:  # one rule's bug costs its findings in this file, not the run or the other rules
            if selection.enabled("TFV000"):
                diagnostics.append(_internal_error(path, f"rule {rule_class.code}", error))
            continue
        for finding in findings:
            line = finding.node.lineno
            line_text = lines[line - 1] if line <= len(lines) else ""
            reported.setdefault(line, set()).add(finding.code)
            if honour_noqa and noqa_suppresses(line_text, finding.code):
                continue
            diagnostics.append(selection.fixes.apply(Diagnostic(
                path, line, _column(line_text, finding.node.col_offset), finding.code, finding.message, finding.fix,
                fix_title=finding.fix_title, fix_reason=finding.fix_reason)))
    diagnostics.extend(unused_noqa(text, path, reported, selection))
    return sorted(set(diagnostics))


def unused_noqa(text: str, path: str, reported: dict[int, set[str]], selection: CodeSelection) -> list[Diagnostic]:
    """TFV100: the noqa comments of `text` that silence none of the codes `reported` on their lines (ruff's
    RUF100). Not itself silenced by a bare noqa comment, which is what it reports; a directive listing TFV100 is
    never reported."""
    if not selection.enabled(UNUSED_NOQA) or selection.ignore_noqa or "noqa" not in text.lower():
        return []
    from tflint_vars.rules.tfv100_unused_noqa import UnusedNoqa

    rule = UnusedNoqa()
    enabled = {code for code in RULE_NAMES if selection.enabled(code)}
    # A bare noqa usually serves another tool (155 such on 24 held-out code bases, docs/precision.md): judged only
    # when TFV100 is selected by a longer prefix than `TFV` (`--extend-select TFV100`), as ruff's RUF100 is opt-in.
    bare = any(rule.code.startswith(prefix) and len(prefix) > len("TFV") for prefix in selection.select)
    diagnostics = []
    for directive in rule.unused_directives(text, reported, set(RULE_NAMES), enabled, report_bare=bare):
        message, fix, reason = rule.directive_finding(directive)
        diagnostics.append(selection.fixes.apply(Diagnostic(path, directive.line, directive.column, rule.code,
                                                            message, fix, fix_title=rule.fix_title,
                                                            fix_reason=reason)))
    return diagnostics


def _internal_error(path: str, what: str, error: Exception) -> Diagnostic:
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    return unreadable(path, 1, 1, f"not fully checked: {what} failed with {type(error).__name__}: {error}{where}; "
                                   "this is a tflint-vars bug, please report it with this file")


def check_file(path: str, selection: CodeSelection | None = None) -> list[Diagnostic]:
    try:
        data = read_file(path)
    except OSError as error:
        return [read_error(path, error)]
    return check_source(data, path, selection)


@dataclass
class FileSet:
    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # named paths that do not exist: a usage error (exit 2)
    unlistable: list[tuple[str, str]] = field(default_factory=list)  # (directory, reason) the walk could not list
    named: set[str] = field(default_factory=set)  # files named on the command line: written through a symlink
    linked: set[str] = field(default_factory=set)  # files a walk reached through a symlink: checked, never written


def _excluded(name: str, relative: str, patterns: Iterable[str]) -> bool:
    import fnmatch

    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(relative, p) or relative.startswith(p.rstrip("/") + "/")
               for p in patterns)


def excluded_path(relative: str, patterns: Iterable[str]) -> bool:
    """Whether a default exclude or a pattern matches the relative path or one of its directories."""
    parts = relative.split(os.sep)
    for depth, name in enumerate(parts, start=1):
        if name == os.pardir:
            continue
        if name in DEFAULT_EXCLUDES or name.endswith(".egg-info") \
                or _excluded(name, os.path.join(*parts[:depth]), patterns):
            return True
    return False


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _walk(root: str, patterns: tuple[str, ...], found: FileSet) -> list[tuple[str, bool]]:
    """The Python files and notebooks under the directory `root`, as (path, reached through a symlink).

    Symbolic links met in the walk (to files or directories) are followed only when their target lies inside
    `root` (resolved), and a file is listed once, preferably by its own path rather than a link's: a link into a
    virtual environment, /etc or another checkout is skipped, and a link loop cannot trap the walk."""
    root_real = os.path.realpath(root)
    direct: list[str] = []
    via_link: list[str] = []
    pending: list[str] = []  # symlinked directories to walk once the real tree is known
    walked: set[str] = set()  # real directories walked

    def report(error: OSError) -> None:  # os.walk skips a directory it cannot list unless told
        found.unlistable.append((error.filename or root, error.strerror or str(error)))

    def walk_tree(top: str, linked: bool) -> None:
        for directory, subdirs, filenames in os.walk(top, onerror=report):
            walked.add(os.path.realpath(directory))
            # os.walk joins onto `root`/`top`, so slicing gives what os.path.relpath does, at a fraction of the cost.
            rel_dir = os.path.relpath(directory, root) if linked else directory[len(root):].lstrip(os.sep) or "."
            kept = []
            for name in sorted(subdirs):
                if name in DEFAULT_EXCLUDES or name.endswith(".egg-info") or \
                        (patterns and _excluded(name, os.path.normpath(os.path.join(rel_dir, name)), patterns)):
                    continue
                if os.path.islink(os.path.join(directory, name)):
                    pending.append(os.path.join(directory, name))  # os.walk does not descend into it
                else:
                    kept.append(name)
            subdirs[:] = kept
            for filename in sorted(filenames):
                if not filename.endswith((".py", ".ipynb")):
                    continue
                path = os.path.join(directory, filename)
                if patterns and _excluded(filename, os.path.normpath(os.path.join(rel_dir, filename)), patterns):
                    continue
                (via_link if linked or os.path.islink(path) else direct).append(path)

    walk_tree(root, False)
    while pending:
        link = pending.pop(0)
        real = os.path.realpath(link)
        if _inside(real, root_real) and real not in walked and os.path.isdir(real) \
                and not excluded_path(os.path.relpath(real, root_real), patterns):
            walk_tree(link, True)
    listed = {os.path.realpath(path) for path in direct}
    result = [(path, False) for path in direct]
    for path in via_link:
        real = os.path.realpath(path)
        if _inside(real, root_real) and real not in listed \
                and not excluded_path(os.path.relpath(real, root_real), patterns):
            listed.add(real)
            result.append((path, True))
    return result


def discover(paths: Iterable[str], extra_excludes: Iterable[str] = ()) -> FileSet:
    """Python files and Jupyter notebooks under the named paths. A named file is always checked (a symlink named
    is followed, as ruff does); excludes apply to what a walk finds, and so does the symlink rule of `_walk`."""
    patterns = tuple(extra_excludes)
    found = FileSet()
    seen: set[str] = set()
    for root in paths:
        try:
            is_directory = stat.S_ISDIR(os.stat(root).st_mode)
        except FileNotFoundError:
            if not os.path.lexists(root):
                found.missing.append(root)
                continue
            is_directory = False  # a broken symlink: check_file says so
        except OSError:
            is_directory = False  # no search permission on a parent, a loop: check_file says which
        if not is_directory:
            if root not in seen:
                seen.add(root)
                found.files.append(root)
                found.named.add(root)
            continue
        for path, linked in _walk(root, patterns, found):
            if path in seen:
                continue
            seen.add(path)
            found.files.append(path)
            if linked:
                found.linked.add(path)
    return found


def _check_chunk(args: tuple[list[str], CodeSelection]) -> list[Diagnostic]:
    paths, selection = args
    result = []
    for path in paths:
        with working_on(path):
            result.extend(check_file(path, selection))
    return result


Result = TypeVar("Result")
ChunkWorker = Callable[[tuple[list[str], CodeSelection]], list[Result]]


@contextlib.contextmanager
def rare_gc() -> Iterator[None]:
    """A higher generation-0 threshold inside: parsing allocates millions of AST (or libcst) nodes, which set off the
    cyclic collector every 700 allocations though they hold no cycles (measured: ast.parse of tf-keras 15% faster)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class _RareGc:
    """Runs a chunk under `rare_gc`. A class, not a closure, so it pickles to the worker processes."""

    def __init__(self, chunk_worker: ChunkWorker):
        self.chunk_worker = chunk_worker

    def __call__(self, args: tuple[list[str], CodeSelection]) -> list[Result]:
        with rare_gc():
            return self.chunk_worker(args)


def map_chunks(chunk_worker: ChunkWorker, paths: list[str], selection: CodeSelection,
               jobs: int | None = None) -> list[Result]:
    """`chunk_worker((paths, selection))` over `paths` on `jobs` processes (default: every core), results
    concatenated. Small runs stay in-process: forking costs more."""
    jobs = jobs or os.cpu_count() or 1
    worker = _RareGc(chunk_worker)
    if jobs <= 1 or len(paths) < 32:
        return worker((paths, selection))
    # Imported here: a run the cache answers entirely never starts a pool, so it need not pay for the import.
    from concurrent.futures import ProcessPoolExecutor

    # Interleaved chunks balance large and small files across workers.
    chunks = [(paths[i::jobs * 4], selection) for i in range(jobs * 4)]
    results: list[Result] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(worker, chunks):
            results.extend(part)
    return results


def check_files(paths: list[str], selection: CodeSelection, jobs: int | None = None) -> list[Diagnostic]:
    """Check files on `jobs` processes (default: every core)."""
    return map_chunks(_check_chunk, paths, selection, jobs)
