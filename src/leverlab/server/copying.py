"""Copy trading on the demo broker: a follower account mirrors every fill of the master it subscribed to.

A follower (any broker profile) subscribes to a master (any other account on the server) with a copy
rule from ``leverlab.copytrade`` (Octa's published rule, a fixed ratio or fixed lots; minimum and
maximum lots; a stop-copy equity). When a master's command or the clock produces an ORDER_FILL, each
follower gets, in the same batch of work (the same database transaction), an order of its own:

- a trade the master opened: a market order (``positionFill`` OPEN_ONLY) sized by
  ``copytrade.copy_lots`` from the master's units, the master's equity just before its fill (its
  current equity for a fill the clock made: SL, TP, a pending order), the follower's equity now and
  both accounts' leverage. It fills or is refused on the follower's own terms: its own spread,
  commission and margin check (an ORDER_CANCEL with INSUFFICIENT_MARGIN), later its own margin call,
  stop-out and negative balance protection. The follower's trade carries the client id
  ``copy:<master account>:<master trade>`` (how a later close finds it, also after a restart);
- a trade the master closed or reduced: the copy is closed in full, or the same fraction of its
  opening size (``copytrade.close_lots``);
- at or below the stop-copy equity the follower stops copying and its copies are closed.

Every master fill leaves one row per follower in the copy log (copied, skipped with the reason,
rejected with the follower's reason), stored with the batch. Orders are applied at the clock time the
server saw the master's fill, through the same ``Broker.execute`` a v20 request uses, so the copies
are commands of the follower's record and replay like any other.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from starlette.requests import Request
from starlette.routing import Route

from ..copytrade.rules import CopyError, CopyRule, close_lots, copy_lots, subscribe
from .v20 import V20Error, rfc3339

metadata = MetaData()

subscriptions = Table(
    "copy_subscriptions", metadata,
    Column("follower_id", String(32), ForeignKey("accounts.id"), primary_key=True),
    Column("master_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("value", String(32), nullable=False),
    Column("min_lots", String(32), nullable=False, server_default=""),
    Column("max_lots", String(32), nullable=False, server_default=""),
    Column("stop_copy_equity", String(32), nullable=False, server_default=""),
    Column("created_ns", BigInteger, nullable=False),
    Column("stopped_ns", BigInteger, nullable=True),
)

copies = Table(
    "copies", metadata,
    Column("follower_id", String(32), ForeignKey("accounts.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("master_id", String(32), nullable=False),
    Column("body", Text, nullable=False),
)

#: Why a copy got no size (``CopySize.reason``), in the copy log's words.
NOT_SIZED = {"below_min_lot": "under the follower's minimum lot",
             "master_equity": "the master's equity is 0 or less",
             "follower_equity": "the follower's equity is 0 or less"}


def _opt(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def _num(x: str) -> float | None:
    return float(x) if x else None


@dataclass
class Subscription:
    """``follower`` copies ``master`` under ``rule`` since ``created_ns`` (market time); ``stopped_ns``: when
    it reached the stop-copy equity (None: copying)."""

    follower: str
    master: str
    rule: CopyRule
    created_ns: int
    stopped_ns: int | None = None

    def to_dict(self) -> dict[str, Any]:
        r = self.rule
        return {"followerID": self.follower, "masterID": self.master, "rule": r.kind,
                "value": None if r.kind == "octa" else r.value, "minLots": r.min_lots, "maxLots": r.max_lots,
                "stopCopyEquity": r.stop_copy_equity, "description": r.describe(),
                "createdTime": rfc3339(self.created_ns),
                "stoppedTime": rfc3339(self.stopped_ns) if self.stopped_ns is not None else None,
                "state": "STOPPED" if self.stopped_ns is not None else "COPYING"}


def rule_from(body: Any) -> CopyRule:
    """The copy rule of a subscription request: ``rule`` octa, ratio or lots, ``value`` (ratio, lots),
    ``minLots``, ``maxLots``, ``stopCopyEquity`` (optional). CopyError naming the field otherwise.

    >>> rule_from({"rule": "ratio", "value": "0.5", "maxLots": 2}).describe()
    'ratio 0.5 x master lots, at most 2 lots'
    >>> rule_from({"rule": "ratio", "value": "NaN"})
    Traceback (most recent call last):
    ...
    leverlab.copytrade.rules.CopyError: ratio: expected a finite number above 0, got 'NaN'
    """
    if not isinstance(body, dict):
        raise CopyError("body: expected an object with master, rule and value")
    kind = body.get("rule")
    if not isinstance(kind, str):
        raise CopyError(f"rule: expected octa, ratio or lots, got {kind!r}")
    kind = kind.strip().lower()
    if kind != "octa" and "value" not in body:
        raise CopyError(f"value: the {kind} rule needs a value (the ratio or the lots)")

    def opt(name: str) -> Any:
        v = body.get(name)
        return None if v is None or v == "" else v

    return CopyRule(kind, body.get("value", 1.0) if kind != "octa" else 1.0,
                    min_lots=opt("minLots"), max_lots=opt("maxLots"), stop_copy_equity=opt("stopCopyEquity"))


class Copier:
    """The subscriptions of one ``Broker`` and the mirroring of master fills onto followers."""

    def __init__(self, broker: Any) -> None:
        self.broker = broker
        self.subs: dict[str, Subscription] = {}  # follower id -> its subscription (one master each)
        self.log: dict[str, list[dict[str, Any]]] = {}  # follower id -> its copy log
        self.opened: dict[tuple[str, str, str], str] = {}  # (follower, master, master trade) -> open's status
        with broker.db.connect() as conn:
            for r in conn.execute(select(subscriptions)):
                rule = CopyRule(r.kind, float(r.value), min_lots=_num(r.min_lots), max_lots=_num(r.max_lots),
                                stop_copy_equity=_num(r.stop_copy_equity))
                self.subs[r.follower_id] = Subscription(r.follower_id, r.master_id, rule, int(r.created_ns),
                                                        None if r.stopped_ns is None else int(r.stopped_ns))
            for r in conn.execute(select(copies).order_by(copies.c.follower_id, copies.c.seq)):
                row = json.loads(r.body)
                self.log.setdefault(r.follower_id, []).append(row)
                if row["action"] == "open":
                    self.opened[(r.follower_id, r.master_id, row["masterTradeID"])] = row["status"]

    # ---------------------------------------------------------------- subscriptions
    def followers_of(self, master: str) -> list[Subscription]:
        return [s for f, s in sorted(self.subs.items()) if s.master == master and s.stopped_ns is None]

    def subscribe(self, follower: str, master: str, rule: CopyRule) -> Subscription:
        """``follower`` copies ``master`` from now on under ``rule`` (replacing what it copied before).
        CopyError, nothing changed, for a master that does not exist, itself, or a cycle of followers."""
        b = self.broker
        if master not in b.books:
            b.refresh()
        if master not in b.books:
            raise CopyError(f"master: no account {master!r} on this server")
        links = {(f, s.master) for f, s in self.subs.items() if f != follower}
        subscribe(links, follower, master)  # CopyError for itself or a cycle
        if rule.kind == "octa":
            for aid in (follower, master):
                lev = b.books[aid].terms.selected_leverage
                if not (math.isfinite(lev) and lev > 0):
                    raise CopyError(f"rule: Octa's rule needs a finite leverage; account {aid} has 1:{lev}")
        sub = Subscription(follower, master, rule, b.clock.now)
        values = {"master_id": master, "kind": rule.kind, "value": repr(float(rule.value)),
                  "min_lots": _opt(rule.min_lots), "max_lots": _opt(rule.max_lots),
                  "stop_copy_equity": _opt(rule.stop_copy_equity), "created_ns": sub.created_ns, "stopped_ns": None}
        with b.db.begin() as conn:
            conn.execute(delete(subscriptions).where(subscriptions.c.follower_id == follower))
            conn.execute(insert(subscriptions).values(follower_id=follower, **values))
        self.subs[follower] = sub
        return sub

    def unsubscribe(self, follower: str) -> Subscription | None:
        """Stop ``follower`` copying (its open copies stay open: they are its trades now)."""
        sub = self.subs.pop(follower, None)
        if sub is not None:
            with self.broker.db.begin() as conn:
                conn.execute(delete(subscriptions).where(subscriptions.c.follower_id == follower))
        return sub

    # ---------------------------------------------------------------- mirroring
    def changed(self, changes: list[tuple[str, int, float | None]], t: int, tick: bool = False) -> None:
        """Accounts whose transactions grew (id, count before, equity before or None) at market time ``t``:
        mirror their fills onto their followers; after a tick, check every follower's stop-copy level."""
        for aid, n0, eq0 in changes:
            if not any(s.master == aid and s.stopped_ns is None for s in self.subs.values()):
                continue
            book = self.broker.books[aid]
            for x in book.txns[n0:]:
                if x["type"] == "ORDER_FILL":
                    self._mirror(aid, x, eq0, t)
        if tick:
            for f in sorted(self.subs):
                self._check_stop(f, t)

    def _mirror(self, master: str, fill: dict[str, Any], eq0: float | None, t: int) -> None:
        mb = self.broker.books[master]
        for sub in self.followers_of(master):
            closes = list(fill.get("tradesClosed", []))
            if fill.get("tradeReduced"):
                closes.append(fill["tradeReduced"])
            for c in closes:
                self._copy_close(sub, mb, fill, c, t)
            if fill.get("tradeOpened"):
                self._copy_open(sub, mb, fill, eq0, t)
            self._check_stop(sub.follower, t)

    def _row(self, sub: Subscription, t: int, **fields: Any) -> dict[str, Any]:
        row = {"time": rfc3339(t), "masterID": sub.master, **fields}
        rows = self.log.setdefault(sub.follower, [])
        rows.append(row)
        seq = len(rows)
        body = json.dumps(row, separators=(",", ":"), sort_keys=True)
        self.broker.extra.append(lambda conn: conn.execute(insert(copies).values(
            follower_id=sub.follower, seq=seq, master_id=sub.master, body=body)))
        self.broker._bump()
        return row

    def _execute(self, follower: str, cmd: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """Apply a command to the follower: (its answer, '') or (None, why it was refused)."""
        try:
            _, body = self.broker.execute(follower, cmd)
        except V20Error as e:
            return None, f"{e.code}: {e.message}" if e.code else e.message
        return body, ""

    def _copy_open(self, sub: Subscription, mb: Any, fill: dict[str, Any], eq0: float | None, t: int) -> None:
        fb = self.broker.books[sub.follower]
        opened = fill["tradeOpened"]
        tid = opened["tradeID"]
        sym = mb.market.symbol_of(fill["instrument"])
        m_units = Decimal(opened["units"])
        side = "buy" if m_units > 0 else "sell"
        m_lots = float(m_units.copy_abs()) / mb.cs(sym)
        m_eq = eq0 if eq0 is not None else mb.engine.view().equity
        f_eq = fb.engine.view().equity
        v = fb.vol[sym]
        base = {"action": "open", "instrument": fill["instrument"], "side": side, "masterTradeID": tid,
                "masterUnits": opened["units"], "masterEquity": f"{m_eq:.2f}", "followerEquity": f"{f_eq:.2f}"}
        key = (sub.follower, sub.master, tid)
        try:
            size = copy_lots(sub.rule, m_lots, master_equity=m_eq * _unit(mb), follower_equity=f_eq * _unit(fb),
                             master_leverage=mb.terms.selected_leverage, follower_leverage=fb.terms.selected_leverage,
                             min_lot=v.min_lot, lot_step=v.lot_step, max_lot=v.max_lot,
                             master_contract_size=mb.cs(sym), follower_contract_size=fb.cs(sym))
        except CopyError as exc:
            self.opened[key] = "skipped"
            self._row(sub, t, **base, status="skipped", reason=str(exc), units="0")
            return
        if size.lots <= 0:
            self.opened[key] = "skipped"
            self._row(sub, t, **base, status="skipped", reason=NOT_SIZED.get(size.reason, size.reason),
                      units="0", computedLots=round(size.computed, 8))
            return
        units = fb.units_of(sym, size.lots) * (1 if side == "buy" else -1)
        cid = f"copy:{sub.master}:{tid}"
        ext = {"id": cid, "tag": "copy", "comment": f"copy of {sub.master} trade {tid}"}
        order = {"type": "MARKET", "instrument": fill["instrument"], "units": fb.fmt_units(sym, units),
                 "timeInForce": "FOK", "positionFill": "OPEN_ONLY", "clientExtensions": ext,
                 "tradeClientExtensions": ext}
        body, why = self._execute(sub.follower, {"kind": "order", "order": order, "requestID": f"copy-{tid}"})
        row = {**base, "units": order["units"], "lots": size.lots, "computedLots": round(size.computed, 8),
               "sizeReason": size.reason}
        if body is None:
            status, reason = "rejected", why
        elif "orderFillTransaction" in body and body["orderFillTransaction"].get("tradeOpened"):
            status, reason = "copied", ""
            row["followerTradeID"] = body["orderFillTransaction"]["tradeOpened"]["tradeID"]
        else:
            cancel = body.get("orderCancelTransaction", {})
            status, reason = "rejected", str(cancel.get("reason", "not filled"))
            row["followerTransactionID"] = cancel.get("id")
        self.opened[key] = status
        self._row(sub, t, **row, status=status, reason=reason)

    def _copy_close(self, sub: Subscription, mb: Any, fill: dict[str, Any], closed: dict[str, Any], t: int) -> None:
        tid = closed["tradeID"]
        key = (sub.follower, sub.master, tid)
        if key not in self.opened:
            return  # opened before the subscription: not a copy
        fb = self.broker.books[sub.follower]
        base = {"action": "close", "instrument": fill["instrument"], "masterTradeID": tid,
                "masterUnits": closed["units"], "masterReason": fill.get("reason", "")}
        ftid = fb.trade_client_ids.get(f"copy:{sub.master}:{tid}")
        if ftid is None:
            self._row(sub, t, **base, status="skipped", reason="its open was not copied", units="0")
            return
        fr = fb.trades[ftid]
        if fr.state != "OPEN":
            why = fb.txns[int(fr.closing_ids[-1]) - 1].get("reason", "") if fr.closing_ids else ""
            text = ("the follower's stop-out closed it first" if why == "MARKET_ORDER_MARGIN_CLOSEOUT"
                    else f"the copy is already closed ({why or 'unknown'})")
            self._row(sub, t, **base, status="skipped", reason=text, units="0", followerTradeID=ftid)
            return
        mt = mb.trades[tid]
        sym = fr.symbol
        mcs, fcs = mb.cs(sym), fb.cs(sym)
        lots = close_lots(float(Decimal(closed["units"]).copy_abs()) / mcs, float(mt.initial_units.copy_abs()) / mcs,
                          float(mt.current_units.copy_abs()) / mcs, float(fr.initial_units.copy_abs()) / fcs,
                          float(fr.current_units.copy_abs()) / fcs, fb.vol[sym].lot_step)
        if lots <= 0:
            self._row(sub, t, **base, status="skipped", reason="the part closed is under one lot step of the copy",
                      units="0", followerTradeID=ftid)
            return
        full = mt.current_units == 0 or fb.units_of(sym, lots) >= fr.current_units.copy_abs()
        units = "ALL" if full else fb.fmt_units(sym, fb.units_of(sym, lots))
        body, why = self._execute(sub.follower, {"kind": "close_trade", "trade": ftid, "units": units,
                                                 "requestID": f"copy-close-{tid}"})
        if body is None or "orderFillTransaction" not in body:
            reason = why or str((body or {}).get("orderCancelTransaction", {}).get("reason", "not filled"))
            self._row(sub, t, **base, status="rejected", reason=reason, units=units, followerTradeID=ftid)
            return
        self._row(sub, t, **base, status="copied", reason="", units=body["orderFillTransaction"]["units"],
                  followerTradeID=ftid)

    def _check_stop(self, follower: str, t: int) -> None:
        """At or below its stop-copy equity a follower stops copying and closes its copies."""
        sub = self.subs.get(follower)
        if sub is None or sub.stopped_ns is not None or sub.rule.stop_copy_equity is None:
            return
        fb = self.broker.books.get(follower)
        if fb is None or follower in self.broker.reloading:
            return
        eq = fb.engine.view().equity
        if eq > sub.rule.stop_copy_equity:
            return
        sub.stopped_ns = t
        self.broker.extra.append(lambda conn: conn.execute(update(subscriptions).where(
            subscriptions.c.follower_id == follower).values(stopped_ns=t)))
        self._row(sub, t, action="stop", status="stopped", reason=f"equity {eq:.2f} at or below the stop-copy "
                  f"level {sub.rule.stop_copy_equity:g}", units="0")
        prefix = f"copy:{sub.master}:"
        for cid, ftid in sorted(fb.trade_client_ids.items()):
            if cid.startswith(prefix) and fb.trades[ftid].state == "OPEN":
                body, why = self._execute(follower, {"kind": "close_trade", "trade": ftid, "units": "ALL",
                                                     "requestID": "stop-copy"})
                self._row(sub, t, action="close", instrument=fb.trades[ftid].instrument,
                          masterTradeID=cid[len(prefix):], followerTradeID=ftid,
                          status="copied" if body and "orderFillTransaction" in body else "rejected",
                          reason="stop_copy" if body else why, units="ALL")

    def state(self, follower: str) -> dict[str, Any]:
        """What the follower copies and its copy log (newest first) as JSON."""
        sub = self.subs.get(follower)
        masters_of = [f for f, s in sorted(self.subs.items()) if s.master == follower]
        return {"subscription": sub.to_dict() if sub else None, "followers": masters_of,
                "copies": list(reversed(self.log.get(follower, [])))}


def _unit(book: Any) -> float:
    """What one unit of the account's currency is worth in its underlying one (0.01 for a cent account)."""
    from ..money import currency

    return float(currency(book.info.currency).unit_value)


def install(broker: Any) -> Copier:
    """Give ``broker`` copy trading (its subscriptions loaded from the record)."""
    broker.copier = Copier(broker)
    return broker.copier


def api_routes(v20: Any) -> list[Route]:
    """``/leverlab/v1/accounts/{id}/copy`` with the follower's bearer token: GET its subscription and copy
    log; PUT ``{"master": id, "rule": "octa"|"ratio"|"lots", "value": x, "minLots", "maxLots",
    "stopCopyEquity"}`` to copy a master (400 INVALID_COPY, nothing changed, for a bad rule, itself, a
    cycle or an unknown master); DELETE to stop copying."""

    async def handle(request: Request, user: int) -> tuple[int, dict[str, Any]]:
        book = v20.book(request, user)
        copier: Copier = v20.broker.copier
        aid = book.info.id
        if request.method == "DELETE":
            copier.unsubscribe(aid)
        elif request.method == "PUT":
            body = await v20.read_json(request)
            try:
                master = body.get("master") if isinstance(body, dict) else None
                copier.subscribe(aid, str(master or "").strip(), rule_from(body))
            except CopyError as exc:
                raise V20Error(400, str(exc), "INVALID_COPY") from None
        return 200, copier.state(aid)

    return [Route("/leverlab/v1/accounts/{account_id}/copy", v20.endpoint(handle), methods=["GET", "PUT", "DELETE"])]


__all__ = ["Copier", "CopyError", "Subscription", "api_routes", "copies", "install", "rule_from", "subscriptions"]
_ = Connection  # the extra writes take one
