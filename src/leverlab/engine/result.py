"""What a backtest returns: the ledger of deals, the trade list, events, series and statistics.

Money in deals and trades is exact (``Decimal`` in the account currency, built from the kernel's
integer minor units), so ``deposit + sum(deal.amount) == final_balance`` holds to the cent.

>>> # r = Backtest(bars, SmaCross, terms=terms, deposit=1_000).run()
>>> # r.stats["final_balance"], r.events[0].type, r.summary()["nbp_absorbed"]
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from ..money import currency, from_minor
from ..times import iso


@dataclass(frozen=True)
class Deal:
    """One booked change to the balance (a bonus deal changes credit instead)."""

    time: int  # UTC ns
    kind: str  # deposit, open, close, commission, swap, nbp, bonus, cashback
    position_id: int
    symbol: str | None
    side: str | None  # 'buy' / 'sell' for trade deals
    lots: float
    price: float
    amount: Decimal
    balance: Decimal  # balance after the deal


@dataclass(frozen=True)
class Trade:
    """A closed position (or the closed part of one)."""

    position_id: int
    symbol: str
    side: str
    lots: float
    open_time: int
    open_price: float
    close_time: int
    close_price: float
    profit: Decimal  # price profit, account currency
    commission: Decimal
    swap: Decimal
    mae: float  # worst floating profit while open (account currency)
    mfe: float  # best floating profit while open
    reason: str  # signal, sl, tp, stop_out, end

    @property
    def net(self) -> Decimal:
        return self.profit + self.commission + self.swap


@dataclass(frozen=True)
class Event:
    """Something the broker did or refused: reject, margin_call, stop_out, nbp, pending_deleted."""

    type: str
    time: int
    symbol: str | None
    price: float | None
    margin_level: float | None
    amount: float | None
    ref: int = 0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type, "time": iso(self.time)}
        if self.symbol is not None:
            d["symbol"] = self.symbol
        for k in ("price", "margin_level", "amount"):
            v = getattr(self, k)
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                d[k] = v if not math.isinf(v) else None
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass(frozen=True)
class Series:
    """Account series: recorded at each bar close (bars), every ``stride`` ticks, and at MC/SO events.
    ``margin_level`` is NaN where no margin is used (the level is undefined)."""

    time: np.ndarray
    balance: np.ndarray
    equity: np.ndarray
    margin: np.ndarray
    free_margin: np.ndarray
    margin_level: np.ndarray

    def __len__(self) -> int:
        return int(self.time.shape[0])


def _f(x: float) -> float | None:
    return None if (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else x


@dataclass
class Result:
    """The outcome of one run: ``deals``, ``trades``, ``events``, ``series``, ``stats``."""

    currency: str
    deposit: Decimal
    deals: list[Deal]
    trades: list[Trade]
    events: list[Event]
    series: Series
    stats: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def final_balance(self) -> Decimal:
        return self.stats["final_balance"]

    def ledger_balance(self) -> Decimal:
        """The balance the ledger explains: the sum of every balance deal (deposit included)."""
        return sum((d.amount for d in self.deals if d.kind != "bonus"), Decimal(0))

    def summary(self) -> dict[str, Any]:
        """A JSON-serialisable summary (what ``leverlab backtest --json`` prints). Money appears as
        numbers with the currency's decimals (the exact Decimals are in ``stats``)."""
        s = self.stats
        out: dict[str, Any] = {
            "currency": self.currency,
            "deposit": float(self.deposit),
            "final_balance": float(s["final_balance"]),
            "final_equity": float(s["final_equity"]),
            "net_return": s["net_return"],
            "max_drawdown": s["max_drawdown"],
            "trades": s["trades"],
            "deals": s["deals"],
            "stop_outs": s["stop_outs"],
            "margin_calls": s["margin_calls"],
            "rejects": s["rejects"],
            "nbp_absorbed": float(s["nbp_absorbed"]),
            "costs": {k: float(v) for k, v in s["costs"].items()},
            "first_stop_out_time": s["first_stop_out_time"],
            "min_margin_level": s["min_margin_level"],
            "events": [e.to_dict() for e in self.events],
        }
        out.update({k: v for k, v in self.meta.items() if isinstance(v, (str, int, float, bool)) or v is None})
        return out

    def to_json(self) -> bytes:
        """Deterministic bytes of the whole result: summary, deals, trades and series."""
        doc = {
            "summary": self.summary(),
            "deals": [{**asdict(d), "amount": str(d.amount), "balance": str(d.balance)} for d in self.deals],
            "trades": [{**asdict(t), "profit": str(t.profit), "commission": str(t.commission), "swap": str(t.swap)}
                       for t in self.trades],
            "series": {k: [_f(float(x)) if k != "time" else int(x) for x in getattr(self.series, k)]
                       for k in ("time", "balance", "equity", "margin", "free_margin", "margin_level")},
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def max_drawdown(equity: np.ndarray) -> float:
    """Largest peak-to-trough fall of a series, as a fraction of the peak (0.25 = 25 %)."""
    if equity.size == 0:
        return 0.0
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, (peak - equity) / peak, 0.0)
    return float(np.nanmax(dd)) if dd.size else 0.0


def money(minor: int, ccy: str) -> Decimal:
    return from_minor(int(minor), currency(ccy))
