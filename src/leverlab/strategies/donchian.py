"""Donchian channel breakout (the "turtle" rule): trade the break of the last ``entry`` bars' range,
leave on the break of the last ``exit`` bars' range the other way.

Long when the close rises above the highest high of the previous ``entry`` bars, short when it
falls below their lowest low (reversing any open position). A long is closed when the close falls
below the lowest low of the previous ``exit`` bars (a short: above their highest high). The stop
of each entry sits at that exit channel, so risk-% sizing needs no extra parameter; ``sl_pips``
replaces it with a fixed distance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import Strategy, check_values, period, pip_of, positive


def rolling_max(x: Any, n: int) -> np.ndarray:
    """Highest value of the last ``n`` bars, this bar included; NaN for the first n-1 bars."""
    a = np.asarray(x, dtype=np.float64)
    out = np.full(a.shape[0], np.nan)
    if a.shape[0] >= n:
        from numpy.lib.stride_tricks import sliding_window_view
        out[n - 1:] = sliding_window_view(a, n).max(axis=1)
    return out


def rolling_min(x: Any, n: int) -> np.ndarray:
    """Lowest value of the last ``n`` bars, this bar included; NaN for the first n-1 bars."""
    return -rolling_max(-np.asarray(x, dtype=np.float64), n)


class DonchianBreakout(Strategy):
    """Breakout of the ``entry``-bar channel, exit on the ``exit``-bar channel; stop at the exit channel."""

    entry: int = 20
    """Bars of the channel whose break opens a position."""
    exit: int = 10
    """Bars of the channel whose break the other way closes it (and places the stop)."""
    sl_pips: float | None = None
    """Fixed stop distance in pips instead of the exit channel (none: the channel)."""

    @classmethod
    def checked_params(cls, params: dict[str, Any] | None) -> dict[str, Any]:
        """The base checks, then the meaning: channels of at least 2 bars, a positive stop distance."""
        out = super().checked_params(params)
        check_values(cls, out, {"entry": (period(2), "a whole number of bars, at least 2"),
                                "exit": (period(2), "a whole number of bars, at least 2"),
                                "sl_pips": (positive(optional=True), "a distance in pips above 0, or none")})
        return out

    @classmethod
    def min_bars(cls, entry: int | None = None, exit: int | None = None, **_: Any) -> int:
        """Bars needed before the first signal: the longer channel plus the bar that breaks it."""
        return max(entry or cls.entry, exit or cls.exit) + 2

    def init(self) -> None:
        if self.entry < 2 or self.exit < 2:
            raise ValueError(f"entry and exit channels need at least 2 bars, got entry={self.entry} exit={self.exit}")
        hi, lo, close = self.data.High.values, self.data.Low.values, self.data.Close.values
        self.upper = self.I(rolling_max, hi, self.entry, name=f"DC{self.entry} high")
        self.lower = self.I(rolling_min, lo, self.entry, name=f"DC{self.entry} low")
        self.exit_hi = self.I(rolling_max, hi, self.exit, name=f"DC{self.exit} high")
        self.exit_lo = self.I(rolling_min, lo, self.exit, name=f"DC{self.exit} low")
        up = np.zeros(close.shape[0], dtype=np.int8)
        # the signal compares this close with the channel of the *previous* bars (no look-ahead)
        prev_u, prev_l = self.upper.values[:-1], self.lower.values[:-1]
        prev_xh, prev_xl = self.exit_hi.values[:-1], self.exit_lo.values[:-1]
        with np.errstate(invalid="ignore"):
            up[1:] = np.where(close[1:] > prev_u, 1, np.where(close[1:] < prev_l, -1, 0))
            self._exit_long = np.concatenate([[False], close[1:] < prev_xl])
            self._exit_short = np.concatenate([[False], close[1:] > prev_xh])
        self._signal = up
        self._pip = pip_of(self.data.symbol)

    def next(self) -> None:
        i = self._i
        sig = int(self._signal[i])
        leave_long, leave_short = bool(self._exit_long[i]), bool(self._exit_short[i])
        if not (sig or leave_long or leave_short):
            return  # most bars: nothing to decide, no account query
        pos = self.position
        side = 1 if pos.size > 0 else (-1 if pos.size < 0 else 0)
        if (side > 0 and leave_long) or (side < 0 and leave_short):
            pos.close()
            side = 0
        if sig == 0 or sig == side:
            return
        if side:
            pos.close()
        px = float(self.data.Ask[-1]) if sig > 0 else float(self.data.Close[-1])
        if self.sl_pips:
            sl = px - sig * self.sl_pips * self._pip
        else:
            sl = float(self.exit_lo[-1]) if sig > 0 else float(self.exit_hi[-1])
            if not math.isfinite(sl) or (sl - px) * sig >= 0:
                sl = px - sig * self.exit * self._pip  # degenerate channel: one pip per exit bar
        if sig > 0:
            self.buy(sl=sl)
        else:
            self.sell(sl=sl)
