"""EMA(fast/slow) stop-and-reverse on the decision bars (e.g. 1-minute bars built from ticks)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._ema import cross_targets, ema_cross_stream
from .base import FAST_SLOW, Strategy, check_values, crossover, ema


class EmaCross(Strategy):
    """Long after EMA(``fast``) crosses above EMA(``slow``), short after it crosses below."""

    fast: int = 10
    """Bars of the fast exponential moving average."""
    slow: int = 20
    """Bars of the slow exponential moving average (more than fast)."""

    @classmethod
    def checked_params(cls, params: dict[str, Any] | None) -> dict[str, Any]:
        """The base checks, then the meaning: periods of at least one bar, ``fast`` shorter than ``slow``
        (an average never crosses itself)."""
        out = super().checked_params(params)
        check_values(cls, out, FAST_SLOW)
        return out

    def init(self) -> None:
        self.ma_fast = self.I(ema, self.data.Close, self.fast, name=f"EMA({self.fast})")
        self.ma_slow = self.I(ema, self.data.Close, self.slow, name=f"EMA({self.slow})")

    def next(self) -> None:
        if crossover(self.ma_fast, self.ma_slow):
            if self.position:
                self.position.close()
            self.buy()
        elif crossover(self.ma_slow, self.ma_fast):
            if self.position:
                self.position.close()
            self.sell()

    @classmethod
    def targets(cls, bars: Any, fast: int | None = None, slow: int | None = None, lots: float | None = None,
                units: float | None = None, contract_size: float = 100_000.0, **_: Any) -> np.ndarray:
        """Vectorized mode: target signed lots per decision bar (NaN = keep)."""
        cls.checked_params({k: v for k, v in (("fast", fast), ("slow", slow)) if v is not None})
        fast = cls.fast if fast is None else fast
        slow = cls.slow if slow is None else slow
        size = lots if lots is not None else (units / contract_size if units is not None else
                                              (cls.lots if cls.lots is not None else 0.01))
        close = np.ascontiguousarray(np.asarray(bars.bid_close, dtype=np.float64))
        return cross_targets(ema(close, fast), ema(close, slow), float(size))

    @classmethod
    def stream_targets(cls, bars: Any, state: dict[str, Any], fast: int | None = None, slow: int | None = None,
                       lots: float | None = None, units: float | None = None, contract_size: float = 100_000.0,
                       **_: Any) -> np.ndarray:
        """Streaming mode: ``targets`` for one chunk of decision bars, continuing the EMAs in ``state``."""
        cls.checked_params({k: v for k, v in (("fast", fast), ("slow", slow)) if v is not None})
        fast = cls.fast if fast is None else fast
        slow = cls.slow if slow is None else slow
        size = lots if lots is not None else (units / contract_size if units is not None else
                                              (cls.lots if cls.lots is not None else 0.01))
        st = state.setdefault("ema", np.zeros(3))
        close = np.ascontiguousarray(np.asarray(bars.bid_close, dtype=np.float64))
        return ema_cross_stream(close, 2.0 / (fast + 1.0), 2.0 / (slow + 1.0), st, float(size))
