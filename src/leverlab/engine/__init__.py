"""The accounting core: orders, fills, margin, P&L, swaps, stop-out, NBP and the ledger.

``Backtest(data, strategy, ...).run()`` returns a ``Result``; the compiled kernel
(``_kernel.run_segment``) simulates every quote with the broker's full margin model, and
``formulas`` holds the one margin/profit formula the whole project uses.
"""

from .backtest import (AccountView, Backtest, BacktestError, NetPosition, PositionView,
                       StrategyError)
from .result import Deal, Event, Result, Series, Trade

__all__ = ["Backtest", "BacktestError", "StrategyError", "Result", "Deal", "Trade", "Event", "Series",
           "AccountView", "PositionView", "NetPosition"]
