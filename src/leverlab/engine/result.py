"""What a backtest returns: the ledger of deals, the trade list, events, series and statistics.

Money in deals and trades is exact (``Decimal`` in the account currency, built from the kernel's
integer minor units), so ``deposit + sum(deal.amount) == final_balance`` holds to the cent.

>>> from leverlab import load
>>> from leverlab.engine import Backtest
>>> from leverlab.strategies import SmaCross
>>> bars = load("sample:eurusd-h1").take(slice(0, 2000))
>>> r = Backtest(bars, SmaCross, broker="exness", account_type="standard", country="SC",
...              deposit=1_000).run(lots=0.1)
>>> r.stats.final_balance == r.ledger_balance() == r.deposit + sum(d.amount for d in r.deals[1:])
True
>>> r.stats.trades == len(r.trades), r.trades[0].side in ("buy", "sell"), r.summary()["costs"]["cashback"]
(True, True, 0.0)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from ..money import currency, from_minor
from ..times import iso
from . import _layout as L


class Record:
    """Dict-style reads of a frozen dataclass, for notebooks and code written against the old dicts:
    ``stats["trades"]`` is ``stats.trades``, and ``keys()``/``items()`` list the fields in order.
    Read-only; an unknown key raises ``KeyError`` naming the valid fields. New code uses attributes,
    so a renamed field fails at type-check time."""

    __slots__ = ()

    def keys(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))  # type: ignore[arg-type]

    def items(self) -> Iterator[tuple[str, Any]]:
        return ((k, getattr(self, k)) for k in self.keys())

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(f"{key!r}: {type(self).__name__} has {', '.join(self.keys())}")
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        """The fields in order as JSON types (nested records as dicts, Decimal money as numbers)."""
        return {k: _plain(v) for k, v in self.items()}


def _plain(v: Any) -> Any:
    if isinstance(v, Record):
        return v.to_dict()
    if isinstance(v, Decimal):
        return float(v)
    return v


@dataclass(frozen=True)
class Costs(Record):
    """What trading cost over the run, exact, in the account currency; each is positive when paid.

    ``spread`` is the ask - bid crossed by each position opened, valued at the opening quote;
    ``commission`` and ``swap`` are the booked deals with their sign flipped (a swap credit
    is negative); ``cashback`` is the rebate received (positive, it lowers ``net``)."""

    spread: Decimal
    commission: Decimal
    swap: Decimal
    cashback: Decimal

    @property
    def net(self) -> Decimal:
        """spread + commission + swap - cashback."""
        return self.spread + self.commission + self.swap - self.cashback


@dataclass(frozen=True)
class Stats(Record):
    """The statistics of one run. Money is exact ``Decimal`` in the account currency.

    ``net_return`` is (final equity - deposit) / deposit (0.25 = +25 %); ``max_drawdown`` the largest
    peak-to-trough fall of the equity series as a fraction of the peak; ``trades``, ``deals``,
    ``stop_outs``, ``margin_calls``, ``rejects`` and ``quotes`` (prices the kernel stepped through)
    are counts; ``nbp_absorbed`` is what negative balance protection wrote off; ``first_stop_out_time``
    is ISO UTC (``2020-03-09T14:00:00Z``) or None; ``min_margin_level`` the lowest margin level in %
    while margin was used, or None when none was."""

    final_balance: Decimal
    final_equity: Decimal
    net_return: float
    max_drawdown: float
    trades: int
    deals: int
    stop_outs: int
    margin_calls: int
    rejects: int
    nbp_absorbed: Decimal
    costs: Costs
    first_stop_out_time: str | None
    min_margin_level: float | None
    quotes: int


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
    """Something the broker did or refused: reject, margin_call, stop_out, nbp, pending_deleted, cancelled."""

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


class Tables(NamedTuple):
    """The append-only ledger tables of one run, each an (int table, float table) pair of rows."""

    deals: tuple[np.ndarray, np.ndarray]
    trades: tuple[np.ndarray, np.ndarray]
    events: tuple[np.ndarray, np.ndarray]


def _f(x: float) -> float | None:
    return None if (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else x


class Result:
    """The outcome of one run: ``deals``, ``trades``, ``events``, ``series``, ``stats`` and ``meta``.

    ``deals``, ``trades`` and ``events`` are built from the kernel's ledger tables on first access
    (a run can book millions of deals); ``raw`` hands out the tables themselves. ``meta`` holds the
    run's names and terms (broker, account_type, symbol, leverage, stop_out_level, nbp)."""

    def __init__(self, currency: str, deposit: Decimal, series: Series, stats: Stats, meta: dict[str, Any],
                 symbols: list[str], tables: Tables) -> None:
        self.currency = currency
        self.deposit = deposit
        self.series = series
        self.stats = stats
        self.meta = meta
        self.symbols = symbols
        self._tables = tables

    @classmethod
    def from_tables(cls, currency: str, deposit: Decimal, series: Series, stats: Stats, meta: dict[str, Any],
                    symbols: list[str], deals: tuple[np.ndarray, np.ndarray], trades: tuple[np.ndarray, np.ndarray],
                    events: tuple[np.ndarray, np.ndarray]) -> Result:
        """A Result over the ledger tables ``(int table, float table)`` of deals, trades and events (rows
        in the kernel's layout; symbol columns index ``symbols``). The tables are kept, not copied."""
        return cls(currency, deposit, series, stats, meta, symbols, Tables(deals, trades, events))

    @cached_property
    def deals(self) -> list[Deal]:
        return deal_list(*self._tables.deals, self.currency, self.symbols)

    @cached_property
    def trades(self) -> list[Trade]:
        return trade_list(*self._tables.trades, self.currency, self.symbols)

    @cached_property
    def events(self) -> list[Event]:
        return event_list(*self._tables.events, self.symbols)

    @property
    def raw(self) -> Tables:
        """The ledger as NumPy tables: ((deal_i, deal_f), (trade_i, trade_f), (event_i, event_f))."""
        return self._tables

    @property
    def final_balance(self) -> Decimal:
        return self.stats.final_balance

    def ledger_balance(self) -> Decimal:
        """The balance the ledger explains: the sum of every balance deal (deposit included)."""
        return sum((d.amount for d in self.deals if d.kind != "bonus"), Decimal(0))

    def summary(self) -> dict[str, Any]:
        """A JSON-serialisable summary (what ``leverlab backtest --json`` prints). Money appears as
        numbers with the currency's decimals (the exact Decimals are in ``stats``)."""
        out: dict[str, Any] = {"currency": self.currency, "deposit": float(self.deposit), **self.stats.to_dict(),
                               "events": [e.to_dict() for e in self.events]}
        del out["quotes"]
        out.update({k: v for k, v in self.meta.items() if isinstance(v, (str, int, float, bool)) or v is None})
        if isinstance(self.meta.get("spreads"), dict):  # per symbol: where its spread came from
            out["spreads"] = {str(k): str(v) for k, v in self.meta["spreads"].items()}
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
    """Largest peak-to-trough fall of a series, as a fraction of the peak (0.25 = 25 %).

    >>> max_drawdown(np.array([100.0, 120.0, 90.0, 130.0, 117.0]))
    0.25
    """
    if equity.size == 0:
        return 0.0
    return float(_max_drawdown(np.ascontiguousarray(equity, dtype=np.float64)))


@njit(cache=True, nogil=True)
def _max_drawdown(equity: np.ndarray) -> float:  # pragma: no cover - compiled
    """One pass of ``nanmax((peak - equity) / peak)`` where the running peak (NaN from a NaN on, as
    ``np.maximum.accumulate``) is above 0, else 0: without the three series-long temporaries."""
    peak = equity[0]
    worst = math.nan
    for i in range(equity.shape[0]):
        e = equity[i]
        if peak != peak or e != e:
            peak = math.nan
        elif e > peak:
            peak = e
        dd = (peak - e) / peak if peak > 0.0 else 0.0
        if dd == dd and (worst != worst or dd > worst):
            worst = dd
    return worst


def money(minor: int, ccy: str) -> Decimal:
    return from_minor(int(minor), currency(ccy))


def _name(order: list[str], s: int) -> str | None:
    return order[s] if s >= 0 else None


def deal_list(di: np.ndarray, df: np.ndarray, ccy: str, order: list[str]) -> list[Deal]:
    """Deal objects from rows of the deal tables."""
    return [Deal(int(r[L.DI_TIME]), L.DEAL_KINDS[int(r[L.DI_KIND])], int(r[L.DI_POS_ID]),
                 _name(order, int(r[L.DI_SYM])),
                 {1: "buy", -1: "sell"}.get(int(r[L.DI_SIDE])), float(f[L.DF_LOTS]), float(f[L.DF_PRICE]),
                 from_minor(int(r[L.DI_AMOUNT]), ccy), from_minor(int(r[L.DI_BALANCE]), ccy))
            for r, f in zip(di, df)]


def trade_list(ti: np.ndarray, tf: np.ndarray, ccy: str, order: list[str]) -> list[Trade]:
    """Trade objects from rows of the trade tables."""
    return [Trade(int(r[L.TI_POS_ID]), order[int(r[L.TI_SYM])], "buy" if r[L.TI_SIDE] > 0 else "sell",
                  float(f[L.TF_LOTS]), int(r[L.TI_OPEN_TIME]), float(f[L.TF_OPEN]), int(r[L.TI_CLOSE_TIME]),
                  float(f[L.TF_CLOSE]), from_minor(int(r[L.TI_PROFIT]), ccy), from_minor(int(r[L.TI_COMM]), ccy),
                  from_minor(int(r[L.TI_SWAP]), ccy), float(f[L.TF_MAE]), float(f[L.TF_MFE]),
                  L.CLOSE_REASONS[int(r[L.TI_REASON])])
            for r, f in zip(ti, tf)]


def event_list(ei: np.ndarray, ef: np.ndarray, order: list[str]) -> list[Event]:
    """Event objects from rows of the event tables."""
    out = []
    for r, f in zip(ei, ef):
        typ = int(r[L.EI_TYPE])
        price = float(f[L.EF_PRICE])
        reason = (L.REJECT_REASONS[int(r[L.EI_REASON])] if typ == L.E_REJECT
                  else L.CANCEL_REASONS[int(r[L.EI_REASON])] if typ == L.E_CANCELLED else "")
        if typ == L.E_REJECT and int(r[L.EI_REASON]) == L.REJ_BELOW_MIN_LOT:
            reason += f": risk sizing gave {float(f[L.EF_AMOUNT]):.4g} lots, minimum {float(f[L.EF_LIMIT]):g}"
        out.append(Event(L.EVENT_TYPES[typ], int(r[L.EI_TIME]), _name(order, int(r[L.EI_SYM])),
                         None if math.isnan(price) else price,
                         None if math.isnan(f[L.EF_LEVEL]) else float(f[L.EF_LEVEL]),
                         float(f[L.EF_AMOUNT]), int(r[L.EI_REF]), reason))
    return out
