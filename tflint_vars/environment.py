"""The Python environment the checked code runs in: where its installed packages are.

The project index (tflint_vars.project) looks for a module it cannot find in the project on the `sys.path` of an
interpreter: the one running tflint-vars, or the one named by `check --python PATH` (flake8:
`--tflint-vars-python PATH`). The packages are never imported: their modules are read with the stdlib ast, only
those a base class leads to, and only when a base is not known otherwise.

The running interpreter's sys.path is this process's, less the entry of the script's or current directory (the
project index puts the checked file's directories there): the same in the CLI and in flake8, and free, where asking a
subprocess cost 30 ms of CPU and up to 0.2 s of wall time in each worker process (measured on the 2-core bench
machine under load). Another interpreter is asked once per process, in a subprocess; the result cache
(tflint_vars.cache) remembers its answer under a key made of the interpreter (its path and the stat fingerprint of
the file it resolves to), the current directory, the environment variables that change `sys.path`, and the stat
fingerprint of every directory in the answer: installing or removing a package, or a `.pth` file, changes its
directory's mtime, and the interpreter is asked again.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys

# The variables Python reads to build sys.path (site.py and the interpreter's startup).
PATH_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONSAFEPATH",
                  "PYTHONPLATLIBDIR", "VIRTUAL_ENV")
# Imports nothing: `-c` puts the current directory (the checked project) first on sys.path, where a `json.py` would
# otherwise be run. `sys` is built in and already loaded.
QUERY = "import sys; print(repr(sys.path))"
TIMEOUT_SECONDS = 60

_configured_python: list[str | None] = [None]


def use_python(python: str | None) -> None:
    """The interpreter whose installed packages the checks resolve (None: the one running tflint-vars). Set before
    the project index is first used; processes forked later inherit it."""
    _configured_python[0] = python


def configured_python() -> str | None:
    return _configured_python[0]


def interpreter_path(python: str) -> str:
    """The absolute path of `python`: a bare name is looked up on PATH, as a shell would."""
    if os.sep not in python:
        python = shutil.which(python) or python
    return os.path.abspath(python)


def interpreter_error(python: str) -> str | None:
    """Why `python` cannot be asked for its sys.path (not found, not executable), or None."""
    found = interpreter_path(python)
    if not os.path.isfile(found):
        return f"--python {python}: no such interpreter"
    if not os.access(found, os.X_OK):
        return f"--python {python}: not executable"
    return None


def _directory_stamp(path: str) -> list[int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_mtime_ns, stat.st_ino]


def _running_search_path() -> tuple[str, ...]:
    """This interpreter's sys.path without the entry Python put first for the way it was started: the script's
    directory (`tflint-vars`, `flake8`: the environment's bin/) or the current directory (`-c`, `-m`; the CLI's
    `__main__` has already removed it). What a subprocess `-c` would print, less its "" (the current directory)."""
    script = sys.argv[0] if sys.argv else ""
    started_from = {"", os.getcwd(), os.path.dirname(os.path.abspath(script)) if os.path.isfile(script) else ""}
    return tuple(dict.fromkeys(entry for entry in sys.path if entry not in started_from and os.path.isabs(entry)
                               and os.path.isdir(entry)))


class Environment:
    """The sys.path of one interpreter, asked lazily, once per process. `remembered` is the cache's last answer:
    {"key": [...], "path": [...], "stamps": [...]}, used while its key and its directories' stamps still hold."""

    def __init__(self, python: str | None = None, remembered: dict | None = None):
        self.python = python  # None: configured_python() when asked, else the interpreter running tflint-vars
        self.remembered = remembered
        self._path: tuple[str, ...] | None = None
        self.fresh: dict | None = None  # an answer asked in this process and not yet taken for the cache

    def interpreter(self) -> str:
        return interpreter_path(self.python or configured_python() or sys.executable)

    def key(self) -> list:
        """What the answer depends on besides the directories it lists."""
        interpreter = self.interpreter()
        try:
            stat = os.stat(os.path.realpath(interpreter))
            fingerprint = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        except OSError:
            fingerprint = None
        return [interpreter, fingerprint, os.getcwd(), [os.environ.get(name) for name in PATH_VARIABLES]]

    def search_path(self) -> tuple[str, ...]:
        """The interpreter's sys.path directories, in its order (its script-directory entry left out: the project
        index puts the checked file's directories there)."""
        if self._path is None:
            if (self.python or configured_python()) is None:
                self._path = _running_search_path()
            else:
                self._path = self._remembered_path()
                if self._path is None:
                    self._path = self._ask()
        return self._path

    def _remembered_path(self) -> tuple[str, ...] | None:
        remembered = self.remembered
        if not isinstance(remembered, dict) or remembered.get("key") != self.key():
            return None
        path, stamps = remembered.get("path"), remembered.get("stamps")
        if not (isinstance(path, list) and isinstance(stamps, list) and len(path) == len(stamps)
                and all(isinstance(entry, str) for entry in path)):
            return None
        if any(_directory_stamp(entry) != stamp for entry, stamp in zip(path, stamps)):
            return None  # a package or .pth file added or removed: ask again
        return tuple(path)

    def _ask(self) -> tuple[str, ...]:
        interpreter = self.interpreter()
        try:
            result = subprocess.run([interpreter, "-c", QUERY], capture_output=True, text=True,
                                    timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
            entries = ast.literal_eval(result.stdout.strip()) if result.returncode == 0 else None
            if not (isinstance(entries, list) and all(isinstance(entry, str) for entry in entries)):
                raise ValueError(result.stderr.strip().splitlines()[-1] if result.stderr.strip()
                                 else f"exit status {result.returncode}")
        except (OSError, ValueError, SyntaxError, subprocess.SubprocessError) as error:
            print(f"tflint-vars: warning: cannot ask {interpreter} for its sys.path ({error}): base classes from "
                  "installed packages are not resolved", file=sys.stderr)
            entries = []
        # `-c` puts "" (the current directory) first; zip files and missing entries hold no source to read.
        path = tuple(dict.fromkeys(entry for entry in entries if os.path.isabs(entry) and os.path.isdir(entry)))
        self.fresh = {"key": self.key(), "path": list(path), "stamps": [_directory_stamp(p) for p in path]}
        return path

    def take_fresh(self) -> dict | None:
        """The answer asked in this process, once (a worker hands it to the parent, which caches it)."""
        fresh, self.fresh = self.fresh, None
        return fresh

