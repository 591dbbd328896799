"""Valuation: currency conversion, the leverage each position gets, and the account's re-valuation.

Nothing here books anything; ``recalc`` writes the account's equity, margin, free margin and level.
With up to ``agg_i[G_FEW]`` positions open it values them one by one (and writes each one's floating profit
and margin); above that, from the book's per-symbol totals (``_layout`` AG_*, kept by ``totals``),
so a quote costs O(symbols) however many positions are open, and ``value_positions`` writes the
per-position figures when they are read. The stop-out that acts on them is ``stopout``.
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
    AG_C_BUY,
    AG_C_BUY_LO,
    AG_C_SELL,
    AG_C_SELL_LO,
    AG_CAP,
    AG_L_BUY,
    AG_L_BUY_LO,
    AG_L_SELL,
    AG_L_SELL_LO,
    AG_N_BUY,
    AG_N_CAP,
    AG_N_SELL,
    AG_S_BUY,
    AG_S_BUY_LO,
    AG_S_SELL,
    AG_S_SELL_LO,
    ERR_NO_RATE,
    G_CAP_UNTIL,
    G_FEW,
    G_MIX_UNTIL,
    G_MODE,
    H_END,
    H_START,
    I_BALANCE,
    I_ERROR,
    I_ERROR_ARG,
    I_HMR_PTR,
    I_N_OPEN,
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


@jit_inline
def _two_sum(a: float, b: float):
    """``a + b`` and its exact rounding error (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@jit_inline
def _split(a: float):
    """``a`` as two halves of 26 significant bits each (Dekker's split)."""
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


@jit_inline
def _two_prod(a: float, b: float):
    """``a * b`` and its exact rounding error (Dekker's TwoProduct, without FMA)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@jit_inline
def _dd_add(hi: float, lo: float, x_hi: float, x_lo: float):
    """The double-double sum (hi, lo) + (x_hi, x_lo), normalised."""
    s, e = _two_sum(hi, x_hi)
    e += lo + x_lo
    t = s + e
    return t, e - (t - s)


@jit_inline
def _dd_times_less(c: float, l_hi: float, l_lo: float, s_hi: float, s_lo: float) -> float:
    """``c * L - S`` for double-doubles L and S, rounded once at the end: a side's floating profit in
    price x lots (``c`` the close price, L the sum of lots, S the sum of lots x open price)."""
    p, e = _two_prod(c, l_hi)
    e += c * l_lo
    d, e2 = _two_sum(p, -s_hi)
    return d + (e2 + (e - s_lo))


@jit_inline
def _pos_profit(px, sym_f, pos_i, pos_f, k: int, scale: float):
    """Floating profit of the position in slot ``k`` (account units) and its conversion factor (nan:
    no rate yet)."""
    s = pos_i[k, PI_SYM]
    side = pos_i[k, PI_SIDE]
    close = px[s, X_BID] if side > 0 else px[s, X_ASK]
    p_conv = _conv(px, sym_f, s, S_P1_SYM)
    pr = profit_in_profit_ccy(side, pos_f[k, PF_LOTS], sym_f[s, S_CS], pos_f[k, PF_OPEN], close) * p_conv * scale
    return pr, p_conv


@jit_inline
def _pos_margin(rules, px, scratch, pos_i, pos_f, k: int, scale: float, now: int, window: bool, hp: int):
    """Margin of the position in slot ``k`` before hedge relief (account units) and its conversion
    factor: ``scratch[s, 4]`` holds the symbol's band leverage now, ``window`` whether an HMR window on
    every open position applies (its row ``hp``)."""
    sym_f = rules.sym_f
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
        lev = _pos_leverage(sym_f[s, S_STATIC_CAP], band, rules.hmr_cap[hp, s] if window else math.inf, now,
                            pos_i[k, PI_HMR_UNTIL], pos_f[k, PF_HMR_CAP])
        m = margin_in_margin_ccy(mode, lots, sym_f[s, S_CS], price, lev, sym_f[s, S_MRATE])
    m_conv = _conv(px, sym_f, s, S_M1_SYM)
    return m * m_conv * scale, m_conv


@jit
def recalc(rules, book) -> None:
    """Re-value the account: floating profit, margin (account units), equity, level."""
    _recalc_impl(rules, book)


@jit_inline
def _by_totals(rules, book) -> bool:
    """Whether the account is valued from the per-symbol totals: more than ``agg_i[G_FEW]`` positions
    open (up to that many, one by one in slot order: the arithmetic, so the bits, of old), every
    position with its own HMR cap still running in its symbol's capped group, and no symbol with open
    positions whose equity bands leave them at the leverage they opened with (each position's leverage
    is then its symbol's, or its capped group's)."""
    acc_i = book.acc_i
    if acc_i[I_N_OPEN] <= book.agg_i[G_FEW] or acc_i[I_NOW] < book.agg_i[G_MIX_UNTIL]:
        return False
    sym_f = rules.sym_f
    agg = book.agg
    for s in range(sym_f.shape[0]):
        if sym_f[s, S_N_BANDS] > 0 and sym_f[s, S_BANDS_REPRICE] == 0.0 and agg[s, AG_N_BUY] + agg[s, AG_N_SELL] > 0:
            return False
    return True


@jit_inline
def _recalc_impl(rules, book) -> None:
    """``recalc``'s body, inlined into the per-quote loop (a call costs more than the work itself)."""
    if _by_totals(rules, book):
        _recalc_totals(rules, book)
    else:
        _recalc_each(rules, book)


@jit_inline
def _finish_recalc(acc_f, acc_i, floating: float, equity: float, margin: float, bad: int) -> None:
    """Write the account's figures (and the first missing conversion rate as the kernel error)."""
    if bad >= 0:
        _set_error(acc_i, ERR_NO_RATE, bad)
    acc_f[A_FLOATING] = floating
    acc_f[A_EQUITY] = equity
    acc_f[A_MARGIN] = margin
    acc_f[A_FREE] = equity - margin
    acc_f[A_LEVEL] = equity / margin * 100.0 if margin > 0.0 else math.inf


@jit_inline
def _band_scratch(rules, book, equity: float) -> None:
    """Clear the per-symbol work space and put each symbol's band leverage at ``equity`` in column 4."""
    sym_f = rules.sym_f
    scratch = book.scratch
    for s in range(sym_f.shape[0]):
        scratch[s, 0] = 0.0
        scratch[s, 1] = 0.0
        scratch[s, 2] = 0.0
        scratch[s, 3] = 0.0
        scratch[s, 4] = _band_lev(rules.band_floor, rules.band_lev, s, int(sym_f[s, S_N_BANDS]), equity)


@jit_inline
def _recalc_each(rules, book) -> None:
    """Value every open position one by one, in slot order: writes each one's floating profit and margin."""
    params = rules.params
    sym_f = rules.sym_f
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    scratch = book.scratch
    scale = params[P_ACC_SCALE]
    minor = params[P_MINOR]
    now = acc_i[I_NOW]
    book.agg_i[G_MODE] = 0
    floating = 0.0
    bad = -1  # a symbol whose conversion rate is missing (reported once, after the loops)
    high = acc_i[I_POS_HIGH]
    for k in range(high):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        pr, p_conv = _pos_profit(px, sym_f, pos_i, pos_f, k, scale)
        if math.isnan(p_conv):
            bad = pos_i[k, PI_SYM]
        pos_f[k, PF_PROFIT] = pr
        floating += pr
    credit = acc_f[A_CREDIT]
    equity = acc_i[I_BALANCE] / minor + floating + credit
    n_sym = sym_f.shape[0]
    _band_scratch(rules, book, equity)
    hp = acc_i[I_HMR_PTR]
    in_win = params[P_HMR_ALL] > 0.0 and _in_window(rules.hmr, acc_i, now) >= 0
    for k in range(high):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        s = pos_i[k, PI_SYM]
        m, m_conv = _pos_margin(rules, px, scratch, pos_i, pos_f, k, scale, now, in_win, hp)
        if math.isnan(m_conv):
            bad = s
        pos_f[k, PF_MARGIN] = m
        if pos_i[k, PI_SIDE] > 0:
            scratch[s, 0] += m
            scratch[s, 2] += pos_f[k, PF_LOTS]
        else:
            scratch[s, 1] += m
            scratch[s, 3] += pos_f[k, PF_LOTS]
    margin = 0.0
    hedging = params[P_HEDGING] > 0.0
    for s in range(n_sym):
        margin += _symbol_margin(hedging and sym_f[s, S_HEDGE] < 1.0, scratch[s, 0], scratch[s, 1], scratch[s, 2],
                                 scratch[s, 3], sym_f[s, S_HEDGE])
    _finish_recalc(acc_f, acc_i, floating, equity, margin, bad)


@jit_inline
def _side_margin(rules, book, s: int, lots: float, price: float, lev: float, scale: float, m_conv: float) -> float:
    """Margin of ``lots`` of symbol ``s`` at ``price`` and leverage ``lev``, before hedge relief (account units)."""
    sym_f = rules.sym_f
    mode = int(sym_f[s, S_MODE])
    fixed = sym_f[s, S_FIXED_RATE]
    if not math.isnan(fixed):
        m = margin_in_margin_ccy(_margin_mode(mode), lots, sym_f[s, S_CS], price, 1.0, fixed)
    else:
        m = margin_in_margin_ccy(mode, lots, sym_f[s, S_CS], price, lev, sym_f[s, S_MRATE])
    return m * m_conv * scale


@jit_inline
def _recalc_totals(rules, book) -> None:
    """Value the account from the per-symbol totals in O(symbols). Each side's floating profit is
    (close x sum of lots - sum of lots x open) x contract size x conversion, the bracket rounded once
    from double-double sums: as exact as the per-position sum or more. Each side's margin is the
    margin of its total lots at the symbol's leverage (``_by_totals`` ensures every position has it)."""
    params = rules.params
    sym_f = rules.sym_f
    px = book.px
    acc_f = book.acc_f
    acc_i = book.acc_i
    agg = book.agg
    scratch = book.scratch
    scale = params[P_ACC_SCALE]
    minor = params[P_MINOR]
    now = acc_i[I_NOW]
    book.agg_i[G_MODE] = 1
    n_sym = sym_f.shape[0]
    floating = 0.0
    bad = -1
    for s in range(n_sym):
        if agg[s, AG_N_BUY] + agg[s, AG_N_SELL] == 0:
            continue
        p_conv = _conv(px, sym_f, s, S_P1_SYM)
        if math.isnan(p_conv):
            bad = s
        f = sym_f[s, S_CS] * p_conv * scale
        if agg[s, AG_N_BUY] > 0:
            floating += _dd_times_less(px[s, X_BID], agg[s, AG_L_BUY], agg[s, AG_L_BUY_LO], agg[s, AG_S_BUY],
                                       agg[s, AG_S_BUY_LO]) * f
        if agg[s, AG_N_SELL] > 0:
            floating -= _dd_times_less(px[s, X_ASK], agg[s, AG_L_SELL], agg[s, AG_L_SELL_LO], agg[s, AG_S_SELL],
                                       agg[s, AG_S_SELL_LO]) * f
    credit = acc_f[A_CREDIT]
    equity = acc_i[I_BALANCE] / minor + floating + credit
    _band_scratch(rules, book, equity)
    hp = acc_i[I_HMR_PTR]
    in_win = params[P_HMR_ALL] > 0.0 and _in_window(rules.hmr, acc_i, now) >= 0
    margin = 0.0
    hedging = params[P_HEDGING] > 0.0
    for s in range(n_sym):
        if agg[s, AG_N_BUY] + agg[s, AG_N_SELL] == 0:
            continue
        band = scratch[s, 4] if sym_f[s, S_N_BANDS] > 0 else math.inf
        lev = _pos_leverage(sym_f[s, S_STATIC_CAP], band, rules.hmr_cap[hp, s] if in_win else math.inf, now, 0,
                            math.inf)
        m_conv = _conv(px, sym_f, s, S_M1_SYM)
        if math.isnan(m_conv):
            bad = s
        buy_lots = agg[s, AG_L_BUY] + agg[s, AG_L_BUY_LO] if agg[s, AG_N_BUY] > 0 else 0.0
        sell_lots = agg[s, AG_L_SELL] + agg[s, AG_L_SELL_LO] if agg[s, AG_N_SELL] > 0 else 0.0
        buy_margin = 0.0
        sell_margin = 0.0
        capped = agg[s, AG_N_CAP] > 0 and now < book.agg_i[G_CAP_UNTIL + s]
        if capped:  # the capped group's lots at its cap, the rest at the symbol's leverage
            lev_cap = _pos_leverage(sym_f[s, S_STATIC_CAP], band, rules.hmr_cap[hp, s] if in_win else math.inf,
                                    now, book.agg_i[G_CAP_UNTIL + s], agg[s, AG_CAP])
            c_buy = agg[s, AG_C_BUY] + agg[s, AG_C_BUY_LO]
            c_sell = agg[s, AG_C_SELL] + agg[s, AG_C_SELL_LO]
            if c_buy > 0:
                buy_margin += _side_margin(rules, book, s, c_buy, px[s, X_ASK], lev_cap, scale, m_conv)
            if c_sell > 0:
                sell_margin += _side_margin(rules, book, s, c_sell, px[s, X_BID], lev_cap, scale, m_conv)
            rest_buy = (agg[s, AG_L_BUY] - agg[s, AG_C_BUY]) + (agg[s, AG_L_BUY_LO] - agg[s, AG_C_BUY_LO])
            rest_sell = (agg[s, AG_L_SELL] - agg[s, AG_C_SELL]) + (agg[s, AG_L_SELL_LO] - agg[s, AG_C_SELL_LO])
        else:
            rest_buy = buy_lots
            rest_sell = sell_lots
        if rest_buy > 0:
            buy_margin += _side_margin(rules, book, s, rest_buy, px[s, X_ASK], lev, scale, m_conv)
        if rest_sell > 0:
            sell_margin += _side_margin(rules, book, s, rest_sell, px[s, X_BID], lev, scale, m_conv)
        scratch[s, 0] = buy_margin
        scratch[s, 1] = sell_margin
        scratch[s, 2] = buy_lots
        scratch[s, 3] = sell_lots
        margin += _symbol_margin(hedging and sym_f[s, S_HEDGE] < 1.0, buy_margin, sell_margin, buy_lots, sell_lots,
                                 sym_f[s, S_HEDGE])
    _finish_recalc(acc_f, acc_i, floating, equity, margin, bad)


@jit
def _margin_of(rules, book, k: int) -> float:
    """Margin of the position in slot ``k`` before hedge relief (account units), as ``value_positions`` writes it."""
    now = book.acc_i[I_NOW]
    in_win = rules.params[P_HMR_ALL] > 0.0 and _in_window(rules.hmr, book.acc_i, now) >= 0
    return _pos_margin(rules, book.px, book.scratch, book.pos_i, book.pos_f, k, rules.params[P_ACC_SCALE], now,
                       in_win, book.acc_i[I_HMR_PTR])[0]


@jit
def value_positions(rules, book) -> None:
    """Write every open position's floating profit and margin (``PF_PROFIT``, ``PF_MARGIN``) at the
    current prices, as ``recalc`` writes them with few positions open: for reading them (the stop-out's
    worst position, ``Account.positions``) after a re-valuation from the totals. O(positions)."""
    params = rules.params
    px = book.px
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    scale = params[P_ACC_SCALE]
    now = acc_i[I_NOW]
    hp = acc_i[I_HMR_PTR]
    in_win = params[P_HMR_ALL] > 0.0 and _in_window(rules.hmr, acc_i, now) >= 0
    for k in range(acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 1:
            pos_f[k, PF_PROFIT] = _pos_profit(px, rules.sym_f, pos_i, pos_f, k, scale)[0]
            pos_f[k, PF_MARGIN] = _pos_margin(rules, px, book.scratch, pos_i, pos_f, k, scale, now, in_win, hp)[0]


@jit_inline
def _so_level(params, acc_f) -> float:
    """Margin level as the stop-out rule sees it (credit excluded where the broker excludes it).

    With no margin used (nothing open, or a fully hedged book at a 0 % hedged margin) the level is
    infinite - unless the equity is below zero: a stop-out level L % is reached where equity <= L % of
    the margin, which with no margin is where the equity runs out (Exness: stop-out at 0 % margin level,
    "no bottom line besides their equity running out"; its NBP then resets the balance). -inf then."""
    return _so_level_of(acc_f[A_EQUITY], acc_f[A_CREDIT], acc_f[A_MARGIN], params[P_SO_CREDIT] != 0.0)


@jit_inline
def _so_level_of(equity: float, credit: float, margin: float, so_credit: bool) -> float:
    """``_so_level`` of the figures given (for the lean path, that holds them in registers)."""
    eq = equity
    if not so_credit:
        eq -= credit
    if margin <= 0.0:
        return -math.inf if eq < 0.0 else math.inf
    return eq / margin * 100.0


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
