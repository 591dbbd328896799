"""``Account``: one simulated trading account under a broker's terms, stepped by its owner.

``Backtest`` steps it from a strategy at bar closes; a paper-trading server can step it from live
quotes. Both use the same calls, so both book the same ledger. Feed quotes, advance through them,
apply orders between steps, and read the account, its positions and what happened since a cursor:

>>> from leverlab import load, resolve_terms
>>> from leverlab.engine import Account
>>> acct = Account(resolve_terms("exness", "standard", "SC"), ["EURUSD"], deposit=1_000)
>>> acct.feed(load("sample:eurusd-h1").take(slice(0, 48)))   # quotes for every symbol of the account
>>> acct.advance(acct.decisions[0] + 1)                       # through the close of the first bar
>>> acct.submit("EURUSD", +1, 0.1)                            # an order id; fills at the next quote
1
>>> acct.advance(acct.decisions[23] + 1)
>>> [(p.symbol, p.side, p.lots) for p in acct.positions()]
[('EURUSD', 1, 0.1)]
>>> acct.close("EURUSD")
>>> acct.advance()
>>> [(d.kind, d.price, d.amount) for d in acct.deals(since=1)]  # the deposit is deal 0
[('open', 1.32035, Decimal('0.00')), ('close', 1.32779, Decimal('74.40'))]
>>> acct.view().balance, acct.result().final_balance
(1074.4, Decimal('1074.40'))

Prices, lots and times are floats, lots and UTC nanoseconds; money is in the account currency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from ..brokers.terms import AccountTerms
from ..data.errors import DataError
from ..data.frames import Bars, Ticks
from ..instruments import Instrument
from ..money import currency as _currency
from ..money import from_minor, round_money, to_minor
from ..times import iso, to_ns
from . import _layout as L
from ._kernel import seed_rng
from ._kernel.margin import _conv
from ._kernel.orders import _fill_queued
from ._prepare import (
    Stream,
    build_stream,
    check_spread_mode,
    cost_params,
    spec_for,
    spread_origin,
    symbol_table,
    widening_sources,
)
from ._schedule import cashback_times, check_swap_source, hmr_schedule, swap_schedule, swap_source
from ._sim import _Sim
from .errors import BacktestError, OrderError
from .formulas import floor_lots, risk_lots
from .result import Costs, Deal, Event, Result, Series, Stats, Trade, deal_list, event_list, max_drawdown, trade_list


@dataclass(frozen=True)
class AccountView:
    """The account now (account currency)."""

    balance: float
    equity: float
    margin: float
    free_margin: float
    margin_level: float  # inf with no margin used
    credit: float


@dataclass(frozen=True)
class PositionView:
    """One open position."""

    id: int
    symbol: str
    side: int  # +1 buy, -1 sell
    lots: float
    open_price: float
    open_time: int
    sl: float | None
    tp: float | None
    profit: float  # floating, account currency
    margin: float

    @property
    def size(self) -> float:
        """Signed lots (+ long, - short)."""
        return self.side * self.lots


@dataclass(frozen=True)
class Volume:
    """The order volumes the account type accepts for one symbol (lots), and its contract size (units)."""

    contract_size: float
    min_lot: float
    lot_step: float
    max_lot: float

    def floor(self, lots: float) -> float:
        """``lots`` rounded down to the step grid (may be below the minimum)."""
        return floor_lots(lots, self.lot_step)


#: The largest deposit an account takes, in account units: balances are kept in minor units (cents,
#: or thousandths for three-digit currencies) and equity in floats, both exact below 2**53 minor
#: units; 1e12 units leaves room for a thousandfold gain.
MAX_DEPOSIT = 1e12


def check_deposit(deposit: Any) -> Any:
    """The deposit, unchanged; BacktestError naming what was found unless it is a finite number above 0
    and at most ``MAX_DEPOSIT`` (a negative one would be booked as a debt and written off by NBP)."""
    ok = isinstance(deposit, (int, float, Decimal)) and not isinstance(deposit, bool)
    value = float(deposit) if ok else math.nan
    if not (ok and math.isfinite(value) and 0 < value <= MAX_DEPOSIT):
        raise BacktestError(f"deposit must be a positive amount of at most {MAX_DEPOSIT:,.0f} account units "
                            f"(a finite number above 0), got {deposit!r}")
    return deposit


def check_swaps(swaps: str) -> str:
    """The swap source (``_schedule.check_swap_source``), its ValueError raised as BacktestError."""
    try:
        return check_swap_source(swaps)
    except ValueError as exc:
        raise BacktestError(str(exc)) from None


def as_feeds(data: Bars | Ticks | Mapping[str, Bars | Ticks]) -> dict[str, Bars | Ticks]:
    """Quotes by upper-case symbol; TypeError for anything but Bars, Ticks or a mapping of them."""
    if isinstance(data, (Bars, Ticks)):
        return {data.symbol.upper(): data}
    if isinstance(data, Mapping):
        out = {str(k).upper(): v for k, v in data.items()}
        bad = [k for k, v in out.items() if not isinstance(v, (Bars, Ticks))]
        if not bad:
            return out
        what = f"{type(out[bad[0]]).__name__} for {bad[0]}"
    else:
        what = type(data).__name__
    hint = "; load a source first with leverlab.load(...)" if isinstance(data, str) or what.startswith("str") else ""
    raise TypeError(f"data must be Bars, Ticks or a mapping symbol -> Bars/Ticks, got {what}{hint}")


def check_symbols(order: Sequence[str], terms: AccountTerms, instruments: Mapping[str, Instrument]
                  ) -> dict[str, Instrument]:
    """The instrument of each symbol; BacktestError if one is unknown or the first has no terms."""
    for name in order:
        if name in terms.symbols or name in instruments:
            continue
        try:
            spec_for(name, terms, dict(instruments))
        except KeyError as exc:
            raise BacktestError(str(exc)) from None
    specs = {n: spec_for(n, terms, dict(instruments)) for n in order}
    if order[0] not in terms.symbols:
        raise BacktestError(f"{terms.broker}/{terms.account_type} has no terms for {order[0]!r}; "
                            f"covered: {', '.join(sorted(terms.symbols))}")
    return specs


def kernel_params(terms: AccountTerms, *, hedging: bool, slippage: float, pessimistic: bool,
                  record_every: int) -> np.ndarray:
    """The terms and options as the kernel's parameter slots (``_layout.P_*``)."""
    t = terms
    ccy = _currency(t.currency)
    p = np.zeros(L.N_PARAMS)
    p[L.P_MC] = math.nan if t.margin_call_level is None else t.margin_call_level
    p[L.P_SO] = t.stop_out_level
    p[L.P_SO_CREDIT] = 1.0 if t.stop_out_counts_credit else 0.0
    p[L.P_NBP] = 1.0 if t.nbp else 0.0
    p[L.P_DEL_PENDING] = 1.0 if t.delete_pending_on_stop_out else 0.0
    p[L.P_COMMISSION] = t.commission_per_lot_side
    p[L.P_HEDGING] = 1.0 if hedging else 0.0
    p[L.P_ACC_SCALE] = float(1 / ccy.unit_value)
    p[L.P_MINOR] = float(10 ** ccy.minor_digits)
    p[L.P_SLIPPAGE] = float(slippage)
    p[L.P_PESSIMISTIC] = 1.0 if pessimistic else 0.0
    p[L.P_CASHBACK] = t.cashback_per_lot
    p[L.P_CASHBACK_PER_TRADE] = 1.0 if t.cashback_schedule == "per_trade" else 0.0
    p[L.P_STRIDE] = int(record_every)
    p[L.P_SWAP_FREE] = 1.0 if t.swap_free else 0.0
    p[L.P_VEC_SYM] = -1.0
    p[L.P_LEAN] = 1.0
    p[L.P_HMR_ALL] = 1.0 if any(w.applies_to == "all_positions" for w in t.hmr_windows) else 0.0
    cost_params(t, p)
    return p


def unpriced_symbol(terms: AccountTerms, specs: Mapping[str, Instrument]) -> str | None:
    """The first symbol of ``specs`` for which the account type publishes no typical spread (None: all
    have one) - what spread mode ``broker`` cannot price."""
    return next((name for name, spec in specs.items() if terms.typical_spread(name, spec.asset_class) is None), None)


def check_spreads(terms: AccountTerms, symbols: Sequence[str], specs: Mapping[str, Instrument], spread: str) -> None:
    """BacktestError for an unknown spread mode, or for mode ``broker`` on a symbol whose profile publishes
    no typical spread (naming the account and the symbol: a silent 0 would make the account look free)."""
    try:
        check_spread_mode(spread)
    except ValueError as exc:
        raise BacktestError(str(exc)) from None
    name = unpriced_symbol(terms, {n: specs[n] for n in symbols}) if spread == "broker" else None
    if name is not None:
        raise BacktestError(f"{terms.broker}/{terms.account_type} publishes no typical spread for "
                            f"{name}: spread mode 'broker' cannot price it; use spread='data'")


class Account:
    """One account under ``terms`` trading ``symbols`` (the first is the decision symbol).

    ``deposit`` is in account units (cents for a cent account), booked at the first quote fed.
    ``hedging=False`` makes a netting account. ``calendar``: high-impact event times (datetime,
    ISO text, datetime64 or int ns) for news HMR windows. ``slippage``: max adverse slippage in
    points (uniform, drawn from the kernel's one generator, seeded with ``seed`` when the account
    opens) on market and stop fills. ``pessimistic``: SL wins when SL and TP are both inside one
    bar. ``timeframe``: the decision timeframe of tick quotes. ``instruments`` override the
    contract specs by symbol. ``record_every``: on ticks, a series point every N quotes (0: at
    decision bars only). ``spread``: the spread mode (``"data"``: the data's bid/ask; ``"broker"``:
    the data's mid +/- half the account type's published typical spread); the result's meta says
    the mode (``spread``) and, per symbol, where its spread came from (``spreads``).

    Raises BacktestError for an unknown spread mode, for ``spread="broker"`` on a symbol whose
    profile publishes no typical spread (naming account and symbol), for a symbol without terms or
    instrument, a missing conversion pair, bad quotes or a kernel error; OrderError for a volume the
    account type refuses; ValueError for an unknown symbol, position or order id.
    """

    def __init__(self, terms: AccountTerms, symbols: Sequence[str], *, deposit: float = 10_000,
                 hedging: bool = True, calendar: Iterable[Any] = (), slippage: float = 0.0, seed: int = 0,
                 pessimistic: bool = True, timeframe: str = "M1", instruments: Mapping[str, Instrument] | None = None,
                 record_every: int = 0, spread: str = "data", swaps: str = "published",
                 widening: bool = False) -> None:
        self.terms = terms
        self.spread = spread
        self.widening = bool(widening)
        self.swaps = check_swaps(swaps)
        self.symbols = [s.upper() for s in symbols]
        if not self.symbols:
            raise BacktestError("an account needs at least one symbol")
        self.deposit = check_deposit(deposit)
        self.timeframe = timeframe
        self.seed = int(seed)
        self._calendar = [to_ns(c) for c in calendar]
        self._index = {s: i for i, s in enumerate(self.symbols)}
        self.specs = check_symbols(self.symbols, terms, {k.upper(): v for k, v in (instruments or {}).items()})
        try:
            self._tables = symbol_table(self.symbols, self.specs, terms)
        except DataError as exc:
            raise BacktestError(str(exc)) from None
        check_spreads(terms, self.symbols, self.specs, spread)
        self._spreads: dict[str, str] = {}
        sym_f = self._tables[0]
        self._volumes = {name: Volume(*(float(sym_f[s, c]) for c in (L.S_CS, L.S_MIN_LOT, L.S_LOT_STEP, L.S_MAX_LOT)))
                         for name, s in self._index.items()}
        self._kparams = kernel_params(terms, hedging=hedging, slippage=slippage, pessimistic=pessimistic,
                                      record_every=record_every)
        self._sim: _Sim | None = None
        self._last_t = 0

    # ---- quotes
    def feed(self, data: Bars | Ticks | Mapping[str, Bars | Ticks]) -> None:
        """Add the next quotes (every symbol of the account, after those already fed).

        Quotes fed earlier and not yet advanced through are simulated first. The first feed opens
        the account (deposit, bonus); each feed computes the rollover, HMR and cashback schedules of
        its own span. After it, ``decisions``, ``bars`` and ``advance()`` refer to these quotes.
        """
        feeds = as_feeds(data)
        missing = [s for s in self.symbols if s not in feeds]
        extra = [s for s in feeds if s not in self._index]
        if missing or extra:
            raise BacktestError(f"quotes must cover exactly this account's symbols ({', '.join(self.symbols)}); "
                                f"missing: {', '.join(missing) or '-'}, unknown: {', '.join(extra) or '-'}")
        try:
            stream = build_stream(feeds, self.symbols, self.terms, self.specs, self.timeframe, self.spread,
                                  self.widening, tuple(self._calendar))
            for name in self.symbols:
                if name not in self._spreads:  # the first feed decides where a symbol's spread comes from
                    self._spreads[name] = spread_origin(self.spread, self.terms, self.specs[name], feeds[name])[1]
        except DataError as exc:
            raise BacktestError(str(exc)) from None
        t1 = int(stream.time[-1])
        if self._sim is None:
            self._open(stream)
        else:
            self.advance()
            if int(stream.time[0]) < self._last_t:
                raise BacktestError(f"quotes from {iso(int(stream.time[0]))} come before the last quote fed "
                                    f"({iso(self._last_t)})")
            self._sim.next_stream(stream, *self._schedules(self._last_t, t1))
        self._last_t = t1

    def _schedules(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rollover instants (t0, t1], HMR intervals and cashback instants for a span of quotes."""
        t = self.terms
        roll_t, roll_f = swap_schedule(t, self.symbols, self.specs, t0, t1, self.swaps)
        hmr, hmr_cap, _ = hmr_schedule(t, t0, t1, self._calendar, self.symbols)
        cash_t = cashback_times(t0, t1, t.cashback_schedule) if t.cashback_per_lot else np.zeros(0, np.int64)
        return roll_t, roll_f, hmr, hmr_cap, cash_t

    def _open(self, stream: Stream) -> None:
        """Create the kernel tables on the first quotes and book the deposit (and bonus) at the first quote."""
        t = self.terms
        t0, t1 = int(stream.time[0]), int(stream.time[-1])
        sim = _Sim(stream, *self._tables, self._kparams, *self._schedules(t0 - 1, t1))
        seed_rng(self.seed)
        ccy = _currency(t.currency)
        minor = self._kparams[L.P_MINOR]
        sim.acc_i[L.I_NOW] = t0
        sim.book_external(L.D_DEPOSIT, t0, to_minor(self.deposit, ccy))
        if t.bonus_pct:
            credit = float(self.deposit) * t.bonus_pct / 100.0
            if t.bonus_cap is not None:
                credit = min(credit, t.bonus_cap)
            cm = to_minor(credit, ccy)
            sim.book_external(L.D_BONUS, t0, cm)
            sim.acc_f[L.A_CREDIT] = cm / minor
        sim.acc_f[L.A_EQUITY] = sim.acc_i[L.I_BALANCE] / minor + sim.acc_f[L.A_CREDIT]
        sim.acc_f[L.A_FREE] = sim.acc_f[L.A_EQUITY]
        self._sim = sim

    @property
    def _s(self) -> _Sim:
        if self._sim is None:
            raise BacktestError("the account has no quotes yet: feed(...) it first")
        return self._sim

    @property
    def quotes(self) -> int:
        """The number of quotes fed last (the range of ``advance``)."""
        return int(self._s.q.time.shape[0])

    @property
    def index(self) -> int:
        """The next quote of the last feed to simulate (``quotes`` when all are done)."""
        return int(self._s.i)

    @property
    def decisions(self) -> np.ndarray:
        """Quote index of each decision bar's close in the last feed (int64); ``advance(decisions[d] + 1)``
        simulates through the close of bar ``d``."""
        return self._s.q.decisions

    @property
    def bars(self) -> Bars:
        """The decision-timeframe bars of the first symbol in the last feed (what a strategy sees)."""
        return self._s.q.bars

    @property
    def now(self) -> int:
        """UTC ns of the last quote simulated."""
        return int(self._s.acc_i[L.I_NOW])

    @property
    def quote_times(self) -> np.ndarray:
        """UTC ns of each quote of the last feed (int64, sorted); ``advance(searchsorted(quote_times, t,
        "right"))`` simulates every quote up to and including time ``t``."""
        return self._s.q.time

    def advance(self, end: int | None = None) -> None:
        """Simulate the last feed's quotes up to (not including) index ``end`` (default: all of them)."""
        sim = self._s
        n = sim.q.time.shape[0]
        sim.advance(n if end is None else min(int(end), n))
        if sim.acc_i[L.I_ERROR]:
            self._raise_kernel_error()

    def set_targets(self, targets: Any) -> None:
        """Trade the first symbol to ``targets[d]`` signed lots at the close of decision bar ``d`` of the
        last feed (NaN keeps the position), compiled; BacktestError unless one target per bar."""
        tg = np.asarray(targets, dtype=np.float64)
        dec = self.decisions
        if tg.shape[0] != dec.shape[0]:
            raise BacktestError(f"target positions: got {tg.shape[0]} values, "
                                f"expected one per decision bar ({dec.shape[0]})")
        self._s.set_decisions(dec, np.ascontiguousarray(tg))

    def _raise_kernel_error(self) -> None:
        sim = self._s
        code, arg = int(sim.acc_i[L.I_ERROR]), int(sim.acc_i[L.I_ERROR_ARG])
        when = iso(int(sim.acc_i[L.I_NOW]))
        if code == L.ERR_NO_RATE:
            name = self.symbols[arg]
            legs = [self.symbols[int(sim.sym_f[arg, c])] for c in (L.S_M1_SYM, L.S_M2_SYM, L.S_P1_SYM, L.S_P2_SYM)
                    if sim.sym_f[arg, c] >= 0]
            raise BacktestError(f"{name}: no price yet at {when} for the conversion pair(s) "
                                f"{', '.join(sorted(set(legs)))} needed to value it in {self.terms.currency}")
        if code == L.ERR_NO_ROOM:
            raise BacktestError(f"internal error at {when}: order {arg} found no free position slot (please report)")
        raise BacktestError(f"simulation error {code} at {when}")

    # ---- orders
    def _sym(self, symbol: str) -> int:
        try:
            return self._index[symbol.upper()]
        except KeyError:
            raise ValueError(f"no data for symbol {symbol!r}; this account has: {', '.join(self.symbols)}") from None

    def volume(self, symbol: str) -> Volume:
        """The volume rules of ``symbol`` on this account type."""
        return self._volumes[self.symbols[self._sym(symbol)]]

    def check_lots(self, symbol: str, lots: float) -> float:
        """``lots`` on the step grid; OrderError if outside the account type's min / step / max."""
        v = self.volume(symbol)
        lo, step, hi = v.min_lot, v.lot_step, v.max_lot
        if not lots > 0 or not math.isfinite(lots):
            raise OrderError(f"{symbol}: volume must be a positive number of lots, got {lots!r}")
        if lots < lo - 1e-9:
            raise OrderError(f"{symbol}: {lots:g} lots is below the minimum volume {lo:g} of this account type")
        if lots > hi + 1e-9:
            raise OrderError(f"{symbol}: {lots:g} lots is above the maximum volume {hi:g} of this account type")
        k = round(lots / step)
        if abs(k * step - lots) > 1e-7 * max(1.0, lots):
            raise OrderError(f"{symbol}: {lots:g} lots is not a multiple of the volume step {step:g}")
        return round(k * step, 8)

    def submit(self, symbol: str, side: int, lots: float, *, sl: float | None = None, tp: float | None = None,
               limit: float | None = None, stop: float | None = None) -> int:
        """Place an order of ``lots`` (``side`` +1 buy, -1 sell): at market (the next quote), or pending at a
        ``limit`` or ``stop`` price; ``sl``/``tp`` go to the position it opens. Returns the order id.

        Every order ends as a fill, a ``reject`` event (with its reason) or a ``cancelled`` event. Stops on
        the wrong side are rejected as the platform rejects them (``invalid_stops``): a buy's SL at or above,
        or its TP at or below, the bid it fills at (a sell's mirror, against the ask); a pending order's
        against its entry price, when it is placed."""
        s = self._sym(symbol)
        if side not in (1, -1):
            raise OrderError(f"{symbol}: side must be +1 (buy) or -1 (sell), got {side!r}")
        lots = self.check_lots(symbol, lots)
        sl_ = math.nan if sl is None else float(sl)
        tp_ = math.nan if tp is None else float(tp)
        sim = self._s
        if limit is not None:
            typ, price = L.OT_LIMIT, float(limit)
        elif stop is not None:
            typ, price = L.OT_STOP, float(stop)
        else:
            return sim.add_order(s, side, L.OT_MARKET, lots, math.nan, sl_, tp_)
        if (side > 0 and (sl_ >= price or tp_ <= price)) or (side < 0 and (sl_ <= price or tp_ >= price)):
            oid = sim.new_order_id()
            sim.event(L.E_REJECT, s, oid, L.REJ_STOPS, price)
            return oid
        return sim.add_order(s, side, typ, lots, price, sl_, tp_)

    def execute(self) -> None:
        """Fill the orders queued by ``submit`` (market) and ``close`` now, at the last quote simulated, rather
        than at the next quote: instant execution for a live account (a paper-trading server takes an order
        between two quotes, at the price the trader sees). The kernel's own fill runs, with every rule of a
        fill at a quote: closes first, a market order with stops on the wrong side rejected, the free-margin
        check, commission, NBP. A symbol with no quote yet keeps its orders queued for its first quote."""
        sim = self._s
        if sim.acc_i[L.I_ORD_HIGH] == 0:
            return
        sim.grow()
        for s in range(len(self.symbols)):
            if sim.px[s, L.X_HAVE] > 0.0:
                _fill_queued(sim.rules, sim.book, sim.ledger, s, float(sim.px[s, L.X_BID]), float(sim.px[s, L.X_ASK]))
        sim.recalc()
        if sim.acc_i[L.I_ERROR]:
            self._raise_kernel_error()

    def close(self, symbol: str, position_id: int = 0, lots: float | None = None) -> None:
        """Close position ``position_id`` (0: every position of ``symbol``), fully or ``lots`` of it, at the
        next quote."""
        s = self._sym(symbol)
        if lots is not None:
            lots = self.check_lots(symbol, lots)
        self._s.add_order(s, 0, L.OT_CLOSE, math.nan if lots is None else lots, pos_id=int(position_id))

    def modify(self, position_id: int, *, sl: float | None = math.nan, tp: float | None = math.nan) -> None:
        """Change an open position's SL/TP (None removes it; NaN, the default, keeps it).

        A level on the wrong side of the price the position would close at (a buy's SL at or above the
        bid, its TP at or below it; a sell's mirror against the ask) is refused as the platform refuses
        it: an ``invalid_stops`` reject event, and the position keeps its levels."""
        sim = self._s
        rows = np.flatnonzero((sim.pos_i[:, L.PI_ACTIVE] == 1) & (sim.pos_i[:, L.PI_ID] == position_id))
        if rows.size == 0:
            raise ValueError(f"no open position with id {position_id}")
        k = int(rows[0])
        s, side = int(sim.pos_i[k, L.PI_SYM]), int(sim.pos_i[k, L.PI_SIDE])
        if sim.px[s, L.X_HAVE]:
            exit_px = float(sim.px[s, L.X_BID] if side > 0 else sim.px[s, L.X_ASK])
            new_sl = sl if isinstance(sl, (int, float)) and not math.isnan(sl) else None
            new_tp = tp if isinstance(tp, (int, float)) and not math.isnan(tp) else None
            if ((new_sl is not None and (new_sl >= exit_px if side > 0 else new_sl <= exit_px))
                    or (new_tp is not None and (new_tp <= exit_px if side > 0 else new_tp >= exit_px))):
                sim.event(L.E_REJECT, s, int(position_id), L.REJ_STOPS, exit_px)
                return
        set_sl, set_tp = float(sim.pos_f[k, L.PF_SL]), float(sim.pos_f[k, L.PF_TP])
        if sl is None or not (isinstance(sl, float) and math.isnan(sl)):
            set_sl = math.nan if sl is None else float(sl)
        if tp is None or not (isinstance(tp, float) and math.isnan(tp)):
            set_tp = math.nan if tp is None else float(tp)
        sim.set_stops(k, set_sl, set_tp)

    def transfer(self, amount: float) -> None:
        """Book a deposit (``amount`` > 0) or a withdrawal (< 0) of account units now, as a ``deposit`` deal
        (rounded to the minor unit), and re-value the account; OrderError for a withdrawal above the free
        margin, which a broker refuses. Lets a replay follow a trader's own deposit history."""
        sim = self._s
        units = to_minor(amount, _currency(self.terms.currency))
        if units == 0:
            return
        free = float(sim.acc_f[L.A_FREE])
        if units < 0 and -units / sim.params[L.P_MINOR] > free + 1e-9:
            raise OrderError(f"withdrawal of {-units / sim.params[L.P_MINOR]:,.2f} {self.terms.currency} is above "
                             f"the free margin {free:,.2f}: refused")
        sim.book_external(L.D_DEPOSIT, int(sim.acc_i[L.I_NOW]), units)
        sim.recalc()

    def cancel(self, order_id: int) -> None:
        """Withdraw an order not yet filled (a ``cancelled`` event); ValueError when there is none by that id."""
        sim = self._s
        j = sim.order_slot(int(order_id))
        if j < 0:
            raise ValueError(f"no pending order with id {order_id}")
        sim.cancel_order(j, L.CAN_OWNER)

    # ---- reading
    def view(self) -> AccountView:
        """Balance, equity, margin, free margin, margin level and credit now."""
        sim = self._s
        a = sim.acc_f
        return AccountView(float(sim.acc_i[L.I_BALANCE] / sim.params[L.P_MINOR]), float(a[L.A_EQUITY]),
                           float(a[L.A_MARGIN]), float(a[L.A_FREE]), float(a[L.A_LEVEL]), float(a[L.A_CREDIT]))

    def positions(self, symbol: str | None = None) -> list[PositionView]:
        """Open positions (of ``symbol``, or all), by id."""
        sim = self._s
        if sim.acc_i[L.I_N_OPEN] == 0:
            return []
        sim.value_positions()
        high = int(sim.acc_i[L.I_POS_HIGH])
        out = []
        # one conversion to Python lists: per-element NumPy scalar access dominated the strategy loop
        for pi, pf in zip(sim.pos_i[:high].tolist(), sim.pos_f[:high].tolist()):
            if pi[L.PI_ACTIVE] != 1:
                continue
            name = self.symbols[pi[L.PI_SYM]]
            if symbol is not None and name != symbol:
                continue
            sl, tp = pf[L.PF_SL], pf[L.PF_TP]
            out.append(PositionView(pi[L.PI_ID], name, pi[L.PI_SIDE], pf[L.PF_LOTS], pf[L.PF_OPEN],
                                    pi[L.PI_OPEN_TIME], None if math.isnan(sl) else sl, None if math.isnan(tp) else tp,
                                    pf[L.PF_PROFIT], pf[L.PF_MARGIN]))
        out.sort(key=lambda p: p.id)
        return out

    def position(self, position_id: int) -> PositionView | None:
        """Open position ``position_id`` (None when there is none by that id): one lookup, where
        ``positions()`` lists them all."""
        sim = self._s
        high = int(sim.acc_i[L.I_POS_HIGH])
        rows = np.flatnonzero((sim.pos_i[:high, L.PI_ID] == position_id) & (sim.pos_i[:high, L.PI_ACTIVE] == 1))
        if rows.size == 0:
            return None
        pi, pf = sim.pos_i[int(rows[0])].tolist(), sim.pos_f[int(rows[0])].tolist()
        sl, tp = pf[L.PF_SL], pf[L.PF_TP]
        return PositionView(pi[L.PI_ID], self.symbols[pi[L.PI_SYM]], pi[L.PI_SIDE], pf[L.PF_LOTS], pf[L.PF_OPEN],
                            pi[L.PI_OPEN_TIME], None if math.isnan(sl) else sl, None if math.isnan(tp) else tp,
                            pf[L.PF_PROFIT], pf[L.PF_MARGIN])

    def orders(self) -> list[dict[str, Any]]:
        """Orders not yet filled: ``id, symbol, side, type`` (market/limit/stop/close), ``lots, price``."""
        sim = self._s
        types = {L.OT_MARKET: "market", L.OT_LIMIT: "limit", L.OT_STOP: "stop", L.OT_CLOSE: "close"}
        return [{"id": int(sim.ord_i[j, L.OI_ID]), "symbol": self.symbols[int(sim.ord_i[j, L.OI_SYM])],
                 "side": int(sim.ord_i[j, L.OI_SIDE]), "type": types[int(sim.ord_i[j, L.OI_TYPE])],
                 "lots": float(sim.ord_f[j, L.OF_LOTS]), "price": float(sim.ord_f[j, L.OF_PRICE])}
                for j in np.flatnonzero(sim.ord_i[:int(sim.acc_i[L.I_ORD_HIGH]), L.OI_ACTIVE] == 1)]

    def deals(self, since: int = 0) -> list[Deal]:
        """Deals number ``since`` onwards (the ledger is append-only: pass the count already read)."""
        sim = self._s
        n = int(sim.acc_i[L.I_N_DEALS])
        return deal_list(sim.deal_i[since:n], sim.deal_f[since:n], self.terms.currency, self.symbols)

    def trades(self, since: int = 0) -> list[Trade]:
        """Closed trades number ``since`` onwards."""
        sim = self._s
        n = int(sim.acc_i[L.I_N_TRADES])
        return trade_list(sim.tr_i[since:n], sim.tr_f[since:n], self.terms.currency, self.symbols)

    def events(self, since: int = 0) -> list[Event]:
        """Events (margin calls, stop-outs, rejects...) number ``since`` onwards."""
        sim = self._s
        n = int(sim.acc_i[L.I_N_EVENTS])
        return event_list(sim.ev_i[since:n], sim.ev_f[since:n], self.symbols)

    # ---- the end
    def finish(self) -> Result:
        """Close every position at the last quote (reason ``end``) and return the Result."""
        self._s.finish(L.R_END)
        return self.result()

    def result(self) -> Result:
        """The ledger, series and statistics so far (series are views of the account's tables: read
        them before stepping on)."""
        sim = self._s
        ccy = self.terms.currency
        n_ser = int(sim.acc_i[L.I_N_SERIES])
        sf = sim.ser_f[:, :n_ser]
        series = Series(sim.ser_t[:n_ser], sf[L.SR_BALANCE], sf[L.SR_EQUITY], sf[L.SR_MARGIN], sf[L.SR_FREE],
                        sf[L.SR_LEVEL])
        n_d = int(sim.acc_i[L.I_N_DEALS])
        di = sim.deal_i[:n_d].copy()
        df = sim.deal_f[:n_d].copy()
        n_t = int(sim.acc_i[L.I_N_TRADES])
        ti = sim.tr_i[:n_t].copy()
        tf = sim.tr_f[:n_t].copy()
        n_e = int(sim.acc_i[L.I_N_EVENTS])
        ei = sim.ev_i[:n_e].copy()
        ef = sim.ev_f[:n_e].copy()
        kinds = di[:, L.DI_KIND]
        amount = di[:, L.DI_AMOUNT]

        def total(kind: int) -> Decimal:
            return from_minor(int(amount[kinds == kind].sum()), ccy)

        bal = from_minor(int(sim.acc_i[L.I_BALANCE]), ccy)
        equity = round_money(float(sim.acc_f[L.A_EQUITY]), ccy)
        deposit = round_money(self.deposit, ccy)
        types = ei[:, L.EI_TYPE]
        so_times = ei[types == L.E_STOP_OUT, L.EI_TIME]
        min_level = float(sim.acc_f[L.A_MIN_LEVEL])
        stats = Stats(
            final_balance=bal,
            final_equity=equity,
            net_return=float((equity - deposit) / deposit) if deposit else 0.0,
            max_drawdown=max_drawdown(series.equity),
            trades=n_t,
            deals=n_d,
            stop_outs=int((types == L.E_STOP_OUT).sum()),
            margin_calls=int((types == L.E_MARGIN_CALL).sum()),
            rejects=int((types == L.E_REJECT).sum()),
            nbp_absorbed=total(L.D_NBP),
            costs=Costs(spread=round_money(float(sim.acc_f[L.A_COST_SPREAD]), ccy), commission=-total(L.D_COMMISSION),
                        swap=-total(L.D_SWAP), cashback=total(L.D_CASHBACK)),
            first_stop_out_time=iso(int(so_times[0])) if so_times.size else None,
            min_margin_level=min_level if math.isfinite(min_level) else None,
            quotes=int(sim.acc_i[L.I_QUOTES]),
        )
        t = self.terms
        meta = {"broker": t.broker, "account_type": t.account_type, "symbol": self.symbols[0],
                "leverage": None if math.isinf(t.selected_leverage) else t.selected_leverage,
                "stop_out_level": t.stop_out_level, "nbp": t.nbp, "spread": self.spread,
                "spreads": dict(self._spreads), "swap_source": self.swaps,
                "swaps": {n: swap_source(t, n, self.specs[n], self.swaps) for n in self.symbols if n in t.symbols},
                "commission": t.commission_source,
                "widening": widening_sources(t) if self.widening else "off"}
        return Result.from_tables(ccy, deposit, series, stats, meta, self.symbols, (di, df), (ti, tf), (ei, ef))

    def size_for_risk(self, symbol: str, risk_pct: float, sl_distance: float) -> float:
        """Lots that lose at most ``risk_pct`` % of equity over ``sl_distance`` (price units) at current
        prices, by ``formulas.risk_lots`` (the ``size`` calculator's rule): floored to the volume step,
        capped at the maximum. Below the minimum lot it returns 0.0 and books a reject event with
        reason ``below_min_lot`` (amount: the lots computed; the minimum in the reason), since
        rounding up to the minimum would risk more than asked."""
        s = self._sym(symbol)
        sim = self._s
        rules, book = sim.rules, sim.book
        conv = _conv(book.px, rules.sym_f, s, L.S_P1_SYM)  # the kernel's own profit-currency conversion
        if math.isnan(conv):
            raise OrderError(f"{symbol}: no price yet for the pair that converts its profit to "
                             f"{self.terms.currency}, so a risk-sized volume cannot be computed")
        per_lot = sl_distance * rules.sym_f[s, L.S_CS] * conv * rules.params[L.P_ACC_SCALE]
        v = self.volume(symbol)
        equity = float(book.acc_f[L.A_EQUITY])
        sized = risk_lots(equity * risk_pct / 100.0, per_lot, v.min_lot, v.lot_step, v.max_lot)
        if sized.reason == "below_min_lot":
            sim.event(L.E_REJECT, s, 0, L.REJ_BELOW_MIN_LOT, 0.5 * (book.px[s, L.X_BID] + book.px[s, L.X_ASK]),
                      amount=sized.computed, limit=v.min_lot)
        return sized.lots
