"""Column layout of the struct-of-arrays state the compiled kernel and Python share.

Every table is a 2-D NumPy array; these integer constants name its columns. Python writes orders
into ``ord_i``/``ord_f`` between kernel calls and reads deals, trades, events and series back.
Times are int64 nanoseconds (UTC) and live in the int tables; money is float64 in account units
except the balance and deal amounts, which are int64 minor units (cents) so the ledger is exact.

These constants are compiled into the kernel; the compile cache is keyed on this file's content
(``_jit``), so a change here is picked up without further steps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# ---- quote flags (q_flags, uint8) -------------------------------------------------------------
F_CONT = 1  # the price moved continuously from this symbol's previous quote (a bar-path segment)
F_CLOSE = 2  # the close of a decision bar: record a series point, apply vectorized targets
F_OPEN = 4  # the open of a bar (the pessimistic SL-before-TP rule is applied here)

# ---- params (float64) -------------------------------------------------------------------------
P_MC = 0  # margin-call level % (nan: none)
P_SO = 1  # stop-out level %
P_SO_CREDIT = 2  # 1: credit counts in equity for stop-out
P_NBP = 3  # 1: negative balance protection
P_DEL_PENDING = 4  # 1: delete pending orders at stop-out
P_COMMISSION = 5  # commission per lot per side, in the commission currency
P_HEDGING = 6  # 1: hedging account, 0: netting
P_ACC_SCALE = 7  # account units per unit of the underlying currency (100 for cent accounts)
P_MINOR = 8  # minor units per account unit (100 for 2-digit currencies)
P_SLIPPAGE = 9  # max adverse slippage in points on market and stop fills (uniform), 0: none
P_PESSIMISTIC = 10  # 1: SL before TP when both are inside one bar
P_HMR_ALL = 11  # 1: some HMR window applies to all open positions while it lasts
P_CASHBACK = 12  # cashback per lot (round turn), account units
P_CASHBACK_PER_TRADE = 13  # 1: paid at each close; 0: accumulated and paid at cashback times
P_STRIDE = 14  # record a series point every N quotes (0: only at bar closes and events)
P_SWAP_FREE = 15  # 1: no swaps
P_VEC_SYM = 16  # symbol index traded by the vectorized targets (-1: none)
P_LEAN = 17  # 1: quotes where nothing can fill take the lean paths (0: every quote the full path; for tests)
P_COMM_NOTIONAL = 18  # commission per unit of notional traded (XM Zero: 3.5 / 100,000), 0: per lot (P_COMMISSION)
P_COMM_OPEN = 19  # sides of commission booked at the open (1; 2 when open and close are charged together at opening)
P_COMM_CLOSE = 20  # sides booked at the close (1; 0 when both were charged at opening)
P_HEDGE_CLOSE = 21  # 1: closing a hedge leg is refused when the leg it unhedges needs more margin than the equity
N_PARAMS = 22

# ---- per-symbol table sym_f (float64) -------------------------------------------------------
S_CS = 0
S_MODE = 1
S_MRATE = 2
S_POINT = 3
S_STATIC_CAP = 4
S_FIXED_RATE = 5  # nan: leverage-based
S_HMR_CAP = 6  # inf: none (the tightest window's cap; the kernel reads per-window caps from hmr_cap)
S_BANDS_REPRICE = 7
S_HEDGE = 8  # hedge factor h
S_SWAP_LONG = 9
S_SWAP_SHORT = 10
S_SWAP_MODE = 11  # 0 points, 1 money (account units per lot), 2 interest (annual %)
S_M1_SYM = 12  # margin conversion legs: symbol index of the pair (-1 none) and invert flag
S_M1_INV = 13
S_M2_SYM = 14
S_M2_INV = 15
S_P1_SYM = 16  # profit conversion legs
S_P1_INV = 17
S_P2_SYM = 18
S_P2_INV = 19
S_C1_SYM = 20  # commission currency -> account legs (same for all symbols; stored per row)
S_C1_INV = 21
S_C2_SYM = 22
S_C2_INV = 23
S_N_BANDS = 24
S_MIN_LOT = 25
S_LOT_STEP = 26
S_MAX_LOT = 27
N_SYM = 28

# ---- prices px (float64, one row per symbol) --------------------------------------------------
X_BID = 0
X_ASK = 1
X_PBID = 2  # previous quote
X_PASK = 3
X_HAVE = 4
N_PX = 5

# ---- account scalars acc_f (float64) ----------------------------------------------------------
A_CREDIT = 0
A_EQUITY = 1
A_MARGIN = 2
A_FREE = 3
A_LEVEL = 4  # inf when no margin is used
A_FLOATING = 5
A_NBP = 6  # absorbed by negative balance protection, account units
A_COST_SPREAD = 7
A_COST_COMMISSION = 8
A_COST_SWAP = 9
A_CASHBACK = 10
A_CASHBACK_DUE = 11  # lots accumulated for scheduled cashback
A_MIN_LEVEL = 12
N_ACC_F = 13

# ---- account scalars acc_i (int64) ------------------------------------------------------------
I_BALANCE = 0  # minor units
I_NEXT_POS_ID = 1
I_NEXT_ORDER_ID = 2
I_N_DEALS = 3
I_N_TRADES = 4
I_N_EVENTS = 5
I_N_SERIES = 6
I_ROLL_PTR = 7
I_HMR_PTR = 8
I_MC_STATE = 9  # 1 while below the MC level (an event fires on each downward crossing)
I_ERROR = 10  # kernel error code (0 none)
I_ERROR_ARG = 11
I_POS_HIGH = 12  # slots 0..high-1 may hold positions
I_ORD_HIGH = 13  # slots 0..high-1 may hold orders, in the order placed; a new order goes to slot high
I_NOW = 14  # time of the last processed quote
I_STRIDE_CTR = 15
I_DEC_PTR = 16  # next vectorized decision
I_CASH_PTR = 17
I_N_OPEN = 18
I_QUOTES = 19  # quotes processed
N_ACC_I = 20

ERR_NO_RATE = 1  # no price yet for a conversion pair (arg: symbol index)
ERR_NO_ROOM = 2  # a fill found no free position slot (arg: order id): the room check before each quote failed

# ---- positions pos_i (int64) / pos_f (float64) ------------------------------------------------
PI_ACTIVE = 0
PI_ID = 1
PI_SYM = 2
PI_SIDE = 3  # +1 buy, -1 sell
PI_OPEN_TIME = 4
PI_HMR_UNTIL = 5  # HMR cap applies while now < this (0: none)
PI_COMM_MINOR = 6  # commission booked so far (minor, negative = paid)
PI_SWAP_MINOR = 7
N_POS_I = 8

PF_LOTS = 0
PF_OPEN = 1
PF_SL = 2  # nan: none
PF_TP = 3
PF_LEV_OPEN = 4  # band leverage at open (used when bands do not re-price open positions)
PF_PROFIT = 5  # floating, account units
PF_MARGIN = 6  # account units (before hedge relief)
PF_MAE = 7  # worst floating profit seen (account units)
PF_MFE = 8  # best floating profit seen
PF_HMR_CAP = 9  # leverage cap from the HMR windows the position was opened in (while now < PI_HMR_UNTIL)
N_POS_F = 10

# ---- orders ord_i / ord_f ---------------------------------------------------------------------
OI_ACTIVE = 0
OI_ID = 1
OI_SYM = 2
OI_SIDE = 3
OI_TYPE = 4
OI_POS_ID = 5  # CLOSE: the position to close (0: all positions of the symbol)
OI_TIME = 6
OI_TAG = 7  # reason code for closes (signal)
N_ORD_I = 8

OF_LOTS = 0  # for CLOSE: lots to close (nan: all)
OF_PRICE = 1
OF_SL = 2
OF_TP = 3
N_ORD_F = 4

OT_MARKET = 0
OT_LIMIT = 1
OT_STOP = 2
OT_CLOSE = 3

# ---- deals deal_i / deal_f --------------------------------------------------------------------
DI_TIME = 0
DI_KIND = 1
DI_POS_ID = 2
DI_AMOUNT = 3  # minor units
DI_BALANCE = 4  # balance after, minor units
DI_SYM = 5
DI_SIDE = 6
N_DEAL_I = 7
DF_LOTS = 0
DF_PRICE = 1
N_DEAL_F = 2

D_DEPOSIT = 0
D_OPEN = 1  # an entry: amount 0 (the spread is paid through the price)
D_CLOSE = 2
D_COMMISSION = 3
D_SWAP = 4
D_NBP = 5
D_BONUS = 6  # credit granted (does not change the balance)
D_CASHBACK = 7
DEAL_KINDS = ("deposit", "open", "close", "commission", "swap", "nbp", "bonus", "cashback")

# ---- trades tr_i / tr_f -----------------------------------------------------------------------
TI_POS_ID = 0
TI_SYM = 1
TI_SIDE = 2
TI_OPEN_TIME = 3
TI_CLOSE_TIME = 4
TI_REASON = 5
TI_PROFIT = 6  # minor
TI_COMM = 7  # minor
TI_SWAP = 8  # minor
N_TR_I = 9
TF_LOTS = 0
TF_OPEN = 1
TF_CLOSE = 2
TF_MAE = 3
TF_MFE = 4
N_TR_F = 5

R_SIGNAL = 0
R_SL = 1
R_TP = 2
R_STOP_OUT = 3
R_END = 4
CLOSE_REASONS = ("signal", "sl", "tp", "stop_out", "end")

# ---- events ev_i / ev_f -----------------------------------------------------------------------
EI_TIME = 0
EI_TYPE = 1
EI_SYM = 2
EI_REF = 3  # order or position id
EI_REASON = 4
N_EV_I = 5
EF_PRICE = 0
EF_LEVEL = 1
EF_AMOUNT = 2
EF_EQUITY = 3
EF_LIMIT = 4  # the limit a refused order broke: the minimum lot of a below_min_lot reject
N_EV_F = 5

E_REJECT = 0
E_MARGIN_CALL = 1
E_STOP_OUT = 2
E_NBP = 3
E_PENDING_DELETED = 4
E_CANCELLED = 5  # an order withdrawn by its owner, or still pending when the run finished
EVENT_TYPES = ("reject", "margin_call", "stop_out", "nbp", "pending_deleted", "cancelled")

REJ_NO_MONEY = 0
REJ_LOTS = 1
REJ_STOPS = 2  # SL or TP on the wrong side of the price the position would close at (or of the entry)
REJ_BELOW_MIN_LOT = 3  # risk sizing gave less than the minimum lot: no order (amount: the lots computed)
REJECT_REASONS = ("not enough free margin", "invalid volume", "invalid_stops", "below_min_lot")

CAN_OWNER = 0
CAN_END = 1
CANCEL_REASONS = ("cancelled", "end")

# ---- HMR schedule hmr (int64, one row per elementary interval: no window starts or ends inside) ------
# and hmr_cap (float64, the same rows; columns 0..n_sym-1: cap on every open position while inside,
# n_sym..2n_sym-1: cap given to positions opened inside; inf: none)
H_START = 0
H_END = 1
H_NEW_UNTIL = 2  # end of the new-position windows containing this interval (0: none): the cap's expiry
N_HMR = 3

# ---- series ser_f (float64, one row per quantity: ser_f[SR_EQUITY, n]) -------------------------------
SR_BALANCE = 0
SR_EQUITY = 1
SR_MARGIN = 2
SR_FREE = 3
SR_LEVEL = 4
N_SER = 5


# ---- the tables grouped as the kernel takes them (numba passes each tuple as one struct) ----------
class Quotes(NamedTuple):
    """The merged quote stream, one entry per quote."""

    time: np.ndarray  # int64 ns (n,)
    sym: np.ndarray  # int64 symbol index (n,)
    bid: np.ndarray  # float64 (n,)
    ask: np.ndarray  # float64 (n,)
    flags: np.ndarray  # uint8 F_* bits (n,)


class Rules(NamedTuple):
    """What the account's terms fix: parameters, symbols, equity bands and the time schedules."""

    params: np.ndarray  # float64 (N_PARAMS,), P_*
    sym_f: np.ndarray  # float64 (n_sym, N_SYM), S_*
    band_floor: np.ndarray  # float64 (n_sym, n_bands): ascending equity floors, account units
    band_lev: np.ndarray  # float64 (n_sym, n_bands): leverage from each floor up
    hmr: np.ndarray  # int64 (n_intervals, N_HMR), H_*
    hmr_cap: np.ndarray  # float64 (n_intervals, 2 n_sym): see the HMR schedule above
    roll_t: np.ndarray  # int64 ns (n_roll,): rollover instants
    roll_f: np.ndarray  # float64 (n_roll, 2 n_sym): each symbol's long, short swap per lot there, nights included
    cash_t: np.ndarray  # int64 ns (n_cash,): scheduled cashback payments


class Book(NamedTuple):
    """The account's live state: prices, account scalars, positions, orders and work space."""

    px: np.ndarray  # float64 (n_sym, N_PX), X_*
    acc_f: np.ndarray  # float64 (N_ACC_F,), A_*
    acc_i: np.ndarray  # int64 (N_ACC_I,), I_*
    pos_i: np.ndarray  # int64 (slots, N_POS_I), PI_*
    pos_f: np.ndarray  # float64 (slots, N_POS_F), PF_*
    ord_i: np.ndarray  # int64 (slots, N_ORD_I), OI_*
    ord_f: np.ndarray  # float64 (slots, N_ORD_F), OF_*
    scratch: np.ndarray  # float64 (n_sym, 5): per-symbol buy/sell margin and lots, band leverage
    cand_t: np.ndarray  # float64 (2 pos slots + ord slots + 4,): path points of this quote's fills
    cand_k: np.ndarray  # int64 (same,): what fills there (SL slot, P + TP slot, 2P + order slot)
    agg: np.ndarray  # float64 (n_sym, N_AG): the open positions' per-symbol totals, AG_*
    agg_i: np.ndarray  # int64 (N_AGI + n_sym,): the book's counters, G_*
    ext_k: np.ndarray  # int64 (4 n_sym, slots): lazy MAE/MFE groups, first key of each (stack 4 s + EXT_*)
    ext_v: np.ndarray  # float64 (same): each group's extreme price since its positions were attached
    pos_key: np.ndarray  # int64 (slots,): each position's lazy MAE/MFE key (its group: the last key <= it)


class Ledger(NamedTuple):
    """What the run has written: deals, trades, events and the recorded series."""

    deal_i: np.ndarray  # int64 (rows, N_DEAL_I), DI_*
    deal_f: np.ndarray  # float64 (rows, N_DEAL_F), DF_*
    tr_i: np.ndarray  # int64 (rows, N_TR_I), TI_*
    tr_f: np.ndarray  # float64 (rows, N_TR_F), TF_*
    ev_i: np.ndarray  # int64 (rows, N_EV_I), EI_*
    ev_f: np.ndarray  # float64 (rows, N_EV_F), EF_*
    ser_t: np.ndarray  # int64 ns (points,)
    ser_f: np.ndarray  # float64 (N_SER, points)


class Decisions(NamedTuple):
    """Compiled target positions for the symbol P_VEC_SYM names: ``target[d]`` signed lots at quote ``idx[d]``."""

    idx: np.ndarray  # int64 quote indices (n,), ascending
    target: np.ndarray  # float64 signed lots (n,); nan: no change


class Segment(NamedTuple):
    """One symbol's price path from its previous quote (bid0, ask0) to this one (bid1, ask1)."""

    sym: int
    bid0: float
    ask0: float
    bid1: float
    ask1: float
    cont: bool  # the price moved continuously (a bar path), else it gapped


# ---- the book's per-symbol totals agg (float64, one row per symbol) and counters agg_i (int64) -----
# Kept at every open, close and change of a position, so a quote re-values the account from them in
# O(symbols) once more than a few positions are open (G_FEW). Sums are double-double
# (value + rounding error) so adding and removing a million positions leaves no drift.
AG_N_BUY = 0  # open buy positions
AG_N_SELL = 1
AG_L_BUY = 2  # sum of lots (hi, lo)
AG_L_BUY_LO = 3
AG_S_BUY = 4  # sum of lots x open price (hi, lo)
AG_S_BUY_LO = 5
AG_L_SELL = 6
AG_L_SELL_LO = 7
AG_S_SELL = 8
AG_S_SELL_LO = 9
AG_N_STOPS = 10  # positions with an SL or a TP
AG_N_BOTH = 11  # positions with both
AG_BUY_SL_MAX = 12  # bounds of the levels set (widened on set, exact after each scan): a quote that
AG_BUY_TP_MIN = 13  # crosses none of them triggers no SL/TP of the symbol
AG_SELL_SL_MIN = 14
AG_SELL_TP_MAX = 15
AG_EXT_LEN = 16  # 16..19: length of the symbol's four lazy MAE/MFE stacks (EXT_*)
AG_CAP = 20  # the symbol's capped group: positions opened in the same HMR windows (same cap, same expiry
AG_N_CAP = 21  # agg_i[G_CAP_UNTIL + s]), whose margin takes that cap until it expires: cap, positions,
AG_C_BUY = 22  # their lots (hi, lo) by side
AG_C_BUY_LO = 23
AG_C_SELL = 24
AG_C_SELL_LO = 25
N_AG = 26

EXT_BUY_LOW = 0  # lowest bid (a buy's MAE), highest bid (its MFE), highest ask (a sell's MAE), lowest ask
EXT_BUY_HIGH = 1
EXT_SELL_HIGH = 2
EXT_SELL_LOW = 3

G_MODE = 0  # 1: the last re-valuation used the totals (per-position profit and margin not written)
G_LAZY = 1  # 1: MAE/MFE tracked lazily by the ext_* stacks
G_N_VAR = 2  # open positions whose profit currency converts at a moving rate (no lazy MAE/MFE then)
G_MIX_UNTIL = 3  # latest HMR cap expiry of the positions that could not join their symbol's capped group
# (opened in other windows while it ran): per-position margin before it
G_FREE_LO = 4  # no free position slot below this one
G_KEY = 5  # last lazy key given
G_FEW = 6  # up to this many open positions, valued one by one (TOTALS_ABOVE; 0: always from the totals, for tests)
N_AGI = 7
G_CAP_UNTIL = 7  # + s: expiry of symbol s's capped group (agg_i holds N_AGI + n_sym entries)
TOTALS_ABOVE = 64  # G_FEW's value: few enough positions keep the per-position arithmetic (and bits) of old

# ---- room the ledger tables keep free before each quote, per open position or live order (+ ROOM_FIXED):
# a quote may close every position (a stop-out: close, commission and cashback deals, a trade, an event
# and a series point each) and fill every order (open and commission deals; on netting a close too)
ROOM_DEALS = 5
ROOM_TRADES = 2
ROOM_EVENTS = 3
ROOM_SERIES = 2
ROOM_FIXED = 32
