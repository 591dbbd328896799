"""The book's per-symbol totals and lazy MAE/MFE, kept at every open, change and close of a position.

So that a quote costs O(symbols), not O(open positions), above ``agg_i[G_FEW]`` of them:

* totals per symbol and side (``_layout`` AG_*): positions, lots and lots x open price (double-double
  sums), from which ``margin._recalc_totals`` values the account;
* SL/TP counts and bounds per symbol: a quote that crosses no bound triggers nothing, without a scan;
* lazy MAE/MFE: a position's worst and best floating profit are its profit at the lowest and highest
  price of its closing side since it opened - exactly, bit for bit, while its profit currency converts
  at a fixed rate (profit is then monotone in the price, and rounding is monotone). Per symbol and
  extreme, a stack of groups of positions (by key, the order they were attached in) holds the extreme
  price each group has seen; a quote merges the groups it beats into one (amortised O(1)), and a
  position's extreme is read (``_resolve``) when it closes or changes, by a binary search for its group.

Every position change goes through ``_add``/``_remove`` and every close through ``close_pos``.
"""

from __future__ import annotations

import math

from .._jit import jit, jit_inline
from .._layout import (
    AG_BUY_SL_MAX,
    AG_BUY_TP_MIN,
    AG_C_BUY,
    AG_C_BUY_LO,
    AG_C_SELL,
    AG_C_SELL_LO,
    AG_CAP,
    AG_EXT_LEN,
    AG_L_BUY,
    AG_L_SELL,
    AG_N_BOTH,
    AG_N_BUY,
    AG_N_CAP,
    AG_N_SELL,
    AG_N_STOPS,
    AG_S_BUY,
    AG_S_SELL,
    AG_SELL_SL_MIN,
    AG_SELL_TP_MAX,
    EXT_BUY_HIGH,
    EXT_BUY_LOW,
    EXT_SELL_HIGH,
    EXT_SELL_LOW,
    G_CAP_UNTIL,
    G_FEW,
    G_FREE_LO,
    G_KEY,
    G_LAZY,
    G_MIX_UNTIL,
    G_N_VAR,
    I_N_OPEN,
    I_NOW,
    I_POS_HIGH,
    P_ACC_SCALE,
    PF_HMR_CAP,
    PF_LOTS,
    PF_MAE,
    PF_MFE,
    PF_OPEN,
    PF_SL,
    PF_TP,
    PI_ACTIVE,
    PI_HMR_UNTIL,
    PI_SIDE,
    PI_SYM,
    S_CS,
    S_P1_SYM,
    S_P2_SYM,
    X_ASK,
    X_BID,
)
from ..formulas import profit_in_profit_ccy
from .ledger import close_position
from .margin import _conv, _dd_add, _two_prod


@jit_inline
def _moving_rate(sym_f, s: int) -> bool:
    """Whether symbol ``s``'s profit converts to the account currency through a price (not a fixed 1)."""
    return sym_f[s, S_P1_SYM] >= 0.0 or sym_f[s, S_P2_SYM] >= 0.0


@jit_inline
def _stops_init(agg, s: int) -> None:
    """The SL/TP bounds of a symbol with no level set: nothing can trigger."""
    agg[s, AG_BUY_SL_MAX] = -math.inf
    agg[s, AG_BUY_TP_MIN] = math.inf
    agg[s, AG_SELL_SL_MIN] = math.inf
    agg[s, AG_SELL_TP_MAX] = -math.inf


@jit_inline
def _widen_stops(agg, s: int, side: int, stop_loss: float, take_profit: float) -> None:
    """Widen symbol ``s``'s SL/TP bounds to a ``side`` position's levels (nan: none)."""
    if side > 0:
        if stop_loss > agg[s, AG_BUY_SL_MAX]:  # False for nan
            agg[s, AG_BUY_SL_MAX] = stop_loss
        if take_profit < agg[s, AG_BUY_TP_MIN]:
            agg[s, AG_BUY_TP_MIN] = take_profit
    else:
        if stop_loss < agg[s, AG_SELL_SL_MIN]:
            agg[s, AG_SELL_SL_MIN] = stop_loss
        if take_profit > agg[s, AG_SELL_TP_MAX]:
            agg[s, AG_SELL_TP_MAX] = take_profit


@jit_inline
def _count_stops(agg, s: int, side: int, stop_loss: float, take_profit: float, sign: float) -> None:
    """Count a position's SL/TP in (``sign`` +1) or out (-1) of its symbol's, widening the bounds on the way in."""
    has_sl = not math.isnan(stop_loss)
    has_tp = not math.isnan(take_profit)
    if has_sl or has_tp:
        agg[s, AG_N_STOPS] += sign
    if has_sl and has_tp:
        agg[s, AG_N_BOTH] += sign
    if sign > 0.0:
        _widen_stops(agg, s, side, stop_loss, take_profit)
    elif agg[s, AG_N_STOPS] == 0.0:
        _stops_init(agg, s)


@jit
def _tally(rules, book, k: int, sign: float) -> None:
    """Add (``sign`` +1) or remove (-1) the position in slot ``k`` to or from its symbol's totals."""
    agg = book.agg
    pos_i = book.pos_i
    pos_f = book.pos_f
    s = pos_i[k, PI_SYM]
    side = pos_i[k, PI_SIDE]
    lots = pos_f[k, PF_LOTS]
    c_n, c_l, c_s = (AG_N_BUY, AG_L_BUY, AG_S_BUY) if side > 0 else (AG_N_SELL, AG_L_SELL, AG_S_SELL)
    agg[s, c_n] += sign
    if agg[s, c_n] == 0.0:  # the side is empty: exact zeros, whatever rounding the sums carried
        agg[s, c_l] = 0.0
        agg[s, c_l + 1] = 0.0
        agg[s, c_s] = 0.0
        agg[s, c_s + 1] = 0.0
    else:
        agg[s, c_l], agg[s, c_l + 1] = _dd_add(agg[s, c_l], agg[s, c_l + 1], sign * lots, 0.0)
        p, e = _two_prod(lots, pos_f[k, PF_OPEN])
        agg[s, c_s], agg[s, c_s + 1] = _dd_add(agg[s, c_s], agg[s, c_s + 1], sign * p, sign * e)
    _count_stops(agg, s, side, pos_f[k, PF_SL], pos_f[k, PF_TP], sign)
    if _moving_rate(rules.sym_f, s):
        book.agg_i[G_N_VAR] += int(sign)
    if pos_i[k, PI_HMR_UNTIL] > 0:
        _tally_capped(book, k, s, side, lots, sign)


@jit_inline
def _tally_capped(book, k: int, s: int, side: int, lots: float, sign: float) -> None:
    """Add a position with an HMR cap of its own to its symbol's capped group, or remove it. A position
    whose cap has run out stays out; one whose cap and expiry differ from a running group's cannot
    join, and the account is valued position by position until its cap expires (G_MIX_UNTIL). A group
    whose key such a position shares runs only before that expiry, so its sums are never read."""
    agg = book.agg
    agg_i = book.agg_i
    until = book.pos_i[k, PI_HMR_UNTIL]
    cap = book.pos_f[k, PF_HMR_CAP]
    g = G_CAP_UNTIL + s
    c = AG_C_BUY if side > 0 else AG_C_SELL
    if sign > 0.0:
        now = book.acc_i[I_NOW]
        if until <= now:
            return
        if agg[s, AG_N_CAP] == 0.0 or agg_i[g] <= now:  # no running group: this one starts one
            agg_i[g] = until
            agg[s, AG_CAP] = cap
            agg[s, AG_N_CAP] = 0.0
            agg[s, AG_C_BUY] = agg[s, AG_C_BUY_LO] = agg[s, AG_C_SELL] = agg[s, AG_C_SELL_LO] = 0.0
        if agg_i[g] == until and agg[s, AG_CAP] == cap:
            agg[s, AG_N_CAP] += 1.0
            agg[s, c], agg[s, c + 1] = _dd_add(agg[s, c], agg[s, c + 1], lots, 0.0)
        elif until > agg_i[G_MIX_UNTIL]:
            agg_i[G_MIX_UNTIL] = until
    elif agg_i[g] == until and agg[s, AG_CAP] == cap and agg[s, AG_N_CAP] > 0.0:
        agg[s, AG_N_CAP] -= 1.0
        if agg[s, AG_N_CAP] == 0.0:
            agg[s, AG_C_BUY] = agg[s, AG_C_BUY_LO] = agg[s, AG_C_SELL] = agg[s, AG_C_SELL_LO] = 0.0
        else:
            agg[s, c], agg[s, c + 1] = _dd_add(agg[s, c], agg[s, c + 1], -lots, 0.0)


@jit
def _add(rules, book, k: int) -> None:
    """Count the (just opened or changed) position in slot ``k`` in the totals; while MAE/MFE are lazy,
    give it a fresh group."""
    agg_i = book.agg_i
    _tally(rules, book, k, 1.0)
    if agg_i[G_LAZY] == 1:
        _attach(rules, book, k)


@jit
def _remove(rules, book, k: int) -> None:
    """Take the position in slot ``k`` out of the totals before it changes or closes; while MAE/MFE are
    lazy, bring its MAE/MFE up to date first."""
    if book.agg_i[G_LAZY] == 1:
        _resolve(rules, book, k)
    _tally(rules, book, k, -1.0)


@jit
def set_stops(book, k: int, stop_loss: float, take_profit: float) -> None:
    """Set an open position's SL and TP (nan: none) and keep its symbol's counts and bounds."""
    pos_i = book.pos_i
    pos_f = book.pos_f
    s = pos_i[k, PI_SYM]
    side = pos_i[k, PI_SIDE]
    _count_stops(book.agg, s, side, pos_f[k, PF_SL], pos_f[k, PF_TP], -1.0)
    pos_f[k, PF_SL] = stop_loss
    pos_f[k, PF_TP] = take_profit
    _count_stops(book.agg, s, side, stop_loss, take_profit, 1.0)


@jit
def close_pos(rules, book, ledger, k: int, lots: float, price: float, reason: int) -> int:
    """``ledger.close_position`` with the totals kept: the position leaves them, and what is left of a
    partial close comes back (with a fresh MAE/MFE group). Returns the realised profit in minor units."""
    _remove(rules, book, k)
    pm = close_position(rules, book, ledger, k, lots, price, reason)
    if book.pos_i[k, PI_ACTIVE] == 1:
        _add(rules, book, k)
    else:
        _freed(book, k)
    return pm


@jit_inline
def _freed(book, k: int) -> None:
    """Slot ``k`` was emptied: the lowest free slot, and the top of the table (so the loops over the slots
    end at the last open position, however many were open before)."""
    acc_i = book.acc_i
    if k < book.agg_i[G_FREE_LO]:
        book.agg_i[G_FREE_LO] = k
    h = acc_i[I_POS_HIGH]
    while h > 0 and book.pos_i[h - 1, PI_ACTIVE] == 0:
        h -= 1
    acc_i[I_POS_HIGH] = h


# ---- lazy MAE/MFE ------------------------------------------------------------------------------
@jit_inline
def _stack(s: int, side: int, high: bool) -> int:
    """Row of the ext_* stack of symbol ``s`` holding the extreme a ``side`` position's MAE or MFE needs."""
    if side > 0:
        return 4 * s + (EXT_BUY_HIGH if high else EXT_BUY_LOW)
    return 4 * s + (EXT_SELL_HIGH if high else EXT_SELL_LOW)


@jit_inline
def _group_value(book, r: int, key: int) -> float:
    """Extreme price seen by the group of stack ``r`` that holds ``key`` (the last group whose first key
    is <= it); nan when the stack has none."""
    s = r // 4
    n = int(book.agg[s, AG_EXT_LEN + r % 4])
    ext_k = book.ext_k
    lo = 0
    hi = n - 1
    found = -1
    while lo <= hi:
        mid = (lo + hi) // 2
        if ext_k[r, mid] <= key:
            found = mid
            lo = mid + 1
        else:
            hi = mid - 1
    if found < 0:
        return math.nan
    return book.ext_v[r, found]


@jit
def _resolve(rules, book, k: int) -> None:
    """Bring the MAE/MFE of the position in slot ``k`` up to date from its groups: its profit at the
    extreme prices its groups saw (as each tracked quote would have given, since profit is monotone in
    the price at a fixed conversion rate)."""
    pos_i = book.pos_i
    pos_f = book.pos_f
    s = pos_i[k, PI_SYM]
    side = pos_i[k, PI_SIDE]
    key = book.pos_key[k]
    scale = rules.params[P_ACC_SCALE]
    p_conv = _conv(book.px, rules.sym_f, s, S_P1_SYM)
    cs = rules.sym_f[s, S_CS]
    for high in (False, True):
        v = _group_value(book, _stack(s, side, high), key)
        if math.isnan(v) or math.isinf(v):
            continue
        pr = profit_in_profit_ccy(side, pos_f[k, PF_LOTS], cs, pos_f[k, PF_OPEN], v) * p_conv * scale
        if pr < pos_f[k, PF_MAE]:
            pos_f[k, PF_MAE] = pr
        if pr > pos_f[k, PF_MFE]:
            pos_f[k, PF_MFE] = pr


@jit_inline
def _reset_stack(book, r: int) -> None:
    """One group from key 0 (every position attached so far), that has seen nothing yet."""
    book.ext_k[r, 0] = 0
    book.ext_v[r, 0] = -math.inf if r % 4 == EXT_BUY_HIGH or r % 4 == EXT_SELL_HIGH else math.inf
    book.agg[r // 4, AG_EXT_LEN + r % 4] = 1.0


@jit
def _flush(rules, book, s: int, side: int, skip: int) -> None:
    """A full stack: bring every open ``side`` position of symbol ``s`` (but slot ``skip``, being
    attached) up to date, then restart its two stacks with one group (O(positions), once per as many
    attaches as the stack holds)."""
    pos_i = book.pos_i
    for k in range(book.acc_i[I_POS_HIGH]):
        if k != skip and pos_i[k, PI_ACTIVE] == 1 and pos_i[k, PI_SYM] == s and pos_i[k, PI_SIDE] == side:
            _resolve(rules, book, k)
    _reset_stack(book, _stack(s, side, False))
    _reset_stack(book, _stack(s, side, True))


@jit
def _attach(rules, book, k: int) -> None:
    """Give the position in slot ``k`` a new key and its own groups on top of its two stacks, that have
    seen nothing yet (the next tracked quote of its symbol is its first)."""
    agg_i = book.agg_i
    s = book.pos_i[k, PI_SYM]
    side = book.pos_i[k, PI_SIDE]
    agg_i[G_KEY] += 1
    key = agg_i[G_KEY]
    book.pos_key[k] = key
    r_lo = _stack(s, side, False)
    r_hi = _stack(s, side, True)
    cap = book.ext_k.shape[1]
    if book.agg[s, AG_EXT_LEN + r_lo % 4] >= cap or book.agg[s, AG_EXT_LEN + r_hi % 4] >= cap:
        _flush(rules, book, s, side, k)  # the fresh single group covers this position too
        return
    for r in (r_lo, r_hi):
        n = int(book.agg[s, AG_EXT_LEN + r % 4])
        book.ext_k[r, n] = key
        book.ext_v[r, n] = -math.inf if r == r_hi else math.inf
        book.agg[s, AG_EXT_LEN + r % 4] = n + 1.0


@jit_inline
def _merge(book, r: int, v: float, high: bool) -> None:
    """A quote at price ``v``: every group of stack ``r`` it beats (a suffix: groups attached later saw
    fewer quotes) takes ``v`` and becomes one group."""
    s = r // 4
    c = AG_EXT_LEN + r % 4
    n = int(book.agg[s, c])
    ext_k = book.ext_k
    ext_v = book.ext_v
    first = -1
    while n > 0 and ((ext_v[r, n - 1] < v) if high else (ext_v[r, n - 1] > v)):
        n -= 1
        first = ext_k[r, n]
    if first >= 0:
        ext_k[r, n] = first
        ext_v[r, n] = v
        book.agg[s, c] = n + 1.0


@jit_inline
def _track_lazy(book, s: int) -> None:
    """The tracked quote of symbol ``s`` (its vertex prices in ``px``) seen by every group of its stacks."""
    bid = book.px[s, X_BID]
    ask = book.px[s, X_ASK]
    _merge(book, 4 * s + EXT_BUY_LOW, bid, False)
    _merge(book, 4 * s + EXT_BUY_HIGH, bid, True)
    _merge(book, 4 * s + EXT_SELL_HIGH, ask, True)
    _merge(book, 4 * s + EXT_SELL_LOW, ask, False)


@jit
def _set_lazy(rules, book, lazy: bool) -> None:
    """Switch MAE/MFE tracking: to lazy (every stack one fresh group; what each position saw so far is in
    its PF_MAE/PF_MFE) or back to per position (every open position brought up to date first)."""
    if lazy:
        for r in range(book.ext_k.shape[0]):
            _reset_stack(book, r)
        book.agg_i[G_LAZY] = 1
    else:
        pos_i = book.pos_i
        for k in range(book.acc_i[I_POS_HIGH]):
            if pos_i[k, PI_ACTIVE] == 1:
                _resolve(rules, book, k)
        book.agg_i[G_LAZY] = 0


@jit_inline
def _want_lazy(book) -> bool:
    """Lazy MAE/MFE pays above ``agg_i[G_FEW]`` open positions, and is exact while no open position's profit
    converts at a moving rate."""
    return book.acc_i[I_N_OPEN] > book.agg_i[G_FEW] and book.agg_i[G_N_VAR] == 0


# ---- a heap of positions in the stacks' room (for the rare walks over many positions in an order) ------
@jit
def _heap_room(rules, book) -> None:
    """Free row 0 of the ext_* tables for a heap: MAE/MFE brought up to date and tracked per position
    until the next quote's vertex (which resumes lazy tracking with fresh stacks)."""
    if book.agg_i[G_LAZY] == 1:
        _set_lazy(rules, book, False)


@jit_inline
def _heap_before(hv, hk, a: int, b: int) -> bool:
    """Heap order: the lower key first, then the lower slot (the order of a first-minimum scan)."""
    return hv[a] < hv[b] or (hv[a] == hv[b] and hk[a] < hk[b])


@jit
def _heap_sift(hv, hk, i: int, n: int) -> None:
    """Restore the heap of ``n`` entries (keys ``hv``, slots ``hk``) below entry ``i``."""
    while True:
        c = 2 * i + 1
        if c >= n:
            return
        if c + 1 < n and _heap_before(hv, hk, c + 1, c):
            c += 1
        if not _heap_before(hv, hk, c, i):
            return
        hv[i], hv[c] = hv[c], hv[i]
        hk[i], hk[c] = hk[c], hk[i]
        i = c


@jit
def _heap_pop(book, n: int):
    """The slot of the first open position left in the heap of ``n`` entries in row 0 of ext_v/ext_k
    (-1: none), and the heap's new size."""
    hv = book.ext_v[0]
    hk = book.ext_k[0]
    while n > 0:
        k = hk[0]
        n -= 1
        hv[0] = hv[n]
        hk[0] = hk[n]
        _heap_sift(hv, hk, 0, n)
        if book.pos_i[k, PI_ACTIVE] == 1:
            return k, n
    return -1, n
