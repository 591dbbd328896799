"""Every module's ``>>>`` examples run, and none is a commented-out placeholder.

The modules are found by walking the installed package, so a new module with examples is tested
without being listed anywhere.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import leverlab

ROOT = Path(leverlab.__file__).parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    names = ["leverlab"]
    names += [m.name for m in pkgutil.walk_packages([str(ROOT)], prefix="leverlab.") if not m.name.endswith("__main__")]
    return sorted(names)


def _source(name: str) -> str:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return Path(spec.origin).read_text(encoding="utf-8")


WITH_EXAMPLES = [n for n in _modules() if ">>> " in _source(n)]


def test_the_walk_finds_the_modules_with_examples():
    assert {"leverlab.money", "leverlab.engine.backtest", "leverlab.brokers.policy", "leverlab.data.store"} <= set(
        WITH_EXAMPLES)


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_no_commented_out_example(name: str) -> None:
    """``>>> # r = ...`` runs nothing and proves nothing: an example is code that runs."""
    placeholders = [line.strip() for line in _source(name).splitlines() if re.match(r"\s*>>> #", line)]
    assert not placeholders, f"{name}: commented-out examples {placeholders}"
