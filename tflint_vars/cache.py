"""The result cache of `tflint-vars check`: a file whose content, tool and configuration are unchanged since the
last run is not read, parsed or analysed again.

Where: `$TFLINT_VARS_CACHE_DIR` when set, else the user cache directory (`$XDG_CACHE_HOME/tflint-vars`, default
`~/.cache/tflint-vars`), one subdirectory per project: the directory of the nearest pyproject.toml above the first
checked path, else the current directory. Never inside the checked repository by default. `--no-cache` neither
reads nor writes it; deleting it is safe.

What: one JSON index per configuration, `index-<key>.json`, where the key hashes the tool version, a fingerprint of
the installed rule code, the Python version (its parser writes TFV000's messages) and the selected codes. The index
maps each file's absolute path to its stat fingerprint, the BLAKE2 hash of its content, its diagnostics and its
dependencies: the base classes it imports from the project's other modules or installed packages, and the imports
it uses as TensorFlow (`@`-prefixed), with the project index's answer (tflint_vars.project). A file whose stat
fingerprint (size, mtime, ctime, inode) is unchanged is a hit without being read; otherwise its content is hashed
and compared. A hit whose dependencies now get another answer (a base class changed in another module) is checked
again. The index also keeps the summaries of the modules the project index read in the last run (keyed by path,
stat fingerprint and content hash; installed modules too), so a warm run answers without parsing them, and the
`sys.path` of a `--python` interpreter with the key that says when to ask it again (tflint_vars.environment). A
fingerprint taken within two seconds of a write may miss a later same-size write in the same clock tick, so it is
not stored and that file is hashed next time ("racy" timestamps, as git does).

Trust: a cache must never hide a finding, so an index counts only if this user wrote it. Its first line is an
HMAC-SHA256 of the rest, keyed by a per-user secret (32 random bytes) kept outside any repository in
`$XDG_CONFIG_HOME/tflint-vars/cache-key` (default `~/.config/tflint-vars/cache-key`), created with mode 0600. An
index committed to a repository, restored from someone else's CI cache or pointed at by `TFLINT_VARS_CACHE_DIR`
that was not signed with that secret is ignored (treated as empty) and rewritten. A secret that is missing and
cannot be created, or that other users could read or write, turns the cache off with a warning.

Safety: the index is read once and written once per run, to a temporary file renamed over the old one, so two
concurrent runs never see a half-written index (the last writer wins; the loser's new entries are recomputed by a
later run). An unreadable, malformed or unauthenticated index counts as empty. JSON, not pickle: even a signed index
must not be able to run code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

from tflint_vars import __version__
from tflint_vars.diagnostics import CodeSelection, Diagnostic, working_on
from tflint_vars.engine import check_file, check_source, map_chunks
from tflint_vars.environment import Environment
from tflint_vars.project import FileResolver, ProjectIndex, set_shared_index, shared_index
from tflint_vars.sources import (MAX_CACHE_INDEX_BYTES, RACY_NS, content_digest, read_file, read_regular_file,
                                 read_with_status, source_limit)

CACHE_DIR_ENV = "TFLINT_VARS_CACHE_DIR"
CACHE_DIR_NAME = ".tflint-vars-cache"  # the old in-project location: still excluded from walks, never read
FORMAT = 6  # bump when the index layout changes (2: signed; 3: dependencies and module summaries; 4: environment;
# 5: fix fields; 6: module summaries' class methods returning variables)
SECRET_NAME = "cache-key"
PRUNE_AFTER_DAYS = 30  # entries of files no run has seen for this long are dropped

Fingerprint = tuple[int, int, int, int]  # st_size, st_mtime_ns, st_ctime_ns, st_ino


def user_cache_root() -> str:
    """`$XDG_CACHE_HOME/tflint-vars`, else `~/.cache/tflint-vars` (a relative XDG value is ignored, as the XDG
    specification says)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tflint-vars")


def user_config_root() -> str:
    """`$XDG_CONFIG_HOME/tflint-vars`, else `~/.config/tflint-vars`: where the cache's secret lives."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "tflint-vars")


def cache_directory(first_path: str, pyproject: str | None) -> str:
    """Where the cache lives for a run whose first path is `first_path` (see the module docstring)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return configured
    if pyproject is None:
        from tflint_vars.config import find_pyproject

        pyproject = find_pyproject(first_path)
    project = os.path.abspath(os.path.dirname(pyproject) if pyproject else os.getcwd())
    key = hashlib.blake2b(project.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    return os.path.join(user_cache_root(), f"{os.path.basename(project) or 'root'}-{key}")


_SECRET: list[bytes | None] = []  # memo of user_secret() for this process


def user_secret() -> bytes | None:
    """This user's cache key, created on first use; None (after a warning) when it cannot be had safely."""
    if _SECRET:
        return _SECRET[0]
    directory = user_config_root()
    path = os.path.join(directory, SECRET_NAME)
    secret = None
    try:
        if not os.path.exists(path):
            os.makedirs(directory, mode=0o700, exist_ok=True)
            # Written in full to a private temporary file, then linked into place: a concurrent first run either
            # wins or reads the winner's complete key, never a half-written one.
            descriptor, temporary = tempfile.mkstemp(prefix=".cache-key-", dir=directory)  # mode 0600
            try:
                with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                    handle.write(os.urandom(32).hex() + "\n")
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    pass
            finally:
                os.unlink(temporary)
        data, status = read_with_status(path, 4096, follow_symlinks=False)  # a FIFO or a link is refused
        owner = os.geteuid() if hasattr(os, "geteuid") else status.st_uid  # no owners to compare on Windows
        if status.st_uid != owner or status.st_mode & 0o077:
            raise PermissionError(0, f"{path} must belong to you and be private (mode 0600)")
        secret = bytes.fromhex(data.decode("ascii").strip())
        if len(secret) < 16:
            raise ValueError("too short")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        print(f"tflint-vars: warning: the result cache is off: no usable key in {path}: {reason} (delete the file "
              "to have a new one made, or pass --no-cache)", file=sys.stderr)
        secret = None
    _SECRET.append(secret)
    return secret


def sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest().encode("ascii")


def authenticated_payload(secret: bytes, blob: bytes) -> bytes | None:
    """The JSON after the signature line when the signature is this user's, else None."""
    mac, _, payload = blob.partition(b"\n")
    return payload if hmac.compare_digest(mac, sign(secret, payload)) else None


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
                           sorted(selection.ignore), selection.fixes.key(), selection.ignore_noqa])
    return hashlib.blake2b(material.encode(), digest_size=12).hexdigest()


def _fingerprint(stat: os.stat_result) -> Fingerprint:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


@dataclass
class FileResult:
    """One checked file, as a worker returns it: what to report and what to remember."""

    path: str
    diagnostics: list[Diagnostic]
    fingerprint: Fingerprint | None  # None: not worth remembering (racy timestamps, or unreadable)
    digest: str | None  # None: the file could not be read
    # question -> the project index's answer (ProjectIndex.answer): base classes as imported, and `@`-aliases
    dependencies: dict[str, list | str | None] = field(default_factory=dict)
    summaries: dict[str, list] = field(default_factory=dict)  # module summaries the worker consulted
    environment: dict | None = None  # the interpreter's sys.path, when this worker asked for it


def _check_chunk_remembering(args: tuple[list[str], CodeSelection]) -> list[FileResult]:
    paths, selection = args
    results = []
    now = time.time_ns()
    for path in paths:
        with working_on(path):
            results.append(_check_remembering(path, selection, now))
    return results


def _check_remembering(path: str, selection: CodeSelection, now: int) -> FileResult:
    try:
        data, stat = read_with_status(path, source_limit(path))  # a FIFO is reported by check_file
    except OSError:  # check_file reports it as TFV000; nothing to remember
        return FileResult(path, check_file(path, selection), None, None)
    fingerprint = _fingerprint(stat)
    if now - max(stat.st_mtime_ns, stat.st_ctime_ns) < RACY_NS:
        fingerprint = None
    index = shared_index()  # this process's: inherited from the parent, seeded with the cache's summaries
    resolver = FileResolver(index, path)
    diagnostics = check_source(data, path, selection, resolver=resolver)
    read = index.take_fresh()
    return FileResult(path, diagnostics, fingerprint, content_digest(data), resolver.asked, read,
                      index.environment.take_fresh())


def _diagnostic(path: str, row: list) -> Diagnostic:
    """A remembered row back as a Diagnostic; ValueError when the row is not one this module wrote."""
    line, column, code, message, fix, title, reason, cell = row
    if not (type(line) is int and type(column) is int and isinstance(code, str) and isinstance(message, str)
            and all(value is None or isinstance(value, str) for value in (fix, title, reason))
            and (cell is None or type(cell) is int)):
        raise ValueError(f"malformed cache row {row!r}")
    return Diagnostic(path, line, column, code, message, fix, cell, title, reason)


class ResultCache:
    """The index of one configuration in one cache directory."""

    def __init__(self, directory: str, selection: CodeSelection):
        self.directory = directory
        self.index_path = os.path.join(directory, f"index-{configuration_key(selection)}.json")
        self.secret = user_secret()  # None: the cache is off for this run (neither read nor written)
        self.modules: dict[str, list] = {}  # module summaries for the project index, see tflint_vars.project
        self.environment: dict | None = None  # the interpreter's sys.path, see tflint_vars.environment
        self.entries: dict[str, list] = self._load()
        self.dirty = False
        self.today = int(time.time() // 86400)
        self.project = ProjectIndex(self.modules, Environment(remembered=self.environment))
        self.modules_used: dict[str, list] = {}  # the summaries this run's workers read

    def _load(self) -> dict[str, list]:
        if self.secret is None:
            return {}
        try:
            payload = authenticated_payload(self.secret, read_regular_file(self.index_path, MAX_CACHE_INDEX_BYTES))
            if payload is None:  # not written by this user with this key: it must not answer for any file
                return {}
            index = json.loads(payload)
        except (OSError, ValueError):
            return {}
        if not isinstance(index, dict) or index.get("format") != FORMAT or not isinstance(index.get("files"), dict):
            return {}
        if isinstance(index.get("modules"), dict):
            self.modules = index["modules"]
        if isinstance(index.get("environment"), dict):
            self.environment = index["environment"]
        return index["files"]

    def _dependencies_hold(self, absolute: str, dependencies: dict) -> bool:
        """Whether the project index still gives the answers the file was checked with."""
        return all(self.project.answer(absolute, question) == answer for question, answer in dependencies.items())

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
        rows = [[d.line, d.column, d.code, d.message, d.fix, d.fix_title, d.fix_reason, d.cell]
                for d in result.diagnostics]
        self.entries[absolute] = [list(result.fingerprint) if result.fingerprint else None, result.digest, rows,
                                  self.today, result.dependencies]
        self.modules_used.update(result.summaries)
        self.remember_environment(result.environment)
        self.dirty = True

    def remember_environment(self, answer: dict | None) -> None:
        if answer is not None and answer != self.environment:
            self.environment = answer
            self.dirty = True

    def save(self) -> None:
        """Write the index atomically when it changed. A cache that cannot be written is reported, not fatal."""
        if not self.dirty or self.secret is None:
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
            payload = json.dumps({"format": FORMAT, "tool": __version__, "files": files, "modules": modules,
                                  "environment": self.environment}, separators=(",", ":")).encode("utf-8")
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(sign(self.secret, payload) + b"\n" + payload)
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
        if os.environ.get(CACHE_DIR_ENV) is None:  # the user cache directory: private to this user
            os.makedirs(user_cache_root(), mode=0o700, exist_ok=True)
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
    cache.remember_environment(cache.project.environment.take_fresh())  # asked to validate dependencies
    cache.save()
    return diagnostics
