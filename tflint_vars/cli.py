"""`tflint-vars check | rule | verify`: the command line. Exit codes: 0 clean, 1 findings, 2 usage or internal error."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from tflint_vars import __version__
from tflint_vars.config import Config, ConfigError, load_config, load_config_file, validate_codes
from tflint_vars.engine import DEFAULT_EXCLUDES, CodeSelection, check_files, discover
from tflint_vars.engine import _excluded as excluded
from tflint_vars.output import FORMATS
from tflint_vars.rules import ALL_RULES, RULES_BY_CODE

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tflint-vars", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tflint-vars {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="report diagnostics (and fix them with --fix)")
    check.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    check.add_argument("--select", type=_codes, help="comma-separated codes or prefixes to enable (default: TFV)")
    check.add_argument("--ignore", type=_codes, help="comma-separated codes or prefixes to disable")
    check.add_argument("--extend-select", type=_codes, default=[], help="codes to enable on top of the selection")
    check.add_argument("--output-format", choices=sorted(FORMATS), default="text")
    check.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: every core)")
    check.add_argument("--config", help="pyproject.toml to read [tool.tflint-vars] from (default: the nearest)")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply excludes to files named on the command line too (for pre-commit and editors)")
    check.add_argument("--fix", action="store_true", help="apply safe fixes, then report what is left")
    check.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                       help="with --fix/--diff, apply unsafe fixes too (config: unsafe-fixes = true)")
    check.add_argument("--diff", action="store_true",
                       help="print a unified diff of what --fix would change and write nothing (exit 1 on a diff)")
    check.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the result cache (.tflint-vars-cache/ or $TFLINT_VARS_CACHE_DIR)")

    rule = commands.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. TFV001")
    rule.add_argument("--all", action="store_true", help="list every rule: code, name, fix")

    from tflint_vars import verify  # only its arguments here: it runs code (in subprocesses) for `verify` alone

    verify.add_parser(commands)
    return parser


def _selection(args: argparse.Namespace, config: Config) -> CodeSelection:
    select = validate_codes(args.select, "--select") if args.select else config.select
    select = select + validate_codes(args.extend_select, "--extend-select")
    ignore = validate_codes(args.ignore, "--ignore") if args.ignore is not None else config.ignore
    return CodeSelection(select, ignore)


def force_excluded(path: str, config: Config) -> bool:
    """Whether an exclude (the defaults or the configuration's, relative to the pyproject.toml's directory) matches
    the file or one of its directories: pre-commit names every staged file, so a walk's excludes never apply."""
    base = os.path.dirname(config.source) if config.source else os.getcwd()
    parts = os.path.relpath(os.path.abspath(path), base).split(os.sep)
    for depth, name in enumerate(parts, start=1):
        if name == os.pardir:
            continue
        if name in DEFAULT_EXCLUDES or name.endswith(".egg-info") \
                or excluded(name, os.path.join(*parts[:depth]), config.exclude):
            return True
    return False


def run_check(args: argparse.Namespace) -> int:
    config = load_config_file(args.config) if args.config else load_config(args.paths[0] if args.paths else ".")
    selection = _selection(args, config)
    found = discover(args.paths, config.exclude)
    if args.force_exclude:
        found.files = [path for path in found.files if not force_excluded(path, config)]
    for missing in found.missing:
        print(f"tflint-vars: error: {missing}: no such file or directory", file=sys.stderr)
    for directory, reason in found.unlistable:
        print(f"tflint-vars: error: {directory}: cannot list directory: {reason}", file=sys.stderr)
    if args.fix or args.diff:
        from tflint_vars.fixes.apply import run_fix

        unsafe = config.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes
        status = run_fix(found.files, selection, config.ignored_for, unsafe=unsafe, diff=args.diff,
                         output_format=args.output_format, jobs=args.jobs, stdout=sys.stdout, stderr=sys.stderr)
        return EXIT_ERROR if found.missing or found.unlistable else status
    if args.no_cache:
        diagnostics = check_files(found.files, selection, args.jobs)
    else:
        from tflint_vars.cache import cache_directory, check_files_cached

        directory = cache_directory(args.paths[0] if args.paths else ".", config.source)
        diagnostics = check_files_cached(found.files, selection, args.jobs, directory)
    if config.per_file_ignores:
        diagnostics = [d for d in diagnostics if not d.code.startswith(tuple(config.ignored_for(d.path)) or ("\0",))]
    diagnostics.sort()
    FORMATS[args.output_format](diagnostics, sys.stdout)
    if found.missing or found.unlistable:
        return EXIT_ERROR
    return EXIT_FINDINGS if diagnostics else EXIT_CLEAN


def run_rule(args: argparse.Namespace) -> int:
    if args.all or not args.code:
        width = max(len(rule.name) for rule in ALL_RULES)
        for rule in ALL_RULES:
            print(f"{rule.code}  {rule.name:<{width}}  fix: {rule.fix or 'none':<6}  {rule.summary()}")
        return EXIT_CLEAN
    rule = RULES_BY_CODE.get(args.code.upper())
    if rule is None:
        print(f"tflint-vars: error: unknown rule {args.code!r} (see `tflint-vars rule --all`)", file=sys.stderr)
        return EXIT_ERROR
    print(f"# {rule.name} ({rule.code})\n")
    print(f"Fix: {rule.fix or 'none'}\n")
    print(rule.documentation())
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "verify":
            from tflint_vars.verify import run_command

            return run_command(args)
        return run_rule(args)
    except ConfigError as error:
        print(f"tflint-vars: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_CLEAN
