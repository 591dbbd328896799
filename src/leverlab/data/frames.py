"""leverlab's one representation of market data: columnar ticks and bars in UTC nanoseconds.

Arrays are contiguous NumPy arrays (int64 times, float64 prices) so the compiled engine reads
them without copies. Bars carry bid and ask OHLC; single-sided sources (a MetaTrader export, a
one-sided CSV) keep ``ask_*`` as ``None`` and may carry ``spread`` in points, and the engine then
builds the ask side from that spread or from the account type's spread model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TIMEFRAMES: dict[str, int] = {  # nanoseconds per bar
    "S1": 1_000_000_000, "M1": 60_000_000_000, "M5": 300_000_000_000, "M15": 900_000_000_000,
    "M30": 1_800_000_000_000, "H1": 3_600_000_000_000, "H4": 14_400_000_000_000, "D1": 86_400_000_000_000,
}


@dataclass(frozen=True)
class Ticks:
    """Quotes: ``time`` int64 ns since the epoch (UTC), ``bid`` and ``ask`` float64, optional volumes."""

    symbol: str
    time: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    bid_volume: np.ndarray | None = None
    ask_volume: np.ndarray | None = None
    source: str = ""

    def __len__(self) -> int:
        return int(self.time.shape[0])


@dataclass(frozen=True)
class Bars:
    """OHLC bars labelled by their UTC open time (int64 ns). ``ask_*`` None for single-sided data."""

    symbol: str
    timeframe: str
    time: np.ndarray
    bid_open: np.ndarray
    bid_high: np.ndarray
    bid_low: np.ndarray
    bid_close: np.ndarray
    ask_open: np.ndarray | None = None
    ask_high: np.ndarray | None = None
    ask_low: np.ndarray | None = None
    ask_close: np.ndarray | None = None
    volume: np.ndarray | None = None
    spread: np.ndarray | None = None  # in points, as MetaTrader exports give it
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @property
    def two_sided(self) -> bool:
        return self.ask_close is not None
