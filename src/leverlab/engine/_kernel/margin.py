"""Valuation: currency conversion, the leverage each position gets, and the account's re-valuation.

Nothing here books anything; ``recalc`` writes floating profit and margin per position and the
account's equity, margin, free margin and level. The stop-out that acts on them is ``stopout``.
"""

from __future__ import annotations

import math

from .._jit import jit, jit_inline
from .._layout import (
    A_CREDIT,
    A_EQUITY,
    A_FLOATING,
    A_FREE,
    A_LEVEL,
    A_MARGIN,
    ERR_NO_RATE,
    H_END,
    H_START,
    I_BALANCE,
    I_ERROR,
    I_ERROR_ARG,
    I_HMR_PTR,
    I_NOW,
    I_POS_HIGH,
    P_ACC_SCALE,
    P_HEDGING,
    P_HMR_ALL,
    P_MINOR,
    P_SO_CREDIT,
    PF_HMR_CAP,
    PF_LEV_OPEN,
    PF_LOTS,
    PF_MARGIN,
    PF_OPEN,
    PF_PROFIT,
    PI_ACTIVE,
    PI_HMR_UNTIL,
    PI_SIDE,
    PI_SYM,
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
)
from ..formulas import CFD, FOREX, FOREX_NO_LEVERAGE, hedged_margin, margin_in_margin_ccy, profit_in_profit_ccy


@jit
def _set_error(acc_i, code: int, arg: int) -> None:
    """Keep the first kernel error (``acc_i[I_ERROR]`` = ERR_*, with its argument); Python raises it."""
    if acc_i[I_ERROR] == 0:
        acc_i[I_ERROR] = code
        acc_i[I_ERROR_ARG] = arg


@jit_inline
def _leg(px, sym: float, inv: float, f: float) -> float:
    """``f`` carried over one conversion leg: the mid of symbol ``sym`` (-1: no leg), inverted when ``inv``."""
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
    """Factor from a symbol's margin/profit/commission currency to the account's underlying currency
    (nan while a conversion pair has no price yet)."""
    f = _leg(px, sym_f[s, col1], sym_f[s, col1 + 1], 1.0)
    return _leg(px, sym_f[s, col1 + 2], sym_f[s, col1 + 3], f)


@jit_inline
def _in_window(hmr, acc_i, now: int) -> int:
    """Row of the HMR interval containing ``now`` (-1 when outside every window)."""
    p = acc_i[I_HMR_PTR]
    if p < hmr.shape[0] and hmr[p, H_START] <= now < hmr[p, H_END]:
        return p
    return -1


@jit_inline
def _band_lev(band_floor, band_lev, s: int, n_bands: int, equity: float) -> float:
    """Leverage of the highest equity band of symbol ``s`` whose floor ``equity`` reaches (inf: no bands)."""
    if n_bands <= 0:
        return math.inf
    j = 0
    for b in range(n_bands):
        if equity >= band_floor[s, b]:
            j = b
    return band_lev[s, j]


@jit_inline
def _pos_leverage(static_cap: float, band: float, window_cap: float, now: int, until: int, pos_cap: float) -> float:
    """A position's leverage: the tightest of the symbol's cap, its band, the HMR window on every open
    position (inf outside one) and the cap of the windows it was opened in (while ``now < until``)."""
    lev = static_cap
    if band < lev:
        lev = band
    if window_cap < lev:
        lev = window_cap
    if now < until:
        if pos_cap < lev:
            lev = pos_cap
    return lev


@jit_inline
def _symbol_margin(hedged: bool, buy_margin: float, sell_margin: float, buy_lots: float, sell_lots: float,
                   hedge: float) -> float:
    """One symbol's margin from its buy and sell legs, with hedge relief when ``hedged``."""
    if hedged:
        return hedged_margin(buy_margin, sell_margin, buy_lots, sell_lots, hedge)
    return buy_margin + sell_margin


@jit_inline
def _margin_mode(mode: int) -> int:
    """The formula mode a fixed-margin instrument is charged in (lots x CS x rate, or x price for CFDs)."""
    return FOREX if mode == FOREX or mode == FOREX_NO_LEVERAGE else CFD


@jit
def recalc(rules, book) -> None:
    """Re-value every open position: floating profit, margin (account units), equity, level."""
    _recalc_impl(rules, book)


@jit_inline
def _recalc_impl(rules, book) -> None:
    """``recalc``'s body, inlined into the per-quote loop (a call costs more than the work itself)."""
    params = rules.params
    sym_f = rules.sym_f
    hmr_cap = rules.hmr_cap
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    scratch = book.scratch
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
        p_conv = _conv(px, sym_f, s, S_P1_SYM)
        if math.isnan(p_conv):
            bad = s
        pr = profit_in_profit_ccy(side, pos_f[k, PF_LOTS], sym_f[s, S_CS], pos_f[k, PF_OPEN], close) * p_conv * scale
        pos_f[k, PF_PROFIT] = pr
        floating += pr
    credit = acc_f[A_CREDIT]
    equity = acc_i[I_BALANCE] / minor + floating + credit
    n_sym = sym_f.shape[0]
    for s in range(n_sym):
        scratch[s, 0] = 0.0
        scratch[s, 1] = 0.0
        scratch[s, 2] = 0.0
        scratch[s, 3] = 0.0
        scratch[s, 4] = _band_lev(rules.band_floor, rules.band_lev, s, int(sym_f[s, S_N_BANDS]), equity)
    hp = acc_i[I_HMR_PTR]
    in_win = params[P_HMR_ALL] > 0.0 and _in_window(rules.hmr, acc_i, now) >= 0
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
            m = margin_in_margin_ccy(_margin_mode(mode), lots, sym_f[s, S_CS], price, 1.0, fixed)
        else:
            band = math.inf
            if sym_f[s, S_N_BANDS] > 0:
                band = scratch[s, 4] if sym_f[s, S_BANDS_REPRICE] > 0.0 else pos_f[k, PF_LEV_OPEN]
            lev = _pos_leverage(sym_f[s, S_STATIC_CAP], band, hmr_cap[hp, s] if in_win else math.inf, now,
                                pos_i[k, PI_HMR_UNTIL], pos_f[k, PF_HMR_CAP])
            m = margin_in_margin_ccy(mode, lots, sym_f[s, S_CS], price, lev, sym_f[s, S_MRATE])
        m_conv = _conv(px, sym_f, s, S_M1_SYM)
        if math.isnan(m_conv):
            bad = s
        m = m * m_conv * scale
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
        margin += _symbol_margin(hedging and sym_f[s, S_HEDGE] < 1.0, scratch[s, 0], scratch[s, 1], scratch[s, 2],
                                 scratch[s, 3], sym_f[s, S_HEDGE])
    if bad >= 0:
        _set_error(acc_i, ERR_NO_RATE, bad)
    acc_f[A_FLOATING] = floating
    acc_f[A_EQUITY] = equity
    acc_f[A_MARGIN] = margin
    acc_f[A_FREE] = equity - margin
    acc_f[A_LEVEL] = equity / margin * 100.0 if margin > 0.0 else math.inf


@jit_inline
def _so_level(params, acc_f) -> float:
    """Margin level as the stop-out rule sees it (credit excluded where the broker excludes it).

    With no margin used (nothing open, or a fully hedged book at a 0 % hedged margin) the level is
    infinite - unless the equity is below zero: a stop-out level L % is reached where equity <= L % of
    the margin, which with no margin is where the equity runs out (Exness: stop-out at 0 % margin level,
    "no bottom line besides their equity running out"; its NBP then resets the balance). -inf then."""
    eq = acc_f[A_EQUITY]
    if params[P_SO_CREDIT] == 0.0:
        eq -= acc_f[A_CREDIT]
    if acc_f[A_MARGIN] <= 0.0:
        return -math.inf if eq < 0.0 else math.inf
    return eq / acc_f[A_MARGIN] * 100.0


@jit_inline
def _level_event(level: float, so_level: float, so: float, mc_level: float, mc_state: int) -> bool:
    """Whether the margin rules act here: the stop-out level reached, or the margin-call level crossed
    (downward while not in a margin call, upward while in one; ``mc_level`` nan: no margin call)."""
    event = so_level <= so
    if not math.isnan(mc_level):
        if mc_state == 0:
            event = event or level < mc_level
        else:
            event = event or level >= mc_level
    return event
