"""Bookings: money rounded to minor units, deals, events, trades, series points, commission, swaps, NBP."""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit, jit_inline
from .._layout import (
    A_CASHBACK,
    A_CASHBACK_DUE,
    A_COST_COMMISSION,
    A_COST_SWAP,
    A_CREDIT,
    A_EQUITY,
    A_FREE,
    A_LEVEL,
    A_MARGIN,
    A_MIN_LEVEL,
    A_NBP,
    D_CASHBACK,
    D_CLOSE,
    D_COMMISSION,
    D_NBP,
    D_SWAP,
    DF_LOTS,
    DF_PRICE,
    DI_AMOUNT,
    DI_BALANCE,
    DI_KIND,
    DI_POS_ID,
    DI_SIDE,
    DI_SYM,
    DI_TIME,
    E_NBP,
    EF_AMOUNT,
    EF_EQUITY,
    EF_LEVEL,
    EF_PRICE,
    EI_REASON,
    EI_REF,
    EI_SYM,
    EI_TIME,
    EI_TYPE,
    ERR_NO_RATE,
    I_BALANCE,
    I_N_DEALS,
    I_N_EVENTS,
    I_N_OPEN,
    I_N_SERIES,
    I_N_TRADES,
    I_NOW,
    I_POS_HIGH,
    P_ACC_SCALE,
    P_CASHBACK,
    P_CASHBACK_PER_TRADE,
    P_COMM_CLOSE,
    P_COMM_NOTIONAL,
    P_COMM_OPEN,
    P_COMMISSION,
    P_MINOR,
    P_NBP,
    PF_LOTS,
    PF_MAE,
    PF_MARGIN,
    PF_MFE,
    PF_OPEN,
    PF_PROFIT,
    PI_ACTIVE,
    PI_COMM_MINOR,
    PI_ID,
    PI_OPEN_TIME,
    PI_SIDE,
    PI_SWAP_MINOR,
    PI_SYM,
    S_C1_SYM,
    S_CS,
    S_P1_SYM,
    S_POINT,
    S_SWAP_MODE,
    SR_BALANCE,
    SR_EQUITY,
    SR_FREE,
    SR_LEVEL,
    SR_MARGIN,
    TF_CLOSE,
    TF_LOTS,
    TF_MAE,
    TF_MFE,
    TF_OPEN,
    TI_CLOSE_TIME,
    TI_COMM,
    TI_OPEN_TIME,
    TI_POS_ID,
    TI_PROFIT,
    TI_REASON,
    TI_SIDE,
    TI_SWAP,
    TI_SYM,
    X_ASK,
    X_BID,
)
from ..formulas import profit_in_profit_ccy
from .margin import _conv, _set_error

LOT_EPS = 1e-9


@jit
def to_minor_units(amount: float, minor: float) -> int:
    """Round an amount to integer minor units, half away from zero, as ``money.round_money`` does.

    The product is first rounded to 6 decimals so float noise (10.005 * 100 = 1000.4999...)
    rounds the way the decimal amount does.
    """
    y = np.round(amount * minor, 6)
    if y >= 0.0:
        return int(math.floor(y + 0.5))
    return -int(math.floor(-y + 0.5))


@jit
def _book(book, ledger, kind: int, t: int, pos_id: int, s: int, side: int, amount: int, lots: float,
          price: float) -> None:
    """Append a deal and apply its amount (minor units) to the balance."""
    acc_i = book.acc_i
    deal_i = ledger.deal_i
    deal_f = ledger.deal_f
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
def _event(book, ledger, typ: int, t: int, s: int, ref: int, reason: int, price: float, level: float,
           amount: float) -> None:
    """Append an event (E_*) with the equity at this moment; its margin level counts in the lowest seen."""
    if level < book.acc_f[A_MIN_LEVEL]:
        book.acc_f[A_MIN_LEVEL] = level
    acc_i = book.acc_i
    ev_i = ledger.ev_i
    ev_f = ledger.ev_f
    n = acc_i[I_N_EVENTS]
    ev_i[n, EI_TIME] = t
    ev_i[n, EI_TYPE] = typ
    ev_i[n, EI_SYM] = s
    ev_i[n, EI_REF] = ref
    ev_i[n, EI_REASON] = reason
    ev_f[n, EF_PRICE] = price
    ev_f[n, EF_LEVEL] = level
    ev_f[n, EF_AMOUNT] = amount
    ev_f[n, EF_EQUITY] = book.acc_f[A_EQUITY]
    acc_i[I_N_EVENTS] = n + 1


@jit_inline
def record(rules, book, ledger) -> None:
    """Append one point to the balance/equity/margin/free-margin/margin-level series (``ser_f`` holds
    one row per quantity, so each is a contiguous array for the Result); its margin level counts in the
    lowest seen. Inlined: it runs at every bar close, and a call passes every table of three tuples."""
    acc_i = book.acc_i
    acc_f = book.acc_f
    lvl = acc_f[A_LEVEL]
    record_point(ledger, acc_i, acc_i[I_NOW], acc_i[I_BALANCE] / rules.params[P_MINOR], acc_f[A_EQUITY],
                 acc_f[A_MARGIN], acc_f[A_FREE], lvl)
    if lvl < acc_f[A_MIN_LEVEL]:
        acc_f[A_MIN_LEVEL] = lvl


@jit_inline
def record_point(ledger, acc_i, t: int, balance: float, equity: float, margin: float, free: float,
                 level: float) -> None:
    """``record``'s series point from the figures given (the lean path holds them in registers); the
    margin level is stored as NaN while there is no margin (inf)."""
    ser_f = ledger.ser_f
    n = acc_i[I_N_SERIES]
    ledger.ser_t[n] = t
    ser_f[SR_BALANCE, n] = balance
    ser_f[SR_EQUITY, n] = equity
    ser_f[SR_MARGIN, n] = margin
    ser_f[SR_FREE, n] = free
    ser_f[SR_LEVEL, n] = level if level < math.inf else math.nan
    acc_i[I_N_SERIES] = n + 1


@jit
def _commission_sides(rules, book, s: int, lots: float, sides: float) -> int:
    """``sides`` sides of commission on ``lots`` in account minor units (negative: a charge), converted
    at this quote: per lot (``P_COMMISSION`` in the commission currency) or per notional traded
    (``P_COMM_NOTIONAL`` per unit, on lots x contract size x mid in the profit currency, converted to
    the account with the profit legs - the commission currency is the notional's)."""
    params = rules.params
    if sides == 0.0:
        return 0
    c = params[P_COMMISSION]
    cn = params[P_COMM_NOTIONAL]
    if c == 0.0 and cn == 0.0:
        return 0
    px = book.px
    sym_f = rules.sym_f
    amount = 0.0
    if c != 0.0:
        f = _conv(px, sym_f, s, S_C1_SYM)
        if math.isnan(f):
            _set_error(book.acc_i, ERR_NO_RATE, s)
            return 0
        amount += c * lots * f
    if cn != 0.0:
        f = _conv(px, sym_f, s, S_P1_SYM)
        if math.isnan(f):
            _set_error(book.acc_i, ERR_NO_RATE, s)
            return 0
        amount += cn * lots * sym_f[s, S_CS] * 0.5 * (px[s, X_BID] + px[s, X_ASK]) * f
    return -to_minor_units(amount * sides * params[P_ACC_SCALE], params[P_MINOR])


@jit
def _commission(rules, book, s: int, lots: float) -> int:
    """Commission booked when ``lots`` open, in account minor units (negative: a charge): one side, or
    both where the platform charges the round turn at opening (``P_COMM_OPEN``)."""
    return _commission_sides(rules, book, s, lots, rules.params[P_COMM_OPEN])


@jit
def close_position(rules, book, ledger, k: int, lots: float, price: float, reason: int) -> int:
    """Close ``lots`` of the position in slot ``k`` at ``price``: book the deals, write a trade.

    Returns the realised profit in minor units (before commission and swap).
    """
    params = rules.params
    acc_f = book.acc_f
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    tr_i = ledger.tr_i
    tr_f = ledger.tr_f
    minor = params[P_MINOR]
    t = acc_i[I_NOW]
    s = pos_i[k, PI_SYM]
    side = pos_i[k, PI_SIDE]
    plots = pos_f[k, PF_LOTS]
    if lots > plots or plots - lots < LOT_EPS:
        lots = plots
    full = lots == plots
    pc = _conv(book.px, rules.sym_f, s, S_P1_SYM)
    if math.isnan(pc):
        _set_error(acc_i, ERR_NO_RATE, s)
        pc = 0.0
    profit = profit_in_profit_ccy(side, lots, rules.sym_f[s, S_CS], pos_f[k, PF_OPEN], price) * pc * params[P_ACC_SCALE]
    pm = to_minor_units(profit, minor)
    pid = pos_i[k, PI_ID]
    _book(book, ledger, D_CLOSE, t, pid, s, -side, pm, lots, price)
    cm = _commission_sides(rules, book, s, lots, params[P_COMM_CLOSE])
    if cm != 0:
        _book(book, ledger, D_COMMISSION, t, pid, s, -side, cm, lots, price)
        acc_f[A_COST_COMMISSION] -= cm / minor
    if params[P_CASHBACK] > 0.0:
        if params[P_CASHBACK_PER_TRADE] > 0.0:
            cb = to_minor_units(params[P_CASHBACK] * lots, minor)
            if cb != 0:
                _book(book, ledger, D_CASHBACK, t, pid, s, 0, cb, lots, 0.0)
                acc_f[A_CASHBACK] += cb / minor
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
def _swaps(rules, book, ledger, t: int, row) -> None:
    """Book one rollover's swap for every open position. ``row`` is this rollover's row of ``roll_f``: per
    symbol its long and short swap per lot, nights included, in the symbol's unit (``S_SWAP_MODE``: 0
    points, 1 account money, 2 a fraction of the notional at the rollover's mid)."""
    params = rules.params
    sym_f = rules.sym_f
    px = book.px
    acc_i = book.acc_i
    pos_i = book.pos_i
    pos_f = book.pos_f
    scale = params[P_ACC_SCALE]
    for k in range(acc_i[I_POS_HIGH]):
        if pos_i[k, PI_ACTIVE] == 0:
            continue
        s = pos_i[k, PI_SYM]
        side = pos_i[k, PI_SIDE]
        lots = pos_f[k, PF_LOTS]
        rate = row[2 * s] if side > 0 else row[2 * s + 1]
        if rate == 0.0:
            continue
        mode = int(sym_f[s, S_SWAP_MODE])
        if mode == 1:
            amount = rate * lots
        else:
            if mode == 0:
                amount = rate * sym_f[s, S_POINT] * sym_f[s, S_CS] * lots
            else:
                amount = lots * sym_f[s, S_CS] * 0.5 * (px[s, X_BID] + px[s, X_ASK]) * rate
            pc = _conv(px, sym_f, s, S_P1_SYM)
            if math.isnan(pc):
                _set_error(acc_i, ERR_NO_RATE, s)
                pc = 0.0
            amount = amount * pc * scale
        am = to_minor_units(amount, params[P_MINOR])
        if am != 0:
            _book(book, ledger, D_SWAP, t, pos_i[k, PI_ID], s, side, am, lots, 0.0)
            pos_i[k, PI_SWAP_MINOR] += am
            book.acc_f[A_COST_SWAP] -= am / params[P_MINOR]


@jit
def _nbp(rules, book, ledger) -> None:
    """Negative balance protection: with nothing open, a negative balance is reset to zero."""
    params = rules.params
    acc_f = book.acc_f
    acc_i = book.acc_i
    if params[P_NBP] > 0.0 and acc_i[I_N_OPEN] == 0 and acc_i[I_BALANCE] < 0:
        amt = -acc_i[I_BALANCE]
        t = acc_i[I_NOW]
        _book(book, ledger, D_NBP, t, 0, -1, 0, amt, 0.0, 0.0)
        acc_f[A_NBP] += amt / params[P_MINOR]
        acc_f[A_EQUITY] = acc_f[A_CREDIT]
        acc_f[A_FREE] = acc_f[A_CREDIT]
        _event(book, ledger, E_NBP, t, -1, 0, 0, math.nan, math.nan, amt / params[P_MINOR])
