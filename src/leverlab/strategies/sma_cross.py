"""SMA(fast/slow) stop-and-reverse: long after the fast average crosses above the slow one,
short after it crosses below; always in the market once the first cross happened."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._ema import cross_targets
from .base import FAST_SLOW, Strategy, check_values, crossover, pip_of, positive, sma


class SmaCross(Strategy):
    """Stop-and-reverse on SMA(``fast``) / SMA(``slow``) crosses of the bid close.

    Size from ``lots``, ``units`` or ``risk`` (risk needs ``sl_pips``); optional ``sl_pips`` /
    ``tp_pips`` attach a stop-loss / take-profit to each entry.
    """

    fast: int = 10
    """Bars of the fast simple moving average."""
    slow: int = 20
    """Bars of the slow simple moving average (more than fast)."""
    sl_pips: float | None = None
    """Stop-loss distance in pips on each entry (none: no stop; risk sizing needs one)."""
    tp_pips: float | None = None
    """Take-profit distance in pips on each entry (none: no target)."""

    @classmethod
    def checked_params(cls, params: dict[str, Any] | None) -> dict[str, Any]:
        """The base checks, then the meaning: periods of at least one bar, ``fast`` shorter than ``slow``
        (an average never crosses itself), positive stops."""
        out = super().checked_params(params)
        check_values(cls, out, {**FAST_SLOW,
                                "sl_pips": (positive(optional=True), "a distance in pips above 0, or none"),
                                "tp_pips": (positive(optional=True), "a distance in pips above 0, or none")})
        return out

    def init(self) -> None:
        self.ma_fast = self.I(sma, self.data.Close, self.fast, name=f"SMA({self.fast})")
        self.ma_slow = self.I(sma, self.data.Close, self.slow, name=f"SMA({self.slow})")
        self._pip = pip_of(self.data.symbol)

    def _levels(self, side: int) -> tuple[float | None, float | None]:
        px = float(self.data.Ask[-1]) if side > 0 else float(self.data.Close[-1])
        sl = px - side * self.sl_pips * self._pip if self.sl_pips else None
        tp = px + side * self.tp_pips * self._pip if self.tp_pips else None
        return sl, tp

    def decision_bars(self) -> np.ndarray:
        """The crosses: ``next`` does nothing on any other bar."""
        f, w = self.ma_fast.values, self.ma_slow.values
        out = np.zeros(f.shape[0], dtype=np.bool_)
        with np.errstate(invalid="ignore"):
            out[1:] = ((f[:-1] < w[:-1]) & (f[1:] > w[1:])) | ((w[:-1] < f[:-1]) & (w[1:] > f[1:]))
        return out

    def next(self) -> None:
        if crossover(self.ma_fast, self.ma_slow):
            side = 1
        elif crossover(self.ma_slow, self.ma_fast):
            side = -1
        else:
            return
        position = self.position
        if position:
            position.close()
        sl, tp = self._levels(side)
        if side > 0:
            self.buy(sl=sl, tp=tp)
        else:
            self.sell(sl=sl, tp=tp)

    @classmethod
    def targets(cls, bars: Any, fast: int | None = None, slow: int | None = None, lots: float | None = None,
                units: float | None = None, contract_size: float = 100_000.0, **_: Any) -> np.ndarray:
        """Vectorized mode: target signed lots per bar (NaN = keep), from the same crosses as ``next``.

        A target is a position, so a cross in the direction already held keeps the position,
        whereas ``next`` closes and re-opens it (as backtesting.py's SmaCross does). That only
        happens after an exact SMA tie (fast == slow on a bar), so the two agree on real data.
        """
        cls.checked_params({k: v for k, v in (("fast", fast), ("slow", slow)) if v is not None})
        fast = cls.fast if fast is None else fast
        slow = cls.slow if slow is None else slow
        size = lots if lots is not None else (units / contract_size if units is not None else
                                              (cls.lots if cls.lots is not None else 0.01))
        close = np.asarray(bars.bid_close, dtype=np.float64)
        return cross_targets(sma(close, fast), sma(close, slow), float(size))

    @classmethod
    def stream_targets(cls, bars: Any, state: dict[str, Any], **params: Any) -> np.ndarray:
        """Streaming mode: ``targets`` for one chunk, with the last ``slow`` + 1 closes carried in ``state``."""
        slow = params.get("slow") or cls.slow
        close = np.asarray(bars.bid_close, dtype=np.float64)
        prev = state.get("close", np.zeros(0))
        both = np.concatenate((prev, close))
        full = type("B", (), {"bid_close": both})
        out = cls.targets(full, **params)[prev.shape[0]:]
        state["close"] = both[-(slow + 1):]
        return out
