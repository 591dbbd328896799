"""Margin call and stop-out along one symbol's price segment, at the exact crossing on a continuous path."""

from __future__ import annotations

import math

from .._jit import jit, jit_inline
from .._layout import (
    A_LEVEL,
    A_MARGIN,
    E_MARGIN_CALL,
    E_PENDING_DELETED,
    E_STOP_OUT,
    G_MODE,
    I_MC_STATE,
    I_N_OPEN,
    I_NOW,
    I_ORD_HIGH,
    I_POS_HIGH,
    OF_PRICE,
    OI_ACTIVE,
    OI_ID,
    OI_SYM,
    OI_TYPE,
    OT_LIMIT,
    OT_STOP,
    P_DEL_PENDING,
    P_MC,
    P_MINOR,
    P_SO,
    PF_LOTS,
    PF_PROFIT,
    PI_ACTIVE,
    PI_ID,
    PI_SIDE,
    PI_SYM,
    R_STOP_OUT,
    X_ASK,
    X_BID,
)
from .ledger import _event, _nbp, record
from .margin import _so_level, recalc, value_positions
from .totals import _heap_pop, _heap_room, _heap_sift, close_pos


@jit_inline
def _set_px(px, seg, t: float) -> None:
    """Put symbol ``seg.sym``'s prices at point ``t`` in [0, 1] of its segment (linear between the quotes)."""
    s = seg.sym
    if t >= 1.0:
        px[s, X_BID] = seg.bid1
        px[s, X_ASK] = seg.ask1
    else:
        px[s, X_BID] = seg.bid0 + t * (seg.bid1 - seg.bid0)
        px[s, X_ASK] = seg.ask0 + t * (seg.ask1 - seg.ask0)


@jit
def _bisect(rules, book, seg, t0: float, t1: float, stop_out: bool, level: float) -> None:
    """Move the segment's symbol to the first point in t0..t1 where the margin level reaches ``level``
    (the stop-out rule's level when ``stop_out``, else the plain level below the MC level)."""
    lo = t0
    hi = t1
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        _set_px(book.px, seg, mid)
        recalc(rules, book)
        if stop_out:
            hit = _so_level(rules.params, book.acc_f) <= level
        else:
            hit = book.acc_f[A_LEVEL] < level
        if hit:
            hi = mid
        else:
            lo = mid
    _set_px(book.px, seg, hi)
    recalc(rules, book)


@jit
def _delete_pending(book, ledger) -> None:
    """Cancel every pending (limit and stop) order, with an event each (after a stop-out, where the broker does)."""
    acc_i = book.acc_i
    ord_i = book.ord_i
    for j in range(acc_i[I_ORD_HIGH]):
        if ord_i[j, OI_ACTIVE] == 1 and (ord_i[j, OI_TYPE] == OT_LIMIT or ord_i[j, OI_TYPE] == OT_STOP):
            ord_i[j, OI_ACTIVE] = 0
            _event(book, ledger, E_PENDING_DELETED, acc_i[I_NOW], ord_i[j, OI_SYM], ord_i[j, OI_ID], 0,
                   book.ord_f[j, OF_PRICE], math.nan, 0.0)


@jit
def _worst_first(rules, book) -> int:
    """Order the open positions worst floating profit first, for a stop-out among many: each one's profit
    valued once (prices stay put while it closes them), in a heap in the lazy MAE/MFE stacks' room
    (brought up to date and given up first; tracking resumes at the next quote). Returns its size."""
    value_positions(rules, book)
    _heap_room(rules, book)
    hv = book.ext_v[0]
    hk = book.ext_k[0]
    pos_i = book.pos_i
    n = 0
    for k in range(book.acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 1:
            hv[n] = book.pos_f[k, PF_PROFIT]
            hk[n] = k
            n += 1
    for i in range(n // 2 - 1, -1, -1):
        _heap_sift(hv, hk, i, n)
    return n


@jit
def _margin_checks(rules, book, ledger, seg, t0: float, t1: float) -> None:
    """Margin call and stop-out along the part t0 -> t1 of the segment (prices at t1 are set here).
    On a continuous segment each fires at the exact crossing price."""
    params = rules.params
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    s = seg.sym
    along = seg.cont and t1 > t0
    _set_px(px, seg, t1)
    recalc(rules, book)
    mc_level = params[P_MC]
    so = params[P_SO]
    if not math.isnan(mc_level):
        if acc_f[A_LEVEL] < mc_level and acc_i[I_MC_STATE] == 0:
            if along:
                _bisect(rules, book, seg, t0, t1, False, mc_level)
            acc_i[I_MC_STATE] = 1
            _event(book, ledger, E_MARGIN_CALL, acc_i[I_NOW], s, 0, 0, px[s, X_BID], acc_f[A_LEVEL], acc_f[A_MARGIN])
            record(rules, book, ledger)
            _set_px(px, seg, t1)
            recalc(rules, book)
        elif acc_f[A_LEVEL] >= mc_level and acc_i[I_MC_STATE] == 1:
            acc_i[I_MC_STATE] = 0
    if not _so_level(params, acc_f) <= so:
        return
    if along:
        _bisect(rules, book, seg, t0, t1, True, so)
    any_closed = False
    many = book.agg_i[G_MODE] == 1  # valued from the totals: many positions, ordered once
    n_heap = _worst_first(rules, book) if many else 0
    while acc_i[I_N_OPEN] > 0:
        lvl = _so_level(params, acc_f)
        if not lvl <= so:
            break
        worst = -1
        if many:
            worst, n_heap = _heap_pop(book, n_heap)
        else:
            worst_profit = math.inf
            for k in range(acc_i[I_POS_HIGH]):
                if pos_i[k, PI_ACTIVE] == 1 and pos_f[k, PF_PROFIT] < worst_profit:
                    worst_profit = pos_f[k, PF_PROFIT]
                    worst = k
        ws = pos_i[worst, PI_SYM]
        price = px[ws, X_BID] if pos_i[worst, PI_SIDE] > 0 else px[ws, X_ASK]
        pid = pos_i[worst, PI_ID]
        record(rules, book, ledger)
        pm = close_pos(rules, book, ledger, worst, pos_f[worst, PF_LOTS], price, R_STOP_OUT)
        _event(book, ledger, E_STOP_OUT, acc_i[I_NOW], ws, pid, 0, price, lvl, pm / params[P_MINOR])
        recalc(rules, book)
        any_closed = True
    if any_closed:
        if params[P_DEL_PENDING] > 0.0:
            _delete_pending(book, ledger)
        _nbp(rules, book, ledger)
        record(rules, book, ledger)
    # continue to the end of the segment from the stop-out point
    _set_px(px, seg, t1)
    recalc(rules, book)
