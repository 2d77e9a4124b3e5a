"""The fixes as a libcst codemod command, for projects that run their rewrites through libcst's own tool:

    python -m libcst.tool codemod -x tflint_vars.fixes.codemod.TFLintVarsCommand --no-format [--unsafe-fixes] PATH...

`-x` makes libcst import the command by its full module path (without it, libcst looks in the `modules` of a
`.libcst.codemod.yaml`); `--no-format` keeps libcst from running the configured formatter (black by default) over
each changed file, which would rewrite far more than the fixes. Everything else (the selection of rules,
per-file-ignores and `unsafe-fixes` from `[tool.tflint-vars]`) is what `tflint-vars check --fix` uses.
"""

from __future__ import annotations

import argparse

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from tflint_vars.config import ConfigError, load_config
from tflint_vars.diagnostics import CodeSelection
from tflint_vars.fixes.fixer import fix_bytes


class TFLintVarsCommand(CodemodCommand):
    DESCRIPTION = ("Fix tflint-vars diagnostics: raw tf.Variable / get_variable in Keras layers to add_weight, "
                   "positional add_weight to keywords; with --unsafe-fixes also state moved into build and "
                   "variable_scope reuse.")

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--unsafe-fixes", dest="unsafe_fixes", action="store_true", default=None,
                                help="apply unsafe fixes too (default: `unsafe-fixes` in [tool.tflint-vars])")

    def __init__(self, context: CodemodContext, unsafe_fixes: bool | None = None) -> None:
        super().__init__(context)
        self.unsafe_fixes = unsafe_fixes

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        path = self.context.filename or "<stdin>"
        try:
            config = load_config(path if self.context.filename else ".")
        except ConfigError as error:
            raise SkipFile(str(error)) from error
        selection = CodeSelection(config.select, config.ignore, config.fixes).without(config.ignored_for(path))
        unsafe = config.unsafe_fixes if self.unsafe_fixes is None else self.unsafe_fixes
        result = fix_bytes(tree.bytes, path, unsafe=unsafe, selection=selection)
        for diagnostic, why in result.dropped:
            self.warn(f"{diagnostic.line}:{diagnostic.column}: {diagnostic.code} fix not applied: {why}")
        if not result.changed:
            raise SkipFile("nothing to fix")
        # Parsed from bytes, so the module keeps the file's encoding (and BOM) when libcst writes it back.
        return cst.parse_module(result.data)
