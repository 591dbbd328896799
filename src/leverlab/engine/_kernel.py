"""The compiled account simulator: every quote between two decisions, with the full margin model.

``run_segment`` walks quotes ``start..end`` of a merged quote stream (time, symbol, bid, ask,
flags) and does all per-quote accounting: queued market orders, pending orders, SL/TP, margin
(re-priced at current rates, equity bands, HMR windows, hedged margin), margin call, stop-out
(worst floating loss first, re-checking after each close), NBP, swaps at rollover instants,
cashback, MAE/MFE, and the recorded series. State lives in struct-of-arrays tables (see
``_layout``) that persist between calls, so Python can stop at each bar close, let a strategy
decide, write orders into the tables and resume. Nothing is allocated per quote.

On a bar path (quotes flagged ``F_CONT``) the price moves continuously between vertices: a level
crossed inside a segment fills at the level, and a stop-out fires at the exact crossing price
(found by bisection). On ticks every move is a gap: fills happen at the quote.
"""

from __future__ import annotations

import math

import numpy as np
from ._jit import jit, jit_inline
from ._layout import (
    A_CASHBACK, A_CASHBACK_DUE, A_COST_COMMISSION, A_COST_SPREAD, A_COST_SWAP, A_CREDIT, A_EQUITY, A_FLOATING,
    A_FREE, A_LEVEL, A_MARGIN, A_MIN_LEVEL, A_NBP, D_CASHBACK, D_CLOSE, D_COMMISSION, D_NBP, D_OPEN, D_SWAP,
    DF_LOTS, DF_PRICE, DI_AMOUNT, DI_BALANCE, DI_KIND, DI_POS_ID, DI_SIDE, DI_SYM, DI_TIME, E_MARGIN_CALL,
    E_NBP, E_PENDING_DELETED, E_REJECT, E_STOP_OUT, EF_AMOUNT, EF_EQUITY, EF_LEVEL, EF_PRICE, EI_REASON,
    EI_REF, EI_SYM, EI_TIME, EI_TYPE, ERR_NO_RATE, F_CLOSE, F_CONT, F_OPEN, H_END, H_NEW_UNTIL, H_START, I_BALANCE, I_CASH_PTR, I_DEC_PTR,
    I_ERROR, I_ERROR_ARG, I_HMR_PTR, I_MC_STATE, I_N_DEALS, I_N_EVENTS, I_N_OPEN, I_N_SERIES, I_N_TRADES,
    I_NEXT_ORDER_ID, I_NEXT_POS_ID, I_NOW, I_ORD_HIGH, I_POS_HIGH, I_QUOTES, I_ROLL_PTR, I_STRIDE_CTR, OF_LOTS,
    OF_PRICE, OF_SL, OF_TP, OI_ACTIVE, OI_ID, OI_POS_ID, OI_SIDE, OI_SYM, OI_TAG, OI_TIME, OI_TYPE, OT_CLOSE,
    OT_LIMIT, OT_MARKET, OT_STOP, P_ACC_SCALE, P_CASHBACK, P_CASHBACK_PER_TRADE, P_COMMISSION, P_DEL_PENDING,
    P_HEDGING, P_HMR_ALL, P_MC, P_MINOR, P_NBP, P_PESSIMISTIC, P_SLIPPAGE, P_SO, P_SO_CREDIT, P_STRIDE,
    P_LEAN, P_SWAP_FREE, P_VEC_SYM, PF_HMR_CAP, PF_LEV_OPEN, PF_LOTS, PF_MAE, PF_MARGIN, PF_MFE, PF_OPEN, PF_PROFIT, PF_SL, PF_TP,
    PI_ACTIVE, PI_COMM_MINOR, PI_HMR_UNTIL, PI_ID, PI_OPEN_TIME, PI_SIDE, PI_SWAP_MINOR, PI_SYM, R_SIGNAL,
    R_SL, R_STOP_OUT, R_TP, REJ_NO_MONEY, S_BANDS_REPRICE, S_C1_SYM, S_CS, S_FIXED_RATE, S_HEDGE,
    S_M1_SYM, S_MODE, S_MRATE, S_N_BANDS, S_P1_SYM, S_POINT, S_STATIC_CAP, S_SWAP_LONG, S_SWAP_MODE,
    S_SWAP_SHORT, SR_BALANCE, SR_EQUITY, SR_FREE, SR_LEVEL, SR_MARGIN, TF_CLOSE, TF_LOTS, TF_MAE, TF_MFE,
    TF_OPEN, TI_CLOSE_TIME, TI_COMM, TI_OPEN_TIME, TI_POS_ID, TI_PROFIT, TI_REASON, TI_SIDE, TI_SWAP, TI_SYM,
    X_ASK, X_BID, X_HAVE, X_PASK, X_PBID,
)
from .formulas import CFD, FOREX, FOREX_NO_LEVERAGE, hedged_margin, margin_in_margin_ccy, profit_in_profit_ccy

LOT_EPS = 1e-9


@jit
def to_minor_units(amount: float, minor: float) -> int:
    """Round an amount to integer minor units, half away from zero, as ``money.round_money`` does.

    The product is first rounded to 6 decimals so float noise (10.005 * 100 = 1000.4999...)
    rounds the way the decimal amount does.
    """
    y = np.round(amount * minor, 6)
    if y >= 0.0:
        return np.int64(math.floor(y + 0.5))
    return -np.int64(math.floor(-y + 0.5))


@jit_inline
def _leg(px, sym: float, inv: float, f: float) -> float:
    if sym < 0.0:
        return f
    s = int(sym)
    if px[s, X_HAVE] == 0.0:
        return math.nan
    mid = 0.5 * (px[s, X_BID] + px[s, X_ASK])
    if inv > 0.0:
        return f / mid
    return f * mid


@jit_inline
def _conv(px, sym_f, s: int, col1: int) -> float:
    """Factor from a symbol's margin/profit/commission currency to the account's underlying currency."""
    f = _leg(px, sym_f[s, col1], sym_f[s, col1 + 1], 1.0)
    return _leg(px, sym_f[s, col1 + 2], sym_f[s, col1 + 3], f)


@jit
def _set_error(acc_i, code: int, arg: int) -> None:
    if acc_i[I_ERROR] == 0:
        acc_i[I_ERROR] = code
        acc_i[I_ERROR_ARG] = arg


@jit
def _in_window(hmr, acc_i, now: int) -> int:
    """Row of the HMR interval containing ``now`` (-1 when outside every window)."""
    p = acc_i[I_HMR_PTR]
    if p < hmr.shape[0] and hmr[p, H_START] <= now < hmr[p, H_END]:
        return p
    return -1


@jit
def _band_leverage(band_floor, band_lev, s: int, nb: int, equity: float) -> float:
    j = 0
    for b in range(nb):
        if equity >= band_floor[s, b]:
            j = b
    return band_lev[s, j]


@jit
def recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch,
           track: bool) -> None:
    """Re-value every open position: floating profit, margin (account units), equity, level."""
    _recalc_impl(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, track)


@jit_inline
def _recalc_impl(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch,
                 track: bool) -> None:
    """``recalc``'s body, inlined into the per-quote loop (a call with a dozen arrays costs more
    than the work itself)."""
    scale = params[P_ACC_SCALE]
    minor = params[P_MINOR]
    now = acc_i[I_NOW]
    floating = 0.0
    bad = -1  # a symbol whose conversion rate is missing (reported once, after the loops)
    high = acc_i[I_POS_HIGH]
    for k in range(high):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        s = pos_i[k, PI_SYM]
        side = pos_i[k, PI_SIDE]
        close = px[s, X_BID] if side > 0 else px[s, X_ASK]
        pc = _conv(px, sym_f, s, S_P1_SYM)
        if math.isnan(pc):
            bad = s
        pr = profit_in_profit_ccy(side, pos_f[k, PF_LOTS], sym_f[s, S_CS], pos_f[k, PF_OPEN], close) * pc * scale
        pos_f[k, PF_PROFIT] = pr
        if track:
            if pr < pos_f[k, PF_MAE]:
                pos_f[k, PF_MAE] = pr
            if pr > pos_f[k, PF_MFE]:
                pos_f[k, PF_MFE] = pr
        floating += pr
    credit = acc_f[A_CREDIT]
    equity = acc_i[I_BALANCE] / minor + floating + credit
    n_sym = sym_f.shape[0]
    for s in range(n_sym):
        scratch[s, 0] = 0.0
        scratch[s, 1] = 0.0
        scratch[s, 2] = 0.0
        scratch[s, 3] = 0.0
        nb = int(sym_f[s, S_N_BANDS])
        blev = math.inf
        if nb > 0:
            j = 0
            for b in range(nb):
                if equity >= band_floor[s, b]:
                    j = b
            blev = band_lev[s, j]
        scratch[s, 4] = blev
    in_win = False
    hp = acc_i[I_HMR_PTR]
    if params[P_HMR_ALL] > 0.0:
        in_win = hp < hmr.shape[0] and hmr[hp, H_START] <= now < hmr[hp, H_END]
    for k in range(high):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        s = pos_i[k, PI_SYM]
        side = pos_i[k, PI_SIDE]
        lots = pos_f[k, PF_LOTS]
        price = px[s, X_ASK] if side > 0 else px[s, X_BID]
        mode = int(sym_f[s, S_MODE])
        fixed = sym_f[s, S_FIXED_RATE]
        if not math.isnan(fixed):
            m = margin_in_margin_ccy(FOREX if mode == FOREX or mode == FOREX_NO_LEVERAGE else CFD,
                                     lots, sym_f[s, S_CS], price, 1.0, fixed)
        else:
            lev = sym_f[s, S_STATIC_CAP]
            if sym_f[s, S_N_BANDS] > 0:
                blev = scratch[s, 4] if sym_f[s, S_BANDS_REPRICE] > 0.0 else pos_f[k, PF_LEV_OPEN]
                if blev < lev:
                    lev = blev
            if in_win:  # windows on every open position
                cap = hmr_cap[hp, s]
                if cap < lev:
                    lev = cap
            if now < pos_i[k, PI_HMR_UNTIL]:  # the windows it was opened in
                cap = pos_f[k, PF_HMR_CAP]
                if cap < lev:
                    lev = cap
            m = margin_in_margin_ccy(mode, lots, sym_f[s, S_CS], price, lev, sym_f[s, S_MRATE])
        mc = _conv(px, sym_f, s, S_M1_SYM)
        if math.isnan(mc):
            bad = s
        m = m * mc * scale
        pos_f[k, PF_MARGIN] = m
        if side > 0:
            scratch[s, 0] += m
            scratch[s, 2] += lots
        else:
            scratch[s, 1] += m
            scratch[s, 3] += lots
    margin = 0.0
    hedging = params[P_HEDGING] > 0.0
    for s in range(n_sym):
        if hedging and sym_f[s, S_HEDGE] < 1.0:
            margin += hedged_margin(scratch[s, 0], scratch[s, 1], scratch[s, 2], scratch[s, 3], sym_f[s, S_HEDGE])
        else:
            margin += scratch[s, 0] + scratch[s, 1]
    if bad >= 0 and acc_i[I_ERROR] == 0:
        acc_i[I_ERROR] = ERR_NO_RATE
        acc_i[I_ERROR_ARG] = bad
    acc_f[A_FLOATING] = floating
    acc_f[A_EQUITY] = equity
    acc_f[A_MARGIN] = margin
    acc_f[A_FREE] = equity - margin
    acc_f[A_LEVEL] = equity / margin * 100.0 if margin > 0.0 else math.inf


@jit_inline
def _recalc_one_symbol(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap) -> None:
    """``_recalc_impl`` for a run with one symbol, the common case on the lean path: the same
    arithmetic in the same order (so the same bits), with the symbol's constants and conversion
    factors read once instead of per position and no per-symbol scratch table."""
    scale = params[P_ACC_SCALE]
    minor = params[P_MINOR]
    now = acc_i[I_NOW]
    bid = px[0, X_BID]
    ask = px[0, X_ASK]
    cs = sym_f[0, S_CS]
    pc = _conv(px, sym_f, 0, S_P1_SYM)
    high = acc_i[I_POS_HIGH]
    floating = 0.0
    for k in range(high):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        side = pos_i[k, PI_SIDE]
        close = bid if side > 0 else ask
        pr = profit_in_profit_ccy(side, pos_f[k, PF_LOTS], cs, pos_f[k, PF_OPEN], close) * pc * scale
        pos_f[k, PF_PROFIT] = pr
        floating += pr
    credit = acc_f[A_CREDIT]
    equity = acc_i[I_BALANCE] / minor + floating + credit
    nb = int(sym_f[0, S_N_BANDS])
    blev_now = math.inf
    if nb > 0:
        j = 0
        for b in range(nb):
            if equity >= band_floor[0, b]:
                j = b
        blev_now = band_lev[0, j]
    in_win = False
    hp = acc_i[I_HMR_PTR]
    if params[P_HMR_ALL] > 0.0:
        in_win = hp < hmr.shape[0] and hmr[hp, H_START] <= now < hmr[hp, H_END]
    mode = int(sym_f[0, S_MODE])
    fixed = sym_f[0, S_FIXED_RATE]
    has_fixed = not math.isnan(fixed)
    fmode = FOREX if mode == FOREX or mode == FOREX_NO_LEVERAGE else CFD
    static = sym_f[0, S_STATIC_CAP]
    reprice = sym_f[0, S_BANDS_REPRICE] > 0.0
    mrate = sym_f[0, S_MRATE]
    mc = _conv(px, sym_f, 0, S_M1_SYM)
    bm = 0.0
    sm = 0.0
    bl = 0.0
    sl = 0.0
    for k in range(high):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        side = pos_i[k, PI_SIDE]
        lots = pos_f[k, PF_LOTS]
        price = ask if side > 0 else bid
        if has_fixed:
            m = margin_in_margin_ccy(fmode, lots, cs, price, 1.0, fixed)
        else:
            lev = static
            if nb > 0:
                blev = blev_now if reprice else pos_f[k, PF_LEV_OPEN]
                if blev < lev:
                    lev = blev
            if in_win:
                cap = hmr_cap[hp, 0]
                if cap < lev:
                    lev = cap
            if now < pos_i[k, PI_HMR_UNTIL]:
                cap = pos_f[k, PF_HMR_CAP]
                if cap < lev:
                    lev = cap
            m = margin_in_margin_ccy(mode, lots, cs, price, lev, mrate)
        m = m * mc * scale
        pos_f[k, PF_MARGIN] = m
        if side > 0:
            bm += m
            bl += lots
        else:
            sm += m
            sl += lots
    margin = 0.0
    if params[P_HEDGING] > 0.0 and sym_f[0, S_HEDGE] < 1.0:
        margin += hedged_margin(bm, sm, bl, sl, sym_f[0, S_HEDGE])
    else:
        margin += bm + sm
    if (math.isnan(pc) or math.isnan(mc)) and acc_i[I_ERROR] == 0:
        acc_i[I_ERROR] = ERR_NO_RATE
        acc_i[I_ERROR_ARG] = 0
    acc_f[A_FLOATING] = floating
    acc_f[A_EQUITY] = equity
    acc_f[A_MARGIN] = margin
    acc_f[A_FREE] = equity - margin
    acc_f[A_LEVEL] = equity / margin * 100.0 if margin > 0.0 else math.inf


@jit_inline
def _so_level(params, acc_f) -> float:
    """Margin level as the stop-out rule sees it (credit excluded where the broker excludes it)."""
    if acc_f[A_MARGIN] <= 0.0:
        return math.inf
    eq = acc_f[A_EQUITY]
    if params[P_SO_CREDIT] == 0.0:
        eq -= acc_f[A_CREDIT]
    return eq / acc_f[A_MARGIN] * 100.0


@jit
def _book(acc_i, deal_i, deal_f, kind: int, t: int, pos_id: int, s: int, side: int, amount: int,
          lots: float, price: float) -> None:
    """Append a deal and apply its amount (minor units) to the balance."""
    n = acc_i[I_N_DEALS]
    acc_i[I_BALANCE] += amount
    deal_i[n, DI_TIME] = t
    deal_i[n, DI_KIND] = kind
    deal_i[n, DI_POS_ID] = pos_id
    deal_i[n, DI_AMOUNT] = amount
    deal_i[n, DI_BALANCE] = acc_i[I_BALANCE]
    deal_i[n, DI_SYM] = s
    deal_i[n, DI_SIDE] = side
    deal_f[n, DF_LOTS] = lots
    deal_f[n, DF_PRICE] = price
    acc_i[I_N_DEALS] = n + 1


@jit
def _event(acc_i, acc_f, ev_i, ev_f, typ: int, t: int, s: int, ref: int, reason: int, price: float,
           level: float, amount: float) -> None:
    n = acc_i[I_N_EVENTS]
    ev_i[n, EI_TIME] = t
    ev_i[n, EI_TYPE] = typ
    ev_i[n, EI_SYM] = s
    ev_i[n, EI_REF] = ref
    ev_i[n, EI_REASON] = reason
    ev_f[n, EF_PRICE] = price
    ev_f[n, EF_LEVEL] = level
    ev_f[n, EF_AMOUNT] = amount
    ev_f[n, EF_EQUITY] = acc_f[A_EQUITY]
    acc_i[I_N_EVENTS] = n + 1


@jit
def record(params, acc_f, acc_i, ser_t, ser_f) -> None:
    """Append one point to the balance/equity/margin/free-margin/margin-level series (``ser_f`` holds
    one row per quantity, so each is a contiguous array for the Result)."""
    n = acc_i[I_N_SERIES]
    ser_t[n] = acc_i[I_NOW]
    ser_f[SR_BALANCE, n] = acc_i[I_BALANCE] / params[P_MINOR]
    ser_f[SR_EQUITY, n] = acc_f[A_EQUITY]
    ser_f[SR_MARGIN, n] = acc_f[A_MARGIN]
    ser_f[SR_FREE, n] = acc_f[A_FREE]
    lvl = acc_f[A_LEVEL]
    ser_f[SR_LEVEL, n] = lvl if lvl < math.inf else math.nan
    acc_i[I_N_SERIES] = n + 1


@jit
def _commission(params, sym_f, px, acc_i, s: int, lots: float) -> int:
    """Commission for one side of ``lots`` in account minor units (negative: a charge)."""
    c = params[P_COMMISSION]
    if c == 0.0:
        return 0
    f = _conv(px, sym_f, s, S_C1_SYM)
    if math.isnan(f):
        _set_error(acc_i, ERR_NO_RATE, s)
        return 0
    return -to_minor_units(c * lots * f * params[P_ACC_SCALE], params[P_MINOR])


@jit
def close_position(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f,
                   k: int, lots: float, price: float, reason: int) -> int:
    """Close ``lots`` of the position in slot ``k`` at ``price``: book the deals, write a trade.

    Returns the realised profit in minor units (before commission and swap).
    """
    t = acc_i[I_NOW]
    s = pos_i[k, PI_SYM]
    side = pos_i[k, PI_SIDE]
    plots = pos_f[k, PF_LOTS]
    if lots > plots or plots - lots < LOT_EPS:
        lots = plots
    full = lots == plots
    pc = _conv(px, sym_f, s, S_P1_SYM)
    if math.isnan(pc):
        _set_error(acc_i, ERR_NO_RATE, s)
        pc = 0.0
    profit = profit_in_profit_ccy(side, lots, sym_f[s, S_CS], pos_f[k, PF_OPEN], price) * pc * params[P_ACC_SCALE]
    pm = to_minor_units(profit, params[P_MINOR])
    pid = pos_i[k, PI_ID]
    _book(acc_i, deal_i, deal_f, D_CLOSE, t, pid, s, -side, pm, lots, price)
    cm = _commission(params, sym_f, px, acc_i, s, lots)
    if cm != 0:
        _book(acc_i, deal_i, deal_f, D_COMMISSION, t, pid, s, -side, cm, lots, price)
        acc_f[A_COST_COMMISSION] -= cm / params[P_MINOR]
    if params[P_CASHBACK] > 0.0:
        if params[P_CASHBACK_PER_TRADE] > 0.0:
            cb = to_minor_units(params[P_CASHBACK] * lots, params[P_MINOR])
            if cb != 0:
                _book(acc_i, deal_i, deal_f, D_CASHBACK, t, pid, s, 0, cb, lots, 0.0)
                acc_f[A_CASHBACK] += cb / params[P_MINOR]
        else:
            acc_f[A_CASHBACK_DUE] += lots
    # the share of entry commission and swap carried by the closed part
    if full:
        comm_share = pos_i[k, PI_COMM_MINOR]
        swap_share = pos_i[k, PI_SWAP_MINOR]
    else:
        comm_share = to_minor_units(pos_i[k, PI_COMM_MINOR] * lots / plots, 1.0)
        swap_share = to_minor_units(pos_i[k, PI_SWAP_MINOR] * lots / plots, 1.0)
    n = acc_i[I_N_TRADES]
    tr_i[n, TI_POS_ID] = pid
    tr_i[n, TI_SYM] = s
    tr_i[n, TI_SIDE] = side
    tr_i[n, TI_OPEN_TIME] = pos_i[k, PI_OPEN_TIME]
    tr_i[n, TI_CLOSE_TIME] = t
    tr_i[n, TI_REASON] = reason
    tr_i[n, TI_PROFIT] = pm
    tr_i[n, TI_COMM] = comm_share + cm
    tr_i[n, TI_SWAP] = swap_share
    tr_f[n, TF_LOTS] = lots
    tr_f[n, TF_OPEN] = pos_f[k, PF_OPEN]
    tr_f[n, TF_CLOSE] = price
    frac = lots / plots
    tr_f[n, TF_MAE] = min(pos_f[k, PF_MAE], profit / frac if frac > 0 else profit) * frac
    tr_f[n, TF_MFE] = max(pos_f[k, PF_MFE], profit / frac if frac > 0 else profit) * frac
    acc_i[I_N_TRADES] = n + 1
    if full:
        pos_i[k, PI_ACTIVE] = 0
        pos_f[k, PF_LOTS] = 0.0
        pos_f[k, PF_PROFIT] = 0.0
        pos_f[k, PF_MARGIN] = 0.0
        acc_i[I_N_OPEN] -= 1
    else:
        pos_i[k, PI_COMM_MINOR] -= comm_share
        pos_i[k, PI_SWAP_MINOR] -= swap_share
        pos_f[k, PF_LOTS] = plots - lots
        pos_f[k, PF_MAE] *= (plots - lots) / plots
        pos_f[k, PF_MFE] *= (plots - lots) / plots
    return pm


@jit
def _slip(params, sym_f, s: int) -> float:
    sl = params[P_SLIPPAGE]
    if sl <= 0.0:
        return 0.0
    return np.random.random() * sl * sym_f[s, S_POINT]


@jit
def _open_position(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f,
                   ev_i, ev_f, hmr, hmr_cap, scratch, s: int, side: int, lots: float, price: float, sl: float,
                   tp: float, ref: int) -> int:
    """Open a position (hedging) after the free-margin check; returns its slot or -1 when rejected."""
    t = acc_i[I_NOW]
    k = -1
    for j in range(pos_i.shape[0]):
        if pos_i[j, PI_ACTIVE] == 0:
            k = j
            break
    if k < 0:
        return -2
    if k + 1 > acc_i[I_POS_HIGH]:
        acc_i[I_POS_HIGH] = k + 1
    nb = int(sym_f[s, S_N_BANDS])
    lev_open = _band_leverage(band_floor, band_lev, s, nb, acc_f[A_EQUITY]) if nb > 0 else math.inf
    pos_i[k, PI_ACTIVE] = 1
    pos_i[k, PI_ID] = acc_i[I_NEXT_POS_ID]
    pos_i[k, PI_SYM] = s
    pos_i[k, PI_SIDE] = side
    pos_i[k, PI_OPEN_TIME] = t
    hp = _in_window(hmr, acc_i, t)
    if hp >= 0 and hmr[hp, H_NEW_UNTIL] > 0:  # opened inside new-position windows: their tightest cap
        pos_i[k, PI_HMR_UNTIL] = hmr[hp, H_NEW_UNTIL]
        pos_f[k, PF_HMR_CAP] = hmr_cap[hp, sym_f.shape[0] + s]
    else:
        pos_i[k, PI_HMR_UNTIL] = 0
        pos_f[k, PF_HMR_CAP] = math.inf
    pos_i[k, PI_COMM_MINOR] = 0
    pos_i[k, PI_SWAP_MINOR] = 0
    pos_f[k, PF_LOTS] = lots
    pos_f[k, PF_OPEN] = price
    pos_f[k, PF_SL] = sl
    pos_f[k, PF_TP] = tp
    pos_f[k, PF_LEV_OPEN] = lev_open
    pos_f[k, PF_MAE] = 0.0
    pos_f[k, PF_MFE] = 0.0
    acc_i[I_N_OPEN] += 1
    recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
    cm = _commission(params, sym_f, px, acc_i, s, lots)
    if acc_f[A_FREE] + cm / params[P_MINOR] < 0.0:
        need = pos_f[k, PF_MARGIN]
        pos_i[k, PI_ACTIVE] = 0
        acc_i[I_N_OPEN] -= 1
        recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
        _event(acc_i, acc_f, ev_i, ev_f, E_REJECT, t, s, ref, REJ_NO_MONEY, price, acc_f[A_LEVEL], need)
        return -1
    acc_i[I_NEXT_POS_ID] += 1
    pid = pos_i[k, PI_ID]
    _book(acc_i, deal_i, deal_f, D_OPEN, t, pid, s, side, 0, lots, price)
    if cm != 0:
        _book(acc_i, deal_i, deal_f, D_COMMISSION, t, pid, s, side, cm, lots, price)
        pos_i[k, PI_COMM_MINOR] = cm
        acc_f[A_COST_COMMISSION] -= cm / params[P_MINOR]
    pc = _conv(px, sym_f, s, S_P1_SYM)
    if not math.isnan(pc):
        acc_f[A_COST_SPREAD] += (px[s, X_ASK] - px[s, X_BID]) * sym_f[s, S_CS] * lots * pc * params[P_ACC_SCALE]
    return k


@jit
def _fill(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f,
          ev_i, ev_f, hmr, hmr_cap, scratch, s: int, side: int, lots: float, price: float, sl: float, tp: float,
          ref: int) -> None:
    """Execute an entry: hedging opens a new position; netting nets against the symbol's position."""
    if params[P_HEDGING] == 0.0:
        for k in range(acc_i[I_POS_HIGH]):
            if pos_i[k, PI_ACTIVE] == 1 and pos_i[k, PI_SYM] == s:
                if pos_i[k, PI_SIDE] != side:
                    have = pos_f[k, PF_LOTS]
                    close_position(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f,
                                   k, min(lots, have), price, R_SIGNAL)
                    lots -= min(lots, have)
                    if lots < LOT_EPS:
                        recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch,
                               False)
                        return
                    break
                # same side: grow the position at the volume-weighted price, after the margin check
                old_lots = pos_f[k, PF_LOTS]
                old_open = pos_f[k, PF_OPEN]
                pos_f[k, PF_LOTS] = old_lots + lots
                pos_f[k, PF_OPEN] = (old_open * old_lots + price * lots) / (old_lots + lots)
                recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
                cm = _commission(params, sym_f, px, acc_i, s, lots)
                if acc_f[A_FREE] + cm / params[P_MINOR] < 0.0:
                    pos_f[k, PF_LOTS] = old_lots
                    pos_f[k, PF_OPEN] = old_open
                    recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch,
                           False)
                    _event(acc_i, acc_f, ev_i, ev_f, E_REJECT, acc_i[I_NOW], s, ref, REJ_NO_MONEY, price,
                           acc_f[A_LEVEL], 0.0)
                    return
                pid = pos_i[k, PI_ID]
                _book(acc_i, deal_i, deal_f, D_OPEN, acc_i[I_NOW], pid, s, side, 0, lots, price)
                if cm != 0:
                    _book(acc_i, deal_i, deal_f, D_COMMISSION, acc_i[I_NOW], pid, s, side, cm, lots, price)
                    pos_i[k, PI_COMM_MINOR] += cm
                    acc_f[A_COST_COMMISSION] -= cm / params[P_MINOR]
                if not math.isnan(sl):
                    pos_f[k, PF_SL] = sl
                if not math.isnan(tp):
                    pos_f[k, PF_TP] = tp
                recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
                return
    _open_position(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f,
                   ev_i, ev_f, hmr, hmr_cap, scratch, s, side, lots, price, sl, tp, ref)
    recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)


@jit
def _nbp(params, acc_f, acc_i, deal_i, deal_f, ev_i, ev_f) -> None:
    """Negative balance protection: with nothing open, a negative balance is reset to zero."""
    if params[P_NBP] > 0.0 and acc_i[I_N_OPEN] == 0 and acc_i[I_BALANCE] < 0:
        amt = -acc_i[I_BALANCE]
        t = acc_i[I_NOW]
        _book(acc_i, deal_i, deal_f, D_NBP, t, 0, -1, 0, amt, 0.0, 0.0)
        acc_f[A_NBP] += amt / params[P_MINOR]
        acc_f[A_EQUITY] = acc_f[A_CREDIT]
        acc_f[A_FREE] = acc_f[A_CREDIT]
        _event(acc_i, acc_f, ev_i, ev_f, E_NBP, t, -1, 0, 0, math.nan, math.nan, amt / params[P_MINOR])


@jit_inline
def _set_px(px, s: int, b0: float, a0: float, b1: float, a1: float, t: float) -> None:
    if t >= 1.0:
        px[s, X_BID] = b1
        px[s, X_ASK] = a1
    else:
        px[s, X_BID] = b0 + t * (b1 - b0)
        px[s, X_ASK] = a0 + t * (a1 - a0)


@jit
def _bisect(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, s: int, b0: float,
            a0: float, b1: float, a1: float, t0: float, t1: float, stop_out: bool, level: float) -> None:
    """Move symbol ``s`` to the first point of the segment where the margin level reaches ``level``
    (the stop-out rule's level when ``stop_out``, else the plain level below the MC level)."""
    lo = t0
    hi = t1
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        _set_px(px, s, b0, a0, b1, a1, mid)
        recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
        if stop_out:
            hit = _so_level(params, acc_f) <= level
        else:
            hit = acc_f[A_LEVEL] < level
        if hit:
            hi = mid
        else:
            lo = mid
    _set_px(px, s, b0, a0, b1, a1, hi)
    recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)


@jit
def _margin_checks(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, ord_i, ord_f, deal_i,
                   deal_f, tr_i, tr_f, ev_i, ev_f, ser_t, ser_f, hmr, hmr_cap, scratch, s: int, b0: float, a0: float,
                   b1: float, a1: float, t0: float, t1: float, cont: bool) -> None:
    """Margin call and stop-out along the segment t0 -> t1 of symbol ``s``'s path (prices already at t1
    are set here). On a continuous segment the stop-out fires at the exact crossing price."""
    _set_px(px, s, b0, a0, b1, a1, t1)
    recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
    mc = params[P_MC]
    so = params[P_SO]
    if not math.isnan(mc):
        if acc_f[A_LEVEL] < mc and acc_i[I_MC_STATE] == 0:
            if cont and t1 > t0:
                _bisect(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, s, b0, a0,
                        b1, a1, t0, t1, False, mc)
            acc_i[I_MC_STATE] = 1
            _event(acc_i, acc_f, ev_i, ev_f, E_MARGIN_CALL, acc_i[I_NOW], s, 0, 0, px[s, X_BID], acc_f[A_LEVEL],
                   acc_f[A_MARGIN])
            record(params, acc_f, acc_i, ser_t, ser_f)
            _set_px(px, s, b0, a0, b1, a1, t1)
            recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
        elif acc_f[A_LEVEL] >= mc and acc_i[I_MC_STATE] == 1:
            acc_i[I_MC_STATE] = 0
    if not _so_level(params, acc_f) <= so:
        return
    if cont and t1 > t0:
        _bisect(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, s, b0, a0, b1, a1,
                t0, t1, True, so)
    any_closed = False
    while acc_i[I_N_OPEN] > 0:
        lvl = _so_level(params, acc_f)
        if not lvl <= so:
            break
        worst = -1
        wp = math.inf
        for k in range(acc_i[I_POS_HIGH]):
            if pos_i[k, PI_ACTIVE] == 1 and pos_f[k, PF_PROFIT] < wp:
                wp = pos_f[k, PF_PROFIT]
                worst = k
        ws = pos_i[worst, PI_SYM]
        price = px[ws, X_BID] if pos_i[worst, PI_SIDE] > 0 else px[ws, X_ASK]
        pid = pos_i[worst, PI_ID]
        record(params, acc_f, acc_i, ser_t, ser_f)
        pm = close_position(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f, worst,
                            pos_f[worst, PF_LOTS], price, R_STOP_OUT)
        _event(acc_i, acc_f, ev_i, ev_f, E_STOP_OUT, acc_i[I_NOW], ws, pid, 0, price, lvl, pm / params[P_MINOR])
        recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
        any_closed = True
    if any_closed:
        if params[P_DEL_PENDING] > 0.0:
            for j in range(acc_i[I_ORD_HIGH]):
                if ord_i[j, OI_ACTIVE] == 1 and (ord_i[j, OI_TYPE] == OT_LIMIT or ord_i[j, OI_TYPE] == OT_STOP):
                    ord_i[j, OI_ACTIVE] = 0
                    _event(acc_i, acc_f, ev_i, ev_f, E_PENDING_DELETED, acc_i[I_NOW], ord_i[j, OI_SYM],
                           ord_i[j, OI_ID], 0, ord_f[j, OF_PRICE], math.nan, 0.0)
        _nbp(params, acc_f, acc_i, deal_i, deal_f, ev_i, ev_f)
        record(params, acc_f, acc_i, ser_t, ser_f)
    # continue to the end of the segment from the stop-out point
    _set_px(px, s, b0, a0, b1, a1, t1)
    recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)


@jit
def _swaps(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, t: int, mult: float) -> None:
    """Book one rollover's swap for every open position (``mult`` 3 on the triple-swap night)."""
    scale = params[P_ACC_SCALE]
    for k in range(acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        s = pos_i[k, PI_SYM]
        side = pos_i[k, PI_SIDE]
        lots = pos_f[k, PF_LOTS]
        rate = sym_f[s, S_SWAP_LONG] if side > 0 else sym_f[s, S_SWAP_SHORT]
        if rate == 0.0:
            continue
        mode = int(sym_f[s, S_SWAP_MODE])
        if mode == 1:
            amount = rate * lots
        else:
            if mode == 0:
                amount = rate * sym_f[s, S_POINT] * sym_f[s, S_CS] * lots
            else:
                amount = lots * sym_f[s, S_CS] * 0.5 * (px[s, X_BID] + px[s, X_ASK]) * rate / 100.0 / 360.0
            pc = _conv(px, sym_f, s, S_P1_SYM)
            if math.isnan(pc):
                _set_error(acc_i, ERR_NO_RATE, s)
                pc = 0.0
            amount = amount * pc * scale
        am = to_minor_units(amount * mult, params[P_MINOR])
        if am != 0:
            _book(acc_i, deal_i, deal_f, D_SWAP, t, pos_i[k, PI_ID], s, side, am, lots, 0.0)
            pos_i[k, PI_SWAP_MINOR] += am
            acc_f[A_COST_SWAP] -= am / params[P_MINOR]


@jit
def _apply_target(params, sym_f, acc_i, pos_i, pos_f, ord_i, ord_f, s: int, target: float) -> None:
    """Queue the market orders that move symbol ``s``'s net position to ``target`` signed lots."""
    net = 0.0
    for k in range(acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 1 and pos_i[k, PI_SYM] == s:
            net += pos_i[k, PI_SIDE] * pos_f[k, PF_LOTS]
    if abs(target - net) < LOT_EPS:
        return
    if net != 0.0 and (target == 0.0 or (target > 0) != (net > 0)):
        _new_order(acc_i, ord_i, ord_f, s, 0, OT_CLOSE, math.nan, math.nan, math.nan, math.nan)
        net = 0.0
    diff = target - net
    if abs(diff) < LOT_EPS:
        return
    if net != 0.0 and abs(target) < abs(net):
        _new_order(acc_i, ord_i, ord_f, s, 0, OT_CLOSE, abs(diff), math.nan, math.nan, math.nan)
        return
    _new_order(acc_i, ord_i, ord_f, s, 1 if diff > 0 else -1, OT_MARKET, abs(diff), math.nan, math.nan, math.nan)


@jit
def _new_order(acc_i, ord_i, ord_f, s: int, side: int, typ: int, lots: float, price: float, sl: float,
               tp: float) -> int:
    j = 0
    while ord_i[j, OI_ACTIVE] == 1:
        j += 1
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
    ord_f[j, OF_SL] = sl
    ord_f[j, OF_TP] = tp
    if j + 1 > acc_i[I_ORD_HIGH]:
        acc_i[I_ORD_HIGH] = j + 1
    return j


@jit_inline
def _next_order(acc_i, ord_i, s: int, close_orders: bool) -> int:
    """Slot of the oldest queued market (or close) order for symbol ``s``, -1 when none."""
    best = -1
    bid_ = 0
    for j in range(acc_i[I_ORD_HIGH]):
        if ord_i[j, OI_ACTIVE] == 1 and ord_i[j, OI_SYM] == s:
            typ = ord_i[j, OI_TYPE]
            if (close_orders and typ == OT_CLOSE) or (not close_orders and typ == OT_MARKET):
                if best < 0 or ord_i[j, OI_ID] < bid_:
                    best = j
                    bid_ = ord_i[j, OI_ID]
    return best


@jit
def _exec_close_order(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f, j: int,
                      ord_i, ord_f) -> None:
    s = ord_i[j, OI_SYM]
    pid = ord_i[j, OI_POS_ID]
    want = ord_f[j, OF_LOTS]
    reason = ord_i[j, OI_TAG]
    remaining = math.inf if math.isnan(want) else want
    # oldest first (FIFO): positions by id
    while remaining > LOT_EPS:
        best = -1
        for k in range(acc_i[I_POS_HIGH]):
            if pos_i[k, PI_ACTIVE] == 1 and pos_i[k, PI_SYM] == s and (pid == 0 or pos_i[k, PI_ID] == pid):
                if best < 0 or pos_i[k, PI_ID] < pos_i[best, PI_ID]:
                    best = k
        if best < 0:
            break
        side = pos_i[best, PI_SIDE]
        price = px[s, X_BID] - _slip(params, sym_f, s) if side > 0 else px[s, X_ASK] + _slip(params, sym_f, s)
        lots = min(remaining, pos_f[best, PF_LOTS])
        close_position(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f, best, lots,
                       price, reason)
        remaining -= lots
    ord_i[j, OI_ACTIVE] = 0


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


@jit
def _next_vertices(q_sym, q_bid, q_ask, i: int, end_all: int, s: int):
    """Bid and ask range of the two vertices after the open of a bar (the bar's extremes)."""
    blo = math.inf
    bhi = -math.inf
    alo = math.inf
    ahi = -math.inf
    found = 0
    j = i + 1
    while j < end_all and found < 2:
        if q_sym[j] == s:
            b = q_bid[j]
            a = q_ask[j]
            blo = min(blo, b)
            bhi = max(bhi, b)
            alo = min(alo, a)
            ahi = max(ahi, a)
            found += 1
        j += 1
    return blo, bhi, alo, ahi


@jit
def _quiet_run(q_time, q_sym, q_bid, q_ask, q_flags, i: int, end: int, t_stop: int, params, sym_f, band_floor,
               band_lev, px, acc_f, acc_i, pos_i, pos_f, ord_i, ord_f, ser_t, ser_f, hmr, hmr_cap, scratch, dec_idx,
               dec_tgt) -> int:
    """The common case, lean: quotes with nothing to fill (no orders, no SL/TP) and no booking due
    before ``t_stop``. Each quote re-values the account and checks the margin-call and stop-out
    levels; a bar close records its series point and applies the vectorized target. At the first
    quote where anything happens it stops *before* that quote, prices restored, and the full path
    takes over (after a close whose target queued orders, it stops just after it).

    Every quote gets exactly the arithmetic the full path would give it, so results are identical
    whichever path ran it (tests/engine/test_lean_path.py)."""
    minor = params[P_MINOR]
    mc = params[P_MC]
    so = params[P_SO]
    vec_sym = int(params[P_VEC_SYM])
    n_ser = ser_t.shape[0]
    need = 8 * pos_i.shape[0] + 32
    one_sym = sym_f.shape[0] == 1
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
        if acc_i[I_N_OPEN] > 0:
            acc_i[I_NOW] = t
            if one_sym:
                _recalc_one_symbol(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap)
            else:
                _recalc_impl(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap,
                             scratch, False)
            lvl = acc_f[A_LEVEL]
            event = _so_level(params, acc_f) <= so or acc_i[I_ERROR] != 0
            if not math.isnan(mc):
                if acc_i[I_MC_STATE] == 0:
                    event = event or lvl < mc
                else:
                    event = event or lvl >= mc
            if event:  # hand this quote to the full path, as if never seen
                px[s, X_BID] = b0
                px[s, X_ASK] = a0
                px[s, X_PBID] = pb0
                px[s, X_PASK] = pa0
                if acc_i[I_ERROR] != 0:
                    acc_i[I_ERROR] = 0
                return i
            for k in range(acc_i[I_POS_HIGH]):
                if pos_i[k, PI_ACTIVE] == 1:
                    pr = pos_f[k, PF_PROFIT]
                    if pr < pos_f[k, PF_MAE]:
                        pos_f[k, PF_MAE] = pr
                    if pr > pos_f[k, PF_MFE]:
                        pos_f[k, PF_MFE] = pr
            if lvl < acc_f[A_MIN_LEVEL]:
                acc_f[A_MIN_LEVEL] = lvl
        else:
            acc_i[I_NOW] = t
            acc_f[A_FLOATING] = 0.0
            acc_f[A_EQUITY] = acc_i[I_BALANCE] / minor + acc_f[A_CREDIT]
            acc_f[A_MARGIN] = 0.0
            acc_f[A_FREE] = acc_f[A_EQUITY]
            acc_f[A_LEVEL] = math.inf
            acc_i[I_MC_STATE] = 0
        acc_i[I_QUOTES] += 1
        i += 1
        if is_close:
            record(params, acc_f, acc_i, ser_t, ser_f)
            if vec_sym >= 0:
                dp = acc_i[I_DEC_PTR]
                if dp < dec_idx.shape[0] and dec_idx[dp] == i - 1:
                    tg = dec_tgt[dp]
                    if not math.isnan(tg):
                        _apply_target(params, sym_f, acc_i, pos_i, pos_f, ord_i, ord_f, vec_sym, tg)
                    acc_i[I_DEC_PTR] = dp + 1
                    if acc_i[I_ORD_HIGH] > 0:
                        return i
    return i


@jit_inline
def _conv_at(sym_f, col1: int, b: float, a: float) -> float:
    """``_conv`` for a one-symbol run at quote (b, a) of symbol 0 (its legs can only name symbol 0)."""
    f = 1.0
    if sym_f[0, col1] >= 0.0:
        mid = 0.5 * (b + a)
        f = f / mid if sym_f[0, col1 + 1] > 0.0 else f * mid
    if sym_f[0, col1 + 2] >= 0.0:
        mid = 0.5 * (b + a)
        f = f / mid if sym_f[0, col1 + 3] > 0.0 else f * mid
    return f


@jit_inline
def _write_back(px, acc_i, acc_f, pos_f, bid, ask, pbid, pask, now, quotes, mc_state, floating, equity, margin,
                level, min_level, k, pr, m, mae, mfe) -> None:
    """Store ``_lean_one``'s register-held account into the tables (before a series point, a
    decision, and on return)."""
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
        pos_f[k, PF_PROFIT] = pr
        pos_f[k, PF_MARGIN] = m
        pos_f[k, PF_MAE] = mae
        pos_f[k, PF_MFE] = mfe


@jit
def _lean_one(q_time, q_bid, q_ask, q_flags, i: int, end: int, t_stop: int, params, sym_f, band_floor, band_lev,
              px, acc_f, acc_i, pos_i, pos_f, ord_i, ord_f, ser_t, ser_f, hmr, hmr_cap, dec_idx, dec_tgt) -> int:
    """``_quiet_run`` for a run with one symbol and at most one open position - most bars of most
    strategies - with the account held in local variables: the same arithmetic as ``recalc`` in
    the same order (so the same bits), written back to the tables before a series point, a
    decision, and on return. Stops before the first quote where anything happens, like
    ``_quiet_run``; the caller goes on with the general paths from there."""
    if acc_i[I_N_OPEN] > 1 or px[0, X_HAVE] == 0.0:
        return i
    vec_sym = int(params[P_VEC_SYM])
    n_ser = ser_t.shape[0]
    need = 8 * pos_i.shape[0] + 32
    minor = params[P_MINOR]
    scale = params[P_ACC_SCALE]
    mc_lvl = params[P_MC]
    so = params[P_SO]
    has_mc = not math.isnan(mc_lvl)
    so_credit = params[P_SO_CREDIT] != 0.0
    credit = acc_f[A_CREDIT]
    balf = acc_i[I_BALANCE] / minor
    bid = px[0, X_BID]
    ask = px[0, X_ASK]
    pbid = px[0, X_PBID]
    pask = px[0, X_PASK]
    now = acc_i[I_NOW]
    quotes = acc_i[I_QUOTES]
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
    # the position and the symbol's margin terms (fixed between bookings)
    side = 0
    lots = opn = pr = m = mae = mfe = lev_open = hmr_pos = 0.0
    until = 0
    if k >= 0:
        side = pos_i[k, PI_SIDE]
        lots = pos_f[k, PF_LOTS]
        opn = pos_f[k, PF_OPEN]
        pr = pos_f[k, PF_PROFIT]
        m = pos_f[k, PF_MARGIN]
        mae = pos_f[k, PF_MAE]
        mfe = pos_f[k, PF_MFE]
        lev_open = pos_f[k, PF_LEV_OPEN]
        hmr_pos = pos_f[k, PF_HMR_CAP]
        until = pos_i[k, PI_HMR_UNTIL]
    cs = sym_f[0, S_CS]
    nb = int(sym_f[0, S_N_BANDS])
    mode = int(sym_f[0, S_MODE])
    fixed = sym_f[0, S_FIXED_RATE]
    has_fixed = not math.isnan(fixed)
    fmode = FOREX if mode == FOREX or mode == FOREX_NO_LEVERAGE else CFD
    static = sym_f[0, S_STATIC_CAP]
    reprice = sym_f[0, S_BANDS_REPRICE] > 0.0
    mrate = sym_f[0, S_MRATE]
    hedged = params[P_HEDGING] > 0.0 and sym_f[0, S_HEDGE] < 1.0
    hfac = sym_f[0, S_HEDGE]
    hp = acc_i[I_HMR_PTR]
    h_all = params[P_HMR_ALL] > 0.0 and hp < hmr.shape[0]
    h0 = hmr[hp, H_START] if h_all else 0
    h1 = hmr[hp, H_END] if h_all else 0
    h_cap = hmr_cap[hp, 0] if h_all else math.inf
    stop = False
    while i < end:
        t = q_time[i]
        fl = q_flags[i]
        if t >= t_stop:
            break
        is_close = (fl & F_CLOSE) != 0
        if is_close and n_ser - acc_i[I_N_SERIES] < need:
            break
        b1 = q_bid[i]
        a1 = q_ask[i]
        if k >= 0:
            close = b1 if side > 0 else a1
            pc = _conv_at(sym_f, S_P1_SYM, b1, a1)
            pr1 = profit_in_profit_ccy(side, lots, cs, opn, close) * pc * scale
            fl1 = 0.0
            fl1 += pr1
            eq1 = balf + fl1 + credit
            if has_fixed:
                m1 = margin_in_margin_ccy(fmode, lots, cs, a1 if side > 0 else b1, 1.0, fixed)
            else:
                lev = static
                if nb > 0:
                    if reprice:
                        j = 0
                        for b in range(nb):
                            if eq1 >= band_floor[0, b]:
                                j = b
                        blev = band_lev[0, j]
                    else:
                        blev = lev_open
                    if blev < lev:
                        lev = blev
                if h_all and h0 <= t < h1:
                    if h_cap < lev:
                        lev = h_cap
                if t < until:
                    if hmr_pos < lev:
                        lev = hmr_pos
                m1 = margin_in_margin_ccy(mode, lots, cs, a1 if side > 0 else b1, lev, mrate)
            mcv = _conv_at(sym_f, S_M1_SYM, b1, a1)
            m1 = m1 * mcv * scale
            bm = 0.0
            sm = 0.0
            bl = 0.0
            sl = 0.0
            if side > 0:
                bm += m1
                bl += lots
            else:
                sm += m1
                sl += lots
            mg1 = 0.0
            if hedged:
                mg1 += hedged_margin(bm, sm, bl, sl, hfac)
            else:
                mg1 += bm + sm
            lvl1 = eq1 / mg1 * 100.0 if mg1 > 0.0 else math.inf
            if mg1 <= 0.0:
                so_lvl = math.inf
            else:
                e_so = eq1
                if not so_credit:
                    e_so -= credit
                so_lvl = e_so / mg1 * 100.0
            event = so_lvl <= so or math.isnan(pc) or math.isnan(mcv)
            if has_mc:
                if mc_state == 0:
                    event = event or lvl1 < mc_lvl
                else:
                    event = event or lvl1 >= mc_lvl
            if event:  # the general paths take this quote
                stop = True
                break
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
            equity = balf + credit
            margin = 0.0
            level = math.inf
            mc_state = 0
        pbid = bid
        pask = ask
        bid = b1
        ask = a1
        now = t
        quotes += 1
        i += 1
        if is_close:
            # write the account back, then the series point and the vectorized decision
            _write_back(px, acc_i, acc_f, pos_f, bid, ask, pbid, pask, now, quotes, mc_state, floating, equity,
                        margin, level, min_level, k, pr, m, mae, mfe)
            record(params, acc_f, acc_i, ser_t, ser_f)
            if vec_sym >= 0:
                dp = acc_i[I_DEC_PTR]
                if dp < dec_idx.shape[0] and dec_idx[dp] == i - 1:
                    tg = dec_tgt[dp]
                    if not math.isnan(tg):
                        _apply_target(params, sym_f, acc_i, pos_i, pos_f, ord_i, ord_f, vec_sym, tg)
                    acc_i[I_DEC_PTR] = dp + 1
                    if acc_i[I_ORD_HIGH] > 0:
                        return i
    _write_back(px, acc_i, acc_f, pos_f, bid, ask, pbid, pask, now, quotes, mc_state, floating, equity, margin,
                level, min_level, k, pr, m, mae, mfe)
    if stop:
        return i
    return i


@jit
def _quiet_until(params, acc_i, pos_i, pos_f, ord_i, roll_t, hmr, cash_t) -> int:
    """The time before which the lean path may run (0 when it may not run at all)."""
    if params[P_STRIDE] > 0.0 or params[P_LEAN] == 0.0:
        return 0
    for j in range(acc_i[I_ORD_HIGH]):
        if ord_i[j, OI_ACTIVE] == 1:
            return 0
    for k in range(acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 1 and not (math.isnan(pos_f[k, PF_SL]) and math.isnan(pos_f[k, PF_TP])):
            return 0
    stop = np.int64(9223372036854775807)
    rp = acc_i[I_ROLL_PTR]
    if rp < roll_t.shape[0] and roll_t[rp] < stop:
        stop = roll_t[rp]
    cp = acc_i[I_CASH_PTR]
    if cp < cash_t.shape[0] and cash_t[cp] < stop:
        stop = cash_t[cp]
    hp = acc_i[I_HMR_PTR]
    if hp < hmr.shape[0]:
        edge = hmr[hp, H_START] if acc_i[I_NOW] < hmr[hp, H_START] else hmr[hp, H_END]
        if edge < stop:
            stop = edge
    return stop


@jit
def run_segment(q_time, q_sym, q_bid, q_ask, q_flags, start: int, end: int, params, sym_f, band_floor, band_lev,
                px, acc_f, acc_i, pos_i, pos_f, ord_i, ord_f, deal_i, deal_f, tr_i, tr_f, ev_i, ev_f, ser_t, ser_f,
                roll_t, roll_f, hmr, hmr_cap, cash_t, dec_idx, dec_tgt, scratch, cand_t, cand_k) -> int:
    """Simulate quotes ``start..end-1``; return the index reached (``end`` unless a buffer is nearly
    full or an error was set, in which case Python grows the tables / raises and resumes there)."""
    n_all = q_time.shape[0]
    P = pos_i.shape[0]
    stride = int(params[P_STRIDE])
    vec_sym = int(params[P_VEC_SYM])
    pess = params[P_PESSIMISTIC] > 0.0
    minor = params[P_MINOR]
    need = 8 * P + 32
    one_sym = sym_f.shape[0] == 1
    i = start - 1
    while i + 1 < end:
        i += 1
        if acc_i[I_ERROR] == 0:
            t_stop = _quiet_until(params, acc_i, pos_i, pos_f, ord_i, roll_t, hmr, cash_t)
            if t_stop > q_time[i] and one_sym:
                i = _lean_one(q_time, q_bid, q_ask, q_flags, i, end, t_stop, params, sym_f, band_floor, band_lev, px,
                              acc_f, acc_i, pos_i, pos_f, ord_i, ord_f, ser_t, ser_f, hmr, hmr_cap, dec_idx, dec_tgt)
                if i >= end:
                    break
            if t_stop > q_time[i] and acc_i[I_ORD_HIGH] == 0:
                i = _quiet_run(q_time, q_sym, q_bid, q_ask, q_flags, i, end, t_stop, params, sym_f, band_floor,
                               band_lev, px, acc_f, acc_i, pos_i, pos_f, ord_i, ord_f, ser_t, ser_f, hmr, hmr_cap, scratch,
                               dec_idx, dec_tgt)
                if i >= end:
                    break
        if (deal_i.shape[0] - acc_i[I_N_DEALS] < need or tr_i.shape[0] - acc_i[I_N_TRADES] < need
                or ev_i.shape[0] - acc_i[I_N_EVENTS] < need or ser_t.shape[0] - acc_i[I_N_SERIES] < need
                or acc_i[I_N_OPEN] + 3 > P or acc_i[I_ORD_HIGH] + 4 > ord_i.shape[0]):
            return i
        if acc_i[I_ERROR] != 0:
            return i
        t = q_time[i]
        s = q_sym[i]
        fl = q_flags[i]
        # ---- time-driven bookings due before this quote: rollovers, cashback, HMR windows
        rp = acc_i[I_ROLL_PTR]
        while rp < roll_t.shape[0] and roll_t[rp] <= t:
            if deal_i.shape[0] - acc_i[I_N_DEALS] < need:
                return i
            if params[P_SWAP_FREE] == 0.0 and acc_i[I_N_OPEN] > 0:
                acc_i[I_NOW] = roll_t[rp]
                _swaps(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, roll_t[rp], roll_f[rp])
            rp += 1
            acc_i[I_ROLL_PTR] = rp
        cp = acc_i[I_CASH_PTR]
        while cp < cash_t.shape[0] and cash_t[cp] <= t:
            due = acc_f[A_CASHBACK_DUE]
            if due > 0.0:
                cb = to_minor_units(params[P_CASHBACK] * due, minor)
                if cb != 0:
                    _book(acc_i, deal_i, deal_f, D_CASHBACK, cash_t[cp], 0, -1, 0, cb, due, 0.0)
                    acc_f[A_CASHBACK] += cb / minor
                acc_f[A_CASHBACK_DUE] = 0.0
            cp += 1
            acc_i[I_CASH_PTR] = cp
        hp = acc_i[I_HMR_PTR]
        while hp < hmr.shape[0] and hmr[hp, H_END] <= t:
            hp += 1
        acc_i[I_HMR_PTR] = hp
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
        cont = (fl & F_CONT) != 0 and had
        # ---- queued market orders (decided at the previous decision) fill at this first price
        if acc_i[I_ORD_HIGH] > 0:
            filled = False
            while True:
                j = _next_order(acc_i, ord_i, s, True)
                if j < 0:
                    break
                _exec_close_order(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f, j,
                                  ord_i, ord_f)
                filled = True
            if filled:
                recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
                _nbp(params, acc_f, acc_i, deal_i, deal_f, ev_i, ev_f)
            while True:
                j = _next_order(acc_i, ord_i, s, False)
                if j < 0:
                    break
                side = ord_i[j, OI_SIDE]
                price = a1 + _slip(params, sym_f, s) if side > 0 else b1 - _slip(params, sym_f, s)
                ord_i[j, OI_ACTIVE] = 0
                _fill(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i,
                      tr_f, ev_i, ev_f, hmr, hmr_cap, scratch, s, side, ord_f[j, OF_LOTS], price, ord_f[j, OF_SL],
                      ord_f[j, OF_TP], ord_i[j, OI_ID])
            h = acc_i[I_ORD_HIGH]  # forget emptied slots at the top so idle quotes skip the order scans
            while h > 0 and ord_i[h - 1, OI_ACTIVE] == 0:
                h -= 1
            acc_i[I_ORD_HIGH] = h
        # ---- price-triggered events on this segment, in path order: pending orders, SL, TP
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
                cand_k[nc] = 2 * P + j
                nc += 1
        for k in range(acc_i[I_POS_HIGH]):
            if pos_i[k, PI_ACTIVE] == 0 or pos_i[k, PI_SYM] != s:
                continue
            side = pos_i[k, PI_SIDE]
            sl = pos_f[k, PF_SL]
            tp = pos_f[k, PF_TP]
            if side > 0:
                if not math.isnan(sl) and b1 <= sl:
                    cand_t[nc] = _crossing(b0, b1, sl, cont, True)
                    cand_k[nc] = k
                    nc += 1
                if not math.isnan(tp) and b1 >= tp:
                    cand_t[nc] = _crossing(b0, b1, tp, cont, False)
                    cand_k[nc] = P + k
                    nc += 1
            else:
                if not math.isnan(sl) and a1 >= sl:
                    cand_t[nc] = _crossing(a0, a1, sl, cont, False)
                    cand_k[nc] = k
                    nc += 1
                if not math.isnan(tp) and a1 <= tp:
                    cand_t[nc] = _crossing(a0, a1, tp, cont, True)
                    cand_k[nc] = P + k
                    nc += 1
        # insertion sort by (t, kind/slot): SL before TP before pending at the same point
        for x in range(1, nc):
            tv = cand_t[x]
            kv = cand_k[x]
            y = x - 1
            while y >= 0 and (cand_t[y] > tv or (cand_t[y] == tv and cand_k[y] > kv)):
                cand_t[y + 1] = cand_t[y]
                cand_k[y + 1] = cand_k[y]
                y -= 1
            cand_t[y + 1] = tv
            cand_k[y + 1] = kv
        t_last = 0.0
        for c in range(nc):
            tt = cand_t[c]
            kk = cand_k[c]
            if acc_i[I_N_OPEN] > 0:
                _margin_checks(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, ord_i, ord_f,
                               deal_i, deal_f, tr_i, tr_f, ev_i, ev_f, ser_t, ser_f, hmr, hmr_cap, scratch, s, b0, a0, b1, a1,
                               t_last, tt, cont)
            else:
                _set_px(px, s, b0, a0, b1, a1, tt)
            t_last = tt
            if kk < 2 * P:
                k = kk % P
                if pos_i[k, PI_ACTIVE] == 0:
                    continue
                is_tp = kk >= P
                side = pos_i[k, PI_SIDE]
                level = pos_f[k, PF_TP] if is_tp else pos_f[k, PF_SL]
                mkt = px[s, X_BID] if side > 0 else px[s, X_ASK]
                if cont and tt > 0.0:
                    price = level
                elif is_tp:
                    price = mkt
                else:
                    price = mkt - side * _slip(params, sym_f, s)
                close_position(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f, k,
                               pos_f[k, PF_LOTS], price, R_TP if is_tp else R_SL)
                recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
                _nbp(params, acc_f, acc_i, deal_i, deal_f, ev_i, ev_f)
            else:
                j = kk - 2 * P
                if ord_i[j, OI_ACTIVE] == 0:
                    continue
                side = ord_i[j, OI_SIDE]
                level = ord_f[j, OF_PRICE]
                mkt = px[s, X_ASK] if side > 0 else px[s, X_BID]
                if cont and tt > 0.0:
                    price = level
                elif ord_i[j, OI_TYPE] == OT_STOP:
                    price = mkt + side * _slip(params, sym_f, s)
                else:
                    price = mkt
                ord_i[j, OI_ACTIVE] = 0
                _fill(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i,
                      tr_f, ev_i, ev_f, hmr, hmr_cap, scratch, s, side, ord_f[j, OF_LOTS], price, ord_f[j, OF_SL],
                      ord_f[j, OF_TP], ord_i[j, OI_ID])
        # ---- pessimistic bars: a position whose SL and TP both lie inside this bar loses first
        if pess and (fl & F_OPEN) != 0 and acc_i[I_N_OPEN] > 0:
            looked = False
            blo = bhi = alo = ahi = 0.0
            for k in range(acc_i[I_POS_HIGH]):
                if pos_i[k, PI_ACTIVE] == 0 or pos_i[k, PI_SYM] != s:
                    continue
                sl = pos_f[k, PF_SL]
                tp = pos_f[k, PF_TP]
                if math.isnan(sl) or math.isnan(tp):
                    continue
                if not looked:  # the bar's range, read only when a position has both levels
                    blo, bhi, alo, ahi = _next_vertices(q_sym, q_bid, q_ask, i, n_all, s)
                    looked = True
                if pos_i[k, PI_SIDE] > 0:
                    both = blo <= sl and bhi >= tp
                else:
                    both = ahi >= sl and alo <= tp
                if both:
                    close_position(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f, k,
                                   pos_f[k, PF_LOTS], sl, R_SL)
                    recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
                    _nbp(params, acc_f, acc_i, deal_i, deal_f, ev_i, ev_f)
        # ---- the rest of the segment: margin call / stop-out, then MAE/MFE at the vertex
        if acc_i[I_N_OPEN] > 0:
            _set_px(px, s, b0, a0, b1, a1, 1.0)
            _recalc_impl(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
            lvl = acc_f[A_LEVEL]
            mc = params[P_MC]
            event = _so_level(params, acc_f) <= params[P_SO]
            if not math.isnan(mc):
                if acc_i[I_MC_STATE] == 0:
                    event = event or lvl < mc
                else:
                    event = event or lvl >= mc
            if event:  # the rare path: locate crossings, close worst-first, NBP
                _margin_checks(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, ord_i, ord_f,
                               deal_i, deal_f, tr_i, tr_f, ev_i, ev_f, ser_t, ser_f, hmr, hmr_cap, scratch, s, b0, a0, b1,
                               a1, t_last, 1.0, cont)
                lvl = acc_f[A_LEVEL]
            for k in range(acc_i[I_POS_HIGH]):
                if pos_i[k, PI_ACTIVE] == 1:
                    pr = pos_f[k, PF_PROFIT]
                    if pr < pos_f[k, PF_MAE]:
                        pos_f[k, PF_MAE] = pr
                    if pr > pos_f[k, PF_MFE]:
                        pos_f[k, PF_MFE] = pr
            if lvl < acc_f[A_MIN_LEVEL]:
                acc_f[A_MIN_LEVEL] = lvl
        else:
            _set_px(px, s, b0, a0, b1, a1, 1.0)
            bal = acc_i[I_BALANCE] / minor
            acc_f[A_FLOATING] = 0.0
            acc_f[A_EQUITY] = bal + acc_f[A_CREDIT]
            acc_f[A_MARGIN] = 0.0
            acc_f[A_FREE] = acc_f[A_EQUITY]
            acc_f[A_LEVEL] = math.inf
            acc_i[I_MC_STATE] = 0
        if acc_i[I_ERROR] != 0:
            return i + 1
        # ---- recording and vectorized decisions at bar closes
        if (fl & F_CLOSE) != 0:
            record(params, acc_f, acc_i, ser_t, ser_f)
        elif stride > 0:
            c = acc_i[I_STRIDE_CTR] + 1
            if c >= stride:
                record(params, acc_f, acc_i, ser_t, ser_f)
                c = 0
            acc_i[I_STRIDE_CTR] = c
        if vec_sym >= 0:
            dp = acc_i[I_DEC_PTR]
            if dp < dec_idx.shape[0] and dec_idx[dp] == i:
                tg = dec_tgt[dp]
                if not math.isnan(tg):
                    _apply_target(params, sym_f, acc_i, pos_i, pos_f, ord_i, ord_f, vec_sym, tg)
                acc_i[I_DEC_PTR] = dp + 1
    return end


@jit
def close_all(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f,
              ev_i, ev_f, ser_t, ser_f, hmr, hmr_cap, scratch, reason: int) -> None:
    """Close every open position at the current prices (the end of a run), then NBP and a last point."""
    for k in range(acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 1:
            s = pos_i[k, PI_SYM]
            price = px[s, X_BID] if pos_i[k, PI_SIDE] > 0 else px[s, X_ASK]
            close_position(params, sym_f, px, acc_f, acc_i, pos_i, pos_f, deal_i, deal_f, tr_i, tr_f, k,
                           pos_f[k, PF_LOTS], price, reason)
    recalc(params, sym_f, band_floor, band_lev, px, acc_f, acc_i, pos_i, pos_f, hmr, hmr_cap, scratch, False)
    _nbp(params, acc_f, acc_i, deal_i, deal_f, ev_i, ev_f)
    record(params, acc_f, acc_i, ser_t, ser_f)


@jit
def seed_rng(seed: int) -> None:
    """Seed the kernel's slippage generator (numba keeps its own generator state)."""
    np.random.seed(seed)

