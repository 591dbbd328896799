"""The examples in the docstrings of the shared modules and the calculators run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["leverlab.times", "leverlab.conversion", "leverlab.instruments", "leverlab.analysis.risk",
           "leverlab.brokers.terms", "leverlab.brokers.schema"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
