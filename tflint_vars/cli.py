"""`tflint-vars check | rule | verify | server | report`: the command line. Exit codes: 0 clean, 1 findings, 2 usage or
internal error."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Iterator, Sequence, TextIO

from tflint_vars import __version__
from tflint_vars.config import Config, ConfigError, load_config, load_config_file, validate_codes
from tflint_vars.diagnostics import CodeSelection, FileFailure, FixPolicy
from tflint_vars.engine import check_files, discover, excluded_path
from tflint_vars.output import FORMATS, ReportBuffer

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tflint-vars", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tflint-vars {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="report diagnostics (and fix them with --fix)")
    check.add_argument("paths", nargs="*", default=["."],
                       help="files or directories (default: .); `-` reads the source from standard input")
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
    check.add_argument("--fixable", type=_codes,
                       help="codes or prefixes whose fixes may be applied (default: TFV; config: fixable)")
    check.add_argument("--unfixable", type=_codes,
                       help="codes or prefixes whose fixes are never applied (config: unfixable)")
    check.add_argument("--extend-fixable", type=_codes, default=[], help="codes to make fixable on top of --fixable")
    check.add_argument("--extend-safe-fixes", type=_codes, default=[],
                       help="codes whose unsafe fixes count as safe (config: extend-safe-fixes)")
    check.add_argument("--extend-unsafe-fixes", type=_codes, default=[],
                       help="codes whose safe fixes count as unsafe (config: extend-unsafe-fixes)")
    check.add_argument("--diff", action="store_true",
                       help="print a unified diff of what --fix would change and write nothing (exit 1 on a diff)")
    check.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the result cache (in the user cache directory, or "
                            "$TFLINT_VARS_CACHE_DIR)")
    check.add_argument("--python", metavar="PATH",
                       help="the interpreter whose installed packages base classes are resolved in (default: the "
                            "one running tflint-vars); asked once for its sys.path, never imported from")
    check.add_argument("--stdin-filename", metavar="PATH",
                       help="read the source from standard input and report it as PATH: PATH chooses the "
                            "configuration and per-file-ignores, and with --force-exclude an excluded PATH is not "
                            "checked. --fix prints the fixed source to stdout and the report to stderr")
    check.add_argument("--add-noqa", action="store_true",
                       help="add `# noqa: TFVnnn` to the line of every current finding (keeping existing noqa codes "
                            "and line endings); exit 0 when every finding got one")
    check.add_argument("--ignore-noqa", action="store_true",
                       help="report (and with --fix, fix) what `# noqa` comments silence; TFV100 is not checked")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit 0 even when diagnostics are found (or --diff has changes); errors still exit 2")
    check.add_argument("--statistics", action="store_true",
                       help="print the number of diagnostics per code instead of the diagnostics")
    check.add_argument("--show-fixes", action="store_true",
                       help="list the fixes --fix applied per file, and for each finding left, whether it has a "
                            "safe fix, an unsafe one, or none and why")
    check.add_argument("--output-file", "-o", metavar="PATH",
                       help="write the report to PATH instead of stdout (the fixed source of `--fix -` still goes "
                            "to stdout)")
    check.add_argument("--quiet", "-q", action="store_true",
                       help="print the diagnostics and nothing else (no summary or `Fixed` line)")
    check.add_argument("--silent", "-s", action="store_true",
                       help="print nothing but errors (the exit code still says whether there were findings)")
    check.add_argument("--verbose", "-v", action="store_true",
                       help="on an internal error (a tflint-vars bug, exit 2), print its traceback too")

    rule = commands.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. TFV001")
    rule.add_argument("--all", action="store_true", help="list every rule: code, name, fix")

    report = commands.add_parser("report", help="a migration report: findings per package, module and rule, fix "
                                 "levels, classes checked, verification status (HTML or markdown)")
    report.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    report.add_argument("--html", metavar="DIR", help="write a self-contained HTML report to DIR/index.html")
    report.add_argument("--output-format", choices=("text", "markdown"), default="text",
                        help="what goes to stdout: a summary, or markdown for a pull-request comment")
    report.add_argument("--verify-report", metavar="JSON", action="append", default=[],
                        help="a `tflint-vars verify --output-format json` report: its verdicts per module")
    report.add_argument("--config", help="pyproject.toml to read [tool.tflint-vars] from (default: the nearest)")
    report.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: every core)")
    commands.add_parser("server", help="run the Language Server over stdio (needs the `server` extra: pygls)")

    # Only its arguments here: it runs code (in subprocesses) for `verify` alone.
    from tflint_vars.verify import command as verify

    verify.add_parser(commands)
    return parser


def _selection(args: argparse.Namespace, config: Config) -> CodeSelection:
    select = validate_codes(args.select, "--select") if args.select else config.select
    select = select + validate_codes(args.extend_select, "--extend-select")
    ignore = validate_codes(args.ignore, "--ignore") if args.ignore is not None else config.ignore
    return CodeSelection(select, ignore, _fix_policy(args, config.fixes), ignore_noqa=args.ignore_noqa)


def _fix_policy(args: argparse.Namespace, configured: FixPolicy) -> FixPolicy:
    """The configuration's fix settings, as ruff does: --fixable and --unfixable replace its lists, the --extend-*
    flags add to them."""
    fixable = tuple(validate_codes(args.fixable, "--fixable")) if args.fixable else configured.fixable
    unfixable = tuple(validate_codes(args.unfixable, "--unfixable")) if args.unfixable is not None \
        else configured.unfixable
    return FixPolicy(
        fixable=fixable + tuple(validate_codes(args.extend_fixable, "--extend-fixable")),
        unfixable=unfixable,
        extend_safe=configured.extend_safe + tuple(validate_codes(args.extend_safe_fixes, "--extend-safe-fixes")),
        extend_unsafe=configured.extend_unsafe + tuple(validate_codes(args.extend_unsafe_fixes,
                                                                      "--extend-unsafe-fixes")),
    )


def force_excluded(path: str, config: Config) -> bool:
    """Whether an exclude (the defaults or the configuration's, relative to the pyproject.toml's directory) matches
    the file or one of its directories: pre-commit names every staged file, so a walk's excludes never apply."""
    base = os.path.dirname(config.source) if config.source else os.getcwd()
    return excluded_path(os.path.relpath(os.path.abspath(path), base), config.exclude)


class ReportWriteError(ConfigError):
    """The report could not be written (a full disk, a closed stream): exit 2, whatever --exit-zero says."""


@contextlib.contextmanager
def _report_stream(args: argparse.Namespace, default: TextIO) -> Iterator[TextIO]:
    """Where the report goes: --output-file (its directory created, as ruff does), nowhere with --silent, else
    `default`. The report is gathered first and written at the end, so a write that fails (`-o /dev/full`) is one
    clear error and exit 2."""
    buffer = ReportBuffer(tty=not (args.silent or args.output_file) and default.isatty())
    yield buffer
    if args.silent:
        return
    target = f"--output-file {args.output_file}" if args.output_file else "cannot write the report to standard output"
    try:
        if args.output_file:
            os.makedirs(os.path.dirname(os.path.abspath(args.output_file)), exist_ok=True)
            with open(args.output_file, "w", encoding="utf-8") as handle:
                handle.write(buffer.getvalue())
        else:
            default.write(buffer.getvalue())
            default.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise ReportWriteError(f"{target}: {error.strerror or error}") from error


def _exit_status(args: argparse.Namespace, findings: bool, error: bool) -> int:
    if error:
        return EXIT_ERROR
    return EXIT_FINDINGS if findings and not args.exit_zero else EXIT_CLEAN


def _usage_error(message: str) -> int:
    print(f"tflint-vars: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _write_report(args: argparse.Namespace, diagnostics: list, stream: TextIO, failures: Sequence[str],
                  docs_url: str | None) -> None:
    from tflint_vars.output import write_fix_status, write_statistics

    if args.statistics:
        write_statistics(diagnostics, stream, args.output_format, failures=failures, quiet=args.quiet)
    else:
        FORMATS[args.output_format](diagnostics, stream, failures=failures, quiet=args.quiet, docs_url=docs_url)
    if args.show_fixes:
        write_fix_status(diagnostics, stream if args.output_format in ("text", "full", "concise") else sys.stderr)


def _check_usage(args: argparse.Namespace) -> str | None:
    """A combination of flags that cannot mean anything, or None."""
    if args.add_noqa and (args.fix or args.diff):
        return "--add-noqa cannot be combined with --fix or --diff"
    if args.add_noqa and args.ignore_noqa:
        return "--add-noqa cannot be combined with --ignore-noqa"
    if args.statistics and args.output_format == "sarif":
        return "--statistics prints counts, not results: use --output-format text or json with it"
    return None


def run_check(args: argparse.Namespace) -> int:
    args.quiet = args.quiet or args.silent
    problem = _check_usage(args)
    if problem:
        return _usage_error(problem)
    if args.python is not None:
        from tflint_vars.environment import interpreter_error, use_python

        problem = interpreter_error(args.python)
        if problem:
            return _usage_error(problem)
        use_python(args.python)
    if args.stdin_filename is not None or args.paths == ["-"]:
        return run_check_stdin(args)
    if "-" in args.paths:
        return _usage_error("`-` (standard input) must be the only path")
    config = load_config_file(args.config) if args.config else load_config(args.paths[0] if args.paths else ".")
    selection = _selection(args, config)
    found = discover(args.paths, config.exclude)
    if args.force_exclude:
        found.files = [path for path in found.files if not force_excluded(path, config)]
    failures = [f"{missing}: no such file or directory" for missing in found.missing]
    failures += [f"{directory}: cannot list directory: {reason}" for directory, reason in found.unlistable]
    for failure in failures:
        print(f"tflint-vars: error: {failure}", file=sys.stderr)
    if args.add_noqa:
        from tflint_vars.commands import run_add_noqa

        return run_add_noqa(found.files, selection, config.ignored_for, jobs=args.jobs, stderr=sys.stderr,
                            quiet=args.quiet, failures=len(failures), named=found.named, linked=found.linked)
    if args.fix or args.diff:
        from tflint_vars.commands import run_fix

        unsafe = config.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes
        with _report_stream(args, sys.stdout) as stream:
            return run_fix(found.files, selection, config.ignored_for, unsafe=unsafe, diff=args.diff,
                           output_format=args.output_format, jobs=args.jobs, stdout=stream, stderr=sys.stderr,
                           quiet=args.quiet, show_fixes=args.show_fixes, statistics=args.statistics,
                           exit_zero=args.exit_zero, failures=failures, named=found.named, linked=found.linked,
                           docs_url=config.docs_url)
    if args.no_cache:
        diagnostics = check_files(found.files, selection, args.jobs)
    else:
        from tflint_vars.cache import cache_directory, check_files_cached

        directory = cache_directory(args.paths[0] if args.paths else ".", config.source)
        diagnostics = check_files_cached(found.files, selection, args.jobs, directory)
    if config.per_file_ignores:
        diagnostics = [d for d in diagnostics if not d.code.startswith(tuple(config.ignored_for(d.path)) or ("\0",))]
    diagnostics.sort()
    with _report_stream(args, sys.stdout) as stream:
        _write_report(args, diagnostics, stream, failures, config.docs_url)
    return _exit_status(args, bool(diagnostics), bool(failures))


def run_check_stdin(args: argparse.Namespace) -> int:
    """`check -` / `--stdin-filename PATH`: one source read from standard input, never cached. PATH (default `-`)
    names it in the report and chooses the configuration, per-file-ignores and, with --force-exclude, excludes."""
    from tflint_vars.engine import check_source
    from tflint_vars.sources import decode_source
    from tflint_vars.output import provide_source

    path = args.stdin_filename if args.stdin_filename is not None else "-"
    if args.add_noqa:
        return _usage_error("--add-noqa edits files: it cannot be used with standard input")
    ignored_paths = [p for p in args.paths if p not in (".", "-")]
    if ignored_paths:
        print(f"tflint-vars: warning: ignoring {', '.join(ignored_paths)} in favour of standard input",
              file=sys.stderr)
    named = path != "-"
    config = load_config_file(args.config) if args.config else load_config(path if named else ".")
    selection = _selection(args, config)
    data = sys.stdin.buffer.read()
    if named and args.force_exclude and force_excluded(path, config):
        if args.fix:
            sys.stdout.buffer.write(data)  # an editor replaces its buffer with what --fix prints: give it back
            sys.stdout.buffer.flush()
        return EXIT_CLEAN
    ignored = config.ignored_for(path) if named else []
    if args.fix or args.diff:
        from tflint_vars.commands import run_fix_stdin

        unsafe = config.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes
        with _report_stream(args, sys.stdout if args.diff else sys.stderr) as stream:
            return run_fix_stdin(data, path, selection, lambda _: ignored, unsafe=unsafe, diff=args.diff,
                                 output_format=args.output_format, source_out=sys.stdout.buffer,
                                 report_stream=stream, stderr=sys.stderr, quiet=args.quiet,
                                 show_fixes=args.show_fixes, statistics=args.statistics, exit_zero=args.exit_zero,
                                 docs_url=config.docs_url)
    diagnostics = check_source(data, path, selection.without(ignored))
    try:
        provide_source(path, decode_source(data))
    except (SyntaxError, UnicodeDecodeError, LookupError):
        provide_source(path, None)  # TFV000 says why; no source line is shown (not the file on disk)
    with _report_stream(args, sys.stdout) as stream:
        _write_report(args, diagnostics, stream, [], config.docs_url)
    return _exit_status(args, bool(diagnostics), False)


def run_rule(args: argparse.Namespace) -> int:
    from tflint_vars.rules.registry import ALL_RULES, RULES_BY_CODE  # a rule's documentation is its class

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


def run_report(args: argparse.Namespace) -> int:
    from tflint_vars.report import build_report, render_markdown, write_html, write_text

    config = load_config_file(args.config) if args.config else load_config(args.paths[0] if args.paths else ".")
    missing = [path for path in args.paths if not os.path.exists(path)]
    if missing:
        return _usage_error(f"{missing[0]}: no such file or directory")
    try:
        report = build_report(args.paths, config, CodeSelection(config.select, config.ignore, config.fixes),
                              args.verify_report, args.jobs)
    except (OSError, ValueError) as error:
        return _usage_error(f"--verify-report: {error}")
    if args.html:
        print(f"Wrote {write_html(report, args.html)}", file=sys.stderr)
    if args.output_format == "markdown":
        sys.stdout.write(render_markdown(report))
    else:
        write_text(report, sys.stdout)
    return EXIT_CLEAN


def run_server() -> int:
    try:
        from tflint_vars.server import main as serve
    except ImportError as error:
        print(f"tflint-vars: error: the server needs pygls and lsprotocol: pip install \"tflint-vars[server]\" "
              f"({error})", file=sys.stderr)
        return EXIT_ERROR
    return serve()


def _run(args: argparse.Namespace) -> int:
    if args.command == "check":
        return run_check(args)
    if args.command == "verify":
        from tflint_vars.verify.command import run_command

        return run_command(args)
    if args.command == "server":
        return run_server()
    if args.command == "report":
        return run_report(args)
    return run_rule(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = _run(args)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise ReportWriteError(f"cannot write to standard output: {error.strerror or error}") from error
        return status
    except ConfigError as error:
        print(f"tflint-vars: error: {error}", file=sys.stderr)
        if isinstance(error, ReportWriteError):
            _drop_standard_output()
        return EXIT_ERROR
    except BrokenPipeError:
        _drop_standard_output()
        return EXIT_CLEAN
    except Exception as error:  # a bug: exit 2 ("error"), never 1 ("findings"), and say where
        return _internal_error(error, getattr(args, "verbose", False))


def _internal_error(error: Exception, verbose: bool) -> int:
    import traceback

    if isinstance(error, FileFailure):
        where, what, details = f" while checking {error.path}", error.summary, error.details
    else:
        where, what, details = "", f"{type(error).__name__}: {error}", traceback.format_exc()
    if verbose:
        print(details, file=sys.stderr, end="")
    print(f"tflint-vars: internal error{where}: {what}. This is a tflint-vars bug: please report it with that file"
          f"{'' if verbose else ' and the output of the same command with --verbose'}.", file=sys.stderr)
    return EXIT_ERROR


def _drop_standard_output() -> None:
    """Point stdout at /dev/null: what is still buffered for it (a closed pipe, a full disk) would otherwise fail
    again at exit, with a second message and exit status 120."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
