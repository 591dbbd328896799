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

from .analysis.risk import margin, pip_value, position_size, stopout_levels, swap_cost
from .analysis.ruin import risk_of_ruin
from .brokers import leverage, load_broker, resolve_terms
from .data import Bars, Ticks, load
from .engine import Account, Backtest, Result
from .instruments import Instrument, instrument, symbols
from .money import currency, round_money
from .strategies import Strategy

__all__ = [
    "Backtest", "Account", "Result", "Strategy", "load", "Bars", "Ticks",
    "load_broker", "leverage", "resolve_terms",
    "margin", "pip_value", "position_size", "stopout_levels", "swap_cost", "risk_of_ruin",
    "Instrument", "instrument", "symbols", "currency", "round_money",
]
__version__ = "0.1.0"
