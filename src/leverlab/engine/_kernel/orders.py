"""Orders and fills: queueing, market fills at a quote, pending levels on a path, netting and hedging entries."""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit, jit_inline
from .._layout import (
    A_COST_COMMISSION,
    A_COST_SPREAD,
    A_EQUITY,
    A_FREE,
    A_LEVEL,
    A_MARGIN,
    D_COMMISSION,
    D_OPEN,
    E_REJECT,
    ERR_NO_ROOM,
    G_FREE_LO,
    G_MODE,
    H_NEW_UNTIL,
    I_N_OPEN,
    I_NEXT_ORDER_ID,
    I_NEXT_POS_ID,
    I_NOW,
    I_ORD_HIGH,
    I_POS_HIGH,
    OF_LOTS,
    OF_PRICE,
    OF_SL,
    OF_TP,
    OI_ACTIVE,
    OI_ID,
    OI_POS_ID,
    OI_SIDE,
    OI_SYM,
    OI_TAG,
    OI_TIME,
    OI_TYPE,
    OT_CLOSE,
    OT_MARKET,
    P_ACC_SCALE,
    P_HEDGE_CLOSE,
    P_HEDGING,
    P_MINOR,
    P_SLIPPAGE,
    PF_HMR_CAP,
    PF_LEV_OPEN,
    PF_LOTS,
    PF_MAE,
    PF_MARGIN,
    PF_MFE,
    PF_OPEN,
    PF_SL,
    PF_TP,
    PI_ACTIVE,
    PI_COMM_MINOR,
    PI_HMR_UNTIL,
    PI_ID,
    PI_OPEN_TIME,
    PI_SIDE,
    PI_SWAP_MINOR,
    PI_SYM,
    R_SIGNAL,
    REJ_NO_MONEY,
    REJ_STOPS,
    S_CS,
    S_N_BANDS,
    S_P1_SYM,
    S_POINT,
    X_ASK,
    X_BID,
)
from .ledger import LOT_EPS, _book, _commission, _event, _nbp
from .margin import _band_lev, _conv, _in_window, _margin_of, _set_error, recalc
from .totals import _add, _freed, _heap_pop, _heap_room, _heap_sift, _remove, close_pos, set_stops


@jit
def _slip(rules, s: int) -> float:
    """Adverse slippage for one fill of symbol ``s``, in price: uniform in [0, P_SLIPPAGE) points."""
    slip_points = rules.params[P_SLIPPAGE]
    if slip_points <= 0.0:
        return 0.0
    return np.random.random() * slip_points * rules.sym_f[s, S_POINT]


@jit
def _new_order(book, s: int, side: int, typ: int, lots: float, price: float, stop_loss: float,
               take_profit: float) -> int:
    """Queue an order (OT_*) at the top of the table, so slots stay in the order placed; returns the slot.
    The room check before each quote leaves four free slots above the top (Python compacts or grows)."""
    acc_i = book.acc_i
    ord_i = book.ord_i
    ord_f = book.ord_f
    j = acc_i[I_ORD_HIGH]
    ord_i[j, OI_ACTIVE] = 1
    ord_i[j, OI_ID] = acc_i[I_NEXT_ORDER_ID]
    acc_i[I_NEXT_ORDER_ID] += 1
    ord_i[j, OI_SYM] = s
    ord_i[j, OI_SIDE] = side
    ord_i[j, OI_TYPE] = typ
    ord_i[j, OI_POS_ID] = 0
    ord_i[j, OI_TIME] = acc_i[I_NOW]
    ord_i[j, OI_TAG] = R_SIGNAL
    ord_f[j, OF_LOTS] = lots
    ord_f[j, OF_PRICE] = price
    ord_f[j, OF_SL] = stop_loss
    ord_f[j, OF_TP] = take_profit
    acc_i[I_ORD_HIGH] = j + 1
    return j


@jit_inline
def _bad_stops(side: int, ref: float, stop_loss: float, take_profit: float) -> bool:
    """Whether an SL or TP is on the wrong side of ``ref`` (the price a buy closes at is below its TP and
    above its SL; a sell's mirror): the platform rejects such an order as "invalid stops"."""
    if side > 0:
        return (not math.isnan(stop_loss) and stop_loss >= ref) or (not math.isnan(take_profit) and take_profit <= ref)
    return (not math.isnan(stop_loss) and stop_loss <= ref) or (not math.isnan(take_profit) and take_profit >= ref)


@jit_inline
def _apply_target(book, s: int, target: float) -> None:
    """Queue the market orders that move symbol ``s``'s net position to ``target`` signed lots
    (inlined: it runs at every decision, and a call passes every table of the book)."""
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    net = 0.0
    for k in range(acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 1 and pos_i[k, PI_SYM] == s:
            net += pos_i[k, PI_SIDE] * pos_f[k, PF_LOTS]
    if abs(target - net) < LOT_EPS:
        return
    if net != 0.0 and (target == 0.0 or (target > 0) != (net > 0)):
        _new_order(book, s, 0, OT_CLOSE, math.nan, math.nan, math.nan, math.nan)
        net = 0.0
    diff = target - net
    if abs(diff) < LOT_EPS:
        return
    if net != 0.0 and abs(target) < abs(net):
        _new_order(book, s, 0, OT_CLOSE, abs(diff), math.nan, math.nan, math.nan)
        return
    _new_order(book, s, 1 if diff > 0 else -1, OT_MARKET, abs(diff), math.nan, math.nan, math.nan)


@jit
def _open_position(rules, book, ledger, s: int, side: int, lots: float, price: float, stop_loss: float,
                   take_profit: float, ref: int) -> int:
    """Open a position (hedging) after the free-margin check, the account re-valued after it; returns
    its slot, -1 when rejected (with an event), -2 when no slot is free."""
    params = rules.params
    sym_f = rules.sym_f
    hmr = rules.hmr
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    agg_i = book.agg_i
    t = acc_i[I_NOW]
    k = -1
    if acc_i[I_N_OPEN] == acc_i[I_POS_HIGH]:  # no gap below the top: the first free slot is the top
        if acc_i[I_POS_HIGH] < pos_i.shape[0]:
            k = acc_i[I_POS_HIGH]
    else:
        for j in range(agg_i[G_FREE_LO], pos_i.shape[0]):  # no free slot below G_FREE_LO
            if pos_i[j, PI_ACTIVE] == 0:
                k = j
                break
    if k < 0:
        return -2
    agg_i[G_FREE_LO] = k + 1
    if k + 1 > acc_i[I_POS_HIGH]:
        acc_i[I_POS_HIGH] = k + 1
    lev_open = _band_lev(rules.band_floor, rules.band_lev, s, int(sym_f[s, S_N_BANDS]), acc_f[A_EQUITY])
    pos_i[k, PI_ACTIVE] = 1
    pos_i[k, PI_ID] = acc_i[I_NEXT_POS_ID]
    pos_i[k, PI_SYM] = s
    pos_i[k, PI_SIDE] = side
    pos_i[k, PI_OPEN_TIME] = t
    hp = _in_window(hmr, acc_i, t)
    if hp >= 0 and hmr[hp, H_NEW_UNTIL] > 0:  # opened inside new-position windows: their tightest cap
        pos_i[k, PI_HMR_UNTIL] = hmr[hp, H_NEW_UNTIL]
        pos_f[k, PF_HMR_CAP] = rules.hmr_cap[hp, sym_f.shape[0] + s]
    else:
        pos_i[k, PI_HMR_UNTIL] = 0
        pos_f[k, PF_HMR_CAP] = math.inf
    pos_i[k, PI_COMM_MINOR] = 0
    pos_i[k, PI_SWAP_MINOR] = 0
    pos_f[k, PF_LOTS] = lots
    pos_f[k, PF_OPEN] = price
    pos_f[k, PF_SL] = stop_loss
    pos_f[k, PF_TP] = take_profit
    pos_f[k, PF_LEV_OPEN] = lev_open
    pos_f[k, PF_MAE] = 0.0
    pos_f[k, PF_MFE] = 0.0
    acc_i[I_N_OPEN] += 1
    _add(rules, book, k)
    recalc(rules, book)
    cm = _commission(rules, book, s, lots)
    if acc_f[A_FREE] + cm / params[P_MINOR] < 0.0:
        need = _margin_of(rules, book, k) if agg_i[G_MODE] == 1 else pos_f[k, PF_MARGIN]
        _remove(rules, book, k)
        pos_i[k, PI_ACTIVE] = 0
        acc_i[I_N_OPEN] -= 1
        _freed(book, k)
        recalc(rules, book)
        _event(book, ledger, E_REJECT, t, s, ref, REJ_NO_MONEY, price, acc_f[A_LEVEL], need)
        return -1
    acc_i[I_NEXT_POS_ID] += 1
    pid = pos_i[k, PI_ID]
    _book(book, ledger, D_OPEN, t, pid, s, side, 0, lots, price)
    if cm != 0:
        _book(book, ledger, D_COMMISSION, t, pid, s, side, cm, lots, price)
        pos_i[k, PI_COMM_MINOR] = cm
        acc_f[A_COST_COMMISSION] -= cm / params[P_MINOR]
        recalc(rules, book)  # the balance changed (without commission nothing did since the check)
    p_conv = _conv(px, sym_f, s, S_P1_SYM)
    if not math.isnan(p_conv):
        acc_f[A_COST_SPREAD] += (px[s, X_ASK] - px[s, X_BID]) * sym_f[s, S_CS] * lots * p_conv * params[P_ACC_SCALE]
    return k


@jit
def _fill(rules, book, ledger, s: int, side: int, lots: float, price: float, stop_loss: float, take_profit: float,
          ref: int) -> None:
    """Execute an entry: hedging opens a new position; netting nets against the symbol's position."""
    params = rules.params
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    if params[P_HEDGING] == 0.0:
        for k in range(acc_i[I_POS_HIGH]):
            if pos_i[k, PI_ACTIVE] == 1 and pos_i[k, PI_SYM] == s:
                if pos_i[k, PI_SIDE] != side:
                    have = pos_f[k, PF_LOTS]
                    close_pos(rules, book, ledger, k, min(lots, have), price, R_SIGNAL)
                    lots -= min(lots, have)
                    if lots < LOT_EPS:
                        recalc(rules, book)
                        return
                    break
                # same side: grow the position at the volume-weighted price, after the margin check
                old_lots = pos_f[k, PF_LOTS]
                old_open = pos_f[k, PF_OPEN]
                _remove(rules, book, k)
                pos_f[k, PF_LOTS] = old_lots + lots
                pos_f[k, PF_OPEN] = (old_open * old_lots + price * lots) / (old_lots + lots)
                _add(rules, book, k)
                recalc(rules, book)
                cm = _commission(rules, book, s, lots)
                if acc_f[A_FREE] + cm / params[P_MINOR] < 0.0:
                    _remove(rules, book, k)
                    pos_f[k, PF_LOTS] = old_lots
                    pos_f[k, PF_OPEN] = old_open
                    _add(rules, book, k)
                    recalc(rules, book)
                    _event(book, ledger, E_REJECT, acc_i[I_NOW], s, ref, REJ_NO_MONEY, price, acc_f[A_LEVEL], 0.0)
                    return
                pid = pos_i[k, PI_ID]
                _book(book, ledger, D_OPEN, acc_i[I_NOW], pid, s, side, 0, lots, price)
                if cm != 0:
                    _book(book, ledger, D_COMMISSION, acc_i[I_NOW], pid, s, side, cm, lots, price)
                    pos_i[k, PI_COMM_MINOR] += cm
                    acc_f[A_COST_COMMISSION] -= cm / params[P_MINOR]
                set_stops(book, k, pos_f[k, PF_SL] if math.isnan(stop_loss) else stop_loss,
                          pos_f[k, PF_TP] if math.isnan(take_profit) else take_profit)
                recalc(rules, book)
                return
    if _open_position(rules, book, ledger, s, side, lots, price, stop_loss, take_profit, ref) == -2:
        _set_error(acc_i, ERR_NO_ROOM, ref)  # never expected: an order must not vanish silently
        recalc(rules, book)


@jit
def _unhedged_margin(rules, book, k: int, lots: float) -> float:
    """The margin the account would use after closing ``lots`` of position ``k`` where that unhedges an
    opposite position of its symbol (more margin than now); -inf when it does not (nothing to refuse).
    Exness: "If there's not enough free margin, the system won't allow you to close a hedged order"."""
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    s = pos_i[k, PI_SYM]
    side = pos_i[k, PI_SIDE]
    hedged = False
    for q in range(acc_i[I_POS_HIGH]):
        if pos_i[q, PI_ACTIVE] == 1 and pos_i[q, PI_SYM] == s and pos_i[q, PI_SIDE] != side:
            hedged = True
    if not hedged:
        return -math.inf
    before = acc_f[A_MARGIN]
    old = pos_f[k, PF_LOTS]
    full = old - lots < LOT_EPS
    _remove(rules, book, k)  # tried on the book as it is kept (the totals too), then put back
    if full:
        pos_i[k, PI_ACTIVE] = 0
        acc_i[I_N_OPEN] -= 1
    else:
        pos_f[k, PF_LOTS] = old - lots
        _add(rules, book, k)
    recalc(rules, book)
    after = acc_f[A_MARGIN]
    if full:
        pos_i[k, PI_ACTIVE] = 1
        acc_i[I_N_OPEN] += 1
    else:
        _remove(rules, book, k)
        pos_f[k, PF_LOTS] = old
    _add(rules, book, k)
    recalc(rules, book)
    return after if after > before else -math.inf


@jit
def _exec_close_order(rules, book, ledger, j: int) -> None:
    """Execute the close order in slot ``j`` at the current quote: its position, or the symbol's
    positions oldest first (FIFO), up to its lots (nan: all)."""
    px = book.px
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    ord_i = book.ord_i
    s = ord_i[j, OI_SYM]
    pid = ord_i[j, OI_POS_ID]
    want = book.ord_f[j, OF_LOTS]
    reason = ord_i[j, OI_TAG]
    remaining = math.inf if math.isnan(want) else want
    many = pid == 0 and book.agg_i[G_MODE] == 1  # many positions: ordered by id once, not scanned per close
    n_heap = 0
    if many:
        _heap_room(rules, book)
        for k in range(acc_i[I_POS_HIGH]):
            if pos_i[k, PI_ACTIVE] == 1 and pos_i[k, PI_SYM] == s:
                book.ext_v[0, n_heap] = pos_i[k, PI_ID]
                book.ext_k[0, n_heap] = k
                n_heap += 1
        for i in range(n_heap // 2 - 1, -1, -1):
            _heap_sift(book.ext_v[0], book.ext_k[0], i, n_heap)
    while remaining > LOT_EPS:
        best = -1
        if many:
            best, n_heap = _heap_pop(book, n_heap)
        else:
            for k in range(acc_i[I_POS_HIGH]):
                if pos_i[k, PI_ACTIVE] == 1 and pos_i[k, PI_SYM] == s and (pid == 0 or pos_i[k, PI_ID] == pid):
                    if best < 0 or pos_i[k, PI_ID] < pos_i[best, PI_ID]:
                        best = k
        if best < 0:
            break
        side = pos_i[best, PI_SIDE]
        price = px[s, X_BID] - _slip(rules, s) if side > 0 else px[s, X_ASK] + _slip(rules, s)
        lots = min(remaining, pos_f[best, PF_LOTS])
        if rules.params[P_HEDGE_CLOSE] > 0.0:
            need = _unhedged_margin(rules, book, best, lots)
            if need > book.acc_f[A_EQUITY]:  # the broker will not close a leg it cannot margin the rest of
                _event(book, ledger, E_REJECT, acc_i[I_NOW], s, ord_i[j, OI_ID], REJ_NO_MONEY, price,
                       book.acc_f[A_LEVEL], need)
                break
        close_pos(rules, book, ledger, best, lots, price, reason)
        remaining -= lots
    ord_i[j, OI_ACTIVE] = 0


@jit_inline
def _fill_queued(rules, book, ledger, s: int, bid: float, ask: float) -> None:
    """Execute symbol ``s``'s queued close and market orders (decided at the previous decision) at this
    quote, closes first, each kind oldest first (slots are in the order placed); a market order whose
    SL/TP is on the wrong side of this quote is rejected. Then forget emptied slots at the top of the
    table. Inlined into the per-quote loop, as a call passes every table of three tuples."""
    acc_i = book.acc_i
    ord_i = book.ord_i
    ord_f = book.ord_f
    high = acc_i[I_ORD_HIGH]
    filled = False
    for j in range(high):
        if ord_i[j, OI_ACTIVE] == 1 and ord_i[j, OI_SYM] == s and ord_i[j, OI_TYPE] == OT_CLOSE:
            _exec_close_order(rules, book, ledger, j)
            filled = True
    if filled:
        recalc(rules, book)
        _nbp(rules, book, ledger)
    for j in range(high):
        if ord_i[j, OI_ACTIVE] == 0 or ord_i[j, OI_SYM] != s or ord_i[j, OI_TYPE] != OT_MARKET:
            continue
        side = ord_i[j, OI_SIDE]
        ord_i[j, OI_ACTIVE] = 0
        if _bad_stops(side, bid if side > 0 else ask, ord_f[j, OF_SL], ord_f[j, OF_TP]):
            _event(book, ledger, E_REJECT, acc_i[I_NOW], s, ord_i[j, OI_ID], REJ_STOPS, ask if side > 0 else bid,
                   book.acc_f[A_LEVEL], 0.0)
            continue
        price = ask + _slip(rules, s) if side > 0 else bid - _slip(rules, s)
        _fill(rules, book, ledger, s, side, ord_f[j, OF_LOTS], price, ord_f[j, OF_SL], ord_f[j, OF_TP], ord_i[j, OI_ID])
    h = acc_i[I_ORD_HIGH]  # so idle quotes skip the order scans
    while h > 0 and ord_i[h - 1, OI_ACTIVE] == 0:
        h -= 1
    acc_i[I_ORD_HIGH] = h


@jit
def _crossing(prev: float, cur: float, level: float, cont: bool, down: bool) -> float:
    """Path parameter in [0, 1] where ``level`` is first reached; 1 on a gap, 0 if already beyond."""
    if not cont:
        return 1.0
    if down:
        if prev <= level:
            return 0.0
    else:
        if prev >= level:
            return 0.0
    d = cur - prev
    if d == 0.0:
        return 1.0
    t = (level - prev) / d
    if t < 0.0:
        return 0.0
    if t > 1.0:
        return 1.0
    return t
