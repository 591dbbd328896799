"""The lean paths: runs of quotes where nothing can fill and nothing is due, re-valued with less work.

Every quote gets exactly the arithmetic the full path (``loop.run_segment``) would give it, so
results are identical whichever path ran it (tests/engine/test_lean_path.py). Each stops *before*
the first quote where anything happens, and the full path takes that quote.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit_inline
from .._layout import (
    A_CASHBACK,
    A_CASHBACK_DUE,
    A_CREDIT,
    A_EQUITY,
    A_FLOATING,
    A_FREE,
    A_LEVEL,
    A_MARGIN,
    A_MIN_LEVEL,
    AG_N_STOPS,
    D_CASHBACK,
    F_CLOSE,
    G_FEW,
    G_LAZY,
    G_MODE,
    H_END,
    H_START,
    I_BALANCE,
    I_CASH_PTR,
    I_DEC_PTR,
    I_ERROR,
    I_HMR_PTR,
    I_MC_STATE,
    I_N_DEALS,
    I_N_OPEN,
    I_N_SERIES,
    I_NOW,
    I_ORD_HIGH,
    I_POS_HIGH,
    I_QUOTES,
    I_ROLL_PTR,
    OI_ACTIVE,
    P_ACC_SCALE,
    P_CASHBACK,
    P_HEDGING,
    P_HMR_ALL,
    P_LEAN,
    P_MC,
    P_MINOR,
    P_SO,
    P_SO_CREDIT,
    P_STRIDE,
    P_SWAP_FREE,
    P_VEC_SYM,
    PF_HMR_CAP,
    PF_LEV_OPEN,
    PF_LOTS,
    PF_MAE,
    PF_MARGIN,
    PF_MFE,
    PF_OPEN,
    PF_PROFIT,
    PI_ACTIVE,
    PI_HMR_UNTIL,
    PI_SIDE,
    ROOM_DEALS,
    ROOM_FIXED,
    ROOM_SERIES,
    S_BANDS_REPRICE,
    S_CS,
    S_FIXED_RATE,
    S_HEDGE,
    S_M1_SYM,
    S_MODE,
    S_MRATE,
    S_N_BANDS,
    S_P1_SYM,
    S_STATIC_CAP,
    X_ASK,
    X_BID,
    X_HAVE,
    X_PASK,
    X_PBID,
)
from ..formulas import FOREX, FOREX_NO_LEVERAGE, margin_in_margin_ccy, profit_in_profit_ccy
from .ledger import _book, _swaps, record, record_point, to_minor_units
from .margin import (
    _band_lev,
    _by_totals,
    _conv,
    _finish_recalc,
    _level_event,
    _margin_mode,
    _pos_leverage,
    _pos_profit,
    _recalc_impl,
    _recalc_totals,
    _so_level,
    _so_level_of,
    _symbol_margin,
)
from .orders import _apply_target
from .totals import _set_lazy, _track_lazy, _want_lazy


@jit_inline
def _need(acc_i, per: int) -> int:
    """Rows a ledger table keeps free before a quote: ``per`` (ROOM_*) for each open position and live order."""
    return per * (acc_i[I_N_OPEN] + acc_i[I_ORD_HIGH]) + ROOM_FIXED


@jit_inline
def _quiet_until(rules, book) -> int:
    """The time (ns) before which the lean paths may run (0 when they may not run at all): no order
    queued or pending, no SL/TP set, and before the next rollover, cashback time and HMR window edge.
    Inlined: it runs at every quote of the full path, and a call would pass every table of two tuples."""
    params = rules.params
    hmr = rules.hmr
    acc_i = book.acc_i
    if params[P_STRIDE] > 0.0 or params[P_LEAN] == 0.0:
        return 0
    for j in range(acc_i[I_ORD_HIGH]):
        if book.ord_i[j, OI_ACTIVE] == 1:
            return 0
    agg = book.agg
    for s in range(agg.shape[0]):  # an SL or TP set
        if agg[s, AG_N_STOPS] > 0:
            return 0
    stop = np.int64(9223372036854775807)
    rp = acc_i[I_ROLL_PTR]
    if rp < rules.roll_t.shape[0] and rules.roll_t[rp] < stop:
        stop = rules.roll_t[rp]
    cp = acc_i[I_CASH_PTR]
    if cp < rules.cash_t.shape[0] and rules.cash_t[cp] < stop:
        stop = rules.cash_t[cp]
    hp = acc_i[I_HMR_PTR]
    if hp < hmr.shape[0]:
        edge = hmr[hp, H_START] if acc_i[I_NOW] < hmr[hp, H_START] else hmr[hp, H_END]
        if edge < stop:
            stop = edge
    return int(stop)


@jit_inline
def _due_bookings(rules, book, ledger, t: int) -> bool:
    """Book what falls due up to time ``t``: rollover swaps, scheduled cashback, and step past ended HMR
    intervals. False when the deal table ran short of room (Python grows it and resumes)."""
    params = rules.params
    roll_t = rules.roll_t
    cash_t = rules.cash_t
    hmr = rules.hmr
    acc_f = book.acc_f
    acc_i = book.acc_i
    minor = params[P_MINOR]
    rp = acc_i[I_ROLL_PTR]
    while rp < roll_t.shape[0] and roll_t[rp] <= t:
        if ledger.deal_i.shape[0] - acc_i[I_N_DEALS] < _need(acc_i, ROOM_DEALS):
            return False
        if params[P_SWAP_FREE] == 0.0 and acc_i[I_N_OPEN] > 0:
            acc_i[I_NOW] = roll_t[rp]
            _swaps(rules, book, ledger, roll_t[rp], rules.roll_f[rp])
        rp += 1
        acc_i[I_ROLL_PTR] = rp
    cp = acc_i[I_CASH_PTR]
    while cp < cash_t.shape[0] and cash_t[cp] <= t:
        due = acc_f[A_CASHBACK_DUE]
        if due > 0.0:
            cb = to_minor_units(params[P_CASHBACK] * due, minor)
            if cb != 0:
                _book(book, ledger, D_CASHBACK, cash_t[cp], 0, -1, 0, cb, due, 0.0)
                acc_f[A_CASHBACK] += cb / minor
            acc_f[A_CASHBACK_DUE] = 0.0
        cp += 1
        acc_i[I_CASH_PTR] = cp
    hp = acc_i[I_HMR_PTR]
    while hp < hmr.shape[0] and hmr[hp, H_END] <= t:
        hp += 1
    acc_i[I_HMR_PTR] = hp
    return True


@jit_inline
def _book_due(rules, book, ledger, t: int, hp: int) -> int:
    """For the lean paths at quote time ``t``: book what falls due (``_due_bookings``) and return the time
    the run stays quiet until from there (0 when the tables need room or HMR window ``hp`` ended: the
    general paths take the quote; its bookings are done), also when a booking set a kernel error."""
    if not _due_bookings(rules, book, ledger, t) or book.acc_i[I_HMR_PTR] != hp or book.acc_i[I_ERROR] != 0:
        return 0
    return _quiet_until(rules, book)


@jit_inline
def _decide(book, decisions, vec_sym: int, i: int) -> bool:
    """At quote ``i``, queue the orders of the compiled target due there (if any, for symbol ``vec_sym``
    >= 0); True when a decision row was consumed. (``_Sim.set_decisions`` keeps no NaN target; a NaN
    row would keep the position.)"""
    if vec_sym < 0:
        return False
    acc_i = book.acc_i
    dp = acc_i[I_DEC_PTR]
    if dp < decisions.idx.shape[0] and decisions.idx[dp] == i:
        target = decisions.target[dp]
        if not math.isnan(target):
            _apply_target(book, vec_sym, target)
        acc_i[I_DEC_PTR] = dp + 1
        return True
    return False


@jit_inline
def _decision_due(decisions, acc_i, vec_sym: int, i: int) -> bool:
    """Whether ``_decide`` at quote ``i`` would consume a decision row (the lean path writes its
    registers back only then)."""
    dp = acc_i[I_DEC_PTR]
    return vec_sym >= 0 and dp < decisions.idx.shape[0] and decisions.idx[dp] == i


@jit_inline
def _track_extremes(rules, book, s: int, level: float) -> None:
    """The vertex of a quote of symbol ``s``: update every open position's MAE/MFE from its floating
    profit (above ``agg_i[G_FEW]`` open positions, lazily: only ``s``'s extreme prices, in O(1)), and the lowest
    margin level seen."""
    acc_f = book.acc_f
    pos_i = book.pos_i
    pos_f = book.pos_f
    lazy = _want_lazy(book)
    if lazy != (book.agg_i[G_LAZY] == 1):
        _set_lazy(rules, book, lazy)
    if lazy:
        _track_lazy(book, s)
    else:  # per position (from the totals, each one's profit was not written: value it here)
        written = book.agg_i[G_MODE] == 0
        scale = rules.params[P_ACC_SCALE]
        for k in range(book.acc_i[I_POS_HIGH]):
            if pos_i[k, PI_ACTIVE] == 1:
                pr = pos_f[k, PF_PROFIT] if written else _pos_profit(book.px, rules.sym_f, pos_i, pos_f, k, scale)[0]
                if pr < pos_f[k, PF_MAE]:
                    pos_f[k, PF_MAE] = pr
                if pr > pos_f[k, PF_MFE]:
                    pos_f[k, PF_MFE] = pr
    if level < acc_f[A_MIN_LEVEL]:
        acc_f[A_MIN_LEVEL] = level


@jit_inline
def _set_flat(book, minor: float) -> None:
    """The account with nothing open: equity is balance plus credit, no margin, no margin call."""
    acc_f = book.acc_f
    acc_i = book.acc_i
    _finish_recalc(acc_f, acc_i, 0.0, acc_i[I_BALANCE] / minor + acc_f[A_CREDIT], 0.0, -1)
    acc_i[I_MC_STATE] = 0


@jit_inline
def _slot_position(book, k: int):
    """The position in slot ``k`` as the one-symbol valuations take it: (side, lots, open price, leverage
    at the open, HMR cap, cap until)."""
    pos_i = book.pos_i
    pos_f = book.pos_f
    return (pos_i[k, PI_SIDE], pos_f[k, PF_LOTS], pos_f[k, PF_OPEN], pos_f[k, PF_LEV_OPEN], pos_f[k, PF_HMR_CAP],
            pos_i[k, PI_HMR_UNTIL])


@jit_inline
def _hmr_window(rules, acc_i):
    """The HMR interval the run is at (``acc_i[I_HMR_PTR]``) as the one-symbol valuations take it: (whether
    windows cap every open position and one is left, its start, its end, symbol 0's cap in it)."""
    hmr = rules.hmr
    hp = acc_i[I_HMR_PTR]
    h_all = rules.params[P_HMR_ALL] > 0.0 and hp < hmr.shape[0]
    return (h_all, hmr[hp, H_START] if h_all else 0, hmr[hp, H_END] if h_all else 0,
            rules.hmr_cap[hp, 0] if h_all else math.inf)


@jit_inline
def _recalc_one_symbol(rules, book) -> None:
    """``_recalc_impl`` for a run with one symbol, the common case on the lean path: the same
    arithmetic in the same order (so the same bits), position by position through the one-position
    valuation's steps (``_profit_at``, ``_lev_one``, ``_m0_one``), with the conversion factors read once
    and no per-symbol scratch table. From the totals above ``agg_i[G_FEW]`` positions, as ``_recalc_impl``."""
    if _by_totals(rules, book):
        _recalc_totals(rules, book)
        return
    book.agg_i[G_MODE] = 0
    params = rules.params
    sym_f = rules.sym_f
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    scale = params[P_ACC_SCALE]
    now = acc_i[I_NOW]
    bid = px[0, X_BID]
    ask = px[0, X_ASK]
    p_conv = _conv(px, sym_f, 0, S_P1_SYM)
    m_conv = _conv(px, sym_f, 0, S_M1_SYM)
    high = acc_i[I_POS_HIGH]
    floating = 0.0
    for k in range(high):
        if pos_i[k, PI_ACTIVE] == 1:
            position = _slot_position(book, k)
            pr = _profit_at(rules, position, bid if position[0] > 0 else ask, p_conv)
            pos_f[k, PF_PROFIT] = pr
            floating += pr
    credit = acc_f[A_CREDIT]
    equity = acc_i[I_BALANCE] / params[P_MINOR] + floating + credit
    window = _hmr_window(rules, acc_i)
    buy_margin = 0.0
    sell_margin = 0.0
    buy_lots = 0.0
    sell_lots = 0.0
    for k in range(high):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        position = _slot_position(book, k)
        side, lots = position[0], position[1]
        lev = _lev_one(rules, position, equity, now, window)
        m = _m0_one(rules, position, ask if side > 0 else bid, lev) * m_conv * scale
        pos_f[k, PF_MARGIN] = m
        if side > 0:
            buy_margin += m
            buy_lots += lots
        else:
            sell_margin += m
            sell_lots += lots
    margin = 0.0
    margin += _symbol_margin(params[P_HEDGING] > 0.0 and sym_f[0, S_HEDGE] < 1.0, buy_margin, sell_margin, buy_lots,
                             sell_lots, sym_f[0, S_HEDGE])
    _finish_recalc(acc_f, acc_i, floating, equity, margin, 0 if math.isnan(p_conv) or math.isnan(m_conv) else -1)


@jit_inline
def _quiet_run(quotes, i: int, end: int, t_stop: int, rules, book, ledger, decisions) -> int:
    """The common case, lean: quotes ``i..end-1`` with nothing to fill (no orders, no SL/TP) and no
    booking due before ``t_stop``. Each quote re-values the account and checks the margin-call and
    stop-out levels; a bar close records its series point and applies the vectorized target. Returns
    the quote it stopped *before* (prices restored; after a close whose target queued orders, just after it).
    Inlined into ``run_segment`` (its one caller), as a call passes every table of the four tuples."""
    q_time = quotes.time
    q_sym = quotes.sym
    q_bid = quotes.bid
    q_ask = quotes.ask
    q_flags = quotes.flags
    params = rules.params
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    minor = params[P_MINOR]
    mc_level = params[P_MC]
    so = params[P_SO]
    vec_sym = int(params[P_VEC_SYM])
    n_ser = ledger.ser_t.shape[0]
    need = _need(acc_i, ROOM_SERIES)  # nothing opens or closes on the way
    one_sym = rules.sym_f.shape[0] == 1
    while i < end:
        fl = q_flags[i]
        t = q_time[i]
        if t >= t_stop:
            return i
        is_close = (fl & F_CLOSE) != 0
        if is_close and n_ser - acc_i[I_N_SERIES] < need:
            return i
        s = q_sym[i]
        if px[s, X_HAVE] == 0.0:
            return i
        b0 = px[s, X_BID]
        a0 = px[s, X_ASK]
        pb0 = px[s, X_PBID]
        pa0 = px[s, X_PASK]
        px[s, X_PBID] = b0
        px[s, X_PASK] = a0
        px[s, X_BID] = q_bid[i]
        px[s, X_ASK] = q_ask[i]
        acc_i[I_NOW] = t
        if acc_i[I_N_OPEN] > 0:
            if one_sym:
                _recalc_one_symbol(rules, book)
            else:
                _recalc_impl(rules, book)
            lvl = acc_f[A_LEVEL]
            event = (_level_event(lvl, _so_level(params, acc_f), so, mc_level, acc_i[I_MC_STATE])
                     or acc_i[I_ERROR] != 0)
            if event:  # hand this quote to the full path, as if never seen
                px[s, X_BID] = b0
                px[s, X_ASK] = a0
                px[s, X_PBID] = pb0
                px[s, X_PASK] = pa0
                if acc_i[I_ERROR] != 0:
                    acc_i[I_ERROR] = 0
                return i
            _track_extremes(rules, book, s, lvl)
        else:
            _set_flat(book, minor)
        acc_i[I_QUOTES] += 1
        i += 1
        if is_close:
            record(rules, book, ledger)
            if _decide(book, decisions, vec_sym, i - 1) and acc_i[I_ORD_HIGH] > 0:
                return i
    return i


@jit_inline
def _conv_at(sym_f, col1: int, bid: float, ask: float) -> float:
    """``_conv`` for a one-symbol run at quote (bid, ask) of symbol 0 (its legs can only name symbol 0)."""
    f = 1.0
    if sym_f[0, col1] >= 0.0:
        mid = 0.5 * (bid + ask)
        f = f / mid if sym_f[0, col1 + 1] > 0.0 else f * mid
    if sym_f[0, col1 + 2] >= 0.0:
        mid = 0.5 * (bid + ask)
        f = f / mid if sym_f[0, col1 + 3] > 0.0 else f * mid
    return f


@jit_inline
def _write_back(book, prices, clock, account, k: int, position) -> None:
    """Store ``_lean_one``'s register-held state into the tables (before a decision or a booking, and
    on return): ``prices`` (bid, ask, previous bid, previous ask) of symbol 0, ``clock`` (now,
    quotes processed, MC state), ``account`` (floating, equity, margin, level, lowest level) and
    ``position`` (profit, margin, MAE, MFE) of the position in slot ``k`` (-1: none)."""
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    bid, ask, pbid, pask = prices
    now, quotes, mc_state = clock
    floating, equity, margin, level, min_level = account
    px[0, X_BID] = bid
    px[0, X_ASK] = ask
    px[0, X_PBID] = pbid
    px[0, X_PASK] = pask
    acc_i[I_NOW] = now
    acc_i[I_QUOTES] = quotes
    acc_i[I_MC_STATE] = mc_state
    acc_f[A_FLOATING] = floating
    acc_f[A_EQUITY] = equity
    acc_f[A_MARGIN] = margin
    acc_f[A_FREE] = equity - margin
    acc_f[A_LEVEL] = level
    acc_f[A_MIN_LEVEL] = min_level
    if k >= 0:
        pos_f = book.pos_f
        pr, m, mae, mfe = position
        pos_f[k, PF_PROFIT] = pr
        pos_f[k, PF_MARGIN] = m
        pos_f[k, PF_MAE] = mae
        pos_f[k, PF_MFE] = mfe


BUCKET_MAX = 1 << 16
"""The most quotes ``_bucket`` reads ahead for one skip (a run without bar closes is cut into such blocks)."""


@jit_inline
def _bucket(q_flags, q_bid, q_ask, i: int, end: int):
    """Quotes ``i..e`` up to the first bar close at or after ``i`` (at most ``BUCKET_MAX`` quotes, at most
    ``end - 1``): ``e`` and their bid low, bid high, ask low, ask high, and whether a price was NaN. One
    tight pass over the prices, at memory speed: the trigger-price scan of ``_lean_one``."""
    blo = bhi = q_bid[i]
    alo = ahi = q_ask[i]
    nan = False
    lim = min(end, i + BUCKET_MAX) - 1
    j = i
    while True:
        b = q_bid[j]
        a = q_ask[j]
        blo = b if b < blo else blo
        bhi = b if b > bhi else bhi
        alo = a if a < alo else alo
        ahi = a if a > ahi else ahi
        nan = nan or b != b or a != a
        if (q_flags[j] & F_CLOSE) != 0 or j >= lim:
            break
        j += 1
    return j, blo, bhi, alo, ahi, nan


@jit_inline
def _bands_descend(band_floor, band_lev, n_bands: int) -> bool:
    """Whether symbol 0's equity bands have ascending floors and non-increasing leverage, so that the
    band leverage is monotone in equity (two equities in the same band bound every one between)."""
    for b in range(1, n_bands):
        if band_floor[0, b] < band_floor[0, b - 1] or band_lev[0, b] > band_lev[0, b - 1]:
            return False
    return True


@jit_inline
def _profit_at(rules, position, close: float, p_conv: float) -> float:
    """The profit of the one open position ``position`` (as ``_value_one``) at ``close``, in the account
    currency with conversion factor ``p_conv``: ``recalc``'s arithmetic."""
    side, lots, opn = position[0], position[1], position[2]
    return profit_in_profit_ccy(side, lots, rules.sym_f[0, S_CS], opn, close) * p_conv * rules.params[P_ACC_SCALE]


@jit_inline
def _equity_one(rules, position, close: float, p_conv: float, balance: float, credit: float):
    """The one open position's profit at ``close`` (``_profit_at``), the floating profit and the equity."""
    pr = _profit_at(rules, position, close, p_conv)
    floating = 0.0
    floating += pr
    return pr, floating, balance + floating + credit


@jit_inline
def _lev_one(rules, position, equity: float, t: int, window) -> float:
    """The one open position's leverage at ``equity`` and time ``t`` in HMR ``window`` (all, start, end,
    cap): the tightest of the symbol's cap, its equity band (or the band at the open) and the caps."""
    lev_open, pos_cap, until = position[3], position[4], position[5]
    h_all, h_start, h_end, h_cap = window
    sym_f = rules.sym_f
    band = math.inf
    n_bands = int(sym_f[0, S_N_BANDS])
    if n_bands > 0:
        band = (_band_lev(rules.band_floor, rules.band_lev, 0, n_bands, equity)
                if sym_f[0, S_BANDS_REPRICE] > 0.0 else lev_open)
    window_cap = h_cap if h_all and h_start <= t < h_end else math.inf
    return _pos_leverage(sym_f[0, S_STATIC_CAP], band, window_cap, t, until, pos_cap)


@jit_inline
def _m0_one(rules, position, m_price: float, lev: float) -> float:
    """The one open position's margin in its margin currency at ``m_price`` and leverage ``lev`` (a
    fixed-margin instrument: its fixed rate, leverage aside)."""
    lots = position[1]
    sym_f = rules.sym_f
    mode = int(sym_f[0, S_MODE])
    fixed = sym_f[0, S_FIXED_RATE]
    if not math.isnan(fixed):
        return margin_in_margin_ccy(_margin_mode(mode), lots, sym_f[0, S_CS], m_price, 1.0, fixed)
    return margin_in_margin_ccy(mode, lots, sym_f[0, S_CS], m_price, lev, sym_f[0, S_MRATE])


@jit_inline
def _m0_price_free(rules) -> bool:
    """Whether ``_m0_one`` does not depend on the price (the forex formulas: lots x CS / leverage x rate)."""
    sym_f = rules.sym_f
    mode = int(sym_f[0, S_MODE])
    if not math.isnan(sym_f[0, S_FIXED_RATE]):
        mode = _margin_mode(mode)
    return mode == FOREX or mode == FOREX_NO_LEVERAGE


@jit_inline
def _margin_one(rules, position, m0: float, m_conv: float, equity: float, credit: float):
    """From the margin in the margin currency ``m0``: (position margin, account margin, level, stop-out level)."""
    side, lots = position[0], position[1]
    params = rules.params
    hedge = rules.sym_f[0, S_HEDGE]
    m = m0 * m_conv * params[P_ACC_SCALE]
    buy_margin = 0.0
    sell_margin = 0.0
    buy_lots = 0.0
    sell_lots = 0.0
    if side > 0:
        buy_margin += m
        buy_lots += lots
    else:
        sell_margin += m
        sell_lots += lots
    margin = 0.0
    margin += _symbol_margin(params[P_HEDGING] > 0.0 and hedge < 1.0, buy_margin, sell_margin, buy_lots, sell_lots,
                             hedge)
    level = equity / margin * 100.0 if margin > 0.0 else math.inf
    return m, margin, level, _so_level_of(equity, credit, margin, params[P_SO_CREDIT] != 0.0)


@jit_inline
def _value_one(rules, position, close: float, m_price: float, p_conv: float, m_conv: float, t: int, window,
               balance: float, credit: float):
    """The account with one open position of symbol 0 (``position``: side, lots, open price, leverage at
    the open, HMR cap, cap until), its profit taken at ``close`` and its margin at ``m_price``, with the
    conversion factors given, at time ``t`` in HMR ``window`` (all, start, end, cap): (profit, floating,
    equity, position margin, margin, level, stop-out level). ``recalc``'s arithmetic in its order (so its
    bits), for ``_lean_one``'s quotes and the bounds of ``_quiet_bucket``."""
    pr, floating, equity = _equity_one(rules, position, close, p_conv, balance, credit)
    m0 = _m0_one(rules, position, m_price, _lev_one(rules, position, equity, t, window))
    m, margin, level, so_level = _margin_one(rules, position, m0, m_conv, equity, credit)
    return pr, floating, equity, m, margin, level, so_level


@jit_inline
def _quiet_bucket(rules, position, prices, times, account, window, m_inverted: bool):
    """Whether the open position ``position`` (as ``_value_one``) provably changes nothing over a bucket
    with bid/ask range ``prices`` (bid low, bid high, ask low, ask high) between ``times`` (first, last):
    no margin call or stop-out and no new lowest margin level for ``account`` (balance, credit, lowest
    level, MC state) in HMR ``window``; and the position's worst and best profit over it (exact: with no
    profit conversion the profit moves with one price).

    Each bound is ``_value_one`` at the range's worst prices (lowest equity, highest margin: the margin
    price and conversion mid at their highs, or lows for an inverted leg). Every step is monotone in its
    inputs under IEEE rounding, so the bounds hold for every quote in the bucket. Leverage must be the
    same at both ends (bands, windows, the position's cap)."""
    side, lots, opn, lev_open, pos_cap, until = position
    blo, bhi, alo, ahi = prices
    t0, t1 = times
    balance, credit, min_level, mc_state = account
    h_all, h_start, h_end, h_cap = window
    params = rules.params
    sym_f = rules.sym_f
    m_conv = _conv_at(sym_f, S_M1_SYM, blo, alo) if m_inverted else _conv_at(sym_f, S_M1_SYM, bhi, ahi)
    pr_w, _, eq_lo, _, mg_hi, lvl_lo, so_lo = _value_one(rules, position, blo if side > 0 else ahi,
                                                         ahi if side > 0 else bhi, 1.0, m_conv, t1, window,
                                                         balance, credit)
    pr_b, _, eq_hi, _, _, _, _ = _value_one(rules, position, bhi if side > 0 else alo, ahi if side > 0 else bhi,
                                            1.0, m_conv, t1, window, balance, credit)
    n_bands = int(sym_f[0, S_N_BANDS])
    same_band = (n_bands == 0 or sym_f[0, S_BANDS_REPRICE] <= 0.0
                 or _band_lev(rules.band_floor, rules.band_lev, 0, n_bands, eq_lo)
                 == _band_lev(rules.band_floor, rules.band_lev, 0, n_bands, eq_hi))
    same_cap = (h_all and h_start <= t0 < h_end) == (h_all and h_start <= t1 < h_end) and (t0 < until) == (t1 < until)
    mc_level = params[P_MC]
    ok = (mc_state == 0 and eq_lo > 0.0 and (params[P_SO_CREDIT] != 0.0 or eq_lo - credit >= 0.0) and same_band
          and same_cap and so_lo > params[P_SO] and (math.isnan(mc_level) or lvl_lo >= mc_level)
          and lvl_lo >= min_level and not math.isnan(lvl_lo))
    return ok, pr_w, pr_b


@jit_inline
def _bounded(rules, position, prices, times, account, window, m_inverted: bool, box):
    """``_quiet_bucket`` for a bucket of ``_lean_one``, through the price ``box`` already proven quiet
    (bid low, bid high, ask low, ask high, before the position's own cap ends, and the position's
    leverage and price-free margin in the margin currency (NaN: it depends on the price) over it): a
    bucket inside it needs no bounds. Else its bounds, and when quiet a new box: the bucket's ranges
    widened by twice their width where that is quiet too, else the bucket's. Returns (quiet, worst
    profit, best profit, box)."""
    side = position[0]
    until = position[5]
    blo, bhi, alo, ahi = prices
    t0, t1 = times
    early = t1 < until
    if (blo >= box[0] and bhi <= box[1] and alo >= box[2] and ahi <= box[3] and (t0 < until) == early
            and early == box[4]):
        pr_w = _profit_at(rules, position, blo if side > 0 else ahi, 1.0)
        pr_b = _profit_at(rules, position, bhi if side > 0 else alo, 1.0)
        return True, pr_w, pr_b, box
    quiet, pr_w, pr_b = _quiet_bucket(rules, position, prices, times, account, window, m_inverted)
    if quiet:
        w = 2.0 * ((bhi - blo) + (ahi - alo))
        if not (w > 0.0 and blo - w > 0.0 and alo - w > 0.0 and _quiet_bucket(
                rules, position, (blo - w, bhi + w, alo - w, ahi + w), times, account, window, m_inverted)[0]):
            w = 0.0
        # one band over the box (the bounds checked it), so one leverage
        lev = _lev_one(rules, position, _equity_one(rules, position, blo if side > 0 else ahi, 1.0, account[0],
                                                    account[1])[2], t1, window)
        m0 = _m0_one(rules, position, ahi, lev) if _m0_price_free(rules) else math.nan
        box = (blo - w, bhi + w, alo - w, ahi + w, early, lev, m0)
    return quiet, pr_w, pr_b, box


@jit_inline
def _lean_one(quotes, i: int, end: int, t_stop: int, rules, book, ledger, decisions) -> int:
    """``_quiet_run`` for a run with one symbol and at most one open position - most bars of most
    strategies - with the account held in local variables: the same arithmetic as ``recalc`` in
    the same order (so the same bits), written back to the tables before a decision or a booking and
    on return (series points are written from the registers). Stops before the first quote where
    anything happens, like ``_quiet_run``; the caller goes on with the general paths from there.
    Inlined, as ``_quiet_run``."""
    q_time = quotes.time
    q_bid = quotes.bid
    q_ask = quotes.ask
    q_flags = quotes.flags
    params = rules.params
    sym_f = rules.sym_f
    band_floor = rules.band_floor
    band_lev = rules.band_lev
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    if acc_i[I_N_OPEN] > 1 or acc_i[I_N_OPEN] > book.agg_i[G_FEW] or px[0, X_HAVE] == 0.0:
        return i  # (valued from the totals: the general paths)
    vec_sym = int(params[P_VEC_SYM])
    n_ser = ledger.ser_t.shape[0]
    need = _need(acc_i, ROOM_SERIES)
    minor = params[P_MINOR]
    mc_level = params[P_MC]
    so = params[P_SO]
    credit = acc_f[A_CREDIT]
    balance = acc_i[I_BALANCE] / minor
    bid = px[0, X_BID]
    ask = px[0, X_ASK]
    pbid = px[0, X_PBID]
    pask = px[0, X_PASK]
    now = acc_i[I_NOW]
    n_quotes = acc_i[I_QUOTES]
    mc_state = acc_i[I_MC_STATE]
    min_level = acc_f[A_MIN_LEVEL]
    floating = acc_f[A_FLOATING]
    equity = acc_f[A_EQUITY]
    margin = acc_f[A_MARGIN]
    level = acc_f[A_LEVEL]
    k = -1
    for j in range(acc_i[I_POS_HIGH]):
        if pos_i[j, PI_ACTIVE] == 1:
            k = j
    # the position (fixed between bookings)
    position = (0, 0.0, 0.0, 0.0, 0.0, 0)
    pr = m = mae = mfe = 0.0
    if k >= 0:
        position = _slot_position(book, k)
        pr = pos_f[k, PF_PROFIT]
        m = pos_f[k, PF_MARGIN]
        mae = pos_f[k, PF_MAE]
        mfe = pos_f[k, PF_MFE]
    side = position[0]
    n_bands = int(sym_f[0, S_N_BANDS])
    reprice = sym_f[0, S_BANDS_REPRICE] > 0.0
    hp = acc_i[I_HMR_PTR]
    window = _hmr_window(rules, acc_i)
    # The trigger-price scan: a bucket (the quotes up to the next bar close) whose price range provably
    # changes nothing - no margin call or stop-out, no new lowest margin level - is read once for its
    # extremes and only its close is valued. The bounds are the per-quote arithmetic at the range's
    # worst prices; every step of it is monotone in the price (IEEE rounding is monotone), so they hold
    # for every quote in the bucket, and MAE/MFE come out of the extremes exactly. It needs a profit in
    # the account currency without conversion (the profit then moves with one price) and at most one
    # margin conversion leg (monotone in the mid).
    p_const = sym_f[0, S_P1_SYM] < 0.0 and sym_f[0, S_P1_SYM + 2] < 0.0
    m_leg1 = sym_f[0, S_M1_SYM] >= 0.0
    m_leg2 = sym_f[0, S_M1_SYM + 2] >= 0.0
    m_inverted = (m_leg1 and sym_f[0, S_M1_SYM + 1] > 0.0) or (m_leg2 and sym_f[0, S_M1_SYM + 3] > 0.0)
    can_skip = p_const and not (m_leg1 and m_leg2) and (
        n_bands == 0 or not reprice or _bands_descend(band_floor, band_lev, n_bands))
    # A price box proven quiet by the same bounds (the bid and ask ranges, before or after the position's
    # own HMR cap ends) spares the bounds of every bucket inside it. It holds until a booking (balance,
    # credit, HMR window); the lowest margin level only falls, so its own test stays true.
    no_box = (math.inf, -math.inf, math.inf, -math.inf, False, math.nan, math.nan)
    box = no_box
    while i < end:
        safe = False
        if can_skip and (q_flags[i] & F_CLOSE) == 0:
            e, blo, bhi, alo, ahi, nan = _bucket(q_flags, q_bid, q_ask, i, end)
            t0 = q_time[i]
            t1 = q_time[e]
            safe = e > i and t1 < t_stop and not nan and blo > 0.0 and alo > 0.0  # (bounds need prices > 0)
            if safe and k >= 0:
                safe, pr_w, pr_b, box = _bounded(rules, position, (blo, bhi, alo, ahi), (t0, t1),
                                                 (balance, credit, min_level, mc_state), window, m_inverted, box)
                if safe:
                    if pr_w < mae:
                        mae = pr_w
                    if pr_b > mfe:
                        mfe = pr_b
            if safe:  # on to the bucket's last quote, valued below as if every quote before it had been
                bid = q_bid[e - 1]
                ask = q_ask[e - 1]
                now = q_time[e - 1]
                n_quotes += e - i
                i = e
        t = q_time[i]
        fl = q_flags[i]
        if t >= t_stop:  # a booking is due (a rollover's swaps, cashback): book it here, as the full path
            # would before this quote, and go on if the run is still quiet after it with the same HMR window
            _write_back(book, (bid, ask, pbid, pask), (now, n_quotes, mc_state),
                        (floating, equity, margin, level, min_level), k, (pr, m, mae, mfe))
            t_stop = _book_due(rules, book, ledger, t, hp)
            if t >= t_stop:
                return i
            balance = acc_i[I_BALANCE] / minor
            credit = acc_f[A_CREDIT]
            box = no_box
        is_close = (fl & F_CLOSE) != 0
        if is_close and n_ser - acc_i[I_N_SERIES] < need:
            break
        b1 = q_bid[i]
        a1 = q_ask[i]
        if k >= 0:
            m_conv = _conv_at(sym_f, S_M1_SYM, b1, a1)
            if safe:  # inside a quiet box: no event to look for, the profit needs no conversion, one leverage
                pr1, fl1, eq1 = _equity_one(rules, position, b1 if side > 0 else a1, 1.0, balance, credit)
                m0 = box[6] if not math.isnan(box[6]) else _m0_one(rules, position, a1 if side > 0 else b1, box[5])
                m1, mg1, lvl1, _ = _margin_one(rules, position, m0, m_conv, eq1, credit)
            else:
                p_conv = _conv_at(sym_f, S_P1_SYM, b1, a1)
                pr1, fl1, eq1, m1, mg1, lvl1, so_lvl = _value_one(rules, position, b1 if side > 0 else a1,
                                                                  a1 if side > 0 else b1, p_conv, m_conv, t, window,
                                                                  balance, credit)
                if _level_event(lvl1, so_lvl, so, mc_level, mc_state) or math.isnan(p_conv) or math.isnan(m_conv):
                    break  # the general paths take this quote
            pr = pr1
            m = m1
            floating = fl1
            equity = eq1
            margin = mg1
            level = lvl1
            if pr < mae:
                mae = pr
            if pr > mfe:
                mfe = pr
            if level < min_level:
                min_level = level
        else:
            floating = 0.0
            equity = balance + credit
            margin = 0.0
            level = math.inf
            mc_state = 0
        pbid = bid
        pask = ask
        bid = b1
        ask = a1
        now = t
        n_quotes += 1
        i += 1
        if is_close:  # the series point from the registers; the tables are written back for a decision
            record_point(ledger, acc_i, now, balance, equity, margin, equity - margin, level)
            if _decision_due(decisions, acc_i, vec_sym, i - 1):
                _write_back(book, (bid, ask, pbid, pask), (now, n_quotes, mc_state),
                            (floating, equity, margin, level, min_level), k, (pr, m, mae, mfe))
                if _decide(book, decisions, vec_sym, i - 1) and acc_i[I_ORD_HIGH] > 0:
                    return i
    _write_back(book, (bid, ask, pbid, pask), (now, n_quotes, mc_state), (floating, equity, margin, level, min_level),
                k, (pr, m, mae, mfe))
    return i
