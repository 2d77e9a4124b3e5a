"""Opt-in (`make soak`, or `pytest -m soak`): the soak of tests/soak.py over five real code bases, asserted."""

from __future__ import annotations

import json

import pytest

from soak import CORPORA, soak


@pytest.mark.soak
@pytest.mark.parametrize("corpus", CORPORA, ids=[corpus.name for corpus in CORPORA])
def test_soak(corpus, tmp_path):
    figures = soak(corpus, tmp_path)
    print(json.dumps(figures.__dict__))
    assert figures.files > 50, f"{corpus.name}: only {figures.files} files from {figures.source}"
    assert figures.crashes == []
    assert figures.not_compiling == []
    assert figures.second_run_changes == []
    assert figures.verify_failures == []
    assert figures.verify_passed == figures.verify_samples
    assert figures.safe_fixed >= 0 and figures.unsafe_fixed >= 0
