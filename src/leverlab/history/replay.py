"""Your own trades under every broker: the same trades (same times, sizes and sides) and the same deposit
history placed on every account the trader can open, each under its resolved terms, ranked like ``compare``.

Each account is one steppable ``leverlab.engine.Account``: the trades are placed and closed at their
statement times, deposits and withdrawals booked when the statement booked them, under the account's
spread, commission, swaps, leverage policy, margin call, stop-out and negative balance protection.
Where an account stops out or refuses an order, the replay goes on as that broker would, and the trades
it could no longer place (or that the stop-out closed first) are listed.

Two ways to price the replay, and every output says which:

- with price data (``data``: stored, a file or ``sample:``) for the traded symbols, the margin path
  between trades is simulated on it and orders fill at the first quote after each trade's time;
- without, the statement's own open and close prices stand as the quotes, each account laying its
  published typical spread around them (else trading at the statement's own fills), and margin is
  checked at the trade events only.

>>> from decimal import Decimal as D
>>> from leverlab.history.model import AccountInfo, BalanceOp, Exit, Statement, Trade
>>> from leverlab.times import to_ns
>>> buy = Trade("1", "EURUSD", "EURUSD", 1, D("1"), to_ns("2024-03-05T10:00Z"), D("1.1000"), None, None,
...             exits=(Exit(to_ns("2024-03-05T12:00Z"), D("1"), D("1.1010"), D("100.00")),))
>>> mine = Statement("mine.htm", "mt4-statement", AccountInfo(currency="USD"), (buy,),
...                  (BalanceOp(to_ns("2024-03-04T09:00Z"), D("1000")),), D("1100.00"))
>>> h = compare_statement(mine, brokers=["exness"], country="SC")
>>> h.mode, len(h.replayed), h.comparison.ranked[0].rank
('statement', 1, 1)
>>> std = next(r for r in h.comparison.rows if r.label == "exness/standard")
>>> std.stats.final_balance    # its 0.95-pip spread laid around the statement's prices: 100 - 9.50
1090.5
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis import score as _score
from ..analysis.compare import (
    CompareError,
    Comparison,
    Row,
    RunInputs,
    load_data,
    requested_leverage,
    spread_mode_for,
    trader_rows,
)
from ..brokers import AccountTerms, BrokerProfile
from ..conversion import MissingRateError, conversion_path
from ..data import Bars, Ticks
from ..engine import Account, BacktestError, OrderError, Result
from ..instruments import instrument
from ..money import to_decimal
from ..times import NS, iso
from .model import Statement, Trade

#: A fill this much later than the statement's time is listed (a hole in the price data).
LATE_FILL_NS = 3 * 3600 * NS
#: The two replay modes, as every output names them.
MODES = ("data", "statement")


@dataclass(frozen=True)
class Skipped:
    """A trade (or a deposit/withdrawal) the replay could not do as the statement did, and why."""

    ticket: str
    symbol: str
    time: int
    what: str  # not replayed, not placed, stopped out, close refused, transfer refused
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "symbol": self.symbol, "time": iso(self.time), "what": self.what,
                "reason": self.reason}


@dataclass
class AccountReplay:
    """What happened to the statement's trades on one account: how many were placed, and the rest."""

    label: str
    placed: int = 0
    closed_as_stated: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    transfers_booked: Decimal = Decimal(0)

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.label, "placed": self.placed, "closed_as_stated": self.closed_as_stated,
                "transfers_booked": str(self.transfers_booked), "skipped": [s.to_dict() for s in self.skipped]}


@dataclass
class HistoryComparison:
    """The ranking (a ``Comparison``: same table, score and report as ``compare``), the mode, the trades
    replayed and not, and each account's replay log."""

    statement: Statement
    comparison: Comparison
    mode: str
    replayed: list[str]
    not_replayed: list[Skipped]
    accounts: dict[str, AccountReplay]

    def to_dict(self) -> dict[str, Any]:
        doc = self.comparison.to_dict()
        doc["history"] = {"statement": self.statement.summary(), "mode": self.mode,
                          "trades_replayed": len(self.replayed),
                          "not_replayed": [s.to_dict() for s in self.not_replayed],
                          "accounts": {k: v.to_dict() for k, v in self.accounts.items()}}
        return doc


# ------------------------------------------------------------------ the events of a replay
@dataclass(frozen=True)
class _Event:
    time: int  # UTC ns (statement time as given); unique in statement mode
    kind: str  # transfer, open, close
    trade: Trade | None = None
    exit: int = 0  # index into trade.exits
    amount: Decimal = Decimal(0)


def _events(trades: Sequence[Trade], transfers: Sequence[tuple[int, Decimal]]) -> list[_Event]:
    """Transfers, opens and closes in time order (at one instant: transfers, then closes, then opens)."""
    evs = [_Event(t, "transfer", amount=a) for t, a in transfers]
    for tr in trades:
        evs.append(_Event(tr.open_time, "open", tr))
        evs += [_Event(e.time, "close", tr, i) for i, e in enumerate(tr.exits)]
    order = {"transfer": 0, "close": 1, "open": 2}
    evs.sort(key=lambda e: (e.time, order[e.kind]))
    return evs


def _unique_times(evs: list[_Event]) -> list[_Event]:
    """Each event 1 ns after the one before at least, so each has its own quote."""
    out, last = [], -1
    for e in evs:
        t = max(e.time, last + 1)
        out.append(replace(e, time=t))
        last = t
    return out


def _needs(symbol: str, currency: str, have: Iterable[str]) -> str | None:
    """The conversion pair a symbol needs that is not among ``have`` (None: it converts)."""
    spec = instrument(symbol)
    pairs = list(have)
    for ccy in {spec.profit_currency, spec.margin_currency}:
        try:
            conversion_path(ccy, currency, pairs)
        except MissingRateError as exc:
            return str(exc)
    return None


def _statement_feeds(trades: Sequence[Trade], evs: list[_Event], symbols: list[str]) -> dict[str, Ticks]:
    """Quotes from the statement's own prices: one per event of each symbol, and a first quote of every symbol
    just before the first event (its first price), so conversions always have a price."""
    t0 = evs[0].time - NS
    pts: dict[str, list[tuple[int, float]]] = {s: [] for s in symbols}
    for e in evs:
        if e.trade is None or e.trade.symbol not in pts:
            continue
        px = e.trade.open_price if e.kind == "open" else e.trade.exits[e.exit].price
        pts[e.trade.symbol].append((e.time, float(px)))
    out = {}
    for s, rows in pts.items():
        rows = [(t0, rows[0][1])] + rows
        time = np.array([r[0] for r in rows], dtype=np.int64)
        price = np.array([r[1] for r in rows])
        out[s] = Ticks(s, time, price, price.copy(), source="statement prices")
    return out


# ------------------------------------------------------------------ rows (accounts this trader can open)
# ------------------------------------------------------------------ one account
@dataclass
class _Plan:
    """What every account replays: the symbols (quotes for each), the events and where each fills."""

    mode: str
    symbols: list[str]
    feeds: dict[str, Bars | Ticks]
    events: list[_Event]
    sizes: dict[str, Decimal]  # contract size of each symbol at the statement's broker


def _fill_index(acct: Account, plan: _Plan, times: np.ndarray | None) -> list[int]:
    """The quote index at which each event happens: its own quote (statement prices), or the first quote after
    the close of the bar that holds its time (price data)."""
    if plan.mode == "statement":
        assert times is not None
        return [int(np.searchsorted(times, e.time, side="left")) for e in plan.events]
    bars_t = np.asarray(acct.bars.time)
    dec = acct.decisions
    out = []
    for e in plan.events:
        d = int(np.searchsorted(bars_t, e.time, side="right")) - 1
        out.append(int(dec[max(d, 0)]) + 1 if d >= 0 else 0)
    return out


def _replay_one(terms: AccountTerms, plan: _Plan, deposit: float, unit: float, spread: str,
                log: AccountReplay) -> Result:
    """Run the plan on one account; the log gets what could not be done as the statement did."""
    acct = Account(terms, plan.symbols, deposit=deposit / unit, spread=spread)
    acct.feed(plan.feeds if len(plan.feeds) > 1 else next(iter(plan.feeds.values())))
    times = None
    if plan.mode == "statement":
        times = np.sort(np.concatenate([np.asarray(f.time) for f in plan.feeds.values()]), kind="stable")
    at = _fill_index(acct, plan, times)
    n = acct.quotes
    state = _State()
    i = 0
    while i < len(plan.events):
        j = i
        while j < len(plan.events) and at[j] == at[i]:
            j += 1
        if at[i] >= n:  # the data ends before these events
            for e in plan.events[i:]:
                if e.trade is not None and e.kind == "open":
                    log.skipped.append(Skipped(e.trade.ticket, e.trade.symbol or "", e.time, "not placed",
                                               "the price data ends before it"))
            break
        acct.advance(at[i])
        state.n_events = len(acct.events())
        for e in plan.events[i:j]:
            _apply(acct, e, plan, unit, state, log)
        _settle(acct, state, log)
        i = j
    return acct.finish()


@dataclass
class _State:
    """The replay's bookkeeping on one account: statement ticket -> engine position, the orders just sent."""

    pos_of: dict[str, int] = field(default_factory=dict)
    gone: dict[int, str] = field(default_factory=dict)  # position -> why it closed before the statement closed it
    known: set[int] = field(default_factory=set)
    opened: list[tuple[int, Trade]] = field(default_factory=list)
    n_events: int = 0  # events already read when the orders in ``opened`` were sent


def _settle(acct: Account, state: _State, log: AccountReplay) -> None:
    """Simulate quote by quote until the orders just sent are filled (or refused), or the quotes run out, and
    tie the fills to the statement's trades."""
    while acct.orders() and acct.index < acct.quotes:
        acct.advance(acct.index + 1)
    _learn_positions(acct, state, log)


def _scaled_lots(acct: Account, symbol: str, lots: Decimal, plan: _Plan) -> float:
    units = lots * plan.sizes[symbol]
    return float(units / to_decimal(acct.volume(symbol).contract_size))


def _apply(acct: Account, e: _Event, plan: _Plan, unit: float, state: _State, log: AccountReplay) -> None:
    if e.kind == "transfer":
        try:
            acct.transfer(float(e.amount) / unit)
            log.transfers_booked += e.amount
        except OrderError as exc:
            log.skipped.append(Skipped("", "", e.time, "transfer refused", str(exc)))
        return
    t = e.trade
    assert t is not None and t.symbol is not None
    if e.kind == "open":
        try:
            lots = acct.check_lots(t.symbol, _scaled_lots(acct, t.symbol, t.lots, plan))
        except OrderError as exc:
            log.skipped.append(Skipped(t.ticket, t.symbol, e.time, "not placed", str(exc)))
            return
        state.opened.append((acct.submit(t.symbol, t.side, lots), t))
        return
    if any(o[1] is t for o in state.opened):  # opened since the last quote (price data): fill it first
        _settle(acct, state, log)
    pid = state.pos_of.get(t.ticket)
    if pid is None:
        return  # never placed: already listed
    if pid not in {p.id for p in acct.positions(t.symbol)}:
        if pid not in state.gone:
            state.gone[pid] = _closed_how(acct, pid)
            log.skipped.append(Skipped(t.ticket, t.symbol, e.time, "closed before the statement closed it",
                                       state.gone[pid]))
        return
    ex = t.exits[e.exit]
    last = e.exit == len(t.exits) - 1 and t.open_lots == 0
    try:
        acct.close(t.symbol, pid, None if last else _scaled_lots(acct, t.symbol, ex.lots, plan))
        if last:
            log.closed_as_stated += 1
    except OrderError as exc:
        log.skipped.append(Skipped(t.ticket, t.symbol, e.time, "close refused", str(exc)))


def _closed_how(acct: Account, pid: int) -> str:
    for tr in reversed(acct.trades()):
        if tr.position_id == pid:
            what = {"stop_out": "stopped out", "end": "closed at the end"}.get(tr.reason, tr.reason)
            return f"{what} at {iso(tr.close_time)} ({tr.close_price:g})"
    return "closed by the account"


def _learn_positions(acct: Account, state: _State, log: AccountReplay) -> None:
    """Tie each filled order to the position it opened; list the orders the account refused, with its reason."""
    if not state.opened:
        return
    now = {p.id: p for p in acct.positions()}
    fresh = sorted(pid for pid in now if pid not in state.known)
    state.known.update(now)
    rejects = {ev.ref: ev.reason for ev in acct.events(since=state.n_events) if ev.type == "reject"}
    state.n_events = len(acct.events())
    for oid, t in state.opened:
        hit = next((pid for pid in fresh if now[pid].symbol == t.symbol and now[pid].side == t.side), None)
        if hit is None:
            why = rejects.get(oid, "not filled before the quotes ran out")
            log.skipped.append(Skipped(t.ticket, t.symbol or "", t.open_time, "not placed", f"refused: {why}"))
            continue
        fresh.remove(hit)
        state.pos_of[t.ticket] = hit
        log.placed += 1
        late = now[hit].open_time - t.open_time
        if late > LATE_FILL_NS:
            log.skipped.append(Skipped(t.ticket, t.symbol or "", t.open_time, "filled late",
                                       f"the price data has no quote from {iso(t.open_time)} to "
                                       f"{iso(now[hit].open_time)}: filled there, {late / 3600e9:.1f} h later"))
    state.opened = []


# ------------------------------------------------------------------ the comparison
def _plan(statement: Statement, data: Any, currency: str, store: str | os.PathLike[str] | None,
          sizes: Mapping[str, Decimal]) -> tuple[_Plan, list[Trade], list[Skipped], list[str]]:
    """Which trades can be replayed, on which quotes; the others with the reason."""
    notes: list[str] = []
    skipped: list[Skipped] = []
    trades = []
    for t in sorted(statement.trades, key=lambda x: (x.open_time, x.ticket)):
        if t.symbol is None:
            skipped.append(Skipped(t.ticket, t.symbol_raw, t.open_time, "not replayed",
                                   f"unknown symbol {t.symbol_raw!r}: not in the catalog"))
        else:
            trades.append(t)
    frames: dict[str, Bars | Ticks] = {}
    if data is not None:
        sources = list(data) if isinstance(data, (list, tuple)) else [data]
        pad = 2 * 86_400 * NS
        start, end = iso(statement.start - pad), iso(statement.end + pad)
        for src in sources:
            try:
                frame = load_data(src, None, start, end, store)
            except CompareError as exc:
                raise CompareError(f"data {str(src)!r} for {Path(statement.path).name}: {exc}") from None
            frames[str(frame.symbol).upper()] = frame
        mode = "data"
        kept = []
        for t in trades:
            assert t.symbol is not None
            f = frames.get(t.symbol)
            last = t.close_time if t.close_time is not None else t.open_time
            if f is None:
                why = f"no price data for {t.symbol} (give --data for it)"
            elif not int(f.time[0]) <= t.open_time or int(f.time[-1]) < last:
                span = f"{iso(int(f.time[0]))[:10]} .. {iso(int(f.time[-1]))[:10]}"
                why = f"the {t.symbol} data ({span}) does not cover it"
            else:
                why = _needs(t.symbol, currency, frames) or ""
            if why:
                skipped.append(Skipped(t.ticket, t.symbol, t.open_time, "not replayed", why))
            else:
                kept.append(t)
        trades = kept
    else:
        mode = "statement"
        traded = {t.symbol for t in trades if t.symbol}
        kept = []
        for t in trades:
            assert t.symbol is not None
            need = _needs(t.symbol, currency, traded)
            if need:
                skipped.append(Skipped(t.ticket, t.symbol, t.open_time, "not replayed",
                                       f"{need} (no price data given: add --data for the pair)"))
            else:
                kept.append(t)
        trades = kept
    if not trades:
        reasons = sorted({s.reason for s in skipped})[:3]
        raise CompareError(f"{statement.path}: no trade can be replayed: " + "; ".join(reasons))
    transfers = [(b.time, b.amount) for b in statement.balance_ops if b.kind == "balance"]
    first = next((k for k, (_, a) in enumerate(transfers) if a > 0), None)
    if first is None:
        raise CompareError(f"{statement.path}: the statement has no deposit to open an account with")
    later = [x for k, x in enumerate(transfers) if k > first]
    counts: dict[str, int] = {}
    for t in trades:
        assert t.symbol is not None
        counts[t.symbol] = counts.get(t.symbol, 0) + 1
    symbols = sorted(counts, key=lambda s: (-counts[s], s))
    if mode == "data":
        for s in sorted(frames):  # conversion pairs with data come along
            if s not in symbols and any(_needs(x, currency, set(symbols)) for x in symbols):
                symbols.append(s)
        feeds = {s: frames[s] for s in symbols}
        evs = _events(trades, [x for x in later if x[0] >= int(frames[symbols[0]].time[0])])
    else:
        evs = _unique_times(_events(trades, later))
        feeds = dict(_statement_feeds(trades, evs, symbols))
    plan_sizes = {s: sizes.get(s, to_decimal(instrument(s).contract_size)) for s in symbols}
    return _Plan(mode, symbols, feeds, evs, plan_sizes), trades, skipped, notes


def compare_statement(statement: Statement, *, data: Any = None, country: str = "SC", client: str = "retail",
                      currency: str | None = None, leverage: float | str | None = None,
                      brokers: Iterable[str | BrokerProfile] | None = None,
                      weights: Mapping[str, float] | str | None = None, spread: str = "auto",
                      store: str | os.PathLike[str] | None = None,
                      contract_sizes: Mapping[str, float] | None = None) -> HistoryComparison:
    """Replay ``statement`` on every account a ``client`` from ``country`` can open with its first deposit, and
    rank the accounts with the score of ``leverlab.analysis.score``.

    ``data``: a source or a list of them (the traded symbols and the pairs that convert them; stored, a file or
    ``sample:``), None to replay at the statement's own prices; ``currency``: the account currency (default:
    the statement's); ``leverage``: the setting the trader would pick (None: the most each broker allows);
    ``spread``: ``auto``, ``broker`` or ``data`` as in ``compare``; ``contract_sizes``: units a lot of the
    statement's broker where they differ from the catalog (``reconcile`` finds them).
    Raises CompareError on bad input (nothing to replay, no deposit, an unknown broker or country)."""
    ccy = (currency or statement.currency).upper()
    sizes = {k.upper(): to_decimal(v) for k, v in (contract_sizes or {}).items()}
    plan, trades, not_replayed, notes = _plan(statement, data, ccy, store, sizes)
    deposit = float(next(b.amount for b in statement.balance_ops if b.kind == "balance" and b.amount > 0))
    w = _score.parse_weights(weights)
    rows: list[Row] = []
    logs: dict[str, AccountReplay] = {}
    for row, terms in trader_rows(brokers, plan.symbols[0], country=country, client=client, deposit=deposit,
                                  currency=ccy, leverage=leverage):
        rows.append(row)
        if terms is None:
            continue
        try:
            mode, row.spread = spread_mode_for(terms, plan.symbols, spread)
        except CompareError as exc:
            row.error = str(exc)
            continue
        if plan.mode == "statement" and mode == "data":
            row.spread = "statement (the original broker's fills)"
        log = logs[row.label] = AccountReplay(row.label)
        try:
            res = _replay_one(terms, plan, deposit, row.unit_value, mode, log)
        except (BacktestError, OrderError, ValueError) as exc:
            row.error = str(exc)
            del logs[row.label]
            continue
        stats = row.set_result(res)
        booked = float(log.transfers_booked)
        put_in = deposit + sum(float(a) for _, a in ((e.time, e.amount) for e in plan.events
                                                       if e.kind == "transfer") if a > 0)
        net_return = (stats.final_equity - deposit - booked) / put_in if put_in else 0.0
        row.stats = replace(stats, net_return=net_return)
    _score.score(rows, w)
    notes += _notes(statement, plan, trades, not_replayed, data)
    origins = {r.spread.split(" ")[0] for r in rows if r.simulated}
    if len(origins) > 1:
        notes.append("spreads: accounts whose profile publishes a typical spread for every replayed symbol pay it "
                     "around the quotes ('broker <figure>' in the spread column); the others pay the "
                     + ("statement's own fills" if plan.mode == "statement" else "bid/ask spread in the price data")
                     + ", so the two groups' spreads do not come from the same place")
    inputs = RunInputs(
        data=", ".join(str(d) for d in data) if isinstance(data, (list, tuple)) else
        (str(data) if data is not None else "the statement's own prices"),
        symbol=plan.symbols[0], timeframe=getattr(next(iter(plan.feeds.values())), "timeframe", None),
        bars=len(plan.events), start=iso(statement.start), end=iso(statement.end),
        strategy=f"your trades ({Path(statement.path).name})",
        params={"trades_replayed": len(trades), "trades_not_replayed": len(not_replayed), "mode": plan.mode},
        sizing={}, deposit=deposit, currency=ccy, country=country.upper(), client=client,
        leverage=requested_leverage(leverage))
    return HistoryComparison(statement, Comparison(inputs, rows, w, notes), plan.mode, [t.ticket for t in trades],
                             not_replayed, logs)


def _notes(statement: Statement, plan: _Plan, trades: list[Trade], skipped: list[Skipped], data: Any) -> list[str]:
    out = []
    if plan.mode == "statement":
        out.append("no price data: the replay uses the statement's own open and close prices as the quotes, "
                   "re-spread for each account (its published typical spread around them; an account without one "
                   "trades at the statement's own fills), and checks margin at each trade event only - not "
                   "between trades, where the real account may have been lower")
    else:
        out.append(f"price data ({data}): the margin path between trades is simulated on it; each order fills at "
                   f"the first quote after the close of the bar that holds the trade's time, at that account's "
                   f"prices")
    out.append(statement.time_note() + ("" if statement.zone or plan.mode == "statement" else
                                        "; here they are read as UTC against the price data"))
    out.append(f"{len(trades)} trades replayed in {', '.join(plan.symbols)}; {len(skipped)} not replayed"
               + (f" ({_reasons(skipped)})" if skipped else ""))
    still = sum(1 for t in trades if t.open_lots > 0)
    if still:
        out.append(f"{still} trades still open at the statement's end are closed at the last quote on every account")
    out.append("the deposit history is replayed: the first deposit opens each account, later deposits and "
               "withdrawals are booked at their statement times (a withdrawal above the free margin is refused "
               "and listed); net return = (final equity - deposits + withdrawals) / money put in")
    out.append("the statement's SL/TP are not placed: every close happens when the statement's did, or earlier "
               "when the account stops out")
    return out


def _reasons(skipped: list[Skipped]) -> str:
    counts: dict[str, int] = {}
    for s in skipped:
        key = s.reason.split(":")[0].split(" (")[0]
        counts[key] = counts.get(key, 0) + 1
    return "; ".join(f"{n} x {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])[:4])


__all__ = ["compare_statement", "HistoryComparison", "AccountReplay", "Skipped", "MODES"]
