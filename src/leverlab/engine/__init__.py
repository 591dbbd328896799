"""The accounting core: orders, fills, margin, P&L, swaps, stop-out, NBP and the ledger.

``Backtest(data, strategy, ...).run()`` returns a ``Result``. Underneath, an ``Account`` is the
one steppable account (feed quotes, advance, apply orders, read what happened) that a backtest
and a paper-trading loop both drive; the compiled kernel (``_kernel.run_segment``) simulates every
quote with the broker's full margin model, and ``formulas`` holds the one margin/profit formula
the whole project uses. ``strategy`` holds the ``Strategy`` base class the engine drives.
"""

from ._schedule import SWAP_SOURCES
from .account import Account, AccountView, PositionView, Volume
from .backtest import Backtest
from .errors import BacktestError, OrderError, StrategyError
from .result import Costs, Deal, Event, Result, Series, Stats, Trade
from .strategy import NetPosition, Strategy

__all__ = ["Backtest", "Account", "BacktestError", "StrategyError", "OrderError", "Result", "Stats", "Costs", "Deal",
           "Trade", "Event", "Series", "AccountView", "PositionView", "NetPosition", "Volume", "Strategy",
           "SWAP_SOURCES"]
