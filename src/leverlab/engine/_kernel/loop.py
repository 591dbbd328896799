"""The full per-quote path and the calls Python makes: ``run_segment``, ``close_all``, ``seed_rng``."""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit, jit_inline
from .._layout import (
    A_LEVEL,
    AG_BUY_SL_MAX,
    AG_BUY_TP_MIN,
    AG_N_BOTH,
    AG_N_STOPS,
    AG_SELL_SL_MIN,
    AG_SELL_TP_MAX,
    F_CLOSE,
    F_CONT,
    F_OPEN,
    I_ERROR,
    I_MC_STATE,
    I_N_DEALS,
    I_N_EVENTS,
    I_N_OPEN,
    I_N_SERIES,
    I_N_TRADES,
    I_NEXT_POS_ID,
    I_NOW,
    I_ORD_HIGH,
    I_POS_HIGH,
    I_QUOTES,
    I_STRIDE_CTR,
    OF_LOTS,
    OF_PRICE,
    OF_SL,
    OF_TP,
    OI_ACTIVE,
    OI_ID,
    OI_SIDE,
    OI_SYM,
    OI_TYPE,
    OT_LIMIT,
    OT_STOP,
    P_MC,
    P_MINOR,
    P_PESSIMISTIC,
    P_SO,
    P_STRIDE,
    P_VEC_SYM,
    PF_LOTS,
    PF_SL,
    PF_TP,
    PI_ACTIVE,
    PI_ID,
    PI_SIDE,
    PI_SYM,
    R_SL,
    R_TP,
    ROOM_DEALS,
    ROOM_EVENTS,
    ROOM_SERIES,
    ROOM_TRADES,
    X_ASK,
    X_BID,
    X_HAVE,
    X_PASK,
    X_PBID,
    Segment,
)
from .fast import _decide, _due_bookings, _lean_one, _need, _quiet_run, _quiet_until, _set_flat, _track_extremes
from .ledger import _nbp, record
from .margin import _level_event, _recalc_impl, _so_level, recalc
from .orders import _crossing, _fill, _fill_queued, _slip
from .stopout import _margin_checks, _set_px
from .totals import _stops_init, _widen_stops, close_pos


@jit_inline
def _has_room(book, ledger) -> bool:
    """Whether every table has room for one more quote's worst case (else Python grows them): every
    queued or pending order may open a position at this quote, and a decision may queue more orders."""
    acc_i = book.acc_i
    return not (ledger.deal_i.shape[0] - acc_i[I_N_DEALS] < _need(acc_i, ROOM_DEALS)
                or ledger.tr_i.shape[0] - acc_i[I_N_TRADES] < _need(acc_i, ROOM_TRADES)
                or ledger.ev_i.shape[0] - acc_i[I_N_EVENTS] < _need(acc_i, ROOM_EVENTS)
                or ledger.ser_t.shape[0] - acc_i[I_N_SERIES] < _need(acc_i, ROOM_SERIES)
                or acc_i[I_N_OPEN] + acc_i[I_ORD_HIGH] + 3 > book.pos_i.shape[0]
                or acc_i[I_ORD_HIGH] + 4 > book.ord_i.shape[0])


@jit_inline
def _candidates(book, seg) -> int:
    """Collect the price-triggered fills on the segment - pending orders, SL and TP of its symbol - into
    ``cand_t`` (path point) / ``cand_k`` (SL slot, P + TP slot, 2P + order slot), sorted by point and
    then code (SL before TP before pending at the same point); returns how many."""
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    ord_i = book.ord_i
    ord_f = book.ord_f
    cand_t = book.cand_t
    cand_k = book.cand_k
    n_slots = pos_i.shape[0]
    s = seg.sym
    b0 = seg.bid0
    a0 = seg.ask0
    b1 = seg.bid1
    a1 = seg.ask1
    cont = seg.cont
    nc = 0
    for j in range(acc_i[I_ORD_HIGH]):
        if ord_i[j, OI_ACTIVE] == 0 or ord_i[j, OI_SYM] != s:
            continue
        typ = ord_i[j, OI_TYPE]
        if typ != OT_LIMIT and typ != OT_STOP:
            continue
        lvl = ord_f[j, OF_PRICE]
        side = ord_i[j, OI_SIDE]
        if side > 0:
            hit = a1 <= lvl if typ == OT_LIMIT else a1 >= lvl
            tt = _crossing(a0, a1, lvl, cont, typ == OT_LIMIT)
        else:
            hit = b1 >= lvl if typ == OT_LIMIT else b1 <= lvl
            tt = _crossing(b0, b1, lvl, cont, typ == OT_STOP)
        if hit:
            cand_t[nc] = tt
            cand_k[nc] = 2 * n_slots + j
            nc += 1
    agg = book.agg
    scan = agg[s, AG_N_STOPS] > 0 and (b1 <= agg[s, AG_BUY_SL_MAX] or b1 >= agg[s, AG_BUY_TP_MIN]
                                       or a1 >= agg[s, AG_SELL_SL_MIN] or a1 <= agg[s, AG_SELL_TP_MAX])
    if scan:  # some level may trigger: scan, and tighten the bounds to the levels found
        _stops_init(agg, s)
    for k in range(acc_i[I_POS_HIGH] if scan else 0):
        if pos_i[k, PI_ACTIVE] == 0 or pos_i[k, PI_SYM] != s:
            continue
        side = pos_i[k, PI_SIDE]
        stop_loss = pos_f[k, PF_SL]
        take_profit = pos_f[k, PF_TP]
        _widen_stops(agg, s, side, stop_loss, take_profit)
        if side > 0:
            if not math.isnan(stop_loss) and b1 <= stop_loss:
                cand_t[nc] = _crossing(b0, b1, stop_loss, cont, True)
                cand_k[nc] = k
                nc += 1
            if not math.isnan(take_profit) and b1 >= take_profit:
                cand_t[nc] = _crossing(b0, b1, take_profit, cont, False)
                cand_k[nc] = n_slots + k
                nc += 1
        else:
            if not math.isnan(stop_loss) and a1 >= stop_loss:
                cand_t[nc] = _crossing(a0, a1, stop_loss, cont, False)
                cand_k[nc] = k
                nc += 1
            if not math.isnan(take_profit) and a1 <= take_profit:
                cand_t[nc] = _crossing(a0, a1, take_profit, cont, True)
                cand_k[nc] = n_slots + k
                nc += 1
    for x in range(1, nc):  # insertion sort: a handful at most
        tv = cand_t[x]
        kv = cand_k[x]
        y = x - 1
        while y >= 0 and (cand_t[y] > tv or (cand_t[y] == tv and cand_k[y] > kv)):
            cand_t[y + 1] = cand_t[y]
            cand_k[y + 1] = cand_k[y]
            y -= 1
        cand_t[y + 1] = tv
        cand_k[y + 1] = kv
    return nc


@jit
def _price_events(rules, book, ledger, seg, nc: int) -> float:
    """Execute the ``nc`` sorted candidates in path order, with margin call and stop-out checked on the
    way to each; returns the path point of the last (0 when none)."""
    px = book.px
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    ord_i = book.ord_i
    ord_f = book.ord_f
    n_slots = pos_i.shape[0]
    s = seg.sym
    cont = seg.cont
    t_last = 0.0
    first_new = acc_i[I_NEXT_POS_ID]  # a position opened on the way (a pending fill) may reuse a slot
    for c in range(nc):
        tt = book.cand_t[c]
        code = book.cand_k[c]
        if acc_i[I_N_OPEN] > 0:
            _margin_checks(rules, book, ledger, seg, t_last, tt)
        else:
            _set_px(px, seg, tt)
        t_last = tt
        if code < 2 * n_slots:
            k = code % n_slots
            if pos_i[k, PI_ACTIVE] == 0 or pos_i[k, PI_ID] >= first_new:  # closed, or not the one whose level it was
                continue
            is_tp = code >= n_slots
            side = pos_i[k, PI_SIDE]
            level = pos_f[k, PF_TP] if is_tp else pos_f[k, PF_SL]
            mkt = px[s, X_BID] if side > 0 else px[s, X_ASK]
            if cont and tt > 0.0:
                price = level
            elif is_tp:
                price = mkt
            else:
                price = mkt - side * _slip(rules, s)
            close_pos(rules, book, ledger, k, pos_f[k, PF_LOTS], price, R_TP if is_tp else R_SL)
            recalc(rules, book)
            _nbp(rules, book, ledger)
        else:
            j = code - 2 * n_slots
            if ord_i[j, OI_ACTIVE] == 0:
                continue
            side = ord_i[j, OI_SIDE]
            level = ord_f[j, OF_PRICE]
            mkt = px[s, X_ASK] if side > 0 else px[s, X_BID]
            if cont and tt > 0.0:
                price = level
            elif ord_i[j, OI_TYPE] == OT_STOP:
                price = mkt + side * _slip(rules, s)
            else:
                price = mkt
            ord_i[j, OI_ACTIVE] = 0
            _fill(rules, book, ledger, s, side, ord_f[j, OF_LOTS], price, ord_f[j, OF_SL], ord_f[j, OF_TP],
                  ord_i[j, OI_ID])
    return t_last


@jit
def _next_vertices(quotes, i: int, s: int):
    """Bid and ask range (bid low, bid high, ask low, ask high) of symbol ``s``'s two vertices after
    the bar open at quote ``i`` (the bar's extremes)."""
    q_sym = quotes.sym
    blo = math.inf
    bhi = -math.inf
    alo = math.inf
    ahi = -math.inf
    found = 0
    j = i + 1
    n_all = q_sym.shape[0]
    while j < n_all and found < 2:
        if q_sym[j] == s:
            b = quotes.bid[j]
            a = quotes.ask[j]
            blo = min(blo, b)
            bhi = max(bhi, b)
            alo = min(alo, a)
            ahi = max(ahi, a)
            found += 1
        j += 1
    return blo, bhi, alo, ahi


@jit_inline
def _pessimistic(rules, book, ledger, quotes, i: int, s: int) -> None:
    """At the open of a bar (quote ``i``), close at its SL each position of symbol ``s`` whose SL and TP
    both lie inside the bar: the loss is assumed first. Inlined: it runs at every bar open, and a call
    would pass every table of the four tuples."""
    pos_i = book.pos_i
    pos_f = book.pos_f
    agg = book.agg
    if agg[s, AG_N_BOTH] == 0:  # no position of the symbol has both levels
        return
    blo, bhi, alo, ahi = _next_vertices(quotes, i, s)  # the bar's range
    if not ((blo <= agg[s, AG_BUY_SL_MAX] and bhi >= agg[s, AG_BUY_TP_MIN])
            or (ahi >= agg[s, AG_SELL_SL_MIN] and alo <= agg[s, AG_SELL_TP_MAX])):
        return  # no position's SL and TP can both lie inside it
    for k in range(book.acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 0 or pos_i[k, PI_SYM] != s:
            continue
        stop_loss = pos_f[k, PF_SL]
        take_profit = pos_f[k, PF_TP]
        if math.isnan(stop_loss) or math.isnan(take_profit):
            continue
        if pos_i[k, PI_SIDE] > 0:
            both = blo <= stop_loss and bhi >= take_profit
        else:
            both = ahi >= stop_loss and alo <= take_profit
        if both:
            close_pos(rules, book, ledger, k, pos_f[k, PF_LOTS], stop_loss, R_SL)
            recalc(rules, book)
            _nbp(rules, book, ledger)


@jit
def run_segment(quotes, start: int, end: int, rules, book, ledger, decisions) -> int:
    """Simulate quotes ``start..end-1``; return the index reached: ``end``, or earlier when a table is
    nearly full (Python grows it and resumes there) or a kernel error was set in ``acc_i[I_ERROR]``
    (ERR_NO_RATE: a conversion pair has no price yet, symbol in I_ERROR_ARG; Python raises it)."""
    q_time = quotes.time
    q_sym = quotes.sym
    q_bid = quotes.bid
    q_ask = quotes.ask
    q_flags = quotes.flags
    params = rules.params
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    stride = int(params[P_STRIDE])
    vec_sym = int(params[P_VEC_SYM])
    pess = params[P_PESSIMISTIC] > 0.0
    minor = params[P_MINOR]
    mc_level = params[P_MC]
    so = params[P_SO]
    one_sym = rules.sym_f.shape[0] == 1
    i = start - 1
    while i + 1 < end:
        i += 1
        if acc_i[I_ERROR] == 0:
            t_stop = _quiet_until(rules, book)
            if t_stop > q_time[i] and one_sym:
                i = _lean_one(quotes, i, end, t_stop, rules, book, ledger, decisions)
                if i >= end:
                    break
            if t_stop > q_time[i] and acc_i[I_ORD_HIGH] == 0:
                i = _quiet_run(quotes, i, end, t_stop, rules, book, ledger, decisions)
                if i >= end:
                    break
        if not _has_room(book, ledger):
            return i
        if acc_i[I_ERROR] != 0:
            return i
        t = q_time[i]
        s = 0 if one_sym else q_sym[i]  # (one symbol: not read; the lean path never touches it: a miss)
        fl = q_flags[i]
        if not _due_bookings(rules, book, ledger, t):
            return i
        acc_i[I_NOW] = t
        acc_i[I_QUOTES] += 1
        # ---- the new quote
        had = px[s, X_HAVE] > 0.0
        b1 = q_bid[i]
        a1 = q_ask[i]
        b0 = px[s, X_BID] if had else b1
        a0 = px[s, X_ASK] if had else a1
        px[s, X_PBID] = b0
        px[s, X_PASK] = a0
        px[s, X_BID] = b1
        px[s, X_ASK] = a1
        px[s, X_HAVE] = 1.0
        seg = Segment(s, b0, a0, b1, a1, (fl & F_CONT) != 0 and had)
        # ---- queued market orders (decided at the previous decision) fill at this first price
        if acc_i[I_ORD_HIGH] > 0:
            _fill_queued(rules, book, ledger, s, b1, a1)
        # ---- price-triggered events on this segment, in path order: pending orders, SL, TP
        nc = _candidates(book, seg)
        t_last = _price_events(rules, book, ledger, seg, nc) if nc > 0 else 0.0
        if pess and (fl & F_OPEN) != 0 and acc_i[I_N_OPEN] > 0:
            _pessimistic(rules, book, ledger, quotes, i, s)
        # ---- the rest of the segment: margin call / stop-out, then MAE/MFE at the vertex
        _set_px(px, seg, 1.0)
        if acc_i[I_N_OPEN] > 0:
            _recalc_impl(rules, book)
            lvl = acc_f[A_LEVEL]
            if _level_event(lvl, _so_level(params, acc_f), so, mc_level, acc_i[I_MC_STATE]):
                # the rare path: locate crossings, close worst-first, NBP
                _margin_checks(rules, book, ledger, seg, t_last, 1.0)
                lvl = acc_f[A_LEVEL]
            _track_extremes(rules, book, s, lvl)
        else:
            _set_flat(book, minor)
        if acc_i[I_ERROR] != 0:
            return i + 1
        # ---- recording and vectorized decisions at bar closes
        if (fl & F_CLOSE) != 0:
            record(rules, book, ledger)
        elif stride > 0:
            c = acc_i[I_STRIDE_CTR] + 1
            if c >= stride:
                record(rules, book, ledger)
                c = 0
            acc_i[I_STRIDE_CTR] = c
        _decide(book, decisions, vec_sym, i)
    return end


@jit
def close_all(rules, book, ledger, reason: int) -> None:
    """Close every open position at the current prices (the end of a run), then NBP and a last point."""
    px = book.px
    pos_i = book.pos_i
    pos_f = book.pos_f
    for k in range(book.acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 1:
            s = pos_i[k, PI_SYM]
            price = px[s, X_BID] if pos_i[k, PI_SIDE] > 0 else px[s, X_ASK]
            close_pos(rules, book, ledger, k, pos_f[k, PF_LOTS], price, reason)
    recalc(rules, book)
    _nbp(rules, book, ledger)
    record(rules, book, ledger)


@jit
def seed_rng(seed: int) -> None:
    """Seed the kernel's slippage generator (numba keeps its own generator state)."""
    np.random.seed(seed)
