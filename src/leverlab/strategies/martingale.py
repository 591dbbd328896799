"""Martingale: after each losing trade the next one is ``multiplier`` times bigger, after a win it
starts again from the base size.

One position at a time with a stop-loss and a take-profit ``sl_pips`` / ``tp_pips`` away, in the
direction of the last bar (up bar: buy). A run of ``k`` losses makes the next order
``multiplier**k`` times the base (at most ``max_steps`` doublings, and never above the account
type's maximum volume). Each loss is small until one run of losses is long enough - then the
order is too big for the margin (a rejected order) or the loss takes the account to stop-out.
That is the point of having it here: it shows, on real prices and a broker's real rules, how a
high-leverage account blows up.

Risk-% sizing sizes the *base* order to lose ``risk`` % of equity at the stop.
"""

from __future__ import annotations

from typing import Any

from .base import OrderError, Strategy, check_values, period, pip_of, positive


class Martingale(Strategy):
    """Double (``multiplier``) after a loss, reset after a win; SL/TP ``sl_pips``/``tp_pips``."""

    sl_pips: float = 20.0
    """Stop-loss distance in pips."""
    tp_pips: float = 20.0
    """Take-profit distance in pips."""
    multiplier: float = 2.0
    """Size factor after each loss."""
    max_steps: int = 8
    """Most losses in a row that grow the size."""

    @classmethod
    def checked_params(cls, params: dict[str, Any] | None) -> dict[str, Any]:
        """The base checks, then the meaning: stop and target above 0, a multiplier of at least 1."""
        out = super().checked_params(params)
        check_values(cls, out, {"sl_pips": (positive(), "a distance in pips above 0"),
                                "tp_pips": (positive(), "a distance in pips above 0"),
                                "multiplier": (lambda v, p: positive()(v, p) and v >= 1, "a factor of at least 1"),
                                "max_steps": (period(0), "a whole number of steps, at least 0")})
        return out

    @classmethod
    def min_bars(cls, **_: Any) -> int:
        """The direction rule reads one closed bar."""
        return 2

    def init(self) -> None:
        if self.sl_pips <= 0 or self.tp_pips <= 0 or self.multiplier < 1 or self.max_steps < 0:
            raise ValueError("sl_pips and tp_pips must be above 0, multiplier at least 1, max_steps at least 0")
        self._pip = pip_of(self.data.symbol)
        self._open = self.data.Open.values
        self._close = self.data.Close.values
        self._losses = 0
        self._entry_balance: float | None = None
        self.sequence_max = 0  # the longest run of losses seen (for inspection after a run)
        self.halted = False  # True once even the base order is refused: the account is spent

    def next(self) -> None:
        if self.halted:
            return
        acc = self.account
        if acc.margin > 0:
            return  # in a trade: its SL or TP ends it
        if acc.balance <= 0:
            self.halted = True
            return
        if self._entry_balance is not None:
            if acc.balance == self._entry_balance:
                # no trade happened: the broker refused the order (not enough free margin)
                if self._losses == 0:
                    self.halted = True
                    return
                self._losses = 0
            elif acc.balance < self._entry_balance:
                self._losses = min(self._losses + 1, self.max_steps)
            else:
                self._losses = 0
            self.sequence_max = max(self.sequence_max, self._losses)
            self._entry_balance = None
        i = self._i
        side = 1 if self._close[i] >= self._open[i] else -1
        base = self.order_size(sl_distance=self.sl_pips * self._pip)
        if base <= 0.0:
            return  # risk sizing gave less than the minimum lot: no order (a below_min_lot event says so)
        sym = self.data.symbol
        lots = self._broker.round_lots(sym, base * self.multiplier ** self._losses)
        lots = max(self._broker.min_lot(sym), lots)
        px = float(self.data.Ask[-1]) if side > 0 else float(self._close[i])
        sl = px - side * self.sl_pips * self._pip
        tp = px + side * self.tp_pips * self._pip
        self._entry_balance = acc.balance
        try:
            if side > 0:
                self.buy(lots, sl=sl, tp=tp)
            else:
                self.sell(lots, sl=sl, tp=tp)
        except OrderError:
            # above the account type's maximum volume: the broker would refuse it; start again
            self._losses = 0
            self._entry_balance = None
