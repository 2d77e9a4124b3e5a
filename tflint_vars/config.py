"""`[tool.tflint-vars]` in pyproject.toml. Unknown keys and codes are errors: a typo must not silently disable a
rule."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field

from tflint_vars.diagnostics import FixPolicy
from tflint_vars.codes import RULE_NAMES
from tflint_vars.sources import MAX_CONFIG_BYTES, read_regular_file

FIX_KEYS = ("fixable", "unfixable", "extend-fixable", "extend-safe-fixes", "extend-unsafe-fixes")
KNOWN_KEYS = {"select", "ignore", "extend-select", "exclude", "extend-exclude", "per-file-ignores", "unsafe-fixes",
              "docs-url", *FIX_KEYS}


class ConfigError(Exception):
    """A configuration the user must correct; the CLI prints it and exits 2."""


@dataclass
class Config:
    select: list[str] = field(default_factory=lambda: ["TFV"])
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    unsafe_fixes: bool = False
    fixes: FixPolicy = field(default_factory=FixPolicy)
    docs_url: str | None = None  # where the project's files are browsed: rule links are its rule modules under it
    source: str | None = None  # the pyproject.toml it came from

    def ignored_for(self, path: str) -> list[str]:
        """Codes ignored for one file by `per-file-ignores` (patterns match the path or its file name)."""
        normalized = os.path.normpath(path)
        codes: list[str] = []
        for pattern, pattern_codes in self.per_file_ignores.items():
            if fnmatch.fnmatch(normalized, pattern) or fnmatch.fnmatch(os.path.basename(normalized), pattern) \
                    or fnmatch.fnmatch(normalized, os.path.join("*", pattern)):
                codes.extend(pattern_codes)
        return codes


def validate_codes(codes: list[str], where: str) -> list[str]:
    """Each code must be a prefix of at least one rule code (`TFV`, `TFV00`, `TFV001`)."""
    for code in codes:
        if not isinstance(code, str) or not any(rule.startswith(code.upper()) for rule in RULE_NAMES):
            known = ", ".join(RULE_NAMES)
            raise ConfigError(f"{where}: unknown rule code {code!r} (known: {known}, or a prefix such as TFV)")
    return [code.upper() for code in codes]


def find_pyproject(start: str) -> str | None:
    directory = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _string_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return value


def load_config(start: str = ".") -> Config:
    """The `[tool.tflint-vars]` table of the nearest pyproject.toml above `start`, or the defaults."""
    path = find_pyproject(start)
    return Config() if path is None else load_config_file(path, named=False)


def _our_table(path: str, named: bool) -> dict | None:
    """The `[tool.tflint-vars]` table of the file, None when it has none. A file that is not TOML is an error only
    when it may hold our table (or was named by --config): other tools' odd pyproject.toml must not stop a check."""
    try:
        data = read_regular_file(path, MAX_CONFIG_BYTES)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, MemoryError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error) or type(error).__name__
        if named or b"tflint-vars" in data:
            raise ConfigError(f"{path}: not valid TOML: {reason}") from None
        print(f"tflint-vars: warning: {path} is not valid TOML ({reason}); it holds no [tool.tflint-vars], so the "
              "defaults apply", file=sys.stderr)
        return None
    tool = document.get("tool")
    table = tool.get("tflint-vars") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        kind = "an array of tables" if isinstance(table, list) and table and all(isinstance(t, dict) for t in table) \
            else repr(table)[:40]
        raise ConfigError(f"{path}: tool.tflint-vars must be a table ([tool.tflint-vars]), not {kind}")
    return table


def load_config_file(path: str, named: bool = True) -> Config:
    """The `[tool.tflint-vars]` table of this file (`--config`, `named`: a missing or unreadable file is an error,
    not the defaults)."""
    config = Config()
    if named and not os.path.lexists(path):
        raise ConfigError(f"--config {path}: no such file")
    table = _our_table(path, named)
    if table is None:
        return config
    config.source = path
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} in [tool.tflint-vars] "
                          f"(known: {', '.join(sorted(KNOWN_KEYS))})")
    where = f"{path} [tool.tflint-vars]"
    if "select" in table:
        config.select = validate_codes(_string_list(table["select"], f"{where} select"), f"{where} select")
    if "extend-select" in table:
        config.select += validate_codes(_string_list(table["extend-select"], f"{where} extend-select"), where)
    if "ignore" in table:
        config.ignore = validate_codes(_string_list(table["ignore"], f"{where} ignore"), f"{where} ignore")
    config.exclude = _string_list(table.get("exclude", []), f"{where} exclude") + \
        _string_list(table.get("extend-exclude", []), f"{where} extend-exclude")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{where} per-file-ignores: expected a table of pattern = [codes]")
    for pattern, codes in per_file.items():
        config.per_file_ignores[pattern] = validate_codes(_string_list(codes, f"{where} per-file-ignores"),
                                                          f"{where} per-file-ignores {pattern!r}")
    unsafe = table.get("unsafe-fixes", False)
    if not isinstance(unsafe, bool):
        raise ConfigError(f"{where} unsafe-fixes: expected true or false, got {unsafe!r}")
    config.unsafe_fixes = unsafe
    docs_url = table.get("docs-url")
    if docs_url is not None and not (isinstance(docs_url, str) and re.match(r"(https?|file)://", docs_url)):
        raise ConfigError(f"{where} docs-url: expected an http(s):// or file:// URL, got {docs_url!r}")
    config.docs_url = docs_url
    lists = {key: validate_codes(_string_list(table[key], f"{where} {key}"), f"{where} {key}")
             for key in FIX_KEYS if key in table}
    config.fixes = FixPolicy(
        fixable=tuple(lists.get("fixable", ["TFV"]) + lists.get("extend-fixable", [])),
        unfixable=tuple(lists.get("unfixable", [])),
        extend_safe=tuple(lists.get("extend-safe-fixes", [])),
        extend_unsafe=tuple(lists.get("extend-unsafe-fixes", [])),
    )
    return config
