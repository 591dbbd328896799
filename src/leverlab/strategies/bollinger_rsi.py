"""Bollinger band / RSI mean reversion: fade a close outside the band when RSI agrees it is stretched.

Long when the close is below the lower band (SMA(``bb_period``) - ``bb_std`` standard deviations)
and RSI(``rsi_period``) is below ``rsi_low``; short when the close is above the upper band and RSI
is above ``rsi_high``. The position is closed when the close returns to the middle band, or by
its stop ``sl_pips`` away (which also sizes risk-% orders).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._ema import ema_array
from .base import Strategy, check_values, period, pip_of, positive, sma


def rolling_std(x: Any, n: int) -> np.ndarray:
    """Population standard deviation of the last ``n`` values; NaN for the first n-1."""
    a = np.asarray(x, dtype=np.float64)
    out = np.full(a.shape[0], np.nan)
    if a.shape[0] >= n:
        from numpy.lib.stride_tricks import sliding_window_view
        out[n - 1:] = sliding_window_view(a, n).std(axis=1)
    return out


def rsi(x: Any, n: int) -> np.ndarray:
    """Wilder's RSI (smoothing 1/n) in 0..100; NaN for the first n bars."""
    a = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    out = np.full(a.shape[0], np.nan)
    if a.shape[0] <= n:
        return out
    d = np.diff(a)
    gain = ema_array(np.ascontiguousarray(np.maximum(d, 0.0)), 1.0 / n)
    loss = ema_array(np.ascontiguousarray(np.maximum(-d, 0.0)), 1.0 / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(loss > 0, 100.0 - 100.0 / (1.0 + gain / loss), np.where(gain > 0, 100.0, 50.0))
    out[1:] = r
    out[: n] = np.nan
    return out


class BollingerRsi(Strategy):
    """Fade closes outside the Bollinger band when RSI confirms; exit at the middle band or the stop."""

    bb_period: int = 20
    """Bars of the Bollinger band's moving average and deviation."""
    bb_std: float = 2.0
    """Band width in standard deviations."""
    rsi_period: int = 14
    """Bars of the RSI."""
    rsi_low: float = 30.0
    """RSI below which a close under the band is bought."""
    rsi_high: float = 70.0
    """RSI above which a close over the band is sold."""
    sl_pips: float = 30.0
    """Stop-loss distance in pips (also sizes risk-% orders)."""
    tp_pips: float | None = None
    """Fixed take-profit in pips besides the middle-band exit (none: the band only)."""

    @classmethod
    def checked_params(cls, params: dict[str, Any] | None) -> dict[str, Any]:
        """The base checks, then the meaning: periods of at least 2 bars, a band width and stop above 0,
        RSI thresholds with 0 <= rsi_low < rsi_high <= 100."""
        out = super().checked_params(params)
        check_values(cls, out, {
            "bb_period": (period(2), "a whole number of bars, at least 2"),
            "rsi_period": (period(2), "a whole number of bars, at least 2"),
            "bb_std": (positive(), "a number of standard deviations above 0"),
            "rsi_low": (lambda v, p: 0 <= v < 100, "an RSI level from 0 to below 100"),
            "rsi_high": (lambda v, p: p["rsi_low"] < v <= 100, "an RSI level above rsi_low={rsi_low}, at most 100"),
            "sl_pips": (positive(), "a distance in pips above 0"),
            "tp_pips": (positive(optional=True), "a distance in pips above 0, or none")})
        return out

    @classmethod
    def min_bars(cls, bb_period: int | None = None, rsi_period: int | None = None, **_: Any) -> int:
        """Bars before both indicators have a value, plus the bar that signals."""
        return max(bb_period or cls.bb_period, (rsi_period or cls.rsi_period) + 1) + 1

    def init(self) -> None:
        if self.bb_period < 2 or self.rsi_period < 2 or not self.sl_pips or self.sl_pips <= 0:
            raise ValueError("bb_period and rsi_period need at least 2 bars and sl_pips must be above 0")
        close = self.data.Close.values
        mid = sma(close, self.bb_period)
        sd = rolling_std(close, self.bb_period)
        self.mid = self.I(lambda: mid, name=f"SMA({self.bb_period})")
        self.upper = self.I(lambda: mid + self.bb_std * sd, name="BB upper")
        self.lower = self.I(lambda: mid - self.bb_std * sd, name="BB lower")
        self.rsi = self.I(rsi, close, self.rsi_period, name=f"RSI({self.rsi_period})")
        r = self.rsi.values
        with np.errstate(invalid="ignore"):
            self._signal = np.where((close < self.lower.values) & (r < self.rsi_low), 1,
                                    np.where((close > self.upper.values) & (r > self.rsi_high), -1, 0)).astype(np.int8)
            self._above_mid = close >= mid
        self._pip = pip_of(self.data.symbol)
        self._side = 0

    def next(self) -> None:
        i = self._i
        sig = int(self._signal[i])
        if self._side:
            back = self._above_mid[i] if self._side > 0 else not self._above_mid[i]
            if back or sig == -self._side:
                pos = self.position
                if pos:
                    pos.close()
                self._side = 0
            elif sig == 0:
                return
        if sig == 0:
            return
        if self._side == sig:
            if self.position:
                return  # already in; the stop or the middle band ends it
        px = float(self.data.Ask[-1]) if sig > 0 else float(self.data.Close[-1])
        sl = px - sig * self.sl_pips * self._pip
        tp = px + sig * self.tp_pips * self._pip if self.tp_pips else None
        if sig > 0:
            self.buy(sl=sl, tp=tp)
        else:
            self.sell(sl=sl, tp=tp)
        self._side = sig
