"""The engine's runnable examples (the Account walk-through, the Backtest on the sample, a Result, a Strategy)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["leverlab.engine.account", "leverlab.engine.backtest", "leverlab.engine.result", "leverlab.engine.strategy"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
