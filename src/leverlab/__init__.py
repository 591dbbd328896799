"""leverlab: see what a high-leverage forex broker's real rules do to your account.

>>> from leverlab import instrument
>>> instrument("EURUSD").pip_size
0.0001
"""

from .instruments import Instrument, instrument, symbols
from .money import currency, round_money

__all__ = ["Instrument", "instrument", "symbols", "currency", "round_money"]
__version__ = "0.1.0"
