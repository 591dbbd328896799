"""Strategies: the built-ins by name, their indicator helpers, and the ``Strategy`` base class
(defined beside the engine that drives it, in :mod:`leverlab.engine.strategy`).

>>> from leverlab import strategies
>>> "sma_cross" in strategies.names()
True
>>> strategies.get("sma_cross").__name__
'SmaCross'

Add a strategy: one module here with one ``Strategy`` subclass, and one line in ``_REGISTRY``.
"""

from __future__ import annotations

from .base import OrderError, Strategy, crossover, ema, sma
from .bollinger_rsi import BollingerRsi
from .donchian import DonchianBreakout
from .ema_cross import EmaCross
from .grid import Grid
from .martingale import Martingale
from .sma_cross import SmaCross

_REGISTRY: dict[str, type[Strategy]] = {
    "sma_cross": SmaCross,
    "ema_cross": EmaCross,
    "donchian": DonchianBreakout,
    "bollinger_rsi": BollingerRsi,
    "grid": Grid,
    "martingale": Martingale,
}


def get(name: str) -> type[Strategy]:
    """The strategy class registered under ``name`` (case-insensitive, '-' or '_')."""
    key = name.lower().replace("-", "_")
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; expected one of: {', '.join(names())}") from None


def names() -> list[str]:
    """Registered strategy names, sorted."""
    return sorted(_REGISTRY)


def register(name: str, cls: type[Strategy]) -> None:
    """Register a strategy class under a name (used by ``leverlab backtest --strategy``)."""
    _REGISTRY[name.lower().replace("-", "_")] = cls


__all__ = ["Strategy", "OrderError", "crossover", "sma", "ema", "SmaCross", "EmaCross", "DonchianBreakout",
           "BollingerRsi", "Grid", "Martingale", "get", "names", "register"]
