"""The analysis modules' runnable examples (the score weights, a report written from a comparison)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["leverlab.analysis.report", "leverlab.analysis.score"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
