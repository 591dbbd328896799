"""Readers of MetaTrader statements into one ``Statement``: MT4 DetailedStatement / Statement (HTML),
MT5 trade history report (HTML or XLSX) and MT5 Strategy Tester report (HTML, UTF-16 or UTF-8).

Tables are found by the shape of their rows - a time, a ticket, ``buy``/``sell`` (the platform's own
words, never translated), numbers where numbers go - not by their headers, which the terminal writes
in the user's language: a French or Japanese report reads like an English one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..conversion import MissingRateError
from ..instruments import instrument
from ..money import MoneyError
from ..money import currency as money_currency
from ._calc import account_profit
from ._tables import Sheet, parse_number, parse_time, parse_volume, read_sheet
from .model import AccountInfo, BalanceOp, Exit, Statement, StatementError, Trade
from .symbols import map_symbol, unmapped_reason

_SIDES = {"buy": 1, "sell": -1}
_PENDING = ("buy limit", "sell limit", "buy stop", "sell stop", "buy stop limit", "sell stop limit")
_BALANCE_KINDS = ("balance", "credit", "bonus", "correction", "charge", "commission", "interest", "dividend",
                  "tax", "agent", "so_compensation")
_DIRECTIONS = ("in", "out", "in/out", "out by")
_ACCOUNT_ROW = re.compile(r"^(?P<num>\d+)\s*\((?P<ccy>[A-Z]{3}),\s*(?P<server>[^,]+),\s*(?P<kind>[^,]+),"
                          r"\s*(?P<mode>[^,)]+)(?:,\s*(?P<rest>[^)]*))?\)")
_LEVERAGE = re.compile(r"^1\s*:\s*(\d+(?:\.\d+)?)$")


def _leverage(text: str) -> float | None:
    m = _LEVERAGE.match(text.strip())
    return float(m.group(1)) if m else None


def _is_ccy(text: str) -> bool:
    if not re.fullmatch(r"[A-Z]{3}", text.strip()):
        return False
    try:
        money_currency(text.strip())
    except MoneyError:
        return False
    return True


def _num(cells: list[str], i: int) -> Decimal:
    v = parse_number(cells[i]) if i < len(cells) else None
    return v if v is not None else Decimal(0)


def _opt_price(text: str) -> Decimal | None:
    v = parse_number(text)
    return None if v is None or v == 0 else v


# ------------------------------------------------------------------ row shapes
def _mt4_trade(c: list[str]) -> bool:
    return (len(c) in (13, 14) and parse_time(c[1]) is not None and c[2].lower() in _SIDES
            and parse_number(c[3]) is not None and bool(c[4]))


def _mt4_balance(c: list[str]) -> bool:
    return 4 <= len(c) <= 6 and parse_time(c[1]) is not None and c[2].lower() in _BALANCE_KINDS \
        and parse_number(c[-1]) is not None


def _mt5_deal(c: list[str]) -> bool:
    return (len(c) >= 11 and parse_time(c[0]) is not None and c[1].isdigit()
            and (c[3].lower() in _SIDES and c[4].lower() in _DIRECTIONS or c[3].lower() in _BALANCE_KINDS))


def _mt5_position(c: list[str]) -> bool:
    return (len(c) >= 13 and parse_time(c[0]) is not None and c[1].isdigit() and c[3].lower() in _SIDES
            and parse_volume(c[4]) is not None and parse_time(c[8]) is not None
            and all(parse_number(c[k]) is not None for k in (5, 9, 10, 12)))  # an order row has its state at 9


def detect(sheet: Sheet) -> str:
    """The format of a file's rows (``FORMATS``); StatementError naming the file and what was expected."""
    rows = sheet.rows
    if any(_mt5_deal(r) for r in rows):
        if any(_ACCOUNT_ROW.match(cell) for r in rows[:12] for cell in r):
            return "mt5-history"
        return "mt5-tester"
    if any(_mt4_trade(r) or _mt4_balance(r) for r in rows):
        return "mt4-statement"
    what = ("a workbook without the deals table" if sheet.kind == "xlsx"
            else "an HTML page without a trades or deals table")
    raise StatementError(f"{sheet.path}: {what}; expected an MT5 trade history report (its Deals table: time, deal, "
                         f"symbol, type, direction, volume, price, order, commission, swap, profit, balance), an "
                         f"MT5 Strategy Tester report, or an MT4 DetailedStatement (closed transactions: ticket, "
                         f"open time, type, size, item, price, S/L, T/P, close time, price, commission, swap, profit)")


# ------------------------------------------------------------------ MT4
def _summary_balance(rows: list[list[str]], after: int) -> Decimal | None:
    """The MT4 summary block: three rows of ``label: number`` pairs (deposit/withdrawal, closed P/L, balance);
    the balance is the first number of the third."""

    def pairs(c: list[str]) -> bool:
        return (len(c) >= 4 and c[0].endswith(":") and c[2].endswith(":")
                and parse_number(c[1]) is not None and parse_number(c[3]) is not None)

    for i in range(after, len(rows) - 2):
        if pairs(rows[i]) and pairs(rows[i + 1]) and pairs(rows[i + 2]):
            return parse_number(rows[i + 2][1])
    return None


def read_mt4(sheet: Sheet, overrides: Mapping[str, str] | None = None) -> Statement:
    """An MT4 DetailedStatement (or Statement): closed and open trades, balance operations, the summary balance."""
    rows = sheet.rows
    acct = _mt4_account(sheet)
    trades: list[Trade] = []
    ops: list[BalanceOp] = []
    unmapped: dict[str, str] = {}
    last = 0
    for i, c in enumerate(rows):
        if _mt4_balance(c):
            amount = parse_number(c[-1])
            assert amount is not None
            ops.append(BalanceOp(parse_time(c[1]) or 0, amount, c[2].lower(), c[3] if len(c) > 4 else "", c[0]))
            last = i
        elif _mt4_trade(c):
            taxes = len(c) == 14
            comm, tax, swap, profit = (_num(c, 10), _num(c, 11) if taxes else Decimal(0),
                                       _num(c, 12 if taxes else 11), _num(c, 13 if taxes else 12))
            lots = parse_number(c[3]) or Decimal(0)
            sym = map_symbol(c[4], overrides)
            if sym is None:
                unmapped[c[4]] = unmapped_reason(c[4])
            close_t = parse_time(c[8])
            exits: tuple[Exit, ...] = ()
            if close_t is not None:
                exits = (Exit(close_t, lots, parse_number(c[9]) or Decimal(0), profit, Decimal(0), swap,
                              ticket=c[0]),)
            trades.append(Trade(c[0], c[4], sym, _SIDES[c[2].lower()], lots, parse_time(c[1]) or 0,
                                parse_number(c[5]) or Decimal(0), _opt_price(c[6]), _opt_price(c[7]), exits,
                                open_commission=comm, taxes=tax))
            last = i
    balance = _summary_balance(rows, last + 1)
    if balance is None:
        raise StatementError(f"{sheet.path}: an MT4 statement without its Summary block (the rows of deposit/"
                             f"withdrawal, closed trade P/L and balance after the trades): the file looks truncated "
                             f"or edited; expected a complete DetailedStatement")
    notes = ("MT4 prints one commission per trade: it is kept on the trade's opening",)
    return Statement(sheet.path, "mt4-statement", acct, tuple(trades), tuple(ops), balance, notes=notes,
                     unmapped=unmapped)


def _mt4_account(sheet: Sheet) -> AccountInfo:
    number = ccy = None
    lev = None
    for c in sheet.rows[:3]:
        for cell in c:
            label, sep, value = cell.partition(":")
            value = value.strip()
            if not sep:
                continue
            if number is None and value.isdigit():
                number = value
            elif ccy is None and _is_ccy(value):
                ccy = value
            elif lev is None and _leverage(value) is not None:
                lev = _leverage(value)
    company = sheet.head[0] if sheet.head else None
    return AccountInfo(number=number, currency=ccy, leverage=lev, company=company)


# ------------------------------------------------------------------ MT5
@dataclass
class _Open:
    """A position being built from its deals."""

    ticket: str
    raw: str
    symbol: str | None
    side: int
    lots: Decimal
    time: int
    price: Decimal
    commission: Decimal
    comment: str
    remaining: Decimal
    exits: list[Exit] = field(default_factory=list)


def _header_width(rows: list[list[str]], first: int) -> int:
    """The width of the table whose first data row is ``first``: its header row just above."""
    return len(rows[first - 1]) if first > 0 and len(rows[first - 1]) >= 11 else len(rows[first])


def read_mt5(sheet: Sheet, fmt: str, overrides: Mapping[str, str] | None = None) -> Statement:
    """An MT5 trade history report or Strategy Tester report, from its Deals table: each in deal opens a
    position (its order is the position's id), each out deal closes lots of one, commission per deal."""
    rows = sheet.rows
    idx = [i for i, c in enumerate(rows) if _mt5_deal(c)]
    width = _header_width(rows, idx[0])
    fee = width >= 14  # the trade history report has a Fee column the tester's has not
    acct = _mt5_account(sheet) if fmt == "mt5-history" else _tester_account(sheet)
    ccy = acct.currency or "USD"
    ops: list[BalanceOp] = []
    positions: dict[str, _Open] = {}
    order: list[_Open] = []
    unmapped: dict[str, str] = {}
    notes: list[str] = []
    paired = {"profit": 0, "fifo": 0}
    balance: Decimal | None = None
    try:
        quantum = money_currency(ccy).quantum
    except MoneyError as exc:
        raise StatementError(f"{sheet.path}: account currency: {exc}") from None

    def money(j: int) -> Decimal:  # a workbook holds 200000.0 for 200,000.00: the booked amount, to the cent
        return _num(c, j).quantize(quantum)

    for i in idx:
        c = rows[i] + [""] * max(0, width - len(rows[i]))
        t = parse_time(c[0]) or 0
        comm = money(8)
        fee_amt = money(9) if fee else Decimal(0)
        swap, profit = (money(10), money(11)) if fee else (money(9), money(10))
        bal = parse_number(c[12] if fee else c[11])
        bal = None if bal is None else bal.quantize(quantum)
        comment = c[13] if fee else c[12]
        if bal is not None:
            balance = bal
        kind = c[3].lower()
        if kind in _BALANCE_KINDS:
            ops.append(BalanceOp(t, profit + comm + swap + fee_amt, kind, comment, c[1]))
            continue
        vol = parse_volume(c[5])
        price = parse_number(c[6]) or Decimal(0)
        lots = vol[0] if vol else Decimal(0)
        direction = c[4].lower()
        if direction == "in":
            sym = map_symbol(c[2], overrides)
            if sym is None:
                unmapped[c[2]] = unmapped_reason(c[2])
            pos = _Open(c[7] or c[1], c[2], sym, _SIDES[kind], lots, t, price, comm + fee_amt, comment, lots)
            positions[pos.ticket] = pos
            order.append(pos)
            continue
        if direction != "out":
            notes.append(f"deal {c[1]}: direction {c[4]!r} (netting reversal or close-by) is not replayed")
            continue
        closing, how = _pair(c[2], -_SIDES[kind], lots, price, profit, order, ccy)
        if closing is None:
            notes.append(f"deal {c[1]}: an out deal of {lots} {c[2]} with no open position to close")
            continue
        paired[how] += 1
        closing.exits.append(Exit(t, lots, price, profit, comm, swap, fee_amt, c[1], how))
        closing.remaining -= lots
    if balance is None:
        raise StatementError(f"{sheet.path}: the deals table has no balance column values; expected MT5's running "
                             f"balance after each deal")
    trades = tuple(Trade(p.ticket, p.raw, p.symbol, p.side, p.lots, p.time, p.price, None, None, tuple(p.exits),
                         open_commission=p.commission, comment=p.comment) for p in order)
    notes.append(f"out deals tied to their positions by the stated profit: {paired['profit']}, by first-in "
                 f"first-out: {paired['fifo']} (the deals table does not name the position)")
    if fmt == "mt5-history":
        trades = _with_position_levels(rows, trades, notes)
    return Statement(sheet.path, fmt, acct, trades, tuple(ops), balance, notes=tuple(notes), unmapped=unmapped)


def _pair(raw: str, side: int, lots: Decimal, price: Decimal, profit: Decimal, order: list[_Open],
          ccy: str) -> tuple[_Open | None, str]:
    """The open position an out deal closes: among those of the symbol and side with lots enough left, the
    first whose profit recomputed at this deal's price is the stated one (to the cent, then within one
    minor unit), else the first opened (FIFO)."""
    cands = [p for p in order if p.raw == raw and p.side == side and p.remaining >= lots]
    if not cands:
        return None, "fifo"
    sym = cands[0].symbol
    if sym is not None and len(cands) > 1:
        spec = instrument(sym)
        unit = money_currency(ccy).quantum
        rates = {sym: price}
        for tol in (Decimal(0), unit):
            for p in cands:
                try:
                    got, _ = account_profit(spec, side, lots, p.price, price, ccy, rates)
                except MissingRateError:
                    break
                if abs(got - profit) <= tol:
                    return p, "profit"
    return cands[0], "fifo"


def _with_position_levels(rows: list[list[str]], trades: tuple[Trade, ...], notes: list[str]) -> tuple[Trade, ...]:
    """SL/TP from the Positions table (the deals table has none) and a check of the pairing against it: each
    position's closed lots and summed profit must be what its paired out deals add up to."""
    from dataclasses import replace

    table = {c[1]: c for c in rows if _mt5_position(c)}
    out = []
    disagree = []
    for t in trades:
        c = table.get(t.ticket)
        if c is None:
            out.append(t)
            continue
        vol = parse_volume(c[4])
        if t.exits and vol is not None and (vol[0] != t.closed_lots or _num(c, 12) != t.profit):
            disagree.append(t.ticket)
        out.append(replace(t, sl=_opt_price(c[6]), tp=_opt_price(c[7])))
    if table:
        notes.append(f"pairing checked against the Positions table: {len(table) - len(disagree)} of {len(table)} "
                     f"closed positions agree on lots and profit"
                     + (f"; not: {', '.join(disagree[:10])}" if disagree else ""))
    return tuple(out)


def _mt5_account(sheet: Sheet) -> AccountInfo:
    for i, c in enumerate(sheet.rows[:12]):
        for cell in c:
            m = _ACCOUNT_ROW.match(cell)
            if not m:
                continue
            lev = None
            for part in (m["rest"] or "").split(","):
                lev = lev or _leverage(part)
            nxt = sheet.rows[i + 1] if i + 1 < len(sheet.rows) else []
            company = next((x for x in nxt[1:] if x), None)
            mode = m["mode"].strip().lower()
            kind = m["kind"].strip().lower()
            return AccountInfo(number=m["num"], currency=m["ccy"], leverage=lev, company=company,
                               server=m["server"].strip(),
                               mode="hedging" if mode.startswith("hedg") else "netting" if mode.startswith("net")
                               else mode, demo=True if kind == "demo" else False if kind == "real" else None)
    return AccountInfo()


def _tester_account(sheet: Sheet) -> AccountInfo:
    rows = sheet.rows
    ccy = lev = company = server = None
    for i, c in enumerate(rows[:200]):
        vals = [x for x in c if x]
        if len(vals) == 1 and server is None and i < 4:
            m = re.match(r"^(.+?) \(Build \d+\)$", vals[0])
            if m:
                server = m.group(1)
        if len(vals) == 2 and vals[0].endswith(":"):
            if ccy is None and _is_ccy(vals[1]):
                ccy = vals[1]
                prev = [x for x in rows[i - 1] if x]
                company = prev[1] if len(prev) == 2 and prev[0].endswith(":") else None
            elif lev is None and _leverage(vals[1]) is not None:
                lev = _leverage(vals[1])
    return AccountInfo(currency=ccy, leverage=lev, company=company, server=server, mode="hedging")


# ------------------------------------------------------------------ entry point
def read_statement(path: str | Path, symbols: Mapping[str, str] | None = None) -> Statement:
    """Read a MetaTrader statement or report into a ``Statement`` (format detected from the content).

    ``symbols`` maps broker names to catalog symbols where the built-in rules do not (``{"GER.40": "DE40"}``).
    Raises StatementError naming the file, what was found and what was expected."""
    sheet = read_sheet(path)
    fmt = detect(sheet)
    if fmt == "mt4-statement":
        return read_mt4(sheet, symbols)
    return read_mt5(sheet, fmt, symbols)
