"""The typed trade history every statement reader produces: the account, its balance operations and its
trades, each trade with the deals that closed it.

Money is exact (``Decimal`` in the account currency, as the statement prints it); prices and lots are
``Decimal`` too (as printed), so a recomputation is exact. Times are int64 nanoseconds of the
statement's *server* wall clock read as if it were UTC until the user states the server's zone
(``Statement.in_zone``): MetaTrader prints server time and never says which zone that is.

>>> from decimal import Decimal as D
>>> t = Trade("1", "eurusd", "EURUSD", 1, D("0.02"), 0, D("1.1"), None, None,
...           exits=(Exit(3_600_000_000_000, D("0.02"), D("1.1005"), D("1.00")),))
>>> t.closed, t.closed_lots, t.profit, t.close_time
(True, Decimal('0.02'), Decimal('1.00'), 3600000000000)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np

from ..data import local_to_utc
from ..times import iso


class StatementError(ValueError):
    """A file that is not a statement leverlab can read, or one cut short: the message names the file,
    what was found and what was expected."""


#: The formats the readers know.
FORMATS = ("mt4-statement", "mt5-history", "mt5-tester")


@dataclass(frozen=True)
class AccountInfo:
    """What the statement says about the account; None where it does not say.

    ``leverage`` is 1:L as a number; ``mode`` is ``hedging`` or ``netting`` (MT5); ``demo`` True/False
    when stated."""

    number: str | None = None
    currency: str | None = None
    leverage: float | None = None
    company: str | None = None
    server: str | None = None
    mode: str | None = None
    demo: bool | None = None


@dataclass(frozen=True)
class BalanceOp:
    """A deposit (amount > 0), a withdrawal (< 0), or a credit / bonus / correction (``kind``)."""

    time: int
    amount: Decimal
    kind: str = "balance"  # balance, credit, bonus, correction, charge...
    comment: str = ""
    ticket: str = ""


@dataclass(frozen=True)
class Exit:
    """One deal that closed ``lots`` of a trade at ``price`` (MT4: the one close; MT5: each out deal).

    ``profit``, ``commission``, ``swap`` and ``fee`` are as the statement booked them on this deal;
    ``paired_by`` says how an MT5 out deal was tied to its position (``position`` when the file says,
    ``profit`` when the stated profit identified it, ``fifo`` otherwise)."""

    time: int
    lots: Decimal
    price: Decimal
    profit: Decimal
    commission: Decimal = Decimal(0)
    swap: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    ticket: str = ""
    paired_by: str = "position"


@dataclass(frozen=True)
class Trade:
    """One position: opened ``lots`` at ``open_price`` (``side`` +1 buy, -1 sell) and closed by ``exits``.

    ``symbol`` is the catalog symbol (None: not mapped, ``symbol_raw`` is what the file says);
    ``open_commission`` is what the opening deal booked (MT5 books half there; MT4 prints one
    commission per trade, kept here); ``taxes`` MT4's taxes column."""

    ticket: str
    symbol_raw: str
    symbol: str | None
    side: int
    lots: Decimal
    open_time: int
    open_price: Decimal
    sl: Decimal | None
    tp: Decimal | None
    exits: tuple[Exit, ...] = ()
    open_commission: Decimal = Decimal(0)
    taxes: Decimal = Decimal(0)
    comment: str = ""

    @property
    def closed_lots(self) -> Decimal:
        return sum((e.lots for e in self.exits), Decimal(0))

    @property
    def open_lots(self) -> Decimal:
        """Lots still open at the end of the statement."""
        return self.lots - self.closed_lots

    @property
    def closed(self) -> bool:
        """Fully closed within the statement."""
        return bool(self.exits) and self.open_lots == 0

    @property
    def close_time(self) -> int | None:
        return self.exits[-1].time if self.exits else None

    @property
    def profit(self) -> Decimal:
        return sum((e.profit for e in self.exits), Decimal(0))

    @property
    def commission(self) -> Decimal:
        return self.open_commission + sum((e.commission for e in self.exits), Decimal(0))

    @property
    def swap(self) -> Decimal:
        return sum((e.swap for e in self.exits), Decimal(0))

    @property
    def net(self) -> Decimal:
        """What the closed part of the trade added to the balance: profit + commission + swap + fees + taxes."""
        return (self.profit + self.commission + self.swap + self.taxes
                + sum((e.fee for e in self.exits), Decimal(0)))

    def to_dict(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "symbol": self.symbol, "symbol_raw": self.symbol_raw,
                "side": "buy" if self.side > 0 else "sell", "lots": str(self.lots), "open_time": iso(self.open_time),
                "open_price": str(self.open_price), "sl": None if self.sl is None else str(self.sl),
                "tp": None if self.tp is None else str(self.tp), "open_commission": str(self.open_commission),
                "taxes": str(self.taxes), "closed": self.closed, "open_lots": str(self.open_lots),
                "exits": [{"time": iso(e.time), "lots": str(e.lots), "price": str(e.price), "profit": str(e.profit),
                           "commission": str(e.commission), "swap": str(e.swap), "fee": str(e.fee),
                           "ticket": e.ticket, "paired_by": e.paired_by} for e in self.exits]}


@dataclass(frozen=True)
class Statement:
    """A whole statement as read from ``path``: its ``format`` (``FORMATS``), the account, the balance
    operations, the trades (closed, partly and still open) and the balance it states at its end.

    ``zone`` is None while times are the server's wall clock; ``in_zone`` converts them to UTC.
    ``notes`` say what the reader inferred (pairing of MT5 deals, symbols not in the catalog...)."""

    path: str
    format: str
    account: AccountInfo
    trades: tuple[Trade, ...]
    balance_ops: tuple[BalanceOp, ...]
    stated_balance: Decimal | None
    zone: str | None = None
    notes: tuple[str, ...] = ()
    unmapped: dict[str, str] = field(default_factory=dict)  # raw symbol -> why it has no catalog symbol

    @property
    def currency(self) -> str:
        return self.account.currency or "USD"

    @property
    def closed_trades(self) -> list[Trade]:
        """Trades with at least one closing deal (MT5 partial closes included), by first close."""
        return sorted((t for t in self.trades if t.exits), key=lambda t: (t.exits[0].time, t.ticket))

    @property
    def symbols(self) -> list[str]:
        """Catalog symbols traded, sorted."""
        return sorted({t.symbol for t in self.trades if t.symbol})

    @property
    def start(self) -> int:
        times = [t.open_time for t in self.trades] + [b.time for b in self.balance_ops]
        return min(times) if times else 0

    @property
    def end(self) -> int:
        times = [e.time for t in self.trades for e in t.exits] + [t.open_time for t in self.trades] + \
            [b.time for b in self.balance_ops]
        return max(times) if times else 0

    def in_zone(self, zone: str) -> "Statement":
        """This statement with every time moved from the server's wall clock in ``zone`` to UTC."""
        if self.zone is not None:
            raise StatementError(f"{self.path}: times are already in UTC (server zone {self.zone})")
        times = [t.open_time for t in self.trades] + [e.time for t in self.trades for e in t.exits] + \
            [b.time for b in self.balance_ops]
        try:  # the one wall-clock rule of the data readers (IANA names, offsets, ny+7); 0 checks an empty one
            utc = local_to_utc(np.asarray([0, *times], dtype=np.int64), zone)[1:]
        except ValueError:
            raise StatementError(f"server zone {zone!r}: expected an IANA name such as Europe/Athens, an offset "
                                 f"such as +02:00 or UTC+3, or ny+7 (MetaTrader's New York + 7 h)") from None
        moved = dict(zip(times, (int(x) for x in utc)))

        def conv(ns: int) -> int:
            return moved[ns]

        trades = tuple(replace(t, open_time=conv(t.open_time),
                               exits=tuple(replace(e, time=conv(e.time)) for e in t.exits)) for t in self.trades)
        ops = tuple(replace(b, time=conv(b.time)) for b in self.balance_ops)
        return replace(self, trades=trades, balance_ops=ops, zone=zone)

    def time_note(self) -> str:
        """How the statement's times are to be read, for every output."""
        if self.zone is None:
            return ("times are the statement's server time (its zone is not stated in the file); "
                    "give the server's zone to align them with UTC price data")
        return f"times converted to UTC from server zone {self.zone}"

    def summary(self) -> dict[str, Any]:
        """Counts and account facts, JSON-able."""
        closed = [t for t in self.trades if t.closed]
        return {"file": self.path, "format": self.format,
                "account": {"number": self.account.number, "currency": self.account.currency,
                            "leverage": self.account.leverage, "company": self.account.company,
                            "server": self.account.server, "mode": self.account.mode, "demo": self.account.demo},
                "trades": len(self.trades), "closed_trades": len(closed),
                "partly_closed": sum(1 for t in self.trades if t.exits and not t.closed),
                "open_trades": sum(1 for t in self.trades if not t.exits),
                "closing_deals": sum(len(t.exits) for t in self.trades),
                "balance_operations": len(self.balance_ops),
                "deposits": str(sum((b.amount for b in self.balance_ops if b.amount > 0), Decimal(0))),
                "withdrawals": str(sum((b.amount for b in self.balance_ops if b.amount < 0), Decimal(0))),
                "stated_balance": None if self.stated_balance is None else str(self.stated_balance),
                "symbols": self.symbols, "unmapped_symbols": dict(self.unmapped),
                "start": iso(self.start), "end": iso(self.end), "times": self.time_note(),
                "notes": list(self.notes)}
