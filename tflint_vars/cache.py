"""The result cache of `tflint-vars check`: a file whose content, tool and configuration are unchanged since the
last run is not read, parsed or analysed again.

Where: `$TFLINT_VARS_CACHE_DIR` when set, else `.tflint-vars-cache/` beside the nearest pyproject.toml above the
first checked path, else in the current directory. `--no-cache` neither reads nor writes it; deleting it is safe.

What: one JSON index per configuration, `index-<key>.json`, where the key hashes the tool version, a fingerprint of
the installed rule code, the Python version (its parser writes TFV000's messages) and the selected codes. The index
maps each file's absolute path to its stat fingerprint, the BLAKE2 hash of its content, its diagnostics and its
dependencies: the base classes it imports from the project's other modules, with the project index's answer
(tflint_vars.project). A file whose stat fingerprint (size, mtime, ctime, inode) is unchanged is a hit without being
read; otherwise its content is hashed and compared. A hit whose dependencies now get another answer (a base class
changed in another module) is checked again. The index also keeps the summaries of the modules the project index
read in the last run (keyed by path, stat fingerprint and content hash), so a warm run answers without parsing them. A fingerprint taken within two seconds of a write may miss a later same-size write
in the same clock tick, so it is not stored and that file is hashed next time ("racy" timestamps, as git does).

Safety: the index is read once and written once per run, to a temporary file renamed over the old one, so two
concurrent runs never see a half-written index (the last writer wins; the loser's new entries are recomputed by a
later run). An unreadable or malformed index counts as empty. JSON, not pickle: a cache checked out with a
repository must not be able to run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

from tflint_vars import __version__
from tflint_vars.diagnostics import Diagnostic
from tflint_vars.engine import CodeSelection, check_file, check_source, map_chunks, open_regular_file, read_file
from tflint_vars.project import FileResolver, ProjectIndex, set_shared_index, shared_index

CACHE_DIR_ENV = "TFLINT_VARS_CACHE_DIR"
CACHE_DIR_NAME = ".tflint-vars-cache"
FORMAT = 2  # bump when the index layout changes
RACY_NS = 2_000_000_000
PRUNE_AFTER_DAYS = 30  # entries of files no run has seen for this long are dropped

Fingerprint = tuple[int, int, int, int]  # st_size, st_mtime_ns, st_ctime_ns, st_ino


def cache_directory(first_path: str, pyproject: str | None) -> str:
    """Where the cache lives for a run whose first path is `first_path` (see the module docstring)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return configured
    if pyproject is None:
        from tflint_vars.config import find_pyproject

        pyproject = find_pyproject(first_path)
    return os.path.join(os.path.dirname(pyproject) if pyproject else os.getcwd(), CACHE_DIR_NAME)


def _code_fingerprint() -> str:
    """Names, sizes and mtimes of the package's own modules: an edited rule invalidates the cache even when the
    version number did not change (editable installs, development)."""
    package = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for directory, subdirs, files in os.walk(package):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(directory, name))
                parts.append(f"{os.path.relpath(os.path.join(directory, name), package)}:{stat.st_size}:"
                             f"{stat.st_mtime_ns}")
    return "\n".join(parts)


def configuration_key(selection: CodeSelection) -> str:
    material = json.dumps([FORMAT, __version__, _code_fingerprint(), sys.version, sorted(selection.select),
                           sorted(selection.ignore)])
    return hashlib.blake2b(material.encode(), digest_size=12).hexdigest()


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _fingerprint(stat: os.stat_result) -> Fingerprint:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


@dataclass
class FileResult:
    """One checked file, as a worker returns it: what to report and what to remember."""

    path: str
    diagnostics: list[Diagnostic]
    fingerprint: Fingerprint | None  # None: not worth remembering (racy timestamps, or unreadable)
    digest: str | None  # None: the file could not be read
    dependencies: dict[str, list | None] = field(default_factory=dict)  # base class as imported -> project's answer
    summaries: dict[str, list] = field(default_factory=dict)  # module summaries the worker consulted


def _check_chunk_remembering(args: tuple[list[str], CodeSelection]) -> list[FileResult]:
    paths, selection = args
    results = []
    now = time.time_ns()
    for path in paths:
        try:
            with open_regular_file(path) as handle:  # a FIFO is reported by check_file, not waited on
                stat = os.fstat(handle.fileno())  # before reading: a write during the read leaves a newer mtime
                data = handle.read()
        except OSError:  # check_file reports it as TFV000; nothing to remember
            results.append(FileResult(path, check_file(path, selection), None, None))
            continue
        fingerprint = _fingerprint(stat)
        if now - max(stat.st_mtime_ns, stat.st_ctime_ns) < RACY_NS:
            fingerprint = None
        index = shared_index()  # this process's: inherited from the parent, seeded with the cache's summaries
        resolver = FileResolver(index, path)
        diagnostics = check_source(data, path, selection, resolver=resolver)
        read = index.take_fresh()
        results.append(FileResult(path, diagnostics, fingerprint, content_digest(data),
                                  {ref: list(answer) if answer else None for ref, answer in resolver.asked.items()},
                                  read))
    return results


def _diagnostic(path: str, row: list) -> Diagnostic:
    """A remembered row back as a Diagnostic; ValueError when the row is not one this module wrote."""
    line, column, code, message, fix = row
    if not (type(line) is int and type(column) is int and isinstance(code, str) and isinstance(message, str)
            and (fix is None or isinstance(fix, str))):
        raise ValueError(f"malformed cache row {row!r}")
    return Diagnostic(path, line, column, code, message, fix)


class ResultCache:
    """The index of one configuration in one cache directory."""

    def __init__(self, directory: str, selection: CodeSelection):
        self.directory = directory
        self.index_path = os.path.join(directory, f"index-{configuration_key(selection)}.json")
        self.modules: dict[str, list] = {}  # module summaries for the project index, see tflint_vars.project
        self.entries: dict[str, list] = self._load()
        self.dirty = False
        self.today = int(time.time() // 86400)
        self.project = ProjectIndex(self.modules)
        self.modules_used: dict[str, list] = {}  # the summaries this run's workers read

    def _load(self) -> dict[str, list]:
        try:
            with open(self.index_path, "rb") as handle:
                index = json.load(handle)
        except (OSError, ValueError):
            return {}
        if not isinstance(index, dict) or index.get("format") != FORMAT or not isinstance(index.get("files"), dict):
            return {}
        if isinstance(index.get("modules"), dict):
            self.modules = index["modules"]
        return index["files"]

    def _dependencies_hold(self, absolute: str, dependencies: dict) -> bool:
        """Whether the project index still gives the answers the file was checked with."""
        for ref, answer in dependencies.items():
            now = self.project.resolve(absolute, ref)
            if (list(now) if now else None) != answer:
                return False
        return True

    def lookup(self, path: str, absolute: str) -> list[Diagnostic] | None:
        """The remembered diagnostics of `path`, or None when it must be checked."""
        entry = self.entries.get(absolute)
        if entry is None:
            return None
        try:
            fingerprint, digest, rows, seen, dependencies = entry
            stat = os.stat(path)
            if fingerprint is None or tuple(fingerprint) != _fingerprint(stat):
                data = read_file(path)
                if content_digest(data) != digest:
                    return None
                # Same content under a new stat (touched, checked out again): remember the new fingerprint.
                racy = time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < RACY_NS
                entry[0] = None if racy else list(_fingerprint(stat))
                self.dirty = True
            diagnostics = [_diagnostic(path, row) for row in rows]
            if dependencies and not self._dependencies_hold(absolute, dependencies):
                return None
        except (OSError, TypeError, ValueError, AttributeError):  # unreadable now, or a malformed entry: afresh
            return None
        if seen != self.today:
            entry[3] = self.today
            self.dirty = True
        return diagnostics

    def remember(self, result: FileResult, absolute: str) -> None:
        if result.digest is None:
            return
        rows = [[d.line, d.column, d.code, d.message, d.fix] for d in result.diagnostics]
        self.entries[absolute] = [list(result.fingerprint) if result.fingerprint else None, result.digest, rows,
                                  self.today, result.dependencies]
        self.modules_used.update(result.summaries)
        self.dirty = True

    def save(self) -> None:
        """Write the index atomically when it changed. A cache that cannot be written is reported, not fatal."""
        if not self.dirty:
            return
        oldest = self.today - PRUNE_AFTER_DAYS
        files = {path: entry for path, entry in self.entries.items()
                 if isinstance(entry, list) and len(entry) == 5 and isinstance(entry[3], int) and entry[3] >= oldest}
        # The summaries this run consulted: the ones a later run will need, while those files are unchanged.
        modules = {**self.project.consulted(), **self.modules_used}
        temporary = None
        try:
            self._create_directory()
            descriptor, temporary = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=self.directory)
            os.fchmod(descriptor, 0o644)  # mkstemp's 0600 would lock out a shared CI cache
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump({"format": FORMAT, "tool": __version__, "files": files, "modules": modules}, handle,
                          separators=(",", ":"))
            os.replace(temporary, self.index_path)
            temporary = None
        except OSError as error:
            print(f"tflint-vars: warning: cannot write the cache in {self.directory}: {error.strerror or error} "
                  f"(set {CACHE_DIR_ENV}, or pass --no-cache)", file=sys.stderr)
        finally:
            if temporary is not None:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass

    def _create_directory(self) -> None:
        if os.path.isdir(self.directory):
            return
        os.makedirs(self.directory, exist_ok=True)
        # Version control and backup tools skip the directory (https://bford.info/cachedir/).
        for name, text in ((".gitignore", "# Created by tflint-vars.\n*\n"),
                           ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                            "# This directory is a cache of tflint-vars.\n")):
            try:
                with open(os.path.join(self.directory, name), "x", encoding="utf-8") as handle:
                    handle.write(text)
            except FileExistsError:
                pass


def check_files_cached(paths: list[str], selection: CodeSelection, jobs: int | None, directory: str
                       ) -> list[Diagnostic]:
    """`engine.check_files` through the cache in `directory`: the same diagnostics, fewer files checked."""
    cache = ResultCache(directory, selection)
    set_shared_index(cache.project)  # the workers, forked below, start from the summaries the cache remembers
    diagnostics: list[Diagnostic] = []
    to_check: list[str] = []
    absolute_of: dict[str, str] = {}
    for path in paths:
        absolute = absolute_of[path] = os.path.abspath(path)
        remembered = cache.lookup(path, absolute)
        if remembered is None:
            to_check.append(path)
        else:
            diagnostics.extend(remembered)
    for result in map_chunks(_check_chunk_remembering, to_check, selection, jobs):
        diagnostics.extend(result.diagnostics)
        cache.remember(result, absolute_of[result.path])
    if cache.project.read:  # the parent read summaries to validate dependencies: keep them for the next run
        cache.dirty = True
    cache.save()
    return diagnostics
