"""One v20 account on leverlab's engine: commands in, v20 transactions out.

An :class:`AccountBook` owns one ``leverlab.engine.Account`` under the account's resolved broker terms
and keeps only what v20 shows on top of it: ids, orders as records, trades as the engine's positions,
client extensions. Margin, fills, commission, swaps, margin call and stop-out are the engine's; the
book translates the engine's deals, closed trades and events into v20 transactions.

Everything is a function of the commands applied and the market time each was applied at, so
replaying the stored commands rebuilds the same book, transaction for transaction (the server's
restart check). Transaction times are market times.

Engine positions map one-to-one onto v20 trades (the engine account hedges); an order against
open trades of the other side closes them first, oldest first (v20's REDUCE_FIRST), then opens the
rest, at the same quote.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from ..brokers import resolve_terms
from ..brokers.terms import AccountTerms
from ..engine import Account
from ..engine.errors import BacktestError
from ..engine.result import Deal, Event, Trade
from .market import Market
from .v20 import V20Error, decimal, money, parse_time, rfc3339, time_field
from .v20 import price as fmt_price
from .v20 import units as fmt_units

PENDING_TYPES = ("LIMIT", "STOP", "MARKET_IF_TOUCHED")
DEPENDENT_TYPES = ("TAKE_PROFIT", "STOP_LOSS", "TRAILING_STOP_LOSS")
ORDER_TXN = {"MARKET": "MARKET_ORDER", "LIMIT": "LIMIT_ORDER", "STOP": "STOP_ORDER",
             "MARKET_IF_TOUCHED": "MARKET_IF_TOUCHED_ORDER", "TAKE_PROFIT": "TAKE_PROFIT_ORDER",
             "STOP_LOSS": "STOP_LOSS_ORDER", "TRAILING_STOP_LOSS": "TRAILING_STOP_LOSS_ORDER"}
TIF = {"MARKET": ("FOK", "IOC"), "LIMIT": ("GTC", "GTD", "GFD"), "STOP": ("GTC", "GTD", "GFD"),
       "MARKET_IF_TOUCHED": ("GTC", "GTD", "GFD"), "TAKE_PROFIT": ("GTC", "GTD", "GFD"),
       "STOP_LOSS": ("GTC", "GTD", "GFD"), "TRAILING_STOP_LOSS": ("GTC", "GTD", "GFD")}
ZERO = Decimal(0)


@dataclass(frozen=True)
class AccountInfo:
    """What an account was opened with (a row of the accounts table)."""

    id: str
    user_id: int
    alias: str
    broker: str
    account_type: str
    country: str
    client: str
    currency: str
    deposit: str
    created_ns: int
    leverage: str = ""


@dataclass
class TradeRec:
    id: str
    pos_id: int
    symbol: str
    instrument: str
    price: float
    open_time: int
    initial_units: Decimal
    current_units: Decimal
    initial_margin: float
    realized_pl: Decimal = ZERO
    financing: Decimal = ZERO
    commission: Decimal = ZERO
    state: str = "OPEN"
    close_time: int | None = None
    close_value: Decimal = ZERO  # sum of closed units x close price, for averageClosePrice
    closed_units: Decimal = ZERO
    closing_ids: list[str] = field(default_factory=list)
    client_ext: dict[str, Any] | None = None
    tp: str | None = None
    sl: str | None = None
    tsl: str | None = None


@dataclass
class OrderRec:
    id: str
    type: str
    create_time: int
    spec: dict[str, Any]  # the v20 fields of the order as given (normalised strings)
    state: str = "PENDING"
    engine_id: int = 0
    trade_id: str | None = None
    gtd: int | None = None
    trail_level: float | None = None  # a trailing stop's current trigger price
    filling_id: str | None = None
    filled_time: int | None = None
    trade_opened: str | None = None
    trades_closed: list[str] = field(default_factory=list)
    cancelling_id: str | None = None
    cancelled_time: int | None = None
    replaces: str | None = None
    replaced_by: str | None = None
    client_ext: dict[str, Any] | None = None
    trade_client_ext: dict[str, Any] | None = None


class AccountBook:
    """One v20 account: an engine account, its v20 records and its transactions (``txns[i]`` is id i+1)."""

    def __init__(self, info: AccountInfo, market: Market, terms: AccountTerms | None = None) -> None:
        """``terms``: the account's terms when not those ``info`` resolves to (tests of terms no profile has)."""
        self.info = info
        self.market = market
        lev = float(info.leverage) if info.leverage else None
        self.terms = terms or resolve_terms(info.broker, info.account_type, info.country, info.client,
                                            currency=info.currency, selected_leverage=lev)
        self.engine = Account(self.terms, market.symbols, deposit=float(Decimal(info.deposit)), hedging=True)
        self.vol = {s: self.engine.volume(s) for s in market.symbols}
        self.txns: list[dict[str, Any]] = []
        self.orders: dict[str, OrderRec] = {}
        self.trades: dict[str, TradeRec] = {}
        self.by_pos: dict[int, str] = {}
        self.live: dict[str, OrderRec] = {}  # pending orders (not market orders), by id
        self.open: dict[tuple[str, int], dict[str, TradeRec]] = {}  # (symbol, side) -> open trades, oldest first
        self.by_engine_order: dict[int, str] = {}
        self.client_ids: dict[str, str] = {}  # order client id -> order id
        self.trade_client_ids: dict[str, str] = {}
        self.alias = info.alias
        self.pl = ZERO
        self.financing = ZERO
        self.commission = ZERO
        self.realized: dict[tuple[str, int], list[Decimal]] = {}  # (symbol, side) -> [pl, financing, commission]
        self.in_margin_call = False
        self.now = info.created_ns
        self._nd = self._nt = self._ne = 0
        self._fed_until = market.first_feed_time(info.created_ns)  # the bars in progress too: it trades at once
        self._feed()
        self._nd = len(self.engine.deals())  # the deposit: booked by CREATE / TRANSFER_FUNDS below
        self._open_txns()

    # ---------------------------------------------------------------- quotes
    def _feed(self) -> bool:
        nxt = self.market.next_chunk(self._fed_until)
        if nxt is None:
            return False
        t1, frames = nxt
        self.engine.feed(frames)
        self._fed_until = t1
        return True

    def _engine_to(self, t: int) -> None:
        """Simulate the engine through every quote up to and including ``t``."""
        while t >= self._fed_until:
            if not self._feed():
                break
        times = self.engine.quote_times
        self.engine.advance(int(np.searchsorted(times, t, "right")))

    def advance(self, t: int) -> list[dict[str, Any]]:
        """Move the account to market time ``t``: expiries, trailing stops, fills, margin call, stop-out and
        financing on the way, as v20 transactions (returned, and appended to ``txns``)."""
        start = len(self.txns)
        if t < self.now:
            return []
        while True:
            gtd = [(o.gtd, o.id) for o in self.live.values() if o.gtd is not None]
            due = min(gtd) if gtd else None
            stop = t if due is None or due[0] > t else due[0] - 1
            self._advance_prices(stop)
            if due is None or due[0] > t:
                break
            self.now = due[0]
            self._cancel_order(self.orders[due[1]], due[0], "TIME_IN_FORCE_EXPIRED", None, None)
        self.now = t
        return self.txns[start:]

    def _advance_prices(self, t: int) -> None:
        tsl = [o for o in self.live.values() if o.type == "TRAILING_STOP_LOSS"]
        if not tsl:
            self._engine_to(t)
            self._system_txns()
            return
        # trailing stops move with each quote: step quote by quote (the same steps on a replay)
        while True:
            while t >= self._fed_until and self._feed():
                self._system_txns()
            times = self.engine.quote_times
            end = int(np.searchsorted(times, t, "right"))
            i = self.engine.index
            if i >= end:
                break
            self._trail()
            self.engine.advance(i + 1)
            self._system_txns()
        self._trail()

    def _trail(self) -> None:
        """Move each trailing stop behind the last price, and the engine position's SL to the tighter of it
        and the trade's own stop loss."""
        for o in list(self.live.values()):
            if o.type != "TRAILING_STOP_LOSS" or o.trade_id is None:
                continue
            tr = self.trades.get(o.trade_id)
            if tr is None or tr.state != "OPEN":
                continue
            q = self.market.quote_at(tr.symbol, self.engine.now) if self.engine.index else None
            if q is None:
                continue
            dist = float(o.spec["distance"])
            long = tr.current_units > 0
            lvl = q[1] - dist if long else q[2] + dist
            if o.trail_level is None or (long and lvl > o.trail_level) or (not long and lvl < o.trail_level):
                o.trail_level = lvl
            self._sync_stops(tr)

    def _sync_stops(self, tr: TradeRec) -> None:
        """Set the engine position's SL and TP from the trade's dependent orders."""
        long = tr.current_units > 0
        levels = []
        if tr.sl and self.orders[tr.sl].state == "PENDING":
            levels.append(float(self.orders[tr.sl].spec["price"]))
        if tr.tsl and self.orders[tr.tsl].state == "PENDING" and self.orders[tr.tsl].trail_level is not None:
            levels.append(float(self.orders[tr.tsl].trail_level))  # type: ignore[arg-type]
        sl = (max(levels) if long else min(levels)) if levels else None
        tp = float(self.orders[tr.tp].spec["price"]) if tr.tp and self.orders[tr.tp].state == "PENDING" else None
        pos = self.engine.position(tr.pos_id)
        if pos is not None and (pos.sl != sl or pos.tp != tp):
            self._engine_modify(tr.pos_id, sl, tp)

    def _engine_modify(self, pos_id: int, sl: float | None, tp: float | None) -> None:
        """Set the engine position's levels (a level the price is already through is refused by the engine
        with an event the translation ignores; the trade keeps its previous levels)."""
        self.engine.modify(pos_id, sl=sl, tp=tp)

    # ---------------------------------------------------------------- transactions
    def _txn(self, typ: str, t: int, batch: str | None, request_id: str | None, **fields: Any) -> dict[str, Any]:
        tid = str(len(self.txns) + 1)
        d: dict[str, Any] = {"id": tid, "time": rfc3339(t), "userID": self.info.user_id,
                             "accountID": self.info.id, "batchID": batch or tid}
        if request_id:
            d["requestID"] = request_id
        d["type"] = typ
        d.update({k: v for k, v in fields.items() if v is not None})
        self.txns.append(d)
        return d

    @property
    def last_id(self) -> str:
        return str(len(self.txns))

    def _open_txns(self) -> None:
        t = self.info.created_ns
        c = self._txn("CREATE", t, None, None, divisionID=1, siteID=101, accountUserID=self.info.user_id,
                      accountNumber=1, homeCurrency=self.info.currency)
        self._txn("TRANSFER_FUNDS", t, c["id"], None, amount=money(Decimal(self.info.deposit)),
                  fundingReason="CLIENT_FUNDED", accountBalance=money(Decimal(self.info.deposit)))

    # ---------------------------------------------------------------- helpers
    def digits(self, symbol: str) -> int:
        return self.market.specs[symbol].digits

    def cs(self, symbol: str) -> float:
        return self.vol[symbol].contract_size

    def units_of(self, symbol: str, lots: float) -> Decimal:
        return Decimal(repr(round(lots * self.cs(symbol), 6))).normalize() + 0

    def units_precision(self, symbol: str) -> int:
        step = self.vol[symbol].lot_step * self.cs(symbol)
        d = 0
        while d < 6 and abs(round(step * 10**d) - step * 10**d) > 1e-9:
            d += 1
        return d

    def fmt_units(self, symbol: str, u: Decimal | float) -> str:
        return fmt_units(u, self.units_precision(symbol))

    def px(self, symbol: str, x: float) -> str:
        return fmt_price(x, self.digits(symbol))

    def full_price(self, symbol: str, t: int) -> dict[str, Any]:
        q = self.market.quote_at(symbol, t)
        if q is None:
            return {}
        _, b, a = q
        return {"type": "PRICE", "bids": [{"price": self.px(symbol, b), "liquidity": 10000000}],
                "asks": [{"price": self.px(symbol, a), "liquidity": 10000000}],
                "closeoutBid": self.px(symbol, b), "closeoutAsk": self.px(symbol, a), "timestamp": rfc3339(q[0])}

    def home_factor(self, symbol: str, t: int) -> str:
        """The quote-to-home conversion factor of ``symbol`` at ``t`` as v20 writes it (8 decimals; "1" when
        the quote currency is the account's)."""
        f = self.market.home_factor(self.market.specs[symbol].quote, self.info.currency, t)
        return "1" if f is None else repr(round(f, 8))

    def conversion(self, symbol: str, t: int) -> dict[str, str]:
        v = self.home_factor(symbol, t)
        return {"gainQuoteHomeConversionFactor": v, "lossQuoteHomeConversionFactor": v}

    def resolve_instrument(self, name: Any) -> str:
        sym = self.market.symbol_of(name) if isinstance(name, str) else None
        if sym is None:
            raise V20Error(400, "The instrument specified is unknown", "INSTRUMENT_UNKNOWN")
        return sym

    def order_by_spec(self, spec: str) -> OrderRec:
        oid = self.client_ids.get(spec[1:]) if spec.startswith("@") else spec
        o = self.orders.get(oid or "")
        if o is None:
            raise V20Error(404, "The Order specified does not exist", "NO_SUCH_ORDER")
        return o

    def trade_by_spec(self, spec: str) -> TradeRec:
        tid = self.trade_client_ids.get(spec[1:]) if spec.startswith("@") else spec
        tr = self.trades.get(tid or "")
        if tr is None:
            raise V20Error(404, "The Trade specified does not exist", "NO_SUCH_TRADE")
        return tr

    def _collect(self) -> tuple[list[tuple[Deal, Trade | None]], list[Event]]:
        deals = self.engine.deals(self._nd)
        trades = self.engine.trades(self._nt)
        events = self.engine.events(self._ne)
        self._nd += len(deals)
        self._nt += len(trades)
        self._ne += len(events)
        it = iter(trades)
        return [(d, next(it) if d.kind == "close" else None) for d in deals], events

    # ---------------------------------------------------------------- background translation
    def _system_txns(self) -> None:
        items, events = self._collect()
        if not items and not events:
            return
        seq: list[tuple[int, int, int, Any]] = []
        for k, (dl, trow) in enumerate(items):
            seq.append((dl.time, 1, k, ("deal", dl, trow)))
        for k, e in enumerate(events):
            seq.append((e.time, 0 if e.type in ("margin_call", "stop_out") else 2, k, ("event", e, None)))
        seq.sort(key=lambda x: (x[0], x[1], x[2]))
        i = 0
        while i < len(seq):
            kind, obj, tr = seq[i][3]
            if kind == "event":
                self._system_event(obj)
                i += 1
                continue
            d: Deal = obj
            # the deals booked with this one (its commission, a per-trade cashback)
            j = i + 1
            extra: list[Deal] = []
            while j < len(seq) and seq[j][3][0] == "deal" and seq[j][3][1].kind in ("commission", "cashback") \
                    and seq[j][3][1].position_id == d.position_id and seq[j][3][1].time == d.time:
                extra.append(seq[j][3][1])
                j += 1
            if d.kind == "swap":
                group = [d]
                while j < len(seq) and seq[j][3][0] == "deal" and seq[j][3][1].kind == "swap" \
                        and seq[j][3][1].time == d.time:
                    group.append(seq[j][3][1])
                    j += 1
                self._daily_financing(group)
            elif d.kind == "open":
                self._pending_fill(d, extra)
            elif d.kind == "close":
                assert tr is not None
                self._triggered_close(d, tr, extra)
            elif d.kind in ("nbp", "cashback"):
                self._adjustment(d)
            i = j

    def _system_event(self, e: Event) -> None:
        if e.type == "margin_call" and not self.in_margin_call:
            self.in_margin_call = True
            self._txn("MARGIN_CALL_ENTER", e.time, None, None)
        elif e.type == "reject" and "margin" in e.reason and e.ref in self.by_engine_order:
            o = self.orders[self.by_engine_order[e.ref]]
            if o.state == "PENDING":
                self._cancel_order(o, e.time, "INSUFFICIENT_MARGIN", None, None, engine=False)
        elif e.type == "pending_deleted" and e.ref in self.by_engine_order:
            o = self.orders[self.by_engine_order[e.ref]]
            if o.state == "PENDING":
                self._cancel_order(o, e.time, "INSUFFICIENT_MARGIN", None, None, engine=False)

    def _margin_exit(self) -> None:
        mc = self.terms.margin_call_level
        if self.in_margin_call and mc is not None and self.engine.view().margin_level > mc:
            self.in_margin_call = False
            self._txn("MARGIN_CALL_EXIT", self.now, None, None)

    def _daily_financing(self, deals: list[Deal]) -> None:
        t = deals[0].time
        total = sum((d.amount for d in deals), ZERO)
        by_inst: dict[str, list[dict[str, Any]]] = {}
        for d in deals:
            tid = self.by_pos.get(d.position_id)
            if tid is None:
                continue
            tr = self.trades[tid]
            tr.financing += d.amount
            self._realized(tr.symbol, 1 if tr.current_units > 0 else -1)[1] += d.amount
            by_inst.setdefault(tr.instrument, []).append({"tradeID": tid, "financing": money(d.amount)})
        self.financing += total
        pf = [{"instrument": k, "financing": money(sum((Decimal(x["financing"]) for x in v), ZERO)),
               "accountFinancingMode": "DAILY", "openTradeFinancings": v} for k, v in by_inst.items()]
        self._txn("DAILY_FINANCING", t, None, None, financing=money(total), accountBalance=money(deals[-1].balance),
                  accountFinancingMode="DAILY", positionFinancings=pf)

    def _adjustment(self, d: Deal) -> None:
        self._txn("TRANSFER_FUNDS", d.time, None, None, amount=money(d.amount), fundingReason="ADJUSTMENT",
                  comment="negative balance protection" if d.kind == "nbp" else "cashback",
                  accountBalance=money(d.balance))

    def _side(self, symbol: str, side: int) -> dict[str, TradeRec]:
        """The open trades of one side of a symbol's position, oldest first."""
        return self.open.setdefault((symbol, side), {})

    def _realized(self, symbol: str, side: int) -> list[Decimal]:
        return self.realized.setdefault((symbol, side), [ZERO, ZERO, ZERO])

    def _pending_fill(self, d: Deal, extra: list[Deal]) -> None:
        """A pending order the engine filled: find it among the live ones (symbol, side, lots, level)."""
        assert d.symbol is not None
        live = {o["id"] for o in self.engine.orders()}
        side = 1 if d.side == "buy" else -1
        cands = [o for o in self.live.values() if o.type in PENDING_TYPES
                 and o.engine_id and o.engine_id not in live and self.market.symbol_of(o.spec["instrument"]) == d.symbol
                 and (Decimal(o.spec["units"]) > 0) == (side > 0)
                 and abs(float(Decimal(o.spec["units"]).copy_abs()) / self.cs(d.symbol) - d.lots) < 1e-9]
        if not cands:
            return
        cands.sort(key=lambda o: (abs(float(o.spec["price"]) - d.price), int(o.id)))
        o = cands[0]
        reason = {"LIMIT": "LIMIT_ORDER", "STOP": "STOP_ORDER", "MARKET_IF_TOUCHED": "MARKET_IF_TOUCHED_ORDER"}[o.type]
        fill = self._fill_txn(o, d.symbol, d.time, reason, None, [(d, None)] + [(x, None) for x in extra], None)
        self._after_fill(o, fill, None, d.time)

    def _triggered_close(self, d: Deal, tr: Trade, extra: list[Deal]) -> None:
        tid = self.by_pos.get(d.position_id)
        if tid is None:
            return
        rec = self.trades[tid]
        t = d.time
        items: list[tuple[Deal, Trade | None]] = [(d, tr)] + [(x, None) for x in extra]
        if tr.reason == "stop_out":
            mo = self._txn("MARKET_ORDER", t, None, None, instrument=rec.instrument,
                           units=self.fmt_units(rec.symbol, -rec.current_units), timeInForce="FOK",
                           positionFill="REDUCE_ONLY", reason="MARGIN_CLOSEOUT",
                           tradeClose={"tradeID": tid, "units": "ALL"})
            o = OrderRec(mo["id"], "MARKET", t, {"instrument": rec.instrument, "units": mo["units"]})
            self.orders[o.id] = o
            fill = self._fill_txn(o, rec.symbol, t, "MARKET_ORDER_MARGIN_CLOSEOUT", mo["id"], items, None)
            self._after_fill(o, fill, mo["id"], t)
            return
        oid = rec.tp if tr.reason == "tp" else None
        if tr.reason == "sl":
            oid = rec.sl
            tso = self.orders.get(rec.tsl or "")
            slo = self.orders.get(rec.sl or "")
            if tso is not None and tso.trail_level is not None and (
                    slo is None or slo.state != "PENDING"
                    or abs(float(slo.spec["price"]) - d.price) > abs(tso.trail_level - d.price)):
                oid = rec.tsl
        dep = self.orders.get(oid or "")
        if dep is None or dep.state != "PENDING":  # a close of the engine's own (end of data): a market close
            mo = self._txn("MARKET_ORDER", t, None, None, instrument=rec.instrument,
                           units=self.fmt_units(rec.symbol, -rec.current_units), timeInForce="FOK",
                           positionFill="REDUCE_ONLY", reason="TRADE_CLOSE",
                           tradeClose={"tradeID": tid, "units": "ALL"})
            o = OrderRec(mo["id"], "MARKET", t, {"instrument": rec.instrument, "units": mo["units"]})
            self.orders[o.id] = o
            fill = self._fill_txn(o, rec.symbol, t, "MARKET_ORDER_TRADE_CLOSE", mo["id"], items, None)
        else:
            o = dep
            reason = {"TAKE_PROFIT": "TAKE_PROFIT_ORDER", "STOP_LOSS": "STOP_LOSS_ORDER",
                      "TRAILING_STOP_LOSS": "TRAILING_STOP_LOSS_ORDER"}[o.type]
            fill = self._fill_txn(o, rec.symbol, t, reason, None, items, None)
        self._after_fill(o, fill, None, t)

    # ---------------------------------------------------------------- fills
    def _fill_txn(self, o: OrderRec, symbol: str, t: int, reason: str, batch: str | None,
                  items: Sequence[tuple[Deal, Trade | None]], request_id: str | None) -> dict[str, Any] | None:
        """The ORDER_FILL of order ``o`` from the engine deals of one fill; updates trades and totals."""
        if not any(d.kind in ("open", "close") for d, _ in items):
            return None
        fid = str(len(self.txns) + 1)
        pl = ZERO
        comm = ZERO
        closed: list[dict[str, Any]] = []
        opened: dict[str, Any] | None = None
        units_total = ZERO
        value = 0.0
        balance = None
        cur_tid = None
        for d, _row in items:
            balance = d.balance
            if d.kind == "close":
                tid = self.by_pos[d.position_id]
                rec = self.trades[tid]
                cur_tid = tid
                sign = Decimal(1) if rec.current_units > 0 else Decimal(-1)
                u = self.units_of(symbol, d.lots) * sign
                rec.current_units -= u
                rec.realized_pl += d.amount
                rec.close_value += Decimal(repr(d.price)) * u.copy_abs()
                rec.closed_units += u.copy_abs()
                rec.closing_ids.append(fid)
                self._realized(symbol, int(sign))[0] += d.amount
                pl += d.amount
                units_total -= u
                value += d.price * float(u.copy_abs())
                entry = {"tradeID": tid, "units": self.fmt_units(symbol, -u), "price": self.px(symbol, d.price),
                         "realizedPL": money(d.amount), "financing": money(ZERO),
                         "guaranteedExecutionFee": money(ZERO),
                         "halfSpreadCost": money(self._half_spread(symbol, t, u))}
                if rec.current_units == 0:
                    rec.state = "CLOSED"
                    self._side(symbol, int(sign)).pop(tid, None)
                    rec.close_time = t
                    closed.append(entry)
                else:
                    closed.append({**entry, "_reduced": True})
            elif d.kind == "open":
                side = Decimal(1) if d.side == "buy" else Decimal(-1)
                u = self.units_of(symbol, d.lots) * side
                pos = self.engine.position(d.position_id)
                margin = pos.margin if pos is not None else 0.0
                rec = TradeRec(fid, d.position_id, symbol, self.market.v20_name(symbol), d.price, t, u, u, margin)
                self.trades[fid] = rec
                self._side(symbol, int(side))[fid] = rec
                self.by_pos[d.position_id] = fid
                cur_tid = fid
                units_total += u
                value += d.price * float(u.copy_abs())
                opened = {"tradeID": fid, "units": self.fmt_units(symbol, u), "price": self.px(symbol, d.price),
                          "guaranteedExecutionFee": money(ZERO),
                          "halfSpreadCost": money(self._half_spread(symbol, t, u)),
                          "initialMarginRequired": _money4(margin)}
            elif d.kind in ("commission", "cashback"):
                comm -= d.amount
                if cur_tid is not None:
                    rec = self.trades[cur_tid]
                    rec.commission -= d.amount
                    self._realized(symbol, 1 if rec.initial_units > 0 else -1)[2] -= d.amount
        self.pl += pl
        self.commission += comm
        n_units = units_total.copy_abs()
        avg = value / float(n_units) if n_units else 0.0
        fields: dict[str, Any] = {
            "orderID": o.id, "instrument": self.market.v20_name(symbol), "units": self.fmt_units(symbol, units_total),
            "requestedUnits": o.spec.get("units"), "price": self.px(symbol, avg), "fullVWAP": self.px(symbol, avg),
            "fullPrice": self.full_price(symbol, t), "reason": reason, "pl": money(pl),
            "financing": money(ZERO), "commission": money(comm),
            "guaranteedExecutionFee": money(ZERO),
            "accountBalance": money(balance if balance is not None else ZERO),
            **self.conversion(symbol, t),
            "halfSpreadCost": money(sum((Decimal(x["halfSpreadCost"]) for x in closed), ZERO)
                                    + (Decimal(opened["halfSpreadCost"]) if opened else ZERO)),
        }
        reduced = [x for x in closed if x.get("_reduced")]
        full = [x for x in closed if not x.get("_reduced")]
        if opened:
            fields["tradeOpened"] = opened
        if full:
            fields["tradesClosed"] = full
        if reduced:
            fields["tradeReduced"] = {k: v for k, v in reduced[0].items() if k != "_reduced"}
        return self._txn("ORDER_FILL", t, batch, request_id, **fields)

    def _half_spread(self, symbol: str, t: int, u: Decimal) -> Decimal:
        q = self.market.quote_at(symbol, t)
        f = self.market.home_factor(self.market.specs[symbol].quote, self.info.currency, t)
        if q is None or f is None:
            return ZERO
        return Decimal(repr(round(0.5 * (q[2] - q[1]) * float(u.copy_abs()) * f, 4)))

    def _after_fill(self, o: OrderRec, fill: dict[str, Any] | None, batch: str | None, t: int,
                    request_id: str | None = None) -> None:
        """Mark ``o`` filled, create the dependents of a trade it opened, cancel those of trades it closed."""
        if fill is None:
            return
        o.state = "FILLED"
        self.live.pop(o.id, None)
        o.filling_id = fill["id"]
        o.filled_time = t
        batch = batch or fill["batchID"]
        opened = fill.get("tradeOpened")
        closed = [x["tradeID"] for x in fill.get("tradesClosed", [])]
        if fill.get("tradeReduced"):
            closed_part = [fill["tradeReduced"]["tradeID"]]
        else:
            closed_part = []
        o.trades_closed = closed + closed_part
        for tid in closed:
            rec = self.trades[tid]
            for dep in (rec.tp, rec.sl, rec.tsl):
                d = self.orders.get(dep or "")
                if d is not None and d.state == "PENDING" and d.id != o.id:
                    self._cancel_order(d, t, "LINKED_TRADE_CLOSED", batch, request_id, engine=False)
        if opened:
            tid = opened["tradeID"]
            o.trade_opened = tid
            rec = self.trades[tid]
            if o.trade_client_ext:
                rec.client_ext = o.trade_client_ext
                if "id" in o.trade_client_ext:
                    self.trade_client_ids[o.trade_client_ext["id"]] = tid
            for key, typ in (("takeProfitOnFill", "TAKE_PROFIT"), ("stopLossOnFill", "STOP_LOSS"),
                             ("trailingStopLossOnFill", "TRAILING_STOP_LOSS")):
                det = o.spec.get(key)
                if det:
                    self._dependent(rec, typ, det, t, batch, request_id, "ON_FILL", float(opened["price"]))
            self._sync_stops(rec)
        if self.engine.index:
            self._margin_exit()

    def _dependent(self, rec: TradeRec, typ: str, det: dict[str, Any], t: int, batch: str | None,
                   request_id: str | None, reason: str, ref_price: float, replaces: str | None = None) -> OrderRec:
        spec: dict[str, Any] = {"tradeID": rec.id, "timeInForce": det.get("timeInForce", "GTC"),
                                "triggerCondition": "DEFAULT"}
        long = rec.current_units > 0
        if typ == "TRAILING_STOP_LOSS":
            spec["distance"] = det["distance"]
        elif "price" in det:
            spec["price"] = det["price"]
        else:  # a distance from the trade's price: below it for a long's SL, above for its TP
            dist = float(det["distance"])
            up = (typ == "TAKE_PROFIT") == long
            spec["price"] = self.px(rec.symbol, ref_price + dist if up else ref_price - dist)
        if det.get("gtdTime"):
            spec["gtdTime"] = det["gtdTime"]
        fields = dict(spec)
        fields["reason"] = reason
        if det.get("clientExtensions"):
            fields["clientExtensions"] = det["clientExtensions"]
        if replaces:
            fields["replacesOrderID"] = replaces
        tx = self._txn(ORDER_TXN[typ], t, batch, request_id, **fields)
        o = OrderRec(tx["id"], typ, t, spec, trade_id=rec.id, client_ext=det.get("clientExtensions"))
        if det.get("gtdTime"):
            o.gtd = parse_time(det["gtdTime"])
        if typ == "TRAILING_STOP_LOSS":
            q = self.market.quote_at(rec.symbol, t)
            if q is not None:
                o.trail_level = q[1] - float(spec["distance"]) if long else q[2] + float(spec["distance"])
        self.orders[o.id] = o
        self.live[o.id] = o
        if typ == "TAKE_PROFIT":
            rec.tp = o.id
        elif typ == "STOP_LOSS":
            rec.sl = o.id
        else:
            rec.tsl = o.id
        return o

    def _cancel_order(self, o: OrderRec, t: int, reason: str, batch: str | None, request_id: str | None,
                      engine: bool = True, replaced_by: str | None = None) -> dict[str, Any]:
        if engine and o.type in PENDING_TYPES and o.engine_id:
            try:
                self.engine.cancel(o.engine_id)
                self._ne = len(self.engine.events())  # the engine's own 'cancelled' event is this txn
            except ValueError:
                pass
        tx = self._txn("ORDER_CANCEL", t, batch, request_id, orderID=o.id, reason=reason,
                       replacedByOrderID=replaced_by,
                       clientOrderID=(o.client_ext or {}).get("id"))
        o.state = "CANCELLED"
        self.live.pop(o.id, None)
        o.cancelling_id = tx["id"]
        o.cancelled_time = t
        if o.trade_id and o.trade_id in self.trades:
            rec = self.trades[o.trade_id]
            if rec.state == "OPEN":
                self._sync_stops(rec)
        return tx

    # ---------------------------------------------------------------- commands
    def apply(self, cmd: dict[str, Any], t: int) -> tuple[int, dict[str, Any]]:
        """Apply one command at market time ``t`` (the account advanced there first): (HTTP status, body).
        V20Error for a request refused without a transaction (nothing changed)."""
        self.advance(t)
        kind = cmd["kind"]
        rid = cmd.get("requestID")
        handler = getattr(self, f"_cmd_{kind}")
        status, body = handler(cmd, t, rid)
        body["lastTransactionID"] = self.last_id
        return status, body

    def _parse_units(self, symbol: str, raw: Any, field: str, allow_all: bool = False) -> Decimal:
        if allow_all and raw == "ALL":
            return Decimal(-1)
        u = decimal(raw, field)
        prec = self.units_precision(symbol)
        if u != u.quantize(Decimal(1).scaleb(-prec)):
            raise _Reject("UNITS_PRECISION_EXCEEDED", f"The units specified contain more precision than is "
                          f"allowed for the instrument ({prec} decimal places)")
        return u

    def _parse_price(self, symbol: str, raw: Any, field: str, code: str = "") -> str:
        """A price a request sends in ``field``: positive, at most the instrument's digits; formatted with them.
        Rejected as ``{code}PRICE_INVALID`` or ``{code}PRICE_PRECISION_EXCEEDED`` otherwise."""
        p = decimal(raw, field)
        if p <= 0:
            raise _Reject(f"{code}PRICE_INVALID", f"'{field}' must be positive")
        if p != p.quantize(Decimal(1).scaleb(-self.digits(symbol))):
            raise _Reject(f"{code}PRICE_PRECISION_EXCEEDED", f"'{field}' has more than {self.digits(symbol)} decimals")
        return self.px(symbol, float(p))

    def _check_size(self, symbol: str, u: Decimal) -> None:
        v = self.vol[symbol]
        cs = v.contract_size
        a = float(u.copy_abs())
        if a == 0:
            raise _Reject("UNITS_INVALID", "The units specified must not be zero")
        if a < v.min_lot * cs - 1e-9:
            raise _Reject("UNITS_MIMIMUM_NOT_MET", f"The units specified ({u}) are below the minimum trade size "
                          f"{fmt_units(v.min_lot * cs, self.units_precision(symbol))}")
        if a > v.max_lot * cs + 1e-9:
            raise _Reject("UNITS_LIMIT_EXCEEDED", f"The units specified exceed the maximum order size "
                          f"{fmt_units(v.max_lot * cs, self.units_precision(symbol))}")
        step = v.lot_step * cs
        k = a / step
        if abs(k - round(k)) > 1e-6:
            raise _Reject("UNITS_PRECISION_EXCEEDED", f"The units specified ({u}) are not a multiple of the "
                          f"trade size step {step:g}")

    def _details(self, det: Any, field: str, symbol: str, typ: str) -> dict[str, Any] | None:
        if det is None:
            return None
        if not isinstance(det, dict):
            raise V20Error(400, f"Invalid value specified for '{field}': expected an object", "INVALID_VALUE")
        out: dict[str, Any] = {}
        if typ == "TRAILING_STOP_LOSS" or ("distance" in det and "price" not in det):
            trailing = typ == "TRAILING_STOP_LOSS"
            if "distance" not in det:
                raise _Reject(f"{_field_code(field)}_PRICE_DISTANCE_MISSING" if trailing else "PRICE_DISTANCE_MISSING",
                              f"'{field}.distance' is required")
            dist = decimal(det["distance"], f"{field}.distance")
            if dist <= 0:
                raise _Reject(f"{_field_code(field)}_PRICE_DISTANCE_INVALID" if trailing else
                              "STOP_LOSS_ON_FILL_DISTANCE_INVALID" if typ == "STOP_LOSS" else "PRICE_DISTANCE_INVALID",
                              f"'{field}.distance' must be positive")
            out["distance"] = str(dist)
        else:
            if "price" not in det:
                raise _Reject(f"{_field_code(field)}_PRICE_MISSING", f"'{field}.price' is required")
            out["price"] = self._parse_price(symbol, det["price"], f"{field}.price", f"{_field_code(field)}_")
        tif = det.get("timeInForce", "GTC")
        if tif not in ("GTC", "GTD", "GFD"):
            raise _Reject(f"{_field_code(field)}_TIME_IN_FORCE_INVALID", f"'{field}.timeInForce' {tif!r}")
        out["timeInForce"] = tif
        if tif == "GTD":
            if "gtdTime" not in det:
                raise _Reject(f"{_field_code(field)}_GTD_TIMESTAMP_MISSING", f"'{field}.gtdTime' is required")
            out["gtdTime"] = rfc3339(time_field(det["gtdTime"], f"{field}.gtdTime"))
        if det.get("clientExtensions") is not None:
            out["clientExtensions"] = _ext(det["clientExtensions"], f"{field}.clientExtensions")
        return out

    def _cmd_order(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        req = cmd["order"]
        typ = req.get("type", "MARKET") if isinstance(req, dict) else "MARKET"
        typ = typ if isinstance(typ, str) else "MARKET"
        reject_type = ORDER_TXN.get(typ, "MARKET_ORDER") + "_REJECT"
        base = {k: req.get(k) for k in ("instrument", "units", "price", "timeInForce", "positionFill",
                                         "triggerCondition")} if isinstance(req, dict) else {}
        try:
            typ, symbol, spec = self._validate_order(req, t)
        except _Reject as r:
            tx = self._txn(reject_type, t, None, rid, **{k: v for k, v in base.items() if isinstance(v, str)},
                           reason="CLIENT_ORDER", rejectReason=r.code)
            raise V20Error(400, r.message, r.code,
                           orderRejectTransaction=tx, relatedTransactionIDs=[tx["id"]],
                           lastTransactionID=self.last_id) from None
        return self._place(typ, symbol, spec, t, rid, "CLIENT_ORDER", None)

    def _validate_order(self, req: Any, t: int) -> tuple[str, str, dict[str, Any]]:
        if not isinstance(req, dict):
            raise V20Error(400, "Invalid value specified for 'order': expected an object", "INVALID_VALUE")
        typ = req.get("type", "MARKET")
        if not isinstance(typ, str) or typ not in ("MARKET", *PENDING_TYPES):
            raise V20Error(400, f"Invalid value specified for 'order.type': {typ!r}; expected MARKET, LIMIT, "
                                f"STOP or MARKET_IF_TOUCHED", "INVALID_VALUE")
        if "instrument" not in req:
            raise _Reject("INSTRUMENT_MISSING", "'order.instrument' is required")
        symbol = self.market.symbol_of(req["instrument"]) if isinstance(req["instrument"], str) else None
        if symbol is None:
            raise _Reject("INSTRUMENT_UNKNOWN", "The instrument specified is unknown")
        if "units" not in req:
            raise _Reject("UNITS_MISSING", "'order.units' is required")
        u = self._parse_units(symbol, req["units"], "order.units")
        self._check_size(symbol, u)
        spec: dict[str, Any] = {"instrument": req["instrument"], "units": self.fmt_units(symbol, u)}
        tif = req.get("timeInForce", "FOK" if typ == "MARKET" else "GTC")
        if tif not in TIF[typ]:
            raise _Reject("TIME_IN_FORCE_INVALID", f"timeInForce {tif!r} is not allowed for a {typ} order "
                          f"(expected {' or '.join(TIF[typ])})")
        spec["timeInForce"] = tif
        pf = req.get("positionFill", "DEFAULT")
        if pf not in ("DEFAULT", "OPEN_ONLY", "REDUCE_FIRST", "REDUCE_ONLY"):
            raise V20Error(400, f"Invalid value specified for 'order.positionFill': {pf!r}; expected DEFAULT, "
                                f"OPEN_ONLY, REDUCE_FIRST or REDUCE_ONLY", "INVALID_VALUE")
        spec["positionFill"] = pf
        if typ != "MARKET":
            if "price" not in req:
                raise _Reject("PRICE_MISSING", "'order.price' is required")
            spec["price"] = self._parse_price(symbol, req["price"], "order.price")
            trig = req.get("triggerCondition", "DEFAULT")
            if trig not in ("DEFAULT", "INVERSE", "BID", "ASK", "MID"):
                raise _Reject("TRIGGER_CONDITION_INVALID", f"triggerCondition {trig!r}")
            spec["triggerCondition"] = trig
            if tif == "GTD":
                if "gtdTime" not in req:
                    raise _Reject("TIME_IN_FORCE_GTD_TIMESTAMP_MISSING",
                                  "'order.gtdTime' is required with timeInForce GTD")
                g = time_field(req["gtdTime"], "order.gtdTime")
                if g <= t:
                    raise _Reject("TIME_IN_FORCE_GTD_TIMESTAMP_IN_PAST", "'order.gtdTime' is in the past")
                spec["gtdTime"] = rfc3339(g)
        elif "priceBound" in req:
            spec["priceBound"] = self.px(symbol, float(decimal(req["priceBound"], "order.priceBound")))
        for key, dtyp in (("takeProfitOnFill", "TAKE_PROFIT"), ("stopLossOnFill", "STOP_LOSS"),
                          ("trailingStopLossOnFill", "TRAILING_STOP_LOSS")):
            det = self._details(req.get(key), key, symbol, dtyp)
            if det is not None:
                spec[key] = det
        for key in ("clientExtensions", "tradeClientExtensions"):
            if req.get(key) is not None:
                spec[key] = _ext(req[key], f"order.{key}")
                cid = spec[key].get("id")
                if key == "clientExtensions" and cid and cid in self.client_ids:
                    raise _Reject("CLIENT_ORDER_ID_ALREADY_EXISTS", f"client order id {cid!r} is in use")
        self._check_stops(typ, symbol, u, spec, t)
        return typ, symbol, spec

    def _check_stops(self, typ: str, symbol: str, u: Decimal, spec: dict[str, Any], t: int) -> None:
        """_Reject for a take profit or stop loss on the wrong side of the price the order fills at."""
        ref = float(spec["price"]) if typ != "MARKET" else None
        q = self.market.quote_at(symbol, t)
        if ref is None and q is not None:
            ref = q[2] if u > 0 else q[1]
        if ref is not None:
            long = u > 0
            tp = spec.get("takeProfitOnFill", {}).get("price")
            sl = spec.get("stopLossOnFill", {}).get("price")
            exit_ref = ref if typ != "MARKET" else (q[1] if long else q[2]) if q is not None else ref
            if tp is not None and ((float(tp) <= exit_ref) if long else (float(tp) >= exit_ref)):
                raise _Reject("TAKE_PROFIT_ON_FILL_LOSS", "The take profit would close the trade at a loss: its "
                              "price is on the wrong side of the fill price")
            if sl is not None and ((float(sl) >= exit_ref) if long else (float(sl) <= exit_ref)):
                raise _Reject("STOP_LOSS_ON_FILL_LOSS", "The stop loss would close the trade at a profit: its "
                              "price is on the wrong side of the fill price")

    def _place(self, typ: str, symbol: str, spec: dict[str, Any], t: int, rid: str | None, reason: str,
               replaces: str | None) -> tuple[int, dict[str, Any]]:
        fields = dict(spec)
        fields["reason"] = reason
        if replaces:
            fields["replacesOrderID"] = replaces
        tx = self._txn(ORDER_TXN[typ], t, None, rid, **fields)
        batch = tx["id"]
        o = OrderRec(tx["id"], typ, t, spec, client_ext=spec.get("clientExtensions"),
                     trade_client_ext=spec.get("tradeClientExtensions"), replaces=replaces)
        self.orders[o.id] = o
        if typ != "MARKET":
            self.live[o.id] = o
        if o.client_ext and o.client_ext.get("id"):
            self.client_ids[o.client_ext["id"]] = o.id
        body: dict[str, Any] = {"orderCreateTransaction": tx}
        if not self.market.tradeable(symbol, t):
            if typ == "MARKET":
                c = self._cancel_order(o, t, "MARKET_HALTED", batch, rid, engine=False)
                body["orderCancelTransaction"] = c
                body["relatedTransactionIDs"] = [tx["id"], c["id"]]
                return 201, body
        u = Decimal(spec["units"])
        side = 1 if u > 0 else -1
        if typ == "MARKET":
            closes, rest = self._reductions(symbol, u, spec["positionFill"])
            for pos_id, lots in closes:
                self.engine.close(symbol, pos_id, lots)
            if rest != 0:
                tp = spec.get("takeProfitOnFill", {}).get("price")
                sl = spec.get("stopLossOnFill", {}).get("price")
                o.engine_id = self.engine.submit(symbol, side, float(rest.copy_abs()) / self.cs(symbol),
                                                 sl=None if sl is None else float(sl),
                                                 tp=None if tp is None else float(tp))
            self.engine.execute()
            items, events = self._collect()
            fill = self._fill_txn(o, symbol, t, "MARKET_ORDER", batch, items, rid)
            if fill is not None:
                body["orderFillTransaction"] = fill
            opened = fill is not None and "tradeOpened" in fill
            if rest != 0 and not opened:
                why = "INSUFFICIENT_MARGIN"
                for e in events:
                    if e.type == "reject" and "stops" in e.reason:
                        why = "STOP_LOSS_ON_FILL_LOSS"
                if fill is None:
                    c = self._cancel_order(o, t, why, batch, rid, engine=False)
                    body["orderCancelTransaction"] = c
            elif fill is None:  # REDUCE_ONLY with nothing to reduce
                c = self._cancel_order(o, t, "POSITION_CLOSEOUT_FAILED", batch, rid, engine=False)
                body["orderCancelTransaction"] = c
            self._after_fill(o, fill, batch, t, rid)
        else:
            level = float(spec["price"])
            q = self.market.quote_at(symbol, t)
            kind = typ
            if typ == "MARKET_IF_TOUCHED":  # touched from above for a buy below the market: a limit, else a stop
                mkt = (q[2] if side > 0 else q[1]) if q is not None else level
                kind = "LIMIT" if (level <= mkt if side > 0 else level >= mkt) else "STOP"
            tp = spec.get("takeProfitOnFill", {}).get("price")
            sl = spec.get("stopLossOnFill", {}).get("price")
            lots = float(u.copy_abs()) / self.cs(symbol)
            args: dict[str, Any] = {"limit": level} if kind == "LIMIT" else {"stop": level}
            n_ev = len(self.engine.events(self._ne))
            o.engine_id = self.engine.submit(symbol, side, lots, sl=None if sl is None else float(sl),
                                             tp=None if tp is None else float(tp), **args)
            self.by_engine_order[o.engine_id] = o.id
            if spec.get("gtdTime"):
                o.gtd = parse_time(spec["gtdTime"])
            if len(self.engine.events(self._ne)) > n_ev:  # refused at placement (stops on the wrong side)
                self._ne += len(self.engine.events(self._ne))
                c = self._cancel_order(o, t, "STOP_LOSS_ON_FILL_LOSS", batch, rid, engine=False)
                body["orderCancelTransaction"] = c
        related = [x["id"] for x in self.txns[int(batch) - 1:]]
        body["relatedTransactionIDs"] = related
        return 201, body

    def _reductions(self, symbol: str, u: Decimal, pf: str) -> tuple[list[tuple[int, float | None]], Decimal]:
        """The engine closes a fill of ``u`` units makes first (v20's REDUCE_FIRST: opposite trades, oldest
        first), and the units left to open."""
        if pf == "OPEN_ONLY":
            return [], u
        closes: list[tuple[int, float | None]] = []
        left = u.copy_abs()
        for tr in list(self._side(symbol, -1 if u > 0 else 1).values()):
            if left <= 0:
                break
            have = tr.current_units.copy_abs()
            if have <= left:
                closes.append((tr.pos_id, None))
                left -= have
            else:
                closes.append((tr.pos_id, float(left) / self.cs(symbol)))
                left = ZERO
        if pf == "REDUCE_ONLY":
            left = ZERO
        return closes, (left if u > 0 else -left)

    def _close_market(self, symbol: str, closes: list[tuple[TradeRec, Decimal | None]], t: int, rid: str | None,
                      reason: str, fill_reason: str, extra: dict[str, Any]) -> tuple[dict[str, Any],
                                                                                     dict[str, Any] | None,
                                                                                     dict[str, Any] | None]:
        """A MARKET_ORDER closing ``closes`` (trade, units or None for all) and its fill (or cancel)."""
        total = sum(((u if u is not None else tr.current_units.copy_abs()) * (1 if tr.current_units > 0 else -1)
                     for tr, u in closes), ZERO)
        tx = self._txn("MARKET_ORDER", t, None, rid, instrument=self.market.v20_name(symbol),
                       units=self.fmt_units(symbol, -total), timeInForce="FOK", positionFill="REDUCE_ONLY",
                       reason=reason, **extra)
        o = OrderRec(tx["id"], "MARKET", t, {"instrument": tx["instrument"], "units": tx["units"]})
        self.orders[o.id] = o
        if not self.market.tradeable(symbol, t):
            return tx, None, self._cancel_order(o, t, "MARKET_HALTED", tx["id"], rid, engine=False)
        for tr, u in closes:
            self.engine.close(symbol, tr.pos_id, None if u is None or u == tr.current_units.copy_abs()
                              else float(u) / self.cs(symbol))
        self.engine.execute()
        items, _ = self._collect()
        fill = self._fill_txn(o, symbol, t, fill_reason, tx["id"], items, rid)
        if fill is None:
            return tx, None, self._cancel_order(o, t, "MARKET_HALTED", tx["id"], rid, engine=False)
        self._after_fill(o, fill, tx["id"], t, rid)
        return tx, fill, None

    def _cmd_close_trade(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        tr = self.trade_by_spec(cmd["trade"])
        if tr.state != "OPEN":
            raise V20Error(404, "The Trade specified does not exist", "NO_SUCH_TRADE")
        raw = cmd.get("units", "ALL")
        u: Decimal | None = None
        if raw != "ALL":
            try:
                u = self._parse_units(tr.symbol, raw, "units")
                if u <= 0 or u > tr.current_units.copy_abs():
                    raise _Reject("CLOSE_TRADE_UNITS_EXCEED_TRADE_SIZE" if u > 0 else "UNITS_INVALID",
                                  f"units {raw} must be above 0 and at most the trade's {tr.current_units.copy_abs()}")
                if u < tr.current_units.copy_abs():
                    self._check_size(tr.symbol, u)
            except _Reject as r:
                tx = self._txn("MARKET_ORDER_REJECT", t, None, rid, instrument=tr.instrument,
                               units=str(raw), timeInForce="FOK", positionFill="REDUCE_ONLY", reason="TRADE_CLOSE",
                               tradeClose={"tradeID": tr.id, "units": str(raw)}, rejectReason=r.code)
                raise V20Error(400, r.message, r.code, orderRejectTransaction=tx, relatedTransactionIDs=[tx["id"]],
                               lastTransactionID=self.last_id) from None
        tx, fill, cancel = self._close_market(tr.symbol, [(tr, u)], t, rid, "TRADE_CLOSE", "MARKET_ORDER_TRADE_CLOSE",
                                              {"tradeClose": {"tradeID": tr.id, "units": str(raw)}})
        body: dict[str, Any] = {"orderCreateTransaction": tx}
        if fill is not None:
            body["orderFillTransaction"] = fill
        if cancel is not None:
            body["orderCancelTransaction"] = cancel
        body["relatedTransactionIDs"] = [x["id"] for x in self.txns[int(tx["id"]) - 1:]]
        return 200, body

    def _cmd_close_position(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        symbol = self.market.symbol_of(cmd["instrument"])
        if symbol is None:
            raise V20Error(404, "The Instrument specified does not exist", "INSTRUMENT_UNKNOWN")
        req = cmd["body"]
        plan = []
        for side_key, sign in (("longUnits", 1), ("shortUnits", -1)):
            raw = req.get(side_key, "NONE")
            if raw == "NONE":
                continue
            trs = list(self._side(symbol, sign).values())
            have = sum((tr.current_units.copy_abs() for tr in trs), ZERO)
            if raw == "ALL":
                want = have
            else:
                try:
                    want = decimal(raw, side_key)
                except V20Error:
                    raise V20Error(400, f"Invalid value specified for '{side_key}': {raw!r}; expected ALL, NONE "
                                        f"or a number of units", f"{side_key.upper()[:-5]}_UNITS_INVALID") from None
            if not trs or want <= 0 or want > have:
                code = "CLOSEOUT_POSITION_DOESNT_EXIST" if not trs else "CLOSEOUT_POSITION_PARTIAL_UNITS_MISSING" \
                    if want <= 0 else "CLOSEOUT_POSITION_UNITS_EXCEED_POSITION_SIZE"
                raise V20Error(400, f"The Position requested to be closed out does not exist or cannot be closed "
                                    f"by {raw} units ({'long' if sign > 0 else 'short'} units held: {have})", code)
            closes: list[tuple[TradeRec, Decimal | None]] = []
            left = want
            for tr in trs:
                if left <= 0:
                    break
                a = tr.current_units.copy_abs()
                closes.append((tr, None if a <= left else left))
                left -= min(a, left)
            plan.append((side_key, closes, raw))
        if not plan:
            raise V20Error(400, "Neither longUnits nor shortUnits was given", "CLOSEOUT_POSITION_DOESNT_EXIST")
        body: dict[str, Any] = {}
        first = len(self.txns)
        for side_key, closes, raw in plan:
            pre = "long" if side_key == "longUnits" else "short"
            tx, fill, cancel = self._close_market(
                symbol, closes, t, rid, "POSITION_CLOSEOUT", "MARKET_ORDER_POSITION_CLOSEOUT",
                {f"{pre}PositionCloseout": {"instrument": cmd["instrument"], "units": str(raw)}})
            body[f"{pre}OrderCreateTransaction"] = tx
            if fill is not None:
                body[f"{pre}OrderFillTransaction"] = fill
            if cancel is not None:
                body[f"{pre}OrderCancelTransaction"] = cancel
        body["relatedTransactionIDs"] = [x["id"] for x in self.txns[first:]]
        return 200, body

    def _cmd_cancel_order(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        o = self.order_by_spec(cmd["order"])
        if o.state != "PENDING":
            tx = self._txn("ORDER_CANCEL_REJECT", t, None, rid, orderID=o.id, rejectReason="ORDER_DOESNT_EXIST")
            raise V20Error(404, "The Order specified does not exist", "ORDER_DOESNT_EXIST",
                           orderCancelRejectTransaction=tx, relatedTransactionIDs=[tx["id"]],
                           lastTransactionID=self.last_id)
        c = self._cancel_order(o, t, "CLIENT_REQUEST", None, rid)
        return 200, {"orderCancelTransaction": c, "relatedTransactionIDs": [c["id"]]}

    def _cmd_replace_order(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        o = self.order_by_spec(cmd["order"])
        if o.state != "PENDING":
            raise V20Error(404, "The Order specified does not exist", "ORDER_DOESNT_EXIST")
        req = cmd["body"]
        if o.type in DEPENDENT_TYPES:
            typ = req.get("type") if isinstance(req, dict) else None
            if typ != o.type:
                raise V20Error(400, f"Order {o.id} is a {o.type} order: its replacement must be one too",
                               "INVALID_VALUE")
            tr = self.trades[o.trade_id or ""]
            try:
                det = self._details(req, "order", tr.symbol, o.type)
            except _Reject as r:
                raise V20Error(400, r.message, r.code) from None
            assert det is not None
            first = len(self.txns)
            c = self._cancel_order(o, t, "CLIENT_REQUEST_REPLACED", None, rid, engine=False,
                                   replaced_by=str(len(self.txns) + 2))
            new = self._dependent(tr, o.type, det, t, c["id"], rid, "REPLACEMENT", tr.price, replaces=o.id)
            o.replaced_by = new.id
            self._sync_stops(tr)
            return 201, {"orderCancelTransaction": c, "orderCreateTransaction": self.txns[int(new.id) - 1],
                         "relatedTransactionIDs": [x["id"] for x in self.txns[first:]]}
        try:
            typ, symbol, spec = self._validate_order(req, t)
        except _Reject as r:
            raise V20Error(400, r.message, r.code) from None
        first = len(self.txns)
        c = self._cancel_order(o, t, "CLIENT_REQUEST_REPLACED", None, rid, replaced_by=str(len(self.txns) + 2))
        o.replaced_by = str(len(self.txns) + 1)
        if o.client_ext and o.client_ext.get("id"):
            self.client_ids.pop(o.client_ext["id"], None)
        status, body = self._place(typ, symbol, spec, t, rid, "REPLACEMENT", o.id)
        for x in self.txns[first + 1:]:
            x["batchID"] = c["id"]
        body["orderCancelTransaction"] = c
        body["relatedTransactionIDs"] = [x["id"] for x in self.txns[first:]]
        return 201, body

    def _cmd_order_ext(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        o = self.order_by_spec(cmd["order"])
        body = cmd["body"] if isinstance(cmd["body"], dict) else {}
        ce = _ext(body["clientExtensions"], "clientExtensions") if body.get("clientExtensions") else None
        tce = _ext(body["tradeClientExtensions"], "tradeClientExtensions") if body.get("tradeClientExtensions") \
            else None
        if ce and ce.get("id") and self.client_ids.get(ce["id"], o.id) != o.id:
            raise V20Error(400, f"client order id {ce['id']!r} is in use", "CLIENT_ORDER_ID_ALREADY_EXISTS")
        tx = self._txn("ORDER_CLIENT_EXTENSIONS_MODIFY", t, None, rid, orderID=o.id,
                       clientOrderID=(o.client_ext or {}).get("id"), clientExtensionsModify=ce,
                       tradeClientExtensionsModify=tce)
        if ce:
            if o.client_ext and o.client_ext.get("id"):
                self.client_ids.pop(o.client_ext["id"], None)
            o.client_ext = {**(o.client_ext or {}), **ce}
            if ce.get("id"):
                self.client_ids[ce["id"]] = o.id
        if tce:
            o.trade_client_ext = {**(o.trade_client_ext or {}), **tce}
        return 200, {"orderClientExtensionsModifyTransaction": tx, "relatedTransactionIDs": [tx["id"]]}

    def _cmd_trade_ext(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        tr = self.trade_by_spec(cmd["trade"])
        body = cmd["body"] if isinstance(cmd["body"], dict) else {}
        if not body.get("clientExtensions"):
            raise V20Error(400, "'clientExtensions' is required", "CLIENT_EXTENSIONS_DATA_MISSING")
        ce = _ext(body["clientExtensions"], "clientExtensions")
        tx = self._txn("TRADE_CLIENT_EXTENSIONS_MODIFY", t, None, rid, tradeID=tr.id,
                       clientTradeID=(tr.client_ext or {}).get("id"), tradeClientExtensionsModify=ce)
        if tr.client_ext and tr.client_ext.get("id"):
            self.trade_client_ids.pop(tr.client_ext["id"], None)
        tr.client_ext = {**(tr.client_ext or {}), **ce}
        if ce.get("id"):
            self.trade_client_ids[ce["id"]] = tr.id
        return 200, {"tradeClientExtensionsModifyTransaction": tx, "relatedTransactionIDs": [tx["id"]]}

    def _cmd_trade_orders(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        tr = self.trade_by_spec(cmd["trade"])
        if tr.state != "OPEN":
            raise V20Error(404, "The Trade specified does not exist", "NO_SUCH_TRADE")
        body = cmd["body"] if isinstance(cmd["body"], dict) else {}
        plan: list[tuple[str, str, dict[str, Any] | None]] = []
        q = self.market.quote_at(tr.symbol, t)
        long = tr.current_units > 0
        for key, typ in (("takeProfit", "TAKE_PROFIT"), ("stopLoss", "STOP_LOSS"),
                         ("trailingStopLoss", "TRAILING_STOP_LOSS")):
            if key not in body:
                continue
            try:
                det = self._details(body[key], key, tr.symbol, typ)
            except _Reject as r:
                raise V20Error(400, r.message, r.code) from None
            if det is not None and "price" in det and q is not None:
                exit_px = q[1] if long else q[2]
                lvl = float(det["price"])
                wrong = (lvl <= exit_px if long else lvl >= exit_px) if typ == "TAKE_PROFIT" else \
                    (lvl >= exit_px if long else lvl <= exit_px)
                if wrong:
                    code = "TAKE_PROFIT_ON_FILL_LOSS" if typ == "TAKE_PROFIT" else "STOP_LOSS_ON_FILL_LOSS"
                    raise V20Error(400, f"The {key} price {det['price']} is on the wrong side of the current price "
                                        f"{self.px(tr.symbol, exit_px)}", code)
            plan.append((key, typ, det))
        first = len(self.txns)
        out: dict[str, Any] = {}
        for key, typ, det in plan:
            cur = {"TAKE_PROFIT": tr.tp, "STOP_LOSS": tr.sl, "TRAILING_STOP_LOSS": tr.tsl}[typ]
            old = self.orders.get(cur or "")
            live = old is not None and old.state == "PENDING"
            if det is None:
                if live:
                    assert old is not None
                    out[f"{key}OrderCancelTransaction"] = self._cancel_order(old, t, "CLIENT_REQUEST", str(first + 1),
                                                                            rid, engine=False)
                continue
            if live:
                assert old is not None
                out[f"{key}OrderCancelTransaction"] = self._cancel_order(
                    old, t, "CLIENT_REQUEST_REPLACED", str(first + 1), rid, engine=False,
                    replaced_by=str(len(self.txns) + 2))
            new = self._dependent(tr, typ, det, t, str(first + 1), rid, "REPLACEMENT" if live else "CLIENT_ORDER",
                                  tr.price, replaces=old.id if live and old is not None else None)
            if live and old is not None:
                old.replaced_by = new.id
            out[f"{key}OrderTransaction"] = self.txns[int(new.id) - 1]
        self._sync_stops(tr)
        out["relatedTransactionIDs"] = [x["id"] for x in self.txns[first:]]
        return 200, out

    def _cmd_configure(self, cmd: dict[str, Any], t: int, rid: str | None) -> tuple[int, dict[str, Any]]:
        body = cmd["body"] if isinstance(cmd["body"], dict) else {}
        if "marginRate" in body:
            tx = self._txn("CLIENT_CONFIGURE_REJECT", t, None, rid, alias=body.get("alias"),
                           marginRate=str(body["marginRate"]), rejectReason="MARGIN_RATE_INVALID")
            raise V20Error(400, "The margin rate follows the account's broker profile (its leverage and margin "
                                "rules); it cannot be configured", "MARGIN_RATE_INVALID",
                           clientConfigureRejectTransaction=tx, lastTransactionID=self.last_id)
        alias = body.get("alias")
        if not isinstance(alias, str) or len(alias) > 128:
            raise V20Error(400, "Invalid value specified for 'alias': expected a string of at most 128 characters",
                           "ALIAS_INVALID")
        self.alias = alias
        tx = self._txn("CLIENT_CONFIGURE", t, None, rid, alias=alias, marginRate=self.margin_rate())
        return 200, {"clientConfigureTransaction": tx}

    # ---------------------------------------------------------------- views
    def margin_rate(self) -> str:
        lev = self.terms.selected_leverage
        return "0" if math.isinf(lev) or lev <= 0 else repr(round(1.0 / lev, 8))

    def view_orders(self, states: tuple[str, ...] = ("PENDING",)) -> list[dict[str, Any]]:
        return [self.order_dict(o) for o in sorted(self.orders.values(), key=lambda o: -int(o.id))
                if (o.state in states or "ALL" in states) and not (o.type == "MARKET" and o.state == "PENDING")]

    def order_dict(self, o: OrderRec) -> dict[str, Any]:
        d: dict[str, Any] = {"id": o.id, "createTime": rfc3339(o.create_time), "type": o.type}
        d.update({k: v for k, v in o.spec.items() if k not in ("clientExtensions",)})
        d["state"] = o.state
        if o.client_ext:
            d["clientExtensions"] = o.client_ext
        if o.trade_client_ext:
            d["tradeClientExtensions"] = o.trade_client_ext
        if o.type == "TRAILING_STOP_LOSS" and o.trail_level is not None and o.trade_id:
            d["trailingStopValue"] = self.px(self.trades[o.trade_id].symbol, o.trail_level)
        if o.filling_id:
            d["fillingTransactionID"] = o.filling_id
            d["filledTime"] = rfc3339(o.filled_time or 0)
            if o.trade_opened:
                d["tradeOpenedID"] = o.trade_opened
            if o.trades_closed:
                d["tradeClosedIDs"] = o.trades_closed
        if o.cancelling_id:
            d["cancellingTransactionID"] = o.cancelling_id
            d["cancelledTime"] = rfc3339(o.cancelled_time or 0)
        if o.replaces:
            d["replacesOrderID"] = o.replaces
        if o.replaced_by:
            d["replacedByOrderID"] = o.replaced_by
        return d

    def _positions_now(self) -> dict[int, Any]:
        return {p.id: p for p in self.engine.positions()} if self.engine.index else {}

    def trade_dict(self, tr: TradeRec, live: dict[int, Any] | None = None) -> dict[str, Any]:
        live = self._positions_now() if live is None else live
        p = live.get(tr.pos_id) if tr.state == "OPEN" else None
        d: dict[str, Any] = {"id": tr.id, "instrument": tr.instrument, "price": self.px(tr.symbol, tr.price),
                             "openTime": rfc3339(tr.open_time), "state": tr.state,
                             "initialUnits": self.fmt_units(tr.symbol, tr.initial_units),
                             "initialMarginRequired": _money4(tr.initial_margin),
                             "currentUnits": self.fmt_units(tr.symbol, tr.current_units),
                             "realizedPL": money(tr.realized_pl), "financing": money(tr.financing)}
        if tr.state == "OPEN":
            d["unrealizedPL"] = _money4(p.profit) if p else money(ZERO)
            d["marginUsed"] = _money4(p.margin) if p else money(ZERO)
        if tr.closed_units:
            d["averageClosePrice"] = self.px(tr.symbol, float(tr.close_value / tr.closed_units))
            d["closingTransactionIDs"] = tr.closing_ids
        if tr.close_time is not None:
            d["closeTime"] = rfc3339(tr.close_time)
        if tr.client_ext:
            d["clientExtensions"] = tr.client_ext
        for key, oid in (("takeProfitOrder", tr.tp), ("stopLossOrder", tr.sl), ("trailingStopLossOrder", tr.tsl)):
            o = self.orders.get(oid or "")
            if o is not None and (o.state == "PENDING" or tr.state == "CLOSED"):
                d[key] = self.order_dict(o)
        return d

    def view_trades(self, state: str = "OPEN") -> list[dict[str, Any]]:
        live = self._positions_now()
        return [self.trade_dict(tr, live) for tr in sorted(self.trades.values(), key=lambda x: -int(x.id))
                if state == "ALL" or tr.state == state]

    def position_dict(self, symbol: str, live: dict[int, Any] | None = None) -> dict[str, Any]:
        live = self._positions_now() if live is None else live
        out: dict[str, Any] = {"instrument": self.market.v20_name(symbol)}
        tot_upl = 0.0
        tot_margin = 0.0
        tot = [ZERO, ZERO, ZERO]
        for side, key in ((1, "long"), (-1, "short")):
            trs = list(self._side(symbol, side).values())
            r = self._realized(symbol, side)
            upl = sum(live[tr.pos_id].profit for tr in trs if tr.pos_id in live)
            margin = sum(live[tr.pos_id].margin for tr in trs if tr.pos_id in live)
            u = sum((tr.current_units for tr in trs), ZERO)
            sd: dict[str, Any] = {"units": self.fmt_units(symbol, u), "pl": money(r[0]), "resettablePL": money(r[0]),
                                  "financing": money(r[1]),
                                  "guaranteedExecutionFees": money(ZERO),
                                  "unrealizedPL": _money4(upl)}
            if trs:
                w = sum(float(tr.current_units.copy_abs()) * tr.price for tr in trs) / float(u.copy_abs())
                sd["averagePrice"] = self.px(symbol, w)
                sd["tradeIDs"] = [tr.id for tr in trs]
            out[key] = sd
            tot_upl += upl
            tot_margin += margin
            tot = [a + b for a, b in zip(tot, r)]
        out.update({"pl": money(tot[0]), "resettablePL": money(tot[0]), "financing": money(tot[1]),
                    "commission": money(tot[2]),
                    "guaranteedExecutionFees": money(ZERO), "unrealizedPL": _money4(tot_upl),
                    "marginUsed": _money4(tot_margin)})
        return out

    def view_positions(self, open_only: bool) -> list[dict[str, Any]]:
        live = self._positions_now()
        syms = [s for s in self.market.symbols
                if (s, 1) in self.realized or (s, -1) in self.realized
                or self._side(s, 1) or self._side(s, -1)]
        out = [self.position_dict(s, live) for s in syms]
        if open_only:
            out = [p for p in out if p["long"]["units"].strip("0.-") or p["short"]["units"].strip("0.-")]
        return out

    def summary(self) -> dict[str, Any]:
        v = self.engine.view()
        live = self._positions_now()
        upl = sum(p.profit for p in live.values())
        so = self.terms.stop_out_level
        mc = self.terms.margin_call_level
        lvl = v.margin_level
        pos_value = 0.0
        for p in live.values():
            q = self.market.mid(p.symbol, self.now) or p.open_price
            f = self.market.home_factor(self.market.specs[p.symbol].quote, self.info.currency, self.now) or 1.0
            pos_value += p.lots * self.cs(p.symbol) * q * f
        n_pos = len({sym for (sym, _), v in self.open.items() if v})

        m = _money4

        def pct(level: float | None) -> str:
            if level is None or not math.isfinite(lvl) or v.margin <= 0:
                return "0.00000"
            return f"{level / lvl:.5f}"

        return {"id": self.info.id, "alias": self.alias, "currency": self.info.currency, "balance": m(v.balance),
                "createdByUserID": self.info.user_id, "createdTime": rfc3339(self.info.created_ns),
                "guaranteedStopLossOrderMode": "DISABLED", "pl": money(self.pl), "resettablePL": money(self.pl),
                "resettablePLTime": "0", "financing": money(self.financing), "commission": money(self.commission),
                "guaranteedExecutionFees": money(ZERO),
                "marginRate": self.margin_rate(),
                "openTradeCount": sum(len(v) for v in self.open.values()),
                "openPositionCount": n_pos,
                "pendingOrderCount": len(self.live),
                "hedgingEnabled": False, "unrealizedPL": m(upl), "NAV": m(v.equity), "marginUsed": m(v.margin),
                "marginAvailable": m(max(v.free_margin, 0.0)), "positionValue": m(pos_value),
                "marginCloseoutUnrealizedPL": m(upl), "marginCloseoutNAV": m(v.equity),
                "marginCloseoutMarginUsed": m(v.margin), "marginCloseoutPercent": pct(so),
                "marginCloseoutPositionValue": m(pos_value),
                "withdrawalLimit": m(max(min(v.free_margin, v.balance), 0)),
                "marginCallMarginUsed": m(v.margin), "marginCallPercent": pct(mc),
                "lastTransactionID": self.last_id}

    def details(self) -> dict[str, Any]:
        d = self.summary()
        live = self._positions_now()
        d["trades"] = [self.trade_dict(tr, live) for side in self.open.values() for tr in side.values()]
        d["trades"].sort(key=lambda x: int(x["id"]))
        d["positions"] = self.view_positions(False)
        d["orders"] = list(reversed(self.view_orders()))
        return d


def warm_up(market: Market) -> None:
    """Compile the engine's kernels (a cold numba cache takes about a minute) before the server listens,
    with a throwaway account that opens and closes a minimum trade; nothing is stored."""
    sym = market.symbols[0]
    t = int(market.quotes[sym].time[min(8, market.quotes[sym].time.shape[0] - 1)])
    info = AccountInfo("warm-up", 0, "", "exness", "standard", "SC", "retail", "USD", "10000", t)
    try:
        book = AccountBook(info, market)
        units = fmt_units(Decimal(repr(book.vol[sym].min_lot * book.cs(sym))), book.units_precision(sym))
        book.apply({"kind": "order", "order": {"instrument": market.v20_name(sym), "units": units}}, t)
        book.advance(t + 3600 * 10**9)
    except (BacktestError, LookupError, ValueError, V20Error):
        pass  # a market that profile does not cover: the first real account compiles instead


class _Reject(Exception):
    """A well-formed order v20 refuses: becomes a ``*_REJECT`` transaction with ``rejectReason`` ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _money4(x: float) -> str:
    """An amount the engine holds as a float (margin, unrealized P/L) as v20 money: the float rounded to four
    decimals first, then written as ``money`` writes it."""
    return money(Decimal(repr(round(x, 4))))


def _field_code(field: str) -> str:
    return {"takeProfitOnFill": "TAKE_PROFIT_ON_FILL", "stopLossOnFill": "STOP_LOSS_ON_FILL",
            "trailingStopLossOnFill": "TRAILING_STOP_LOSS_ON_FILL", "takeProfit": "TAKE_PROFIT_ON_FILL",
            "stopLoss": "STOP_LOSS_ON_FILL", "trailingStopLoss": "TRAILING_STOP_LOSS_ON_FILL"}.get(field, "ORDER")


def _ext(raw: Any, field: str) -> dict[str, Any]:
    """Client extensions: ``id``, ``tag``, ``comment`` strings of at most 128 characters."""
    if not isinstance(raw, dict) or any(k not in ("id", "tag", "comment") for k in raw) \
            or any(not isinstance(v, str) or len(v) > 128 for v in raw.values()):
        raise V20Error(400, f"Invalid value specified for '{field}': expected an object with string id, tag and "
                            f"comment of at most 128 characters", "CLIENT_EXTENSIONS_DATA_LIMIT_EXCEEDED")
    return dict(raw)


__all__ = ["AccountBook", "AccountInfo", "BacktestError", "V20Error"]
