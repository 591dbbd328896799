"""leverlab: see what a high-leverage forex broker's real rules do to your account.

The public face, small on purpose:

>>> from leverlab import leverage, margin
>>> leverage("exness", "standard", "DE", "retail", "EURUSD", 2_000).leverage   # EU resident: ESMA cap
30.0
>>> margin("EURUSD", lots=1, price=1.1, leverage=1000).margin
Decimal('110.00')

A backtest under one broker's rules::

    from leverlab import Backtest, load
    from leverlab.strategies import SmaCross
    result = Backtest(load("sample:eurusd-h1"), SmaCross, broker="exness", account_type="standard",
                      country="SC", deposit=1_000).run()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis.risk import margin, pip_value, position_size, stopout_levels, swap_cost
    from .analysis.ruin import risk_of_ruin
    from .brokers import leverage, load_broker, resolve_terms
    from .data import Bars, Ticks, load
    from .engine import Account, Backtest, Result
    from .instruments import Instrument, instrument, symbols
    from .money import currency, round_money
    from .strategies import Strategy

# Each public name is imported from its room on first use (PEP 562), so `import leverlab` or
# `from leverlab.engine import Backtest` does not pay for the rooms a program never touches
# (benchmarks/bench_startup.py measures a first backtest in a fresh process).
_WHERE = {
    "margin": ".analysis.risk", "pip_value": ".analysis.risk", "position_size": ".analysis.risk",
    "stopout_levels": ".analysis.risk", "swap_cost": ".analysis.risk", "risk_of_ruin": ".analysis.ruin",
    "leverage": ".brokers", "load_broker": ".brokers", "resolve_terms": ".brokers",
    "Bars": ".data", "Ticks": ".data", "load": ".data",
    "Account": ".engine", "Backtest": ".engine", "Result": ".engine",
    "Instrument": ".instruments", "instrument": ".instruments", "symbols": ".instruments",
    "currency": ".money", "round_money": ".money", "Strategy": ".strategies",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        try:  # a subpackage or module, e.g. leverlab.engine after a bare `import leverlab`
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            raise AttributeError(f"module 'leverlab' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Backtest", "Account", "Result", "Strategy", "load", "Bars", "Ticks",
    "load_broker", "leverage", "resolve_terms",
    "margin", "pip_value", "position_size", "stopout_levels", "swap_cost", "risk_of_ruin",
    "Instrument", "instrument", "symbols", "currency", "round_money",
]
__version__ = "0.1.0"
