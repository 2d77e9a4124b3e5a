"""The fixer: `fixer` fixes one file's module pass after pass (its `fix_bytes` / `fix_source` are the Python API),
`transform` applies the rules' planned edits with libcst, `apply` rewrites files atomically, `noqa` adds noqa
comments, and `codemod` serves `python -m libcst.tool codemod`. This package imports nothing itself, so importing one
of them costs only what that one needs."""
