"""The examples in the brokers package's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["leverlab.brokers", "leverlab.brokers.loader", "leverlab.brokers.policy", "leverlab.brokers.regulation",
           "leverlab.brokers.resolve", "leverlab.brokers.summary", "leverlab.brokers.hmr"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
