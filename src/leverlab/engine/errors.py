"""The engine's errors: what a run, a strategy or an order can fail with."""

from __future__ import annotations


class BacktestError(ValueError):
    """A run that cannot start or go on: bad data, unknown broker terms, a missing conversion pair."""


class StrategyError(RuntimeError):
    """A strategy raised while deciding; the message names the bar time."""


class OrderError(ValueError):
    """An order the account type does not accept (volume outside min/step/max, unknown symbol)."""
