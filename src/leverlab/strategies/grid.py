"""Grid trading: a ladder of orders every ``step_pips``, each taking profit one step later, no stop-loss.

The ladder's rungs are fixed price lines at multiples of ``step_pips``. Each time the close crosses
a rung downwards the grid buys (``side`` ``"long"`` or ``"both"``), each time it crosses one
upwards it sells (``"short"`` or ``"both"``); every position takes its profit ``tp_pips`` (default:
one step) away and has no stop. At most ``max_levels`` positions per side are open. In a range the
grid collects small profits; in a trend its losing rungs pile up until the broker's stop-out
closes them - which is why it is a favourite of high-leverage accounts and a clear way to see one
blow up.

Risk-% sizing: each rung is sized to lose ``risk`` % of equity if the price travels the whole
ladder (``step_pips`` x ``max_levels``) against it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Strategy, check_values, period, pip_of, positive


class Grid(Strategy):
    """Buy each rung crossed downwards, sell each rung crossed upwards; TP one step, no stop."""

    step_pips: float = 20.0
    """Distance between the ladder's rungs, in pips."""
    tp_pips: float | None = None
    """Take-profit distance of each rung in pips (none: one step)."""
    max_levels: int = 5
    """Most positions open per side."""
    side: str = "both"
    """Which rungs trade: long, short or both."""

    @classmethod
    def checked_params(cls, params: dict[str, Any] | None) -> dict[str, Any]:
        """The base checks, then the meaning: a step and take-profit above 0, at least one level, a known side."""
        out = super().checked_params(params)
        check_values(cls, out, {"step_pips": (positive(), "a distance in pips above 0"),
                                "tp_pips": (positive(optional=True), "a distance in pips above 0, or none"),
                                "max_levels": (period(1), "a whole number of positions, at least 1"),
                                "side": (lambda v, p: v in ("long", "short", "both"), "long, short or both")})
        return out

    @classmethod
    def min_bars(cls, **_: Any) -> int:
        """A rung crossing needs two closes."""
        return 2

    def init(self) -> None:
        if not self.step_pips or self.step_pips <= 0 or self.max_levels < 1:
            raise ValueError(f"step_pips must be above 0 and max_levels at least 1, got {self.step_pips}, "
                             f"{self.max_levels}")
        if self.side not in ("long", "short", "both"):
            raise ValueError(f"side must be long, short or both, got {self.side!r}")
        self._pip = pip_of(self.data.symbol)
        step = self.step_pips * self._pip
        rung = np.floor(self.data.Close.values / step)
        cross = np.zeros(rung.shape[0], dtype=np.int8)
        cross[1:] = np.sign(np.diff(rung)).astype(np.int8)  # -1: a rung crossed downwards
        self._cross = cross
        self._rung = rung
        self._step = step
        self._tp = (self.tp_pips or self.step_pips) * self._pip
        bars = self.data.bars
        self._high = np.asarray(bars.bid_high, dtype=np.float64)
        self._ask_low = None if bars.ask_low is None else np.asarray(bars.ask_low, dtype=np.float64)
        # rungs believed open: (side, take-profit). Pruned when a bar reached the TP, so it never
        # holds fewer than the account really has; the account is asked only when it looks full.
        self._book: list[tuple[int, float]] = []
        self._seen = 0  # bars already used for pruning
        self._checked_at = float("nan")  # balance when the book was last read from the account

    def _size(self) -> float:
        if self.risk is not None and self.lots is None and self.units is None:
            return self.order_size(sl_distance=self._step * self.max_levels)
        return self.order_size()

    def next(self) -> None:
        c = int(self._cross[self._i])
        if c == 0:
            return
        want = 1 if c < 0 else -1
        if (want > 0 and self.side == "short") or (want < 0 and self.side == "long"):
            return
        acc = self.account
        if acc.free_margin <= 0:
            return  # nothing can be opened; the broker would reject every rung
        i = self._i
        if self._book and i >= self._seen:
            hi = float(self._high[self._seen:i + 1].max())
            lo = float(self._ask_low[self._seen:i + 1].min()) if self._ask_low is not None else -np.inf
            self._book = [(s, tp) for s, tp in self._book if not ((s > 0 and hi >= tp) or (s < 0 and lo <= tp))]
        self._seen = i + 1
        if sum(1 for s, _ in self._book if s == want) >= self.max_levels:
            if self._checked_at != acc.balance:  # a deal was booked since the last look: ask the account
                real = self._broker.positions(self.data.symbol)
                self._book = [(p.side, p.tp if p.tp is not None else np.nan) for p in real]
                self._checked_at = acc.balance
            if sum(1 for s, _ in self._book if s == want) >= self.max_levels:
                return
        level = (self._rung[self._i] + (1 if want > 0 else 0)) * self._step  # the rung just crossed
        lots = self._size()
        if lots <= 0.0:
            return  # risk sizing gave less than the minimum lot: no order (a below_min_lot event says so)
        tp = level + want * self._tp
        if want > 0:
            self.buy(lots, tp=tp)
        else:
            self.sell(lots, tp=tp)
        self._book.append((want, tp))
