"""`make bench`: tflint-vars against flake8 and ruff on two real code bases, in one run, on this machine.

Downloads (pip, once) and unpacks the tf-keras 2.21.0 and tensor2tensor 1.15.7 wheels into .bench/, then measures
each corpus `--repeat` times (default 5), the tools interleaved within each repetition so that a burst of load on a
shared machine hits all of them alike:

  cold        tflint-vars check --no-cache
  warm        tflint-vars check, the second of two runs on an emptied cache (the first is reported as "priming")
  fix-diff    tflint-vars check --fix --diff (when the CLI has --fix/--diff, else n/a)
  flake8      flake8 --isolated, without the tflint-vars plugin (bench/flake8_without_plugin.py)
  flake8+TFV  flake8 --isolated, with it
  ruff        ruff check --isolated --no-cache --select E,F,W (when installed)

Every tool runs from this interpreter's environment (its bin/ directory) with this checkout first on PYTHONPATH.
Wall time is the median with min-max (the goals are on wall time); CPU time (user+sys of the whole process tree)
comes from wait4(), and CPU ratios are printed beside the wall-time ones because CPU time moves less when other work
shares the machine. Memory comes from one more cold and one more warm run per corpus that sample /proc every 5 ms:
the peak RSS and PSS summed over the main process and its workers, and the largest single process. (wait4's
ru_maxrss is not used: a child spawned from this process inherits this process's RSS as its high-water mark.)
Prints a table and the ratios against the goals of issue 20, and writes
.bench/results.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
WHEELS = BENCH / "wheels"
CORPORA = BENCH / "corpus"
CACHE = BENCH / "cache"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

CORPUS_WHEELS = {  # name -> (requirement, wheel file name prefix)
    "tf-keras": ("tf-keras==2.21.0", "tf_keras-2.21.0-"),
    "tensor2tensor": ("tensor2tensor==1.15.7", "tensor2tensor-1.15.7-"),
}
GOALS = {  # issue 20 (issue 6's were 0.20, 0.05 and 10 % of flake8)
    "cold / flake8": 0.07,
    "cold / ruff": 4.0,
    "cold / ruff CPU": 4.0,
    "warm / ruff cold": 1.5,
    "warm / ruff cold CPU": 1.5,
    "warm / flake8": 0.05,
    "plugin overhead": 0.05,
    "plugin overhead CPU": 0.05,
    "peak RSS MB": 300,
}
FINDING_LINE = re.compile(r"^.+:\d+:\d+: ", re.M)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------- corpora


def fetch_corpora(names: list[str]) -> dict[str, Path]:
    """Download the wheels once (skipped when present) and unpack each once into .bench/corpus/<name>/."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    wanted = {name: CORPUS_WHEELS[name] for name in names}
    missing = [req for req, prefix in wanted.values() if not list(WHEELS.glob(prefix + "*.whl"))]
    if missing:
        log(f"downloading {', '.join(missing)} into {WHEELS.relative_to(ROOT)}/")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--quiet",
                   "-d", str(WHEELS), *missing]
        if subprocess.run(command).returncode != 0:
            sys.exit(f"bench: pip download failed; put the wheels ({', '.join(missing)}) into {WHEELS} by hand")
    corpora = {}
    for name, (_, prefix) in wanted.items():
        (wheel,) = sorted(WHEELS.glob(prefix + "*.whl"))[-1:]
        target = CORPORA / name
        stamp = target / ".unpacked"
        if not stamp.is_file() or stamp.read_text() != wheel.name:
            shutil.rmtree(target, ignore_errors=True)
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target)
            stamp.write_text(wheel.name)
        corpora[name] = target
    return corpora


# ---------------------------------------------------------------------------------------------------- running


@dataclass
class Run:
    wall: float
    cpu: float  # user + sys of the process and the children it waited for
    returncode: int
    stdout: str
    stderr: str


def run(command: list[str], env: dict[str, str]) -> Run:
    """One timed run; output goes to temporary files so a full pipe can never stall the tool."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(wall, usage.ru_utime + usage.ru_stime, process.returncode,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                queue.extend(int(child) for child in handle.read().split())
        except OSError:
            pass
    return pids


def _rollup(pid: int) -> tuple[int, int]:
    """(Rss, Pss) in kB from /proc/<pid>/smaps_rollup; (0, 0) once the process is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def tree_memory_peak(command: list[str], env: dict[str, str]) -> dict[str, float] | None:
    """Peak RSS and PSS summed over a process and its descendants, and the largest single RSS, sampled every 5 ms
    (Linux /proc only). RSS counts pages the forked workers share with the main process once per process; PSS
    splits them."""
    if not os.path.exists(f"/proc/{os.getpid()}/smaps_rollup"):
        return None
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    peak = {"rss_mb": 0.0, "pss_mb": 0.0, "largest_process_rss_mb": 0.0, "processes": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pids = _tree(process.pid)
            totals = [_rollup(pid) for pid in pids]
            peak["rss_mb"] = max(peak["rss_mb"], sum(r for r, _ in totals) / 1024)
            peak["pss_mb"] = max(peak["pss_mb"], sum(p for _, p in totals) / 1024)
            peak["largest_process_rss_mb"] = max([peak["largest_process_rss_mb"]] + [r / 1024 for r, _ in totals])
            peak["processes"] = max(peak["processes"], len(pids))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    done.set()
    sampler.join()
    return peak


# ---------------------------------------------------------------------------------------------------- measuring


@dataclass
class Series:
    runs: list[Run] = field(default_factory=list)

    def summary(self) -> dict:
        walls = [r.wall for r in self.runs]
        return {
            "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls), "n": len(walls),
            "cpu_median_s": statistics.median(r.cpu for r in self.runs),
        }


def tflint_vars_command() -> list[str]:
    script = BIN / "tflint-vars"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tflint_vars"]


def ruff_command() -> list[str] | None:
    script = BIN / "ruff"
    if script.is_file():
        return [str(script)]
    found = shutil.which("ruff")
    return [found] if found else None


def supports_fix_diff(env: dict[str, str]) -> bool:
    help_text = run([*tflint_vars_command(), "check", "--help"], env).stdout
    return "--fix" in help_text and "--diff" in help_text


def count_findings(text: str) -> int:
    return len(FINDING_LINE.findall(text))


def flake8_plugins(command: list[str], env: dict[str, str]) -> str:
    return " ".join(run([*command, "--version"], env).stdout.split())


def measure(corpora: dict[str, Path], repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
           "TFLINT_VARS_CACHE_DIR": str(CACHE)}
    tflint = tflint_vars_command()
    flake8_with = [str(BIN / "flake8")] if (BIN / "flake8").is_file() else [sys.executable, "-m", "flake8"]
    flake8_without = [sys.executable, str(ROOT / "bench" / "flake8_without_plugin.py")]
    with_plugins, without_plugins = flake8_plugins(flake8_with, env), flake8_plugins(flake8_without, env)
    if "tflint-vars" not in with_plugins or "tflint-vars" in without_plugins:
        sys.exit(f"bench: flake8 plugin set is not as expected:\n  with: {with_plugins}\n  without: {without_plugins}")
    ruff = ruff_command()
    fix_diff = supports_fix_diff(env)
    commands = {
        "cold": [*tflint, "check", "--no-cache"],
        "priming": [*tflint, "check"],
        "warm": [*tflint, "check"],
        "fix-diff": [*tflint, "check", "--fix", "--diff"] if fix_diff else None,
        "flake8": [*flake8_without, "--isolated"],
        "flake8+TFV": [*flake8_with, "--isolated"],
        "ruff": [*ruff, "check", "--isolated", "--no-cache", "--select", "E,F,W", "--output-format", "concise"]
        if ruff else None,
    }
    from tflint_vars.engine import discover

    results: dict = {"corpora": {},
                     "commands": {key: command and " ".join(command) for key, command in commands.items()},
                     "flake8_plugins": {"with": with_plugins, "without": without_plugins}}
    for name, corpus in corpora.items():
        files = len(discover([str(corpus)]).files)
        log(f"{name}: {files} files; warming the page cache")
        run([*tflint, "check", "--no-cache", str(corpus)], env)
        series = {key: Series() for key, command in commands.items() if command}
        outputs: dict[str, set[str]] = {"cold": set(), "warm": set()}
        for repetition in range(repeat):
            log(f"{name}: repetition {repetition + 1}/{repeat}")
            for key, command in commands.items():
                if command is None:
                    continue
                if key == "priming":
                    shutil.rmtree(CACHE, ignore_errors=True)
                result = run([*command, str(corpus)], env)
                if result.returncode not in (0, 1):
                    sys.exit(f"bench: {' '.join(command)} {corpus} exited {result.returncode}:\n{result.stderr}")
                series[key].runs.append(result)
                if key in outputs:
                    outputs[key].add(result.stdout)
        shutil.rmtree(CACHE, ignore_errors=True)
        memory = {"cold": tree_memory_peak([*commands["cold"], str(corpus)], env)}
        run([*commands["priming"], str(corpus)], env)
        memory["warm"] = tree_memory_peak([*commands["warm"], str(corpus)], env)
        last = {key: s.runs[-1] for key, s in series.items()}
        results["corpora"][name] = {
            "files": files,
            "findings": {
                "tflint-vars": count_findings(last["cold"].stdout),
                "flake8": len(last["flake8"].stdout.splitlines()),
                "flake8+TFV": len(last["flake8+TFV"].stdout.splitlines()),
                "TFV via flake8": sum(" TFV" in line for line in last["flake8+TFV"].stdout.splitlines()),
                **({"ruff": count_findings(last["ruff"].stdout)} if "ruff" in last else {}),
            },
            "cold_equals_warm": len(outputs["cold"] | outputs["warm"]) == 1,
            "times": {key: s.summary() for key, s in series.items()},
            "memory": memory,
        }
    return results


def ratios(corpus: dict) -> dict[str, float | None]:
    times = corpus["times"]
    flake8 = times["flake8"]["median_s"]
    memory = [m for m in corpus["memory"].values() if m]
    return {
        "cold / flake8": times["cold"]["median_s"] / flake8,
        "warm / flake8": times["warm"]["median_s"] / flake8,
        "plugin overhead": times["flake8+TFV"]["median_s"] / flake8 - 1,
        "peak RSS MB": max(m["rss_mb"] for m in memory) if memory else None,
        "cold / ruff": times["cold"]["median_s"] / times["ruff"]["median_s"] if "ruff" in times else None,
        "cold / ruff CPU": times["cold"]["cpu_median_s"] / times["ruff"]["cpu_median_s"] if "ruff" in times else None,
        "warm / ruff cold": times["warm"]["median_s"] / times["ruff"]["median_s"] if "ruff" in times else None,
        "warm / ruff cold CPU": (times["warm"]["cpu_median_s"] / times["ruff"]["cpu_median_s"]
                                 if "ruff" in times else None),
        # CPU time (user+sys, all processes) moves less than wall time when other work shares the machine.
        "cold / flake8 CPU": times["cold"]["cpu_median_s"] / times["flake8"]["cpu_median_s"],
        "warm / flake8 CPU": times["warm"]["cpu_median_s"] / times["flake8"]["cpu_median_s"],
        "plugin overhead CPU": times["flake8+TFV"]["cpu_median_s"] / times["flake8"]["cpu_median_s"] - 1,
    }


# ---------------------------------------------------------------------------------------------------- report


def report(results: dict) -> None:
    print(f"\n{results['machine']['cores']} cores, Python {results['machine']['python']}, "
          f"{results['machine']['date']}, load average before/after: {results['machine']['load_before']} / "
          f"{results['machine']['load_after']}")
    header = f"{'corpus':<14} {'measure':<11} {'median s':>9} {'min-max s':>13} {'CPU s':>7}"
    for name, corpus in results["corpora"].items():
        print(f"\n{name}: {corpus['files']} files; findings: "
              + ", ".join(f"{k} {v}" for k, v in corpus["findings"].items()))
        print(header)
        for key, t in corpus["times"].items():
            print(f"{name:<14} {key:<11} {t['median_s']:>9.3f} {t['min_s']:>6.2f}-{t['max_s']:<6.2f} "
                  f"{t['cpu_median_s']:>7.2f}")
        if "fix-diff" not in corpus["times"]:
            print(f"{name:<14} {'fix-diff':<11} {'n/a':>9}  (this checkout's `check` has no --fix/--diff)")
        for kind, memory in corpus["memory"].items():
            if memory:
                print(f"{kind} run memory, main process and workers summed: peak RSS {memory['rss_mb']:.0f} MB, "
                      f"PSS {memory['pss_mb']:.0f} MB; largest process {memory['largest_process_rss_mb']:.0f} MB; "
                      f"{memory['processes']} processes")
        print(f"cold and warm output identical: {'yes' if corpus['cold_equals_warm'] else 'NO'}")
        for goal, value in corpus["ratios"].items():
            if value is None:
                continue
            limit = GOALS.get(goal)
            shown = f"{value:.0f}" if goal.endswith("MB") else f"{value:.3f}"
            verdict = "" if limit is None else (f"  goal <= {limit}: " + ("met" if value <= limit else "NOT MET"))
            print(f"  {goal:<20} {shown:>8}{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per measurement (default 5)")
    parser.add_argument("--corpus", action="append", choices=sorted(CORPUS_WHEELS),
                        help="only this corpus (repeatable; default: both)")
    parser.add_argument("--output", type=Path, default=BENCH / "results.json")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    corpora = fetch_corpora(args.corpus or list(CORPUS_WHEELS))
    # An installed wheel has its bytecode (pip compiles it); an editable checkout under PYTHONDONTWRITEBYTECODE=1
    # would compile ~50 modules on every run (0.06 s, measured), which no user of a release pays.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tflint_vars")], check=True,
                   stdout=subprocess.DEVNULL)
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    load_before = os.getloadavg()
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    results = measure(corpora, args.repeat)
    results["machine"] = {
        "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(), "date": started,
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
        "repeat": args.repeat,
    }
    results["commit"] = commit.stdout.strip() or None
    for corpus in results["corpora"].values():
        corpus["ratios"] = ratios(corpus)
    results["goals"] = GOALS
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    print(f"\nwritten: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
