"""Indicator helpers for strategies, and the ``Strategy`` base class re-exported from the engine.

``Strategy`` and ``OrderError`` live in :mod:`leverlab.engine.strategy`, beside the engine that
drives them; ``from leverlab.strategies import Strategy`` (or ``.base``) keeps working.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..engine.strategy import OrderError, Strategy


def crossover(a: Any, b: Any) -> bool:
    """True when ``a`` has just crossed above ``b`` (strictly below before, strictly above now)."""
    if len(a) < 2 or (not isinstance(b, (int, float)) and len(b) < 2):
        return False
    a1, a0 = float(a[-2]), float(a[-1])
    if isinstance(b, (int, float)):
        b1 = b0 = float(b)
    else:
        b1, b0 = float(b[-2]), float(b[-1])
    return a1 < b1 and a0 > b0


def sma(x: Any, n: int) -> np.ndarray:
    """Simple moving average; NaN for the first n-1 bars. ValueError unless ``n >= 1``."""
    from ._ema import rolling_mean
    if int(n) < 1:
        raise ValueError(f"sma: window {n} bars; expected at least 1")
    return rolling_mean(np.ascontiguousarray(np.asarray(x, dtype=np.float64)), int(n))


def ema(x: Any, n: int) -> np.ndarray:
    """Exponential moving average with alpha 2/(n+1), seeded with the first value."""
    from ._ema import ema_array
    return ema_array(np.ascontiguousarray(np.asarray(x, dtype=np.float64)), 2.0 / (n + 1.0))


def check_values(cls: type[Strategy], params: Mapping[str, Any],
                 rules: Mapping[str, tuple[Callable[[Any, dict[str, Any]], bool], str]]) -> None:
    """Refuse parameter values that make no sense for ``cls``: ``rules`` maps a parameter name to
    (test of the value and of every value, what is expected, with ``{other}`` parameters filled in);
    the values are ``params`` over the class defaults. ValueError names the strategy, the parameter,
    the value found and the one expected."""
    values = {k: params.get(k, getattr(cls, k)) for k in cls.param_names()}
    for name in ("lots", "units", "risk"):
        v = values[name]
        if v is not None and not _positive(v):
            raise ValueError(f"{cls.__name__} parameter {name}={v!r}: expected a finite number above 0")
    for name, (ok, expected) in rules.items():
        v = values[name]
        try:
            good = bool(ok(v, values))
        except TypeError:
            good = False
        if not good:
            raise ValueError(f"{cls.__name__} parameter {name}={v!r}: expected {expected.format(**values)}")


def _positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def pip_of(symbol: str) -> float:
    """Pip size of a symbol (0.0001 when the catalogue does not know it)."""
    from ..instruments import instrument
    try:
        return instrument(symbol).pip_size
    except KeyError:
        return 0.0001


def period(least: int = 1) -> Callable[[Any, dict[str, Any]], bool]:
    """A rule for a look-back in bars: a whole number of at least ``least``."""
    return lambda v, _: isinstance(v, int) and not isinstance(v, bool) and v >= least


def positive(optional: bool = False) -> Callable[[Any, dict[str, Any]], bool]:
    """A rule for a distance or a factor: a finite number above 0 (or None when ``optional``)."""
    return lambda v, _: (optional and v is None) or _positive(v)


#: The checks of a moving-average cross's periods: each at least one bar, ``fast`` shorter than ``slow``.
FAST_SLOW = {"fast": (period(1), "a whole number of bars, at least 1"),
             "slow": (lambda v, p: period(1)(v, p) and v > p["fast"], "a whole number of bars above fast={fast}")}


__all__ = ["Strategy", "OrderError", "crossover", "sma", "ema", "check_values", "period", "positive"]
