"""Indicator helpers for strategies, and the ``Strategy`` base class re-exported from the engine.

``Strategy`` and ``OrderError`` live in :mod:`leverlab.engine.strategy`, beside the engine that
drives them; ``from leverlab.strategies import Strategy`` (or ``.base``) keeps working.
"""

from __future__ import annotations

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
    """Simple moving average; NaN for the first n-1 bars."""
    from ._ema import rolling_mean
    return rolling_mean(np.ascontiguousarray(np.asarray(x, dtype=np.float64)), int(n))


def ema(x: Any, n: int) -> np.ndarray:
    """Exponential moving average with alpha 2/(n+1), seeded with the first value."""
    from ._ema import ema_array
    return ema_array(np.ascontiguousarray(np.asarray(x, dtype=np.float64)), 2.0 / (n + 1.0))


__all__ = ["Strategy", "OrderError", "crossover", "sma", "ema"]
