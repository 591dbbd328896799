"""``Backtest``: run a strategy on market data with one broker's account terms, margin-exact.

>>> from leverlab.engine import Backtest
>>> from leverlab.strategies import SmaCross
>>> # r = Backtest("sample:eurusd-h1", SmaCross, broker="exness", account_type="standard",
>>> #              country="SC", deposit=1_000).run(lots=0.1)
>>> # r.stats["final_balance"], [e.type for e in r.events]

Python decides (``Strategy.next`` at each bar close), the compiled kernel simulates every quote
in between; a target-position array (or a strategy's ``targets`` classmethod with
``vectorized=True``) runs the whole account compiled in one call.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np

from ..brokers.terms import AccountTerms
from ..data.frames import Bars, Ticks
from ..instruments import Instrument
from ..money import currency as _currency
from ..money import from_minor, round_money, to_minor
from . import _layout as L
from ._kernel import seed_rng
from ._sim import _Sim
from ._prepare import DataError, Stream, build_stream, spec_for, symbol_table
from .._time import iso, to_ns
from ._schedule import cashback_times, hmr_schedule, rollover_times
from .result import Deal, Event, Result, Series, Trade, max_drawdown


class BacktestError(ValueError):
    """A run that cannot start: bad data, unknown broker terms, a missing conversion pair."""


class StrategyError(RuntimeError):
    """A strategy raised while deciding; the message names the bar time."""


@dataclass(frozen=True)
class AccountView:
    """The account at the current decision (account currency)."""

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


class NetPosition:
    """The net position of one symbol: ``size`` in signed lots; falsy when flat."""

    def __init__(self, broker: "_Broker", symbol: str, legs: list[PositionView]) -> None:
        self._broker = broker
        self.symbol = symbol
        self.legs = legs
        self.size = sum(p.size for p in legs)
        self.pl = sum(p.profit for p in legs)

    @property
    def lots(self) -> float:
        return abs(self.size)

    @property
    def is_long(self) -> bool:
        return self.size > 0

    @property
    def is_short(self) -> bool:
        return self.size < 0

    def __bool__(self) -> bool:
        return bool(self.legs)

    def close(self, portion: float = 1.0) -> None:
        """Close all (or ``portion`` of) this symbol's positions at the next price."""
        if portion >= 1.0:
            self._broker.close(self.symbol, 0, None)
        else:
            self._broker.close(self.symbol, 0, self._broker.round_lots(self.symbol, self.lots * portion))

    def __repr__(self) -> str:
        return f"NetPosition({self.symbol}, size={self.size:g}, pl={self.pl:.2f})"


class _Broker:
    """What a strategy talks to: orders in, account and positions out."""

    def __init__(self, sim: _Sim, order: list[str], specs: dict[str, Instrument]) -> None:
        self.sim = sim
        self.order = order
        self.index = {s: i for i, s in enumerate(order)}
        self.specs = specs

    def _sym(self, symbol: str) -> int:
        try:
            return self.index[symbol.upper()]
        except KeyError:
            raise ValueError(f"no data for symbol {symbol!r}; this run has: {', '.join(self.order)}") from None

    def contract_size(self, symbol: str) -> float:
        return float(self.sim.sym_f[self._sym(symbol), L.S_CS])

    def min_lot(self, symbol: str) -> float:
        return float(self.sim.sym_f[self._sym(symbol), L.S_MIN_LOT])

    def round_lots(self, symbol: str, lots: float) -> float:
        step = float(self.sim.sym_f[self._sym(symbol), L.S_LOT_STEP])
        return round(math.floor(lots / step + 1e-9) * step, 8)

    def check_lots(self, symbol: str, lots: float) -> float:
        """Validate a volume against the account type's min / step / max; return it on the step grid."""
        s = self._sym(symbol)
        lo, step, hi = (float(self.sim.sym_f[s, c]) for c in (L.S_MIN_LOT, L.S_LOT_STEP, L.S_MAX_LOT))
        from ..strategies.base import OrderError
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

    def lots_for_risk(self, symbol: str, risk_pct: float, sl_distance: float) -> float:
        """Lots that lose ``risk_pct`` % of equity over ``sl_distance`` (floored to the step, at least the minimum)."""
        s = self._sym(symbol)
        sim = self.sim
        conv = 1.0
        for c in (L.S_P1_SYM, L.S_P2_SYM):
            ps = int(sim.sym_f[s, c])
            if ps >= 0:
                mid = 0.5 * (sim.px[ps, L.X_BID] + sim.px[ps, L.X_ASK])
                conv = conv / mid if sim.sym_f[s, c + 1] > 0 else conv * mid
        per_lot = sl_distance * sim.sym_f[s, L.S_CS] * conv * sim.params[L.P_ACC_SCALE]
        lots = sim.acc_f[L.A_EQUITY] * risk_pct / 100.0 / per_lot if per_lot > 0 else 0.0
        return max(self.min_lot(symbol), self.round_lots(symbol, lots))

    def submit(self, symbol: str, side: int, lots: float, sl: float | None, tp: float | None, limit: float | None,
               stop: float | None) -> int:
        s = self._sym(symbol)
        lots = self.check_lots(symbol, lots)
        sl_ = math.nan if sl is None else float(sl)
        tp_ = math.nan if tp is None else float(tp)
        if limit is not None:
            return self.sim.add_order(s, side, L.OT_LIMIT, lots, float(limit), sl_, tp_)
        if stop is not None:
            return self.sim.add_order(s, side, L.OT_STOP, lots, float(stop), sl_, tp_)
        return self.sim.add_order(s, side, L.OT_MARKET, lots, math.nan, sl_, tp_)

    def close(self, symbol: str, position_id: int, lots: float | None) -> None:
        s = self._sym(symbol)
        if lots is not None:
            lots = self.check_lots(symbol, lots)
        self.sim.add_order(s, 0, L.OT_CLOSE, math.nan if lots is None else lots, pos_id=int(position_id))

    def modify(self, position_id: int, sl: float | None, tp: float | None) -> None:
        sim = self.sim
        rows = np.flatnonzero((sim.pos_i[:, L.PI_ACTIVE] == 1) & (sim.pos_i[:, L.PI_ID] == position_id))
        if rows.size == 0:
            raise ValueError(f"no open position with id {position_id}")
        k = int(rows[0])
        if sl is None or not (isinstance(sl, float) and math.isnan(sl)):
            sim.pos_f[k, L.PF_SL] = math.nan if sl is None else float(sl)
        if tp is None or not (isinstance(tp, float) and math.isnan(tp)):
            sim.pos_f[k, L.PF_TP] = math.nan if tp is None else float(tp)

    def cancel(self, order_id: int) -> None:
        sim = self.sim
        rows = np.flatnonzero((sim.ord_i[:, L.OI_ACTIVE] == 1) & (sim.ord_i[:, L.OI_ID] == order_id))
        if rows.size == 0:
            raise ValueError(f"no pending order with id {order_id}")
        sim.ord_i[int(rows[0]), L.OI_ACTIVE] = 0

    def account(self) -> AccountView:
        a = self.sim.acc_f
        return AccountView(self.sim.acc_i[L.I_BALANCE] / self.sim.params[L.P_MINOR], float(a[L.A_EQUITY]),
                           float(a[L.A_MARGIN]), float(a[L.A_FREE]), float(a[L.A_LEVEL]), float(a[L.A_CREDIT]))

    def positions(self, symbol: str | None = None) -> list[PositionView]:
        sim = self.sim
        if sim.acc_i[L.I_N_OPEN] == 0:
            return []
        high = int(sim.acc_i[L.I_POS_HIGH])
        out = []
        # one conversion to Python lists: per-element NumPy scalar access dominated the strategy loop
        for pi, pf in zip(sim.pos_i[:high].tolist(), sim.pos_f[:high].tolist()):
            if pi[L.PI_ACTIVE] != 1:
                continue
            name = self.order[pi[L.PI_SYM]]
            if symbol is not None and name != symbol:
                continue
            sl, tp = pf[L.PF_SL], pf[L.PF_TP]
            out.append(PositionView(pi[L.PI_ID], name, pi[L.PI_SIDE], pf[L.PF_LOTS], pf[L.PF_OPEN],
                                    pi[L.PI_OPEN_TIME], None if math.isnan(sl) else sl, None if math.isnan(tp) else tp,
                                    pf[L.PF_PROFIT], pf[L.PF_MARGIN]))
        out.sort(key=lambda p: p.id)
        return out

    def net_position(self, symbol: str) -> NetPosition:
        return NetPosition(self, symbol, self.positions(symbol))

    def orders(self) -> list[dict[str, Any]]:
        sim = self.sim
        types = {L.OT_MARKET: "market", L.OT_LIMIT: "limit", L.OT_STOP: "stop", L.OT_CLOSE: "close"}
        return [{"id": int(sim.ord_i[j, L.OI_ID]), "symbol": self.order[int(sim.ord_i[j, L.OI_SYM])],
                 "side": int(sim.ord_i[j, L.OI_SIDE]), "type": types[int(sim.ord_i[j, L.OI_TYPE])],
                 "lots": float(sim.ord_f[j, L.OF_LOTS]), "price": float(sim.ord_f[j, L.OF_PRICE])}
                for j in np.flatnonzero(sim.ord_i[:, L.OI_ACTIVE] == 1)]


def _as_feeds(data: Any) -> dict[str, Bars | Ticks]:
    if isinstance(data, (Bars, Ticks)):
        return {data.symbol.upper(): data}
    if isinstance(data, Mapping):
        return {str(k).upper(): v for k, v in data.items()}
    if isinstance(data, str):
        try:
            from ..data import load  # type: ignore[attr-defined]
        except ImportError as exc:  # pragma: no cover - the data layer is being built alongside
            raise BacktestError(f"cannot load {data!r}: leverlab.data.load is not available ({exc})") from None
        loaded = load(data)
        return _as_feeds(loaded)
    if isinstance(data, (list, tuple)):
        out: dict[str, Bars | Ticks] = {}
        for d in data:
            out.update(_as_feeds(d))
        return out
    raise BacktestError(f"data must be Bars, Ticks, a dict of them or a source string, got {type(data).__name__}")


def _chain(first: list[Any], rest: Iterator[Any] | None) -> Iterator[Any]:
    yield from first
    if rest is not None:
        yield from rest


def _calendar_ns(calendar: Iterable[Any]) -> list[int]:
    """High-impact event times (datetime, ISO text, datetime64 or int ns) as UTC nanoseconds."""
    return [to_ns(c) for c in calendar]


class Backtest:
    """One account, one broker's terms, market data and a strategy.

    ``data``: Bars, Ticks, a dict symbol -> Bars/Ticks (the first is the traded, decision symbol;
    others trade via ``symbol=`` or only supply conversion rates), or a source for ``leverlab.data.load``.
    ``strategy``: a ``Strategy`` subclass, a registered name, or an array of target positions per
    decision bar (signed lots, NaN = keep) which runs entirely compiled.
    ``terms``: an ``AccountTerms``; when omitted it is resolved from broker/account_type/country/client.
    ``deposit`` is in account units (cents for a cent account). ``timeframe`` is the decision
    timeframe on ticks. ``pessimistic``: SL wins when SL and TP are both inside one bar.
    ``slippage``: max adverse slippage in points (uniform, seeded) on market and stop fills.
    ``record_every``: on ticks, record a series point every N quotes (0: at decision bars only).
    ``hedging=False`` makes a netting account (one position per symbol, opposite orders net).

    Conventions: margin and profit are converted to the account currency at the mid price of the
    linking pair(s) found in ``data``; margin is re-priced on every quote (ask for buys, bid for
    sells); swaps are booked as deals at each rollover; an order rejected for margin is an event.
    A stream of Ticks chunks (an iterator) runs in bounded memory with a strategy's
    ``stream_targets``.
    """

    def __init__(self, data: Any, strategy: Any = None, *, broker: str | None = None,
                 account_type: str | None = None, country: str | None = None, client: str = "retail",
                 deposit: float = 10_000, currency: str = "USD", leverage: float | None = None,
                 terms: AccountTerms | None = None, hedging: bool = True, calendar: Iterable[Any] = (),
                 slippage: float = 0.0, seed: int = 0, pessimistic: bool = True, timeframe: str = "M1",
                 instruments: Mapping[str, Instrument] | None = None, record_every: int = 0,
                 vectorized: bool = False) -> None:
        self._chunks: Iterator[Ticks] | None = None
        if isinstance(data, Iterator):  # a stream of Ticks chunks: simulated chunk by chunk
            first = next(data, None)
            if not isinstance(first, Ticks):
                raise BacktestError("a streamed data source must yield Ticks chunks of one symbol")
            self._chunks = data
            data = first
        self.feeds = _as_feeds(data)
        if not self.feeds:
            raise BacktestError("no market data given")
        if terms is None:
            if broker is None:
                raise BacktestError("give either terms=AccountTerms(...) or broker=... (with account_type and country)")
            from ..brokers import resolve_terms  # type: ignore[attr-defined]
            terms = resolve_terms(broker, account_type, country, client, currency=currency, selected_leverage=leverage)
        self.terms = terms
        self.strategy = strategy
        self.deposit = deposit
        self.hedging = hedging
        self.calendar = _calendar_ns(calendar)
        self.slippage = float(slippage)
        self.seed = int(seed)
        self.pessimistic = pessimistic
        self.timeframe = timeframe
        self.instruments = {k.upper(): v for k, v in (instruments or {}).items()}
        self.record_every = int(record_every)
        self.vectorized = vectorized
        self.order = list(self.feeds)
        for name in self.order:
            if name in terms.symbols or name in self.instruments:
                continue
            try:
                spec_for(name, terms, self.instruments)
            except KeyError as exc:
                raise BacktestError(str(exc)) from None
        self.specs = {n: spec_for(n, terms, self.instruments) for n in self.order}
        if self.order[0] not in terms.symbols:
            raise BacktestError(f"{terms.broker}/{terms.account_type} has no terms for {self.order[0]!r}; "
                                f"covered: {', '.join(sorted(terms.symbols))}")

    # ---- the run
    def _params(self) -> np.ndarray:
        t = self.terms
        ccy = _currency(t.currency)
        p = np.zeros(L.N_PARAMS)
        p[L.P_MC] = math.nan if t.margin_call_level is None else t.margin_call_level
        p[L.P_SO] = t.stop_out_level
        p[L.P_SO_CREDIT] = 1.0 if t.stop_out_counts_credit else 0.0
        p[L.P_NBP] = 1.0 if t.nbp else 0.0
        p[L.P_DEL_PENDING] = 1.0 if t.delete_pending_on_stop_out else 0.0
        p[L.P_COMMISSION] = t.commission_per_lot_side
        p[L.P_HEDGING] = 1.0 if self.hedging else 0.0
        p[L.P_ACC_SCALE] = float(1 / ccy.unit_value)
        p[L.P_MINOR] = float(10 ** ccy.minor_digits)
        p[L.P_SLIPPAGE] = self.slippage
        p[L.P_PESSIMISTIC] = 1.0 if self.pessimistic else 0.0
        p[L.P_CASHBACK] = t.cashback_per_lot
        p[L.P_CASHBACK_PER_TRADE] = 1.0 if t.cashback_schedule == "per_trade" else 0.0
        p[L.P_STRIDE] = self.record_every
        p[L.P_SWAP_FREE] = 1.0 if t.swap_free else 0.0
        p[L.P_VEC_SYM] = -1.0
        p[L.P_LEAN] = 1.0
        return p

    def _stream(self, feeds: dict[str, Bars | Ticks]) -> Stream:
        try:
            return build_stream(feeds, self.order, self.terms, self.specs, self.timeframe)
        except DataError as exc:
            raise BacktestError(str(exc)) from None

    def _schedules(self, t0: int, t1: int) -> tuple[np.ndarray, ...]:
        """Rollover instants (t0, t1], HMR intervals and cashback instants for a span of quotes."""
        t = self.terms
        roll_t, roll_f = rollover_times(t0, t1, t.rollover_time, t.server_timezone, t.triple_swap_day)
        hmr, hmr_cap, _ = hmr_schedule(t, t0, t1, self.calendar, self.order)
        cash_t = cashback_times(t0, t1, t.cashback_schedule) if t.cashback_per_lot else np.zeros(0, np.int64)
        return roll_t, roll_f, hmr, hmr_cap, cash_t

    def _build(self, stream: Stream | None = None) -> tuple[_Sim, Stream]:
        t = self.terms
        if stream is None:
            stream = self._stream(self.feeds)
        try:
            sym_f, band_floor, band_lev = symbol_table(self.order, self.specs, t)
        except DataError as exc:
            raise BacktestError(str(exc)) from None
        t0, t1 = int(stream.time[0]), int(stream.time[-1])
        roll_t, roll_f, hmr, hmr_cap, cash_t = self._schedules(t0 - 1, t1)
        params = self._params()
        params[L.P_HMR_ALL] = 1.0 if any(w.applies_to == "all_positions" for w in t.hmr_windows) else 0.0
        sim = _Sim(stream, sym_f, band_floor, band_lev, params, roll_t, roll_f, hmr, hmr_cap, cash_t)
        seed_rng(self.seed)
        ccy = _currency(t.currency)
        dep = to_minor(self.deposit, ccy)
        sim.acc_i[L.I_NOW] = t0
        sim.book_external(L.D_DEPOSIT, t0, dep)
        if t.bonus_pct:
            credit = float(self.deposit) * t.bonus_pct / 100.0
            if t.bonus_cap is not None:
                credit = min(credit, t.bonus_cap)
            cm = to_minor(credit, ccy)
            sim.book_external(L.D_BONUS, t0, cm)
            sim.acc_f[L.A_CREDIT] = cm / params[L.P_MINOR]
        sim.acc_f[L.A_EQUITY] = sim.acc_i[L.I_BALANCE] / params[L.P_MINOR] + sim.acc_f[L.A_CREDIT]
        sim.acc_f[L.A_FREE] = sim.acc_f[L.A_EQUITY]
        return sim, stream

    def _raise_kernel_error(self, sim: _Sim) -> None:
        code, arg = int(sim.acc_i[L.I_ERROR]), int(sim.acc_i[L.I_ERROR_ARG])
        when = iso(int(sim.acc_i[L.I_NOW]))
        if code == L.ERR_NO_RATE:
            name = self.order[arg]
            legs = [self.order[int(sim.sym_f[arg, c])] for c in (L.S_M1_SYM, L.S_M2_SYM, L.S_P1_SYM, L.S_P2_SYM)
                    if sim.sym_f[arg, c] >= 0]
            raise BacktestError(f"{name}: no price yet at {when} for the conversion pair(s) "
                                f"{', '.join(sorted(set(legs)))} needed to value it in {self.terms.currency}")
        raise BacktestError(f"simulation error {code} at {when}")

    def run(self, **params: Any) -> Result:
        """Run the whole data and return the Result. ``params`` override the strategy's parameters."""
        if self._chunks is not None:
            return self._run_stream(params)
        sim, stream = self._build()
        strategy = self.strategy
        if isinstance(strategy, str):
            from ..strategies import get
            strategy = get(strategy)
        n_q = stream.time.shape[0]
        targets = None
        if isinstance(strategy, np.ndarray) or (isinstance(strategy, (list, tuple))):
            targets = np.asarray(strategy, dtype=np.float64)
        elif strategy is not None and self.vectorized:
            if not hasattr(strategy, "targets"):
                raise BacktestError(f"{strategy.__name__} has no vectorized mode (a 'targets' classmethod)")
            targets = np.asarray(strategy.targets(stream.bars, contract_size=self.specs[self.order[0]].contract_size,
                                                  **params), dtype=np.float64)
        if targets is not None:
            if targets.shape[0] != stream.decisions.shape[0]:
                raise BacktestError(f"target positions: got {targets.shape[0]} values, "
                                    f"expected one per decision bar ({stream.decisions.shape[0]})")
            sim.set_decisions(stream.decisions, np.ascontiguousarray(targets))
            sim.advance(n_q)
        elif strategy is None:
            sim.advance(n_q)
        else:
            self._run_python(sim, stream, strategy, params)
        if sim.acc_i[L.I_ERROR]:
            self._raise_kernel_error(sim)
        sim.finish(L.R_END)
        return self._result(sim, stream)

    def _run_stream(self, params: dict[str, Any]) -> Result:
        """Simulate a stream of Ticks chunks in bounded memory with a strategy's compiled
        ``stream_targets(bars, state, **params)``. Each chunk is cut at its last complete
        decision bar; the unfinished bar's ticks are carried into the next chunk."""
        from ..data.frames import TIMEFRAMES

        cls = self.strategy
        if isinstance(cls, str):
            from ..strategies import get
            cls = get(cls)
        if not hasattr(cls, "stream_targets"):
            raise BacktestError(f"{getattr(cls, '__name__', cls)!r} cannot run on a stream: it has no "
                                "stream_targets(bars, state, **params) classmethod")
        tf = TIMEFRAMES[self.timeframe]
        name = self.order[0]
        state: dict[str, Any] = {}
        sim: _Sim | None = None
        stream: Stream | None = None
        carry: Ticks | None = None
        last_t = None
        cs = self.specs[name].contract_size

        def simulate(ticks: Ticks) -> None:
            nonlocal sim, stream, last_t
            stream = self._stream({name: ticks})
            targets = np.ascontiguousarray(cls.stream_targets(stream.bars, state, contract_size=cs, **params),
                                           dtype=np.float64)
            if sim is None:
                sim, _ = self._build(stream)
            else:
                t0 = int(last_t)
                roll_t, roll_f, hmr, hmr_cap, cash_t = self._schedules(t0, int(stream.time[-1]))
                sim.next_stream(stream, roll_t, roll_f, hmr, hmr_cap, cash_t)
            sim.set_decisions(stream.decisions, targets)
            sim.advance(stream.time.shape[0])
            if sim.acc_i[L.I_ERROR]:
                self._raise_kernel_error(sim)
            last_t = int(stream.time[-1])

        chunks = [self.feeds[name]]
        for chunk in _chain(chunks, self._chunks):
            if chunk.symbol.upper() != name:
                raise BacktestError(f"stream chunk of {chunk.symbol}, expected {name}")
            if carry is not None and len(carry):
                from ..data.frames import concat
                chunk = concat([carry, chunk])
            t = np.asarray(chunk.time, dtype=np.int64)
            bucket = t // tf
            cut = int(np.searchsorted(bucket, bucket[-1], side="left"))
            if cut == 0:
                carry = chunk
                continue
            head, carry = chunk.take(slice(0, cut)), chunk.take(slice(cut, None))
            simulate(head)
        if carry is not None and len(carry):
            simulate(carry)
        assert sim is not None and stream is not None
        sim.finish(L.R_END)
        return self._result(sim, stream)

    def _run_python(self, sim: _Sim, stream: Stream, cls: type, params: dict[str, Any]) -> None:
        broker = _Broker(sim, self.order, self.specs)
        strat = cls(broker, stream.bars, params)
        name = cls.__name__
        strat._i = len(stream.bars) - 1
        try:
            strat.init()
        except Exception as exc:
            raise StrategyError(f"{name}.init() failed: {type(exc).__name__}: {exc}") from exc
        dec = stream.decisions
        bar_time = np.asarray(stream.bars.time, dtype=np.int64)
        acting = strat.decision_bars()
        if acting is None:
            steps: Iterable[int] = range(dec.shape[0])
        else:
            acting = np.asarray(acting, dtype=np.bool_)
            if acting.shape != (dec.shape[0],):
                raise StrategyError(f"{name}.decision_bars() gave {acting.shape[0]} flags for {dec.shape[0]} bars")
            steps = np.flatnonzero(acting).tolist()
        for d in steps:
            end = int(dec[d]) + 1
            sim.advance(end)
            if sim.acc_i[L.I_ERROR]:
                return
            strat._i = d
            try:
                strat.next()
            except Exception as exc:
                raise StrategyError(f"{name}.next() failed at bar {iso(int(bar_time[d]))}: "
                                    f"{type(exc).__name__}: {exc}") from exc
        sim.advance(stream.time.shape[0])

    def _result(self, sim: _Sim, stream: Stream) -> Result:
        ccy = self.terms.currency
        minor = sim.params[L.P_MINOR]
        n_ser = int(sim.acc_i[L.I_N_SERIES])
        sf = sim.ser_f[:, :n_ser]  # the run's own tables: views, no copies
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
        stats: dict[str, Any] = {
            "final_balance": bal,
            "final_equity": equity,
            "net_return": float((equity - deposit) / deposit) if deposit else 0.0,
            "max_drawdown": max_drawdown(series.equity),
            "trades": n_t,
            "deals": n_d,
            "stop_outs": int((types == L.E_STOP_OUT).sum()),
            "margin_calls": int((types == L.E_MARGIN_CALL).sum()),
            "rejects": int((types == L.E_REJECT).sum()),
            "nbp_absorbed": total(L.D_NBP),
            "costs": {
                "spread": round_money(float(sim.acc_f[L.A_COST_SPREAD]), ccy),
                "commission": -total(L.D_COMMISSION),
                "swap": -total(L.D_SWAP),
                "cashback": total(L.D_CASHBACK),
            },
            "first_stop_out_time": iso(int(so_times[0])) if so_times.size else None,
            "min_margin_level": None if not math.isfinite(sim.acc_f[L.A_MIN_LEVEL]) else float(sim.acc_f[L.A_MIN_LEVEL]),
            "quotes": int(sim.acc_i[L.I_QUOTES]),
        }
        meta = {"broker": self.terms.broker, "account_type": self.terms.account_type, "symbol": self.order[0],
                "leverage": None if math.isinf(self.terms.selected_leverage) else self.terms.selected_leverage,
                "stop_out_level": self.terms.stop_out_level, "nbp": self.terms.nbp}
        return _LazyResult(ccy, deposit, series, stats, meta, self.order, minor, (di, df), (ti, tf), (ei, ef))


class _LazyResult(Result):
    """A Result whose deal/trade/event objects are built on first access (runs can have millions)."""

    def __init__(self, ccy: str, deposit: Decimal, series: Series, stats: dict[str, Any], meta: dict[str, Any],
                 order: list[str], minor: float, deals: tuple[np.ndarray, np.ndarray],
                 trades: tuple[np.ndarray, np.ndarray], events: tuple[np.ndarray, np.ndarray]) -> None:
        self.currency = ccy
        self.deposit = deposit
        self.series = series
        self.stats = stats
        self.meta = meta
        self._order = order
        self._raw = (deals, trades, events)

    def _name(self, s: int) -> str | None:
        return self._order[s] if s >= 0 else None

    @cached_property
    def deals(self) -> list[Deal]:  # type: ignore[override]
        di, df = self._raw[0]
        c = self.currency
        return [Deal(int(r[L.DI_TIME]), L.DEAL_KINDS[int(r[L.DI_KIND])], int(r[L.DI_POS_ID]), self._name(int(r[L.DI_SYM])),
                     {1: "buy", -1: "sell"}.get(int(r[L.DI_SIDE])), float(f[L.DF_LOTS]), float(f[L.DF_PRICE]),
                     from_minor(int(r[L.DI_AMOUNT]), c), from_minor(int(r[L.DI_BALANCE]), c))
                for r, f in zip(di, df)]

    @cached_property
    def trades(self) -> list[Trade]:  # type: ignore[override]
        ti, tf = self._raw[1]
        c = self.currency
        return [Trade(int(r[L.TI_POS_ID]), self._order[int(r[L.TI_SYM])], "buy" if r[L.TI_SIDE] > 0 else "sell",
                      float(f[L.TF_LOTS]), int(r[L.TI_OPEN_TIME]), float(f[L.TF_OPEN]), int(r[L.TI_CLOSE_TIME]),
                      float(f[L.TF_CLOSE]), from_minor(int(r[L.TI_PROFIT]), c), from_minor(int(r[L.TI_COMM]), c),
                      from_minor(int(r[L.TI_SWAP]), c), float(f[L.TF_MAE]), float(f[L.TF_MFE]),
                      L.CLOSE_REASONS[int(r[L.TI_REASON])])
                for r, f in zip(ti, tf)]

    @cached_property
    def events(self) -> list[Event]:  # type: ignore[override]
        ei, ef = self._raw[2]
        out = []
        for r, f in zip(ei, ef):
            typ = int(r[L.EI_TYPE])
            price = float(f[L.EF_PRICE])
            out.append(Event(L.EVENT_TYPES[typ], int(r[L.EI_TIME]), self._name(int(r[L.EI_SYM])),
                             None if math.isnan(price) else price,
                             None if math.isnan(f[L.EF_LEVEL]) else float(f[L.EF_LEVEL]),
                             float(f[L.EF_AMOUNT]), int(r[L.EI_REF]),
                             L.REJECT_REASONS[int(r[L.EI_REASON])] if typ == L.E_REJECT else ""))
        return out

    @property
    def raw(self) -> tuple:
        """The ledger as NumPy tables: ((deal_i, deal_f), (trade_i, trade_f), (event_i, event_f))."""
        return self._raw
