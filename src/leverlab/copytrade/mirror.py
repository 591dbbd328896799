"""``Mirror``: one follower account copying one master, fill by fill, under a copy rule.

The piece a backtest and a live server share. Its owner steps the follower's ``engine.Account`` and
tells the mirror about each master fill just before the quote the master filled at: ``on_open``
sizes the copy with ``rules.copy_lots`` and places a market order, ``on_close`` closes the copy (in
full, or the same fraction as the master's partial close, by ``rules.close_lots``). After the
follower has simulated that quote, ``resolve`` reads what each order became: a fill (the copy's
position id) or a ``reject`` event (its reason and the margin it needed). ``check_stop_copy`` stops
the copying at the rule's stop-copy equity and closes the copies. Every master fill leaves one
``Copy`` row in ``copies``: copied, skipped (no order, with the reason) or rejected.

>>> from leverlab import load, resolve_terms
>>> from leverlab.engine import Account, Deal
>>> from decimal import Decimal
>>> follower = Account(resolve_terms("octa", "mt", "SC", selected_leverage=200), ["EURUSD"], deposit=300)
>>> follower.feed(load("sample:eurusd-h1").take(slice(0, 10)))
>>> follower.advance(follower.decisions[0] + 1)
>>> m = Mirror(follower, CopyRule("octa"), master_leverage=500)
>>> fill = Deal(follower.now, "open", 7, "EURUSD", "buy", 0.5, 1.3, Decimal(0), Decimal(1000))
>>> m.on_open(fill, master_equity=1000).lots                 # 0.5 x 300/1000 x 200/500
0.06
>>> follower.advance(); m.resolve(); m.copies[0].status, m.copies[0].follower_position
('copied', 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..engine import Account, Deal, OrderError
from ..money import currency as _currency
from ..times import iso
from .rules import CopyRule, close_lots, copy_lots

#: Why a copy got no size (``CopySize.reason``), in the words of the copies log.
NOT_SIZED = {"below_min_lot": "under the account type's minimum lot",
             "master_equity": "the master's equity is 0 or less",
             "follower_equity": "the follower's equity is 0 or less"}


@dataclass
class Copy:
    """One master fill as the follower saw it.

    ``action`` open or close; ``side`` of the master's deal; ``master_lots`` it traded; ``lots`` the
    follower's order (0.0: none); ``status`` copied, skipped (no order: ``reason`` says why) or
    rejected (the follower's account refused the order: ``reason`` from its reject event); for a
    copied close ``reason`` is the master's (signal, sl, tp, stop_out) or stop_copy; ``computed``
    the rule's size before rounding (opens); ``follower_position`` the copy's position id;
    ``margin_needed`` the margin a refused open needed (account currency)."""

    time: int
    action: str
    symbol: str
    side: str
    master_position: int
    master_lots: float
    lots: float = 0.0
    status: str = "copied"
    reason: str = ""
    follower_position: int = 0
    computed: float | None = None
    margin_needed: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready row (time as ISO text)."""
        return {"time": iso(self.time), "action": self.action, "symbol": self.symbol, "side": self.side,
                "master_position": self.master_position, "master_lots": self.master_lots, "lots": self.lots,
                "status": self.status, "reason": self.reason, "follower_position": self.follower_position,
                "computed": self.computed, "margin_needed": self.margin_needed}


@dataclass
class _Held:
    """A master position and its copy: the master's opening and remaining lots, the copy's."""

    master_open: float
    master_left: float
    copy: Copy | None = None  # the open's row when an order was placed for it
    follower_open: float = 0.0
    follower_left: float = 0.0


def units_of(currency_code: str) -> float:
    """What one unit of an account currency is worth in its underlying one (0.01 for a cent account)."""
    return float(_currency(currency_code).unit_value)


class Mirror:
    """``account`` (the follower) copying a master under ``rule`` (module docstring).

    ``master_leverage``: the master account's 1:L (Octa's rule); ``master_currency``: its account
    currency (a cent master's equity is compared in units); ``master_contract_sizes``: its contract
    size by symbol where it differs from the follower's (volumes are copied in units).
    """

    def __init__(self, account: Account, rule: CopyRule, *, master_leverage: float = float("nan"),
                 master_currency: str | None = None, master_contract_sizes: Mapping[str, float] | None = None) -> None:
        self.account, self.rule = account, rule
        self.master_leverage = master_leverage
        self.master_units = units_of(master_currency or account.terms.currency)
        self.follower_units = units_of(account.terms.currency)
        self.master_contract_sizes = dict(master_contract_sizes or {})
        self.copies: list[Copy] = []
        self.stopped: int | None = None  # when it stopped copying (UTC ns)
        self._held: dict[int, _Held] = {}
        self._pending: list[tuple[int, Copy]] = []  # (order id, or 0 for a close; its row) not yet resolved
        self._deals = len(account.deals())  # cursors: what the follower had booked before copying
        self._events = len(account.events())

    @property
    def pending(self) -> list[Copy]:
        """Rows whose order the follower has not yet filled or refused."""
        return [row for _, row in self._pending]

    def on_open(self, deal: Deal, master_equity: float, follower_equity: float | None = None, *,
                skip: str = "") -> Copy:
        """The master opened ``deal.lots`` (its equity ``master_equity`` before the fill, account units):
        place the copy (sized with the follower's equity now unless ``follower_equity`` is given) or
        record why not; ``skip`` records it as skipped with that reason."""
        row = Copy(deal.time, "open", str(deal.symbol), str(deal.side), deal.position_id, deal.lots)
        self.copies.append(row)
        held = _Held(deal.lots, deal.lots)
        self._held[deal.position_id] = held
        if skip or self.stopped is not None:
            row.status, row.reason = "skipped", skip or "stop_copy: the follower stopped copying"
            return row
        acct = self.account
        v = acct.volume(row.symbol)
        f_eq = acct.view().equity if follower_equity is None else follower_equity
        size = copy_lots(self.rule, deal.lots, master_equity=master_equity * self.master_units,
                         follower_equity=f_eq * self.follower_units, master_leverage=self.master_leverage,
                         follower_leverage=acct.terms.selected_leverage,
                         min_lot=v.min_lot, lot_step=v.lot_step, max_lot=v.max_lot,
                         master_contract_size=self.master_contract_sizes.get(row.symbol, v.contract_size),
                         follower_contract_size=v.contract_size)
        row.computed = size.computed
        if size.lots <= 0:
            row.status, row.reason = "skipped", NOT_SIZED.get(size.reason, size.reason)
            return row
        row.lots, row.reason = size.lots, size.reason
        try:
            oid = acct.submit(row.symbol, 1 if deal.side == "buy" else -1, size.lots)
        except OrderError as exc:
            row.status, row.reason = "rejected", str(exc)
            return row
        held.copy = row
        held.follower_open = held.follower_left = size.lots
        self._pending.append((oid, row))
        return row

    def on_close(self, deal: Deal, reason: str = "") -> Copy:
        """The master closed ``deal.lots`` of position ``deal.position_id`` (``reason``: the master's, e.g.
        signal, sl, tp, stop_out): close the copy, or record why not."""
        row = Copy(deal.time, "close", str(deal.symbol), str(deal.side), deal.position_id, deal.lots, reason=reason)
        self.copies.append(row)
        held = self._held.get(deal.position_id)
        if held is not None:
            held.master_left = max(0.0, held.master_left - deal.lots)
        if held is None or held.copy is None or held.copy.status != "copied":
            row.status, row.reason = "skipped", "its open was not copied"
            return row
        acct = self.account
        fpid = held.copy.follower_position
        alive = held.follower_left > 0 and any(p.id == fpid for p in acct.positions(row.symbol))
        if not alive:
            row.status = "skipped"
            if self.stopped is not None and held.follower_left <= 0:
                row.reason = "stop_copy: the follower closed it when it stopped copying"
            else:
                closed_by = next((t.reason for t in reversed(acct.trades()) if t.position_id == fpid), "")
                row.reason = ("the follower's stop-out closed it first" if closed_by == "stop_out"
                              else f"the copy is already closed ({closed_by or 'unknown'})")
            return row
        lots = close_lots(deal.lots, held.master_open, held.master_left, held.follower_open, held.follower_left,
                          acct.volume(row.symbol).lot_step)
        if lots <= 0:
            row.status, row.reason = "skipped", "the part closed is under one lot step of the copy"
            return row
        full = lots >= held.follower_left - 1e-9
        row.lots, row.follower_position = lots, fpid
        acct.close(row.symbol, fpid, None if full else lots)
        held.follower_left = 0.0 if full else round(held.follower_left - lots, 8)
        self._pending.append((0, row))
        return row

    def check_stop_copy(self) -> bool:
        """True when the follower stops copying now: the rule has a stop-copy level, it has not stopped
        yet, and its equity is at or below the level. It then closes every copy at the next quote."""
        level = self.rule.stop_copy_equity
        if level is None or self.stopped is not None or self.account.view().equity > level:
            return False
        acct = self.account
        self.stopped = acct.now
        self.resolve()  # copies filled since the last look get their position ids
        for pid, held in self._held.items():
            if held.copy is not None and held.copy.follower_position and held.follower_left > 0:
                side = "sell" if held.copy.side == "buy" else "buy"  # a close deals the other way
                row = Copy(acct.now, "close", held.copy.symbol, side, pid, 0.0, held.follower_left,
                           reason="stop_copy", follower_position=held.copy.follower_position)
                acct.close(row.symbol, row.follower_position)
                held.follower_left = 0.0
                self.copies.append(row)
                self._pending.append((0, row))
        return True

    def resolve(self) -> None:
        """Match the orders placed so far with the deals and reject events the follower booked since."""
        if not self._pending:
            return
        acct = self.account
        deals = acct.deals(since=self._deals)
        events = acct.events(since=self._events)
        self._deals += len(deals)
        self._events += len(events)
        rejects = {e.ref: e for e in events if e.type == "reject"}
        opens = [d for d in deals if d.kind == "open"]
        closed = {d.position_id for d in deals if d.kind == "close"}
        still = []
        for oid, row in self._pending:
            if row.action == "open":
                if oid in rejects:
                    e = rejects[oid]
                    row.status, row.reason, row.margin_needed = "rejected", e.reason, e.amount or None
                    self._held[row.master_position].follower_left = 0.0
                    continue
                k = next((n for n, d in enumerate(opens)
                          if d.symbol == row.symbol and abs(d.lots - row.lots) < 1e-9), -1)
                if k < 0:
                    still.append((oid, row))
                    continue
                row.follower_position = opens.pop(k).position_id
            elif row.follower_position not in closed:
                still.append((oid, row))
        self._pending = still

    def close_log(self, why: str = "not filled by the end of the data") -> None:
        """Mark the orders still pending as not filled (the end of a run), so no row is left open."""
        self.resolve()
        for _, row in self._pending:
            row.status, row.reason = "rejected", why
        self._pending = []
