"""Opt-in (`pytest -m soak`): `check --fix --unsafe-fixes` over copies of the real wheel sources in /work/corpus
(tf-keras 2.21.0, tensor2tensor 1.15.7): no crash, every changed file compiles, a second run changes nothing."""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path

import pytest

from conftest import run_cli

CORPUS = Path(os.environ.get("TFLINT_VARS_CORPUS", "/work/corpus"))


@pytest.mark.soak
@pytest.mark.parametrize("name", ["tf_keras", "tensor2tensor"])
def test_fix_real_code_twice(name, tmp_path):
    source = CORPUS / name
    if not source.is_dir():
        pytest.skip(f"{source} is not unpacked")
    copy = tmp_path / name
    shutil.copytree(source, copy, symlinks=True)
    first = run_cli("check", "--fix", "--unsafe-fixes", str(copy))
    assert first.returncode in (0, 1) and "Traceback" not in first.stderr, first.stderr[-3000:]
    changed = []
    for path in copy.rglob("*.py"):
        original = source / path.relative_to(copy)
        if not filecmp.cmp(path, original, shallow=False):
            changed.append(path)
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    assert changed, "the corpus has fixable findings; nothing changed"
    second = run_cli("check", "--fix", "--unsafe-fixes", str(copy))
    assert "(0 files changed)" in second.stdout, second.stdout[-2000:]
