"""Prove a statement is understood: recompute every closing deal's profit with leverlab's own formula and
contract specs, and check that the trades plus deposits and withdrawals add up to the stated balance.

Profit is side x (close - open) x contract size x lots in the symbol's profit currency
(``engine.formulas.profit_in_profit_ccy``, here in exact Decimal), converted into the account
currency and rounded half away from zero to the minor unit, as a deal is booked (``money.round_money``).
A statement never prints conversion prices, so the conversion uses, in this order: the trade's own
close price when its symbol links the two currencies (USDJPY on a USD account: the JPY profit / the
close), the ``rates`` given, then the ``prices`` given (stored or loaded data at the close time).

>>> from decimal import Decimal as D
>>> from leverlab.history.model import AccountInfo, Exit, Statement, Trade
>>> buy = Trade("7", "usdjpy", "USDJPY", 1, D("0.10"), 0, D("156.157"), None, None,
...             exits=(Exit(10**12, D("0.10"), D("156.349"), D("12.28")),))
>>> s = Statement("demo.htm", "mt4-statement", AccountInfo(currency="USD"), (buy,), (), None)
>>> row = reconcile(s).checks[0]
>>> row.status, row.computed, row.how                # 0.192 x 100,000 x 0.10 = 1,920 JPY / 156.349 = 12.2802
('cent', Decimal('12.28'), '(156.349 - 156.157) x 100000 x 0.10 = 1920 JPY; / USDJPY 156.349 (its own close)')
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np

from ..conversion import MissingRateError
from ..instruments import instrument
from ..money import currency as money_currency
from ..money import round_money, to_decimal
from ..times import iso
from ._calc import convert_exact, profit_in_quote
from .model import Exit, Statement, Trade

#: A check's status: to the cent, within one minor unit, or not matched (with the reason).
STATUSES = ("cent", "minor_unit", "unmatched")


@dataclass(frozen=True)
class DealCheck:
    """One closing deal recomputed: ``stated`` and ``computed`` profit (account currency), ``status``
    (``STATUSES``), ``basis`` (``account``: profit already in the account currency, ``own``: converted at
    its own close, ``given``/``stored``: converted through given rates or price data, ``none``), ``how``
    (the arithmetic, to redo by hand) and ``reason`` when unmatched."""

    ticket: str
    deal: str
    symbol: str
    side: int
    lots: Decimal
    open_price: Decimal
    close_price: Decimal
    close_time: int
    stated: Decimal
    computed: Decimal | None
    status: str
    basis: str
    how: str = ""
    reason: str = ""

    @property
    def diff(self) -> Decimal | None:
        return None if self.computed is None else self.stated - self.computed

    def to_dict(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "deal": self.deal, "symbol": self.symbol,
                "side": "buy" if self.side > 0 else "sell", "lots": str(self.lots),
                "open_price": str(self.open_price), "close_price": str(self.close_price),
                "close_time": iso(self.close_time), "stated": str(self.stated),
                "computed": None if self.computed is None else str(self.computed),
                "diff": None if self.diff is None else str(self.diff), "status": self.status, "basis": self.basis,
                "how": self.how, "reason": self.reason}


@dataclass(frozen=True)
class BalanceCheck:
    """Deposits and withdrawals plus every booked trade amount against the balance the statement states."""

    deposits: Decimal
    withdrawals: Decimal
    other_ops: Decimal
    profit: Decimal
    commission: Decimal
    swap: Decimal
    fees_taxes: Decimal
    computed: Decimal
    stated: Decimal | None

    @property
    def ok(self) -> bool:
        return self.stated is not None and self.computed == self.stated

    def to_dict(self) -> dict[str, Any]:
        return {"deposits": str(self.deposits), "withdrawals": str(self.withdrawals),
                "other_balance_operations": str(self.other_ops), "profit": str(self.profit),
                "commission": str(self.commission), "swap": str(self.swap), "fees_taxes": str(self.fees_taxes),
                "computed": str(self.computed), "stated": None if self.stated is None else str(self.stated),
                "ok": self.ok}


@dataclass(frozen=True)
class Reconciliation:
    """Every closing deal checked, the balance check, and what was inferred about commission and swap."""

    statement: Statement
    checks: list[DealCheck]
    balance: BalanceCheck
    commission: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: symbol -> the contract size (units a lot) with which every one of its deals matches to the cent, where
    #: the catalog's does not: the statement's broker trades that symbol in other units
    inferred_contract_sizes: dict[str, Decimal] = field(default_factory=dict)

    def count(self, status: str | None = None, basis: tuple[str, ...] | None = None) -> int:
        return sum(1 for c in self.checks if (status is None or c.status == status)
                   and (basis is None or c.basis in basis))

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in STATUSES}

    @property
    def goal_met(self) -> bool:
        """Every deal whose profit is in the account currency or converts at its own close matches to the cent."""
        return all(c.status == "cent" for c in self.checks if c.basis in ("account", "own"))

    def unmatched_reasons(self) -> dict[str, int]:
        return dict(Counter(c.reason.split(":")[0] for c in self.checks if c.status == "unmatched"))

    def to_dict(self) -> dict[str, Any]:
        own = [c for c in self.checks if c.basis in ("account", "own")]
        return {"statement": self.statement.summary(), "counts": self.counts,
                "own_price_deals": {"total": len(own), "cent": sum(1 for c in own if c.status == "cent")},
                "goal_met": self.goal_met, "unmatched_reasons": self.unmatched_reasons(),
                "balance": self.balance.to_dict(), "commission": self.commission, "notes": self.notes,
                "inferred_contract_sizes": {k: str(v) for k, v in self.inferred_contract_sizes.items()},
                "checks": [c.to_dict() for c in self.checks]}


# ------------------------------------------------------------------ prices at a time
def price_at(frame: Any, t: int) -> tuple[Decimal, str] | None:
    """The mid close of the last bar (or tick) at or before ``t`` of ``frame`` (Bars or Ticks), with a note
    of which; None before the data starts or more than a day after its last quote."""
    times = np.asarray(frame.time)
    i = int(np.searchsorted(times, t, side="right")) - 1
    if i < 0 or t - int(times[i]) > 86_400 * 10**9:
        return None
    if hasattr(frame, "bid_close"):
        bid = float(frame.bid_close[i])
        ask = float(frame.ask_close[i]) if frame.ask_close is not None else bid
        what = f"{getattr(frame, 'timeframe', '')} bar of {iso(int(times[i]))}"
    else:
        bid, ask = float(frame.bid[i]), float(frame.ask[i])
        what = f"quote of {iso(int(times[i]))}"
    if not (math.isfinite(bid) and math.isfinite(ask)):
        return None
    return to_decimal(round((bid + ask) / 2, 10)), what


# ------------------------------------------------------------------ one deal
def _check(t: Trade, e: Exit, ccy: str, rates: Mapping[str, Decimal], prices: Mapping[str, Any],
           contract_sizes: Mapping[str, Decimal]) -> DealCheck:
    def made(computed: Decimal | None, status: str, basis: str, how: str = "", reason: str = "") -> DealCheck:
        return DealCheck(t.ticket, e.ticket, t.symbol or t.symbol_raw, t.side, e.lots, t.open_price, e.price,
                         e.time, e.profit, computed, status, basis, how, reason)

    if t.symbol is None:
        return made(None, "unmatched", "none",
                         reason=f"unknown symbol: {t.symbol_raw!r} is not in the catalog (map it with an override)")
    spec = instrument(t.symbol)
    cs = contract_sizes.get(t.symbol, to_decimal(spec.contract_size))
    raw = profit_in_quote(spec, t.side, e.lots, t.open_price, e.price, cs)
    a, b = (e.price, t.open_price) if t.side > 0 else (t.open_price, e.price)
    how = f"({a} - {b}) x {cs.normalize():f} x {e.lots} = {raw.normalize():f} {spec.profit_currency}"
    unit = money_currency(ccy).quantum
    avail: dict[str, tuple[Decimal, str]] = {t.symbol: (e.price, "own")}
    for pair, px in rates.items():
        avail.setdefault(pair, (px, "given"))
    for pair, frame in prices.items():
        if pair not in avail:
            hit = price_at(frame, e.time)
            if hit is not None:
                avail[pair] = (hit[0], f"stored:{hit[1]}")
    try:
        amount, conv = convert_exact(raw, spec.profit_currency, ccy, {k: v[0] for k, v in avail.items()})
    except MissingRateError as exc:
        return made(None, "unmatched", "none", how=how,
                         reason=f"missing conversion price: {exc}; give its price at {iso(e.time)} "
                                f"(--rate PAIR=PRICE or --data SOURCE)")
    origins = {avail[p][1] for p, _ in conv}
    basis = "account" if not conv else "own" if origins == {"own"} else \
        "given" if origins <= {"given", "own"} else "stored"
    if conv:
        how += "; " + " ".join(f"{h} ({'its own close' if avail[p][1] == 'own' else avail[p][1]})" for p, h in conv)
    computed = round_money(amount, ccy)
    diff = e.profit - computed
    if diff == 0:
        return made(computed, "cent", basis, how=how)
    if abs(diff) <= unit:
        return made(computed, "minor_unit", basis, how=how)
    reason = f"differs by {diff}"
    if basis in ("given", "stored"):
        reason += " (converted at prices that are not the broker's at that second)"
    return made(computed, "unmatched", basis, how=how, reason=reason)


# ------------------------------------------------------------------ the statement
def _balance(s: Statement) -> BalanceCheck:
    booked = [t for t in s.trades if t.exits or s.format != "mt4-statement"]  # MT4 books an open trade on close
    dep = sum((b.amount for b in s.balance_ops if b.kind == "balance" and b.amount > 0), Decimal(0))
    wd = sum((b.amount for b in s.balance_ops if b.kind == "balance" and b.amount < 0), Decimal(0))
    other = sum((b.amount for b in s.balance_ops if b.kind != "balance"), Decimal(0))
    profit = sum((t.profit for t in booked), Decimal(0))
    comm = sum((t.commission for t in booked), Decimal(0))
    swap = sum((t.swap for t in booked), Decimal(0))
    fees = sum((t.taxes + sum((e.fee for e in t.exits), Decimal(0)) for t in booked), Decimal(0))
    return BalanceCheck(dep, wd, other, profit, comm, swap, fees, dep + wd + other + profit + comm + swap + fees,
                        s.stated_balance)


def _commission(s: Statement) -> dict[str, Any]:
    """The statement's own commission rate per lot (the most common, per symbol) and how many deals follow it:
    a statement prints no rate, so this checks each deal against the rest of the file."""
    per_deal = s.format != "mt4-statement"  # MT5 books it on each deal (entry and exit), MT4 once per trade
    items: list[tuple[str, Decimal, Decimal]] = []
    for t in s.trades:
        name = t.symbol or t.symbol_raw
        if per_deal:
            items.append((name, t.lots, t.open_commission))
            items += [(name, e.lots, e.commission) for e in t.exits]
        elif t.exits:
            items.append((name, t.lots, t.open_commission))
    ccy = s.currency
    rates: dict[str, Decimal] = {}
    for name in sorted({i[0] for i in items}):
        per_lot = Counter((c / lots).quantize(Decimal("0.01")) for n, lots, c in items if n == name and lots > 0)
        rates[name] = per_lot.most_common(1)[0][0] if per_lot else Decimal(0)
    unit = money_currency(ccy).quantum
    ok = sum(1 for n, lots, c in items if abs(round_money(rates[n] * lots, ccy) - c) <= unit)
    return {"per": "deal (entry and exit, each rounded)" if per_deal else "trade (one figure per trade)",
            "rate_per_lot": {k: str(v) for k, v in rates.items()}, "checked": len(items), "consistent": ok,
            "how": "the most common commission per lot of each symbol in this statement; each deal's commission "
                   "is checked against that rate x lots, rounded, within one minor unit"}


def reconcile(statement: Statement, *, rates: Mapping[str, float] | None = None,
              prices: Mapping[str, Any] | None = None,
              contract_sizes: Mapping[str, float] | None = None) -> Reconciliation:
    """Recompute every closing deal of ``statement`` and check its balance.

    ``rates``: conversion prices to use at every close (``{"EURUSD": 1.17}``); ``prices``: Bars or Ticks by
    symbol (stored or loaded data, UTC: give the statement's server zone first with ``in_zone``);
    ``contract_sizes``: units per lot where the statement's broker differs from the catalog."""
    rates_d = {k.upper(): to_decimal(v) for k, v in (rates or {}).items()}
    prices_u = {k.upper(): v for k, v in (prices or {}).items()}
    sizes = {k.upper(): to_decimal(v) for k, v in (contract_sizes or {}).items()}
    ccy = statement.currency
    pairs = [(t, e) for t in statement.closed_trades for e in t.exits]
    checks = [_check(t, e, ccy, rates_d, prices_u, sizes) for t, e in pairs]
    inferred = _infer_sizes(pairs, checks, ccy, rates_d, prices_u, sizes)
    for i, (t, _) in enumerate(pairs):
        c = checks[i]
        if t.symbol in inferred and c.status == "unmatched":
            size = inferred[t.symbol]
            checks[i] = replace(c, reason=f"contract size: {t.symbol_raw} trades {size.normalize():f} units a lot at "
                                          f"this broker (the catalog has {instrument(t.symbol).contract_size:g}): "
                                          f"with it every {t.symbol} deal matches to the cent; give contract_sizes "
                                          f"(--contract-size {t.symbol}={size.normalize():f}); {c.reason}")
    notes = [statement.time_note(),
             "swap is taken as stated: a statement does not print the swap rates it charged"]
    if prices_u and statement.zone is None:
        notes.append("price data is UTC but the statement's times are server time: give the server zone "
                     "(--zone) so the conversion prices are read at the right hour")
    return Reconciliation(statement, checks, _balance(statement), _commission(statement), notes, inferred)


def _infer_sizes(pairs: list[tuple[Trade, Exit]], checks: list[DealCheck], ccy: str, rates: Mapping[str, Decimal],
                 prices: Mapping[str, Any], sizes: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """For each symbol with deals unmatched at their own prices: the power of ten of units a lot (other than the
    one used) with which all its deals match to the cent, if there is one."""
    out: dict[str, Decimal] = {}
    bad = sorted({t.symbol for (t, _), c in zip(pairs, checks)
                  if t.symbol and c.status == "unmatched" and c.basis in ("account", "own")})
    for sym in bad:
        mine = [(t, e) for t, e in pairs if t.symbol == sym]
        used = sizes.get(sym, to_decimal(instrument(sym).contract_size))
        for k in range(-2, 7):
            cand = Decimal(10) ** k
            if cand == used:
                continue
            trial = {**sizes, sym: cand}
            if all(_check(t, e, ccy, rates, prices, trial).status == "cent" for t, e in mine):
                out[sym] = cand
                break
    return out
