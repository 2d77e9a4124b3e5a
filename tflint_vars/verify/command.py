"""`tflint-vars verify`: prove each diagnostic's claim and each fix under the real Keras 3 and Keras 2.

It EXECUTES the files it is given (their module-level code runs, as on import), in subprocesses, under the real
TensorFlow. Run it only on code you trust. `check` never runs it.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from tflint_vars.verify.runner import DEFAULT_FIXER, DEFAULT_TIMEOUT, Result, load_fixer, verify

__all__ = ["add_parser", "run_command"]

HELP = ("run fixtures under the real Keras 3 and Keras 2 to prove diagnostics and fixes "
        "(EXECUTES the code it is given, in subprocesses)")
DESCRIPTION = """Run each fixture (a .py file with a [verify] table in the .toml beside it) and its fixed version
under the real TensorFlow: Keras 3 as shipped, and Keras 2 through tf-keras (TF_USE_LEGACY_KERAS=1). Evidence per
fixture and runtime: variables created and tracked, gradients, a fit step, outputs, initial values, and whether the
diagnostic's claim holds. WARNING: this EXECUTES the files named (module-level code included), in subprocesses;
only run it on code you trust. Exit 0 when every result passes or is skipped, 1 on a fail or error, 2 on bad usage."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("verify", help=HELP, description=DESCRIPTION)
    parser.add_argument("paths", nargs="*", default=["fixtures"],
                        help="fixture files or directories (default: fixtures)")
    parser.add_argument("--runtime", choices=("keras3", "keras2", "both"), default="both")
    parser.add_argument("--output-format", choices=("text", "json"), default="text")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds per fixture and runtime before it is an error (default: {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--python", metavar="INTERPRETER",
                        help="the Python that runs the fixtures, e.g. your project's venv/bin/python with its own "
                             "TensorFlow and packages (default: the one running tflint-vars)")
    parser.add_argument("--fixer", default=DEFAULT_FIXER,
                        help=f"MODULE:FUNCTION or FILE.py:FUNCTION producing the fixed code (default: {DEFAULT_FIXER})")
    parser.add_argument("--replay", metavar="REPORT",
                        help="instead of fixtures, replay each class of REPORT (written by `pytest --tflint-vars "
                             "--tflint-vars-report=REPORT`) as the tests built and called it: the original module "
                             "against a fixed copy of its package, under Keras 2 and Keras 3; one line per class")


def _progress(result: Result, done: int, total: int) -> None:
    line = f"verify [{done}/{total}] {result.runtime} {result.fixture}: {result.verdict} ({result.seconds:.1f} s)"
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K" + line + ("\n" if done == total else ""))
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def run_command(args: argparse.Namespace) -> int:
    from tflint_vars.verify.report import write_json, write_text

    if args.timeout <= 0:
        print("tflint-vars: error: --timeout must be positive", file=sys.stderr)
        return 2
    try:
        fixer = load_fixer(args.fixer)
    except ValueError as error:
        print(f"tflint-vars: error: {error}", file=sys.stderr)
        return 2
    python = None
    if args.python:
        python = shutil.which(args.python)
        if python is None:
            print(f"tflint-vars: error: --python {args.python}: no such executable", file=sys.stderr)
            return 2
    if args.replay:
        return run_replay(args, fixer, python)
    runtimes = ["keras3", "keras2"] if args.runtime == "both" else [args.runtime]
    results, facts = verify(args.paths, runtimes, timeout=args.timeout, fixer=fixer, progress=_progress,
                            python=python)
    for missing in facts["missing"]:
        print(f"tflint-vars: error: {missing}: no such file or directory", file=sys.stderr)
    (write_json if args.output_format == "json" else write_text)(results, facts, sys.stdout)
    if facts["missing"] or not results:
        if not results and not facts["missing"]:
            print("tflint-vars: error: no fixtures found", file=sys.stderr)
        return 2
    return 0 if all(r.verdict in ("pass", "skip") for r in results) else 1


def run_replay(args: argparse.Namespace, fixer, python: str | None) -> int:
    """`verify --replay REPORT`: exit 0 unless a fix is wrong (1) or the report cannot be read (2)."""
    from tflint_vars.verify.replay import WRONG, ReportError, replay, write_json, write_text

    try:
        replays = replay(args.replay, fixer=fixer, timeout=args.timeout, python=python)
    except ReportError as error:
        print(f"tflint-vars: error: --replay: {error}", file=sys.stderr)
        return 2
    (write_json if args.output_format == "json" else write_text)(replays, sys.stdout)
    return 1 if any(r.verdict == WRONG for r in replays) else 0
