"""The kernel's state tables and the resumable call into it (one simulated account)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _layout as L
from ._kernel import close_all, recalc, run_segment, set_stops, value_positions
from ._layout import Book, Decisions, Ledger, Quotes, Rules
from ._prepare import Stream


def _doubled(a: np.ndarray, axis: int, rows: int) -> np.ndarray:
    """``a`` zero-padded to ``rows`` along ``axis``."""
    shape = list(a.shape)
    shape[axis] = rows
    b = np.zeros(tuple(shape), dtype=a.dtype)
    b[tuple(slice(0, n) for n in a.shape)] = a
    return b


class _Sim:
    """The kernel's state tables and the resumable call into it.

    The tables are grouped as the kernel takes them: ``quotes`` (``Quotes``), ``rules`` (``Rules``),
    ``book`` (``Book``), ``ledger`` (``Ledger``) and ``decisions`` (``Decisions``). A table that has
    to grow is replaced in its tuple. Each table is also an attribute by its name (``sim.acc_i``,
    ``sim.dec_idx`` for ``decisions.idx``: the quotes of the non-NaN targets only, not one per bar), set
    again whenever a tuple is replaced: plain attributes,
    as Python reads them at every bar. Read them; write into them, never assign them.
    """

    # the tables as attributes (set by _expose)
    params: np.ndarray
    sym_f: np.ndarray
    band_floor: np.ndarray
    band_lev: np.ndarray
    hmr: np.ndarray
    hmr_cap: np.ndarray
    roll_t: np.ndarray
    roll_f: np.ndarray
    cash_t: np.ndarray
    px: np.ndarray
    acc_f: np.ndarray
    acc_i: np.ndarray
    pos_i: np.ndarray
    pos_f: np.ndarray
    ord_i: np.ndarray
    ord_f: np.ndarray
    scratch: np.ndarray
    cand_t: np.ndarray
    cand_k: np.ndarray
    agg: np.ndarray
    agg_i: np.ndarray
    ext_k: np.ndarray
    ext_v: np.ndarray
    pos_key: np.ndarray
    deal_i: np.ndarray
    deal_f: np.ndarray
    tr_i: np.ndarray
    tr_f: np.ndarray
    ev_i: np.ndarray
    ev_f: np.ndarray
    ser_t: np.ndarray
    ser_f: np.ndarray
    dec_idx: np.ndarray
    dec_tgt: np.ndarray

    def __init__(self, stream: Stream, sym_f: np.ndarray, band_floor: np.ndarray, band_lev: np.ndarray,
                 params: np.ndarray, roll_t: np.ndarray, roll_f: np.ndarray, hmr: np.ndarray,
                 hmr_cap: np.ndarray, cash_t: np.ndarray, positions: int = 32, orders: int = 32,
                 rows: int = 4096) -> None:
        self._set_stream(stream)
        self.rules = Rules(params, sym_f, band_floor, band_lev, hmr, hmr_cap, roll_t, roll_f, cash_t)
        n_sym = sym_f.shape[0]
        acc_f = np.zeros(L.N_ACC_F)
        acc_f[L.A_LEVEL] = math.inf
        acc_f[L.A_MIN_LEVEL] = math.inf
        acc_i = np.zeros(L.N_ACC_I, dtype=np.int64)
        acc_i[L.I_NEXT_POS_ID] = 1
        acc_i[L.I_NEXT_ORDER_ID] = 1
        pos_i = np.zeros((positions, L.N_POS_I), dtype=np.int64)
        ord_i = np.zeros((orders, L.N_ORD_I), dtype=np.int64)
        cand_t, cand_k = self._cand(pos_i, ord_i)
        agg = np.zeros((n_sym, L.N_AG))
        agg[:, [L.AG_BUY_SL_MAX, L.AG_SELL_TP_MAX]] = -math.inf
        agg[:, [L.AG_BUY_TP_MIN, L.AG_SELL_SL_MIN]] = math.inf
        agg_i = np.zeros(L.N_AGI + n_sym, dtype=np.int64)
        agg_i[L.G_FEW] = L.TOTALS_ABOVE
        self.book = Book(px=np.zeros((n_sym, L.N_PX)), acc_f=acc_f, acc_i=acc_i, pos_i=pos_i,
                         pos_f=np.zeros((positions, L.N_POS_F)), ord_i=ord_i, ord_f=np.zeros((orders, L.N_ORD_F)),
                         scratch=np.zeros((n_sym, 5)), cand_t=cand_t, cand_k=cand_k, agg=agg,
                         agg_i=agg_i,
                         ext_k=np.zeros((4 * n_sym, positions), dtype=np.int64), ext_v=np.zeros((4 * n_sym, positions)),
                         pos_key=np.zeros(positions, dtype=np.int64))
        n_series = max(rows, int(stream.decisions.shape[0]) + rows)
        self.ledger = Ledger(deal_i=np.zeros((rows, L.N_DEAL_I), dtype=np.int64), deal_f=np.zeros((rows, L.N_DEAL_F)),
                             tr_i=np.zeros((rows, L.N_TR_I), dtype=np.int64), tr_f=np.zeros((rows, L.N_TR_F)),
                             ev_i=np.zeros((rows, L.N_EV_I), dtype=np.int64), ev_f=np.zeros((rows, L.N_EV_F)),
                             ser_t=np.zeros(n_series, dtype=np.int64), ser_f=np.zeros((L.N_SER, n_series)))
        self.decisions = Decisions(np.zeros(0, dtype=np.int64), np.zeros(0))
        self._slot: dict[int, int] = {}  # order id -> slot of the orders Python placed (stale once done)
        self._run: Any = None
        self._expose()

    def _expose(self) -> None:
        """Set each table as an attribute by its name, and forget the typed entry (after a tuple changed)."""
        for group in (self.rules, self.book, self.ledger):
            for name, table in zip(group._fields, group):
                setattr(self, name, table)
        self.dec_idx, self.dec_tgt = self.decisions
        self._run = None

    def _set_stream(self, stream: Stream) -> None:
        self.q = stream
        self.quotes = Quotes(stream.time, stream.sym, stream.bid, stream.ask, stream.flags)
        self.i = 0
        self._run = None

    def _run_segment(self, end: int) -> int:
        """``run_segment`` through its compiled entry for these tables' types, typed once per change of
        tables: numba types named tuples in Python on every call, which costs more than a bar."""
        args = (self.quotes, self.i, end, self.rules, self.book, self.ledger, self.decisions)
        if self._run is None:
            dispatcher: Any = run_segment  # numba's dispatcher, typed as the Python function it compiles
            self._run = dispatcher.compile(tuple(dispatcher.typeof_pyval(a) for a in args))
        return int(self._run(*args))

    @staticmethod
    def _cand(pos_i: np.ndarray, ord_i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The candidate-fill work space for these position and order tables (one quote's worst case)."""
        n = 2 * pos_i.shape[0] + ord_i.shape[0] + 4
        return np.zeros(n), np.zeros(n, dtype=np.int64)

    def _grown_rows(self, names: tuple[str, ...], counter: int, per: int) -> dict[str, np.ndarray]:
        """The ledger tables ``names`` (filled up to ``acc_i[counter]``) enlarged if nearly full, else none:
        the kernel asks for ``per`` free rows (L.ROOM_*) for each open position and live order."""
        need = per * int(self.acc_i[L.I_N_OPEN] + self.acc_i[L.I_ORD_HIGH]) + L.ROOM_FIXED
        first = getattr(self.ledger, names[0])
        if first.shape[0] - self.acc_i[counter] >= 2 * need:
            return {}
        rows = first.shape[0] * 2 + 2 * need
        # ser_f holds one row per quantity: it grows along its columns
        return {name: _doubled(getattr(self.ledger, name), 1 if name == "ser_f" else 0, rows) for name in names}

    def _compact_orders(self) -> None:
        """Move the live orders to the bottom of the order table, in the order placed, so the top is free.

        Run when the top reaches the end of the table: it costs the table's length once per as many
        new orders as it frees, so an order costs O(1) however many were placed before it."""
        high = int(self.acc_i[L.I_ORD_HIGH])
        live = np.flatnonzero(self.ord_i[:high, L.OI_ACTIVE] == 1)
        n = live.size
        if n < high:
            self.ord_i[:n] = self.ord_i[live]
            self.ord_f[:n] = self.ord_f[live]
            self.ord_i[n:high] = 0
            self.ord_f[n:high] = 0.0
            self.acc_i[L.I_ORD_HIGH] = n
        self._slot = {int(oid): j for j, oid in enumerate(self.ord_i[:n, L.OI_ID].tolist())}

    def grow(self) -> None:
        """Make the room the kernel asks for before each quote (``_kernel.loop._has_room``): four free
        order slots above the top (compacting the order table first, doubling it when still short), a
        position slot for every open position and every order that may fill, and ledger rows."""
        acc_i = self.acc_i
        book = self.book
        n_pos, n_ord = book.pos_i.shape[0], book.ord_i.shape[0]
        short_of_orders = acc_i[L.I_ORD_HIGH] + 4 > n_ord
        if short_of_orders or acc_i[L.I_N_OPEN] + acc_i[L.I_ORD_HIGH] + 3 > n_pos:  # gaps count as orders
            self._compact_orders()
        if short_of_orders:
            while 2 * (acc_i[L.I_ORD_HIGH] + 4) > n_ord:  # at most half full after it, so compactions are rare
                n_ord *= 2
        while acc_i[L.I_N_OPEN] + acc_i[L.I_ORD_HIGH] + 3 > n_pos:
            n_pos *= 2
        if (n_pos, n_ord) != (book.pos_i.shape[0], book.ord_i.shape[0]):
            grown = {name: _doubled(getattr(book, name), 0, n_pos if name.startswith("pos") else n_ord)
                     for name in ("pos_i", "pos_f", "ord_i", "ord_f", "pos_key")}
            grown.update({name: _doubled(getattr(book, name), 1, n_pos) for name in ("ext_k", "ext_v")})
            cand_t, cand_k = self._cand(grown["pos_i"], grown["ord_i"])
            self.book = book._replace(cand_t=cand_t, cand_k=cand_k, **grown)
            self._expose()
        grown = {}
        for names, counter, per in ((("deal_i", "deal_f"), L.I_N_DEALS, L.ROOM_DEALS),
                                    (("tr_i", "tr_f"), L.I_N_TRADES, L.ROOM_TRADES),
                                    (("ev_i", "ev_f"), L.I_N_EVENTS, L.ROOM_EVENTS),
                                    (("ser_t", "ser_f"), L.I_N_SERIES, L.ROOM_SERIES)):
            grown.update(self._grown_rows(names, counter, per))
        if grown:
            self.ledger = self.ledger._replace(**grown)
            self._expose()

    def advance(self, end: int) -> None:
        """Simulate quotes up to (not including) ``end``."""
        while self.i < end:
            i = self._run_segment(end)
            self.i = i
            if self.acc_i[L.I_ERROR]:
                return
            if i < end:
                self.grow()

    def set_decisions(self, idx: np.ndarray, targets: np.ndarray) -> None:
        """Run compiled target positions for symbol 0: ``targets[d]`` signed lots at quote ``idx[d]``
        (a NaN target keeps the position: only the others are kept, so most bar closes find no row)."""
        self.params[L.P_VEC_SYM] = 0.0
        keep = ~np.isnan(targets)
        self.decisions = Decisions(np.ascontiguousarray(idx[keep]), np.ascontiguousarray(targets[keep]))
        # a change of target moves at most two trades (a close, an open) and their deals and commissions:
        # room for them now, so the tables need not grow (a copy and a return to Python each time) on the way
        kept = self.decisions.target
        n = int(np.count_nonzero(kept[1:] != kept[:-1])) + min(1, kept.shape[0])
        grown = {}
        for names, counter, per in ((("deal_i", "deal_f"), L.I_N_DEALS, 4), (("tr_i", "tr_f"), L.I_N_TRADES, 2)):
            have = getattr(self.ledger, names[0]).shape[0]
            want = int(self.acc_i[counter]) + per * n + have
            if want > 2 * have:
                grown.update({name: _doubled(getattr(self.ledger, name), 0, want) for name in names})
        if grown:
            self.ledger = self.ledger._replace(**grown)
        self.acc_i[L.I_DEC_PTR] = 0
        self._expose()

    def next_stream(self, stream: Stream, roll_t: np.ndarray, roll_f: np.ndarray, hmr: np.ndarray,
                    hmr_cap: np.ndarray, cash_t: np.ndarray) -> None:
        """Continue the same account on the next chunk of quotes, with that chunk's schedules."""
        self._set_stream(stream)
        self.rules = self.rules._replace(roll_t=roll_t, roll_f=roll_f, hmr=hmr, hmr_cap=hmr_cap, cash_t=cash_t)
        self._expose()
        self.acc_i[L.I_ROLL_PTR] = self.acc_i[L.I_HMR_PTR] = self.acc_i[L.I_CASH_PTR] = 0

    def recalc(self) -> None:
        """Re-value the account at the current prices (after Python changed the tables)."""
        recalc(self.rules, self.book)

    def value_positions(self) -> None:
        """Make every open position's floating profit and margin in ``pos_f`` current (the kernel values
        the account from per-symbol totals when many positions are open, and leaves them stale)."""
        if self.agg_i[L.G_MODE] == 1:
            value_positions(self.rules, self.book)

    def set_stops(self, k: int, sl: float, tp: float) -> None:
        """Set the SL and TP (nan: none) of the open position in slot ``k``."""
        set_stops(self.book, k, sl, tp)

    def finish(self, reason: int) -> None:
        """Cancel the orders still pending or queued (an event each), then close everything at the current
        prices (the end of the run), with a last series point."""
        high = int(self.acc_i[L.I_ORD_HIGH])
        for j in np.flatnonzero(self.ord_i[:high, L.OI_ACTIVE] == 1).tolist():
            self.ord_i[j, L.OI_ACTIVE] = 0
            if self.ord_i[j, L.OI_TYPE] != L.OT_CLOSE:  # a close is no order of its own: the end closes all
                self.event(L.E_CANCELLED, int(self.ord_i[j, L.OI_SYM]), int(self.ord_i[j, L.OI_ID]), L.CAN_END,
                           float(self.ord_f[j, L.OF_PRICE]))
        self.acc_i[L.I_ORD_HIGH] = 0
        self.grow()
        close_all(self.rules, self.book, self.ledger, reason)

    def book_external(self, kind: int, t: int, amount_minor: int) -> None:
        """A deal from outside the kernel (the deposit, a bonus)."""
        n = self.acc_i[L.I_N_DEALS]
        if kind != L.D_BONUS:
            self.acc_i[L.I_BALANCE] += amount_minor
        self.deal_i[n] = (t, kind, 0, amount_minor, self.acc_i[L.I_BALANCE], -1, 0)
        self.deal_f[n] = (0.0, 0.0)
        self.acc_i[L.I_N_DEALS] = n + 1

    def new_order_id(self) -> int:
        """The next order id, taken."""
        oid = int(self.acc_i[L.I_NEXT_ORDER_ID])
        self.acc_i[L.I_NEXT_ORDER_ID] += 1
        return oid

    def add_order(self, s: int, side: int, typ: int, lots: float, price: float = math.nan, sl: float = math.nan,
                  tp: float = math.nan, pos_id: int = 0) -> int:
        """Queue an order (OT_*) from Python at the top of the order table; returns its id."""
        if self.acc_i[L.I_ORD_HIGH] + 4 > self.ord_i.shape[0]:
            self.grow()
        j = int(self.acc_i[L.I_ORD_HIGH])
        oid = self.new_order_id()
        self.ord_i[j] = (1, oid, s, side, typ, pos_id, self.acc_i[L.I_NOW], L.R_SIGNAL)
        self.ord_f[j] = (lots, price, sl, tp)
        self.acc_i[L.I_ORD_HIGH] = j + 1
        if len(self._slot) > 2 * j + 64:  # forget the orders the kernel has filled since (amortized O(1))
            live = np.flatnonzero(self.ord_i[:j, L.OI_ACTIVE] == 1)
            self._slot = dict(zip(self.ord_i[live, L.OI_ID].tolist(), live.tolist()))
        self._slot[oid] = j
        return oid

    def order_slot(self, oid: int) -> int:
        """The slot of live order ``oid`` placed from Python, -1 when it is not live (filled, rejected, cancelled)."""
        j = self._slot.get(oid, -1)
        if j < 0 or j >= self.ord_i.shape[0] or self.ord_i[j, L.OI_ID] != oid or self.ord_i[j, L.OI_ACTIVE] != 1:
            self._slot.pop(oid, None)
            return -1
        return j

    def cancel_order(self, j: int, reason: int) -> None:
        """Withdraw the live order in slot ``j``, with a ``cancelled`` event (CAN_*)."""
        self.ord_i[j, L.OI_ACTIVE] = 0
        oid = int(self.ord_i[j, L.OI_ID])
        self._slot.pop(oid, None)
        self.event(L.E_CANCELLED, int(self.ord_i[j, L.OI_SYM]), oid, reason, float(self.ord_f[j, L.OF_PRICE]))

    def event(self, typ: int, s: int, ref: int, reason: int, price: float, amount: float = 0.0,
              limit: float = 0.0) -> None:
        """An event from outside the kernel (a cancel, a reject at placement or sizing), at the last quote's
        time; ``amount`` and ``limit`` as the event columns EF_AMOUNT and EF_LIMIT describe."""
        n = int(self.acc_i[L.I_N_EVENTS])
        if n + 1 >= self.ev_i.shape[0]:
            rows = 2 * self.ev_i.shape[0]
            self.ledger = self.ledger._replace(ev_i=_doubled(self.ev_i, 0, rows), ev_f=_doubled(self.ev_f, 0, rows))
            self._expose()
        self.ev_i[n] = (self.acc_i[L.I_NOW], typ, s, ref, reason)
        self.ev_f[n, [L.EF_PRICE, L.EF_LEVEL, L.EF_AMOUNT, L.EF_EQUITY, L.EF_LIMIT]] = (
            price, math.nan, amount, self.acc_f[L.A_EQUITY], limit)
        self.acc_i[L.I_N_EVENTS] = n + 1
