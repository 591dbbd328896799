"""The examples in the data package's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["leverlab.data", "leverlab.data.frames", "leverlab.data.api", "leverlab.data._sample",
           "leverlab.data.validate", "leverlab.data.resample", "leverlab.data.store", "leverlab.data.synthetic"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0
