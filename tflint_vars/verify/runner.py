"""Runs fixtures under the real runtimes: one worker subprocess per runtime, both runtimes in parallel.

The fixed code comes from the project's own fixes (`tflint_vars.fixes.fix_source`, or another function with its
signature given as `fixer`), computed here in the parent, which never imports TensorFlow. Each runtime's worker is
reused for many fixtures (importing TensorFlow costs seconds); a fixture that hangs past the timeout, crashes the
interpreter or exits gets `error` for itself, the worker is replaced, and the remaining fixtures still run.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tflint_vars.sources import read_regular_file
from tflint_vars.verify.declaration import DeclarationError, Fixture, discover_fixtures, load_fixture
from tflint_vars.verify.judge import Judgement, combine, judge_exercise
from tflint_vars.verify.processes import adopting_orphans, end_orphans, forget_worker, kill_tree, start_worker

Fixer = Callable[..., str]
RUNTIME_ENV = {"keras3": "0", "keras2": "1"}  # TF_USE_LEGACY_KERAS: tf.keras is Keras 3, or tf-keras (Keras 2)
DEFAULT_TIMEOUT = 120.0
# Starting a worker (importing TensorFlow) is not the fixture's time: it gets at least this long, even when busy.
STARTUP_TIMEOUT = 120.0
# A worker is replaced after this many fixtures, so that state Keras keeps between them (names, caches) stays small.
JOBS_PER_WORKER = 50
DEFAULT_FIXER = "tflint_vars.fixes.fixer:fix_source"
# Run by path, not `-m`: the worker imports nothing of tflint_vars, so any interpreter with TensorFlow can run it
# (`--python`) without this package or its dependencies installed there, and nothing is added to its sys.path.
WORKER_SCRIPT = str(Path(__file__).resolve().with_name("worker.py"))


def load_fixer(spec: str) -> Fixer:
    """`module:function` or `path/to/file.py:function`: a function with fix_source's signature."""
    module_name, _, function_name = spec.rpartition(":")
    if not module_name or not function_name:
        raise ValueError(f"--fixer must be MODULE:FUNCTION or FILE.py:FUNCTION, got {spec!r}")
    if module_name.endswith(".py"):
        location = Path(module_name)
        if not location.is_file():
            raise ValueError(f"--fixer: no such file {module_name!r}")
        loader_spec = importlib.util.spec_from_file_location(f"_tflint_verify_fixer_{location.stem}", location)
        module = importlib.util.module_from_spec(loader_spec)
        loader_spec.loader.exec_module(module)  # type: ignore[union-attr]
    else:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ValueError(f"--fixer: cannot import {module_name!r}: {error}") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ValueError(f"--fixer: {module_name!r} has no function {function_name!r}")
    return function


@dataclass
class Job:
    fixture: Fixture
    original: str = ""
    fixed: str = ""
    error: str | None = None  # could not prepare (unreadable file, fixer raised, bad declaration)
    fixed_path: str | None = None  # the fixed module's own file, in a fixed copy of its package (replay)

    def payload(self) -> str:
        return json.dumps({
            "fixture": self.fixture.name, "path": str(self.fixture.path),
            "sources": {"original": self.original, "fixed": self.fixed},
            "exercises": [ex.to_json() for ex in self.fixture.exercises if ex.kind != "skip"],
            **({"paths": {"fixed": self.fixed_path}} if self.fixed_path else {}),
        }) + "\n"


@dataclass
class Result:
    fixture: str
    runtime: str
    verdict: str
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    path: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"fixture": self.fixture, "runtime": self.runtime, "verdict": self.verdict, "reasons": self.reasons,
                "notes": self.notes, "claims": self.claims, "seconds": round(self.seconds, 3), "path": self.path,
                "exercises": self.evidence}


class WorkerCrashed(Exception):
    pass


class Worker:
    """One `python .../verify/worker.py` under one runtime's environment."""

    def __init__(self, runtime: str, python: str | None = None, script: str = WORKER_SCRIPT,
                 jobs_per_worker: int = JOBS_PER_WORKER) -> None:
        self.runtime = runtime
        self.python = python or sys.executable
        self.script = script
        self.jobs_per_worker = jobs_per_worker
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.stderr_tail: collections.deque = collections.deque(maxlen=30)
        self.info: dict[str, Any] = {}
        self.jobs = 0

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(TF_USE_LEGACY_KERAS=RUNTIME_ENV[self.runtime], CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3",
                   PYTHONUNBUFFERED="1", PYTHONHASHSEED="0", TFLINT_VARS_VERIFY_PARENT=str(os.getpid()))
        return env

    def start(self, timeout: float) -> None:
        try:
            self.process = start_worker(lambda: subprocess.Popen(
                [self.python, self.script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, encoding="utf-8", env=self.environment(), start_new_session=True))
        except OSError as error:
            raise WorkerCrashed(f"cannot run the interpreter {self.python}: {error.strerror or error}") from None
        self.lines = queue.Queue()
        process = self.process
        threading.Thread(target=self._pump, args=(process.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, args=(process.stderr,), daemon=True).start()
        self.info = self._receive(timeout, "starting TensorFlow")

    # The reading threads own the worker's stdout and stderr, and close them at end of file: closing a stream while
    # a thread is blocked reading it waits for that read, forever when an escaped grandchild holds the pipe open.
    @staticmethod
    def _pump(stream, lines: queue.Queue) -> None:
        with contextlib.suppress(OSError, ValueError), stream:
            for line in stream:
                lines.put(line)
        lines.put(None)

    def _drain(self, stream) -> None:
        with contextlib.suppress(OSError, ValueError), stream:
            for line in stream:
                self.stderr_tail.append(line.rstrip())

    def _receive(self, timeout: float, what: str) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise TimeoutError(f"timed out after {timeout:g} s {what}") from None
        if line is None:
            code = self.process.wait() if self.process else None
            self.stop()
            tail = " | ".join(t for t in list(self.stderr_tail)[-3:] if t)
            raise WorkerCrashed(f"worker exited with status {code} {what}" + (f": {tail}" if tail else ""))
        return json.loads(line)

    def run(self, job: Job, timeout: float) -> dict[str, Any]:
        return self.request(job.payload(), job.fixture.name, timeout)

    def request(self, payload: str, label: str, timeout: float) -> dict[str, Any]:
        """Send one JSON line, wait for its answer (starting or replacing the process as needed)."""
        if self.process is not None and self.jobs >= self.jobs_per_worker:
            self.stop()
        if self.process is None or self.process.poll() is not None:
            self.start(max(timeout, STARTUP_TIMEOUT))
            self.jobs = 0
        self.jobs += 1
        assert self.process is not None and self.process.stdin is not None
        self.stderr_tail.clear()
        try:
            self.process.stdin.write(payload)
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # reported by _receive as an exit
        answer = self._receive(timeout, f"running {label}")
        if answer.get("restart"):
            self.stop()
        return answer

    def stop(self) -> None:
        """Kill the worker and everything it started (processes.kill_tree), without waiting on their pipes."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            kill_tree(process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)  # a SIGKILLed process ends unless stuck in the kernel; never hang on it
        forget_worker(process.pid)
        with contextlib.suppress(OSError, ValueError):
            process.stdin.close()  # type: ignore[union-attr]
        end_orphans()  # what a worker that died by itself left to this process (a subreaper during verify())


def prepare(fixture_paths: list[Path], fixer: Fixer) -> list[Job]:
    jobs = []
    for path in fixture_paths:
        try:
            fixture = load_fixture(path)
        except DeclarationError as error:
            jobs.append(Job(Fixture(path.stem, path, []), error=str(error)))
            continue
        job = Job(fixture)
        if fixture.skip_reason is None:
            try:
                job.original = read_regular_file(str(path)).decode("utf-8")  # a FIFO fixture is not waited on
            except (OSError, UnicodeDecodeError) as error:
                job.error = f"cannot read {path}: {error}"
            else:
                try:
                    job.fixed = fixer(job.original, str(path), unsafe=fixture.unsafe)
                except Exception as error:  # the fixer's failure is this fixture's error, not the run's
                    job.error = f"the fixer raised {type(error).__name__}: {error}"
        jobs.append(job)
    return jobs


class SaveReferences:
    """The ORIGINAL's `.keras` round trip under Keras 2, per fixture and exercise: the bar every runtime's fixed code
    is held to ("saves and loads as it did under Keras 2"). The Keras 2 thread publishes each job's as its answer
    comes; another runtime's thread waits for it before judging a job that asks for `save` (both walk the jobs in
    the same order, so the wait is short). Without Keras 2 among the runtimes nothing is published or awaited."""

    def __init__(self, runtimes: list[str]) -> None:
        self.enabled = "keras2" in runtimes
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}
        self._values: dict[str, list[dict[str, Any] | None]] = {}

    def _event(self, key: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(key, threading.Event())

    def publish(self, key: str, values: list[dict[str, Any] | None]) -> None:
        with self._lock:
            self._values.setdefault(key, values)
        self._event(key).set()

    def close(self, keys: list[str]) -> None:
        """The Keras 2 thread ends: whatever it did not publish is unknown (None), and nobody waits on it."""
        for key in keys:
            self.publish(key, [])

    def get(self, job: Job, runtime: str, answer: dict[str, Any]) -> list[dict[str, Any] | None]:
        runnable = [ex for ex in job.fixture.exercises if ex.kind != "skip"]
        if runtime == "keras2":
            return keras2_saves(answer)
        if not self.enabled or not any(ex.save for ex in runnable):
            return []
        key = str(job.fixture.path)
        self._event(key).wait()
        with self._lock:
            return self._values.get(key, [])


def keras2_saves(answer: dict[str, Any]) -> list[dict[str, Any] | None]:
    """A Keras 2 answer's original round trips, per runnable exercise."""
    return [(entry.get("original") or {}).get("save") for entry in answer.get("exercises", [])]


def judge(job: Job, runtime: str, answer: dict[str, Any],
          reference_saves: list[dict[str, Any] | None] | None = None) -> Result:
    """`reference_saves`: per runnable exercise, the original's round trip under Keras 2 (SaveReferences)."""
    judgements: list[Judgement] = []
    evidence = answer.get("exercises", [])
    runnable = [ex for ex in job.fixture.exercises if ex.kind != "skip"]
    references = list(reference_saves or [])
    for index, (ex, entry) in enumerate(zip(runnable, evidence)):
        reference = references[index] if index < len(references) else None
        if ex.save:
            entry["original_keras2_save"] = reference
        judgements.append(judge_exercise(ex, runtime, entry, answer.get("same_source", False), reference))
    judgements.extend(judge_exercise(ex, runtime, {}, True) for ex in job.fixture.exercises if ex.kind == "skip")
    combined = combine(judgements)
    claims = [{"exercise": ex.label, **j.claim} for ex, j in zip(runnable, judgements) if j.claim]
    return Result(job.fixture.name, runtime, combined.verdict, combined.reasons, combined.notes, claims, evidence,
                  path=str(job.fixture.path))


def run_runtime(runtime: str, jobs: list[Job], timeout: float, report: Callable[[Result], None],
                info: dict[str, Any], python: str | None = None,
                references: SaveReferences | None = None) -> None:
    worker = Worker(runtime, python)
    references = references or SaveReferences([])
    try:
        for job in jobs:
            started = time.monotonic()
            if job.error:
                result = Result(job.fixture.name, runtime, "error", [job.error], path=str(job.fixture.path))
            elif job.fixture.skip_reason is not None:
                result = Result(job.fixture.name, runtime, "skip", [job.fixture.skip_reason],
                                path=str(job.fixture.path))
            else:
                try:
                    answer = worker.run(job, timeout)
                    if runtime == "keras2":
                        references.publish(str(job.fixture.path), keras2_saves(answer))
                    result = judge(job, runtime, answer, references.get(job, runtime, answer))
                    info.update(worker.info)
                except (TimeoutError, WorkerCrashed) as error:
                    result = Result(job.fixture.name, runtime, "error", [str(error)], path=str(job.fixture.path))
                except Exception as error:  # the verifier's own bug: this fixture's error, the others still run
                    worker.stop()
                    result = Result(job.fixture.name, runtime, "error",
                                    [f"verifier internal error: {type(error).__name__}: {error}"],
                                    path=str(job.fixture.path))
            result.seconds = time.monotonic() - started
            if runtime == "keras2":
                references.publish(str(job.fixture.path), [])  # no answer (error, skip): unknown, do not wait
            report(result)
    finally:
        worker.stop()
        if runtime == "keras2":
            references.close([str(job.fixture.path) for job in jobs])


def verify(paths: list[str], runtimes: list[str], *, timeout: float = DEFAULT_TIMEOUT, fixer: Fixer | None = None,
           progress: Callable[[Result, int, int], None] | None = None,
           python: str | None = None) -> tuple[list[Result], dict[str, Any]]:
    """Verify the fixtures under `paths` in each runtime, the workers run by `python` (default: this interpreter).
    Returns the results (fixture order, then runtime order) and facts about the run (missing paths, runtime
    versions, seconds)."""
    if fixer is None:
        fixer = load_fixer(DEFAULT_FIXER)
    started = time.monotonic()
    fixture_paths, missing = discover_fixtures(paths)
    jobs = prepare(fixture_paths, fixer)
    results: list[Result] = []
    lock = threading.Lock()
    total = len(jobs) * len(runtimes)
    infos: dict[str, dict[str, Any]] = {runtime: {} for runtime in runtimes}

    def report(result: Result) -> None:
        with lock:
            results.append(result)
            if progress:
                progress(result, len(results), total)

    references = SaveReferences(runtimes)
    threads = [threading.Thread(target=run_runtime,
                                args=(runtime, jobs, timeout, report, infos[runtime], python, references))
               for runtime in runtimes]
    with adopting_orphans():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    order = {str(job.fixture.path): index for index, job in enumerate(jobs)}
    results.sort(key=lambda r: (order.get(r.path, 0), runtimes.index(r.runtime)))
    facts = {"missing": missing, "runtimes": infos, "seconds": round(time.monotonic() - started, 2),
             "fixtures": len(jobs)}
    return results, facts
