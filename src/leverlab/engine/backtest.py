"""``Backtest``: run a strategy on market data with one broker's account terms, margin-exact.

>>> from leverlab import load
>>> from leverlab.engine import Backtest
>>> from leverlab.strategies import SmaCross
>>> r = Backtest(load("sample:eurusd-h1"), SmaCross, broker="exness", account_type="standard",
...              country="SC", deposit=1_000).run(lots=0.01)
>>> r.final_balance == r.ledger_balance(), r.stats.trades > 100
(True, True)

Python decides (``Strategy.next`` at each bar close), the compiled kernel simulates every quote
in between; a target-position array (or a strategy's ``targets`` classmethod with
``vectorized=True``) runs the whole account compiled in one call. Either way the run steps one
:class:`~leverlab.engine.account.Account`, the same object a paper-trading loop would step.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..brokers import resolve_terms
from ..brokers.terms import AccountTerms
from ..data.frames import TIMEFRAMES, Bars, Ticks, concat
from ..instruments import Instrument
from ..times import iso, to_ns
from .account import (
    Account,
    AccountView,
    PositionView,
    as_feeds,
    check_deposit,
    check_spreads,
    check_swaps,
    check_symbols,
    kernel_params,
)
from .errors import BacktestError, StrategyError
from .result import Result
from .strategy import NetPosition, Strategy, _Broker

__all__ = ["Backtest", "BacktestError", "StrategyError", "AccountView", "PositionView", "NetPosition"]


def _strategy_arg(strategy: Any) -> type[Strategy] | np.ndarray | list[float] | None:
    """``strategy`` when it is a Strategy subclass, a target array or None; TypeError otherwise."""
    if strategy is None or isinstance(strategy, (np.ndarray, list)):
        return strategy
    if inspect.isclass(strategy) and issubclass(strategy, Strategy):
        return strategy
    hint = "; resolve a name with leverlab.strategies.get(name)" if isinstance(strategy, str) else ""
    raise TypeError(f"strategy must be a Strategy subclass, an array of target positions or None, "
                    f"got {type(strategy).__name__} {strategy!r:.60}{hint}")


class Backtest:
    """One account, one broker's terms, market data and a strategy.

    ``data``: Bars, Ticks, or a mapping symbol -> Bars/Ticks (the first is the traded, decision
    symbol; others trade via ``symbol=`` or only supply conversion rates). Load a source first
    with ``leverlab.load(...)``; stream chunks with :meth:`Backtest.stream`.
    ``strategy``: a ``Strategy`` subclass (``leverlab.strategies.get(name)`` gives one by name), an
    array or list of target positions per decision bar (signed lots, NaN = keep) which runs
    entirely compiled, or None (no trading).
    ``terms``: an ``AccountTerms``; when omitted it is resolved from broker/account_type/country/client.
    ``deposit`` is in account units (cents for a cent account). ``timeframe`` is the decision
    timeframe on ticks. ``pessimistic``: SL wins when SL and TP are both inside one bar.
    ``slippage``: max adverse slippage in points (uniform, seeded) on market and stop fills.
    ``record_every``: on ticks, record a series point every N quotes (0: at decision bars only).
    ``hedging=False`` makes a netting account (one position per symbol, opposite orders net).
    ``vectorized=True`` runs the strategy's ``targets`` classmethod compiled instead of ``next``.
    ``spread``: ``"data"`` (default: the data's own bid/ask), ``"broker"`` (the data's mid +/- half
    the account type's published typical spread; BacktestError naming the account and symbol when
    the profile publishes none) or ``"data+markup"`` (the data's spread plus the account's markup over a
    stated reference); ``Result.meta["spread"]`` and ``["spreads"]`` say which and whence.
    ``widening=True``: spreads widen around the broker's daily rollover and the ``calendar``'s
    high-impact events, as the profile publishes (else documented defaults, marked assumed; ``meta["widening"]``).
    ``swaps``: ``"published"`` (default: the profile's swap table; a symbol without one books none),
    ``"policy"`` (the table where published, else each day's financing from the central-bank
    policy-rate differential of the pair's currencies minus the broker's markup, on its day count,
    booked at its rollover, x3 on its asset class's triple day) or ``"none"``; swap-free accounts book
    their published fee, if any, instead. ``Result.meta["swaps"]`` states each symbol's swap source,
    ``["commission"]`` the commission's.

    Conventions: margin and profit are converted to the account currency at the mid price of the
    linking pair(s) found in ``data``; margin is re-priced on every quote (ask for buys, bid for
    sells); swaps are booked as deals at each rollover; an order rejected for margin is an event.

    Raises:
        TypeError: ``data`` or ``strategy`` of another kind (a source string, a strategy name).
        BacktestError: a run that cannot start or go on - no data, no terms, a symbol the account
            type does not cover, unsorted data, a missing conversion pair, a wrong number of
            targets. The brokers' errors while resolving the terms (an unknown broker, country or
            account type: ``UnknownBrokerError``, ``PolicyError``, ...) become BacktestError with
            their message, the original chained as ``__cause__``.
        StrategyError: the strategy's ``init``, ``next`` or ``decision_bars`` raised (from ``run``).
    """

    def __init__(self, data: Bars | Ticks | Mapping[str, Bars | Ticks],
                 strategy: type[Strategy] | np.ndarray | list[float] | None = None, *,
                 broker: str | None = None, account_type: str | None = None, country: str | None = None,
                 client: str = "retail", deposit: float = 10_000, currency: str = "USD",
                 leverage: float | None = None, terms: AccountTerms | None = None, hedging: bool = True,
                 calendar: Iterable[Any] = (), slippage: float = 0.0, seed: int = 0, pessimistic: bool = True,
                 timeframe: str = "M1", instruments: Mapping[str, Instrument] | None = None, record_every: int = 0,
                 vectorized: bool = False, spread: str = "data", swaps: str = "published",
                 widening: bool = False) -> None:
        if isinstance(data, Iterator):
            raise TypeError("data is an iterator: stream chunks with Backtest.stream(chunks, strategy, ...)")
        self._streaming = False  # set by Backtest.stream, with the chunks after the first in _chunks
        self._chunks: Iterator[Ticks] | None = None
        self.feeds = as_feeds(data)
        deposit = check_deposit(deposit)  # before any work: a bad deposit is the caller's input
        self.strategy = _strategy_arg(strategy)
        if not self.feeds:
            raise BacktestError("no market data given")
        if terms is None:
            if broker is None or account_type is None or country is None:
                raise BacktestError("give either terms=AccountTerms(...) or broker=... (with account_type and country)")
            try:
                terms = resolve_terms(broker, account_type, country, client, currency=currency,
                                      selected_leverage=leverage)
            except (LookupError, ValueError) as exc:
                raise BacktestError(str(exc.args[0]) if exc.args else str(exc)) from exc
        self.terms = terms
        self.deposit = deposit
        self.hedging = hedging
        self.calendar = [to_ns(c) for c in calendar]
        self.slippage = float(slippage)
        self.seed = int(seed)
        self.pessimistic = pessimistic
        self.timeframe = timeframe
        self.instruments = {k.upper(): v for k, v in (instruments or {}).items()}
        self.record_every = int(record_every)
        self.vectorized = vectorized
        self.spread = spread
        self.widening = bool(widening)
        self.swaps = check_swaps(swaps)
        self.order = list(self.feeds)
        self.specs = check_symbols(self.order, terms, self.instruments)
        check_spreads(terms, self.order, self.specs, spread)  # before any run

    @classmethod
    def stream(cls, chunks: Iterable[Ticks], strategy: type[Strategy], **options: Any) -> Backtest:
        """A Backtest over a stream of Ticks chunks of one symbol, run in bounded memory.

        ``run(**params)`` simulates chunk by chunk with the strategy's compiled
        ``stream_targets(bars, state, **params)`` classmethod, consuming ``chunks`` once; each
        chunk is cut at its last complete decision bar and the unfinished bar's ticks are carried
        into the next. ``options`` are the constructor's. BacktestError if the first chunk is not
        Ticks (or there is none).
        """
        it = iter(chunks)
        first = next(it, None)
        if not isinstance(first, Ticks):
            raise BacktestError("a streamed data source must yield Ticks chunks of one symbol")
        bt = cls(first, strategy, **options)
        bt._streaming, bt._chunks = True, it
        return bt

    # ---- the run
    def _params(self) -> np.ndarray:
        """The kernel's parameter slots for this run's terms and options."""
        return kernel_params(self.terms, hedging=self.hedging, slippage=self.slippage, pessimistic=self.pessimistic,
                             record_every=self.record_every)

    def _account(self) -> Account:
        """A fresh account for one run."""
        acct = Account(self.terms, self.order, deposit=self.deposit, hedging=self.hedging, calendar=self.calendar,
                       slippage=self.slippage, seed=self.seed, pessimistic=self.pessimistic, timeframe=self.timeframe,
                       instruments=self.instruments, record_every=self.record_every,
                       spread=self.spread, swaps=self.swaps, widening=self.widening)
        acct._kparams = self._params()  # the same slots; built here so a run can be given other ones
        return acct

    def run(self, **params: Any) -> Result:
        """Run the whole data and return the Result. ``params`` override the strategy's parameters.

        Raises BacktestError or StrategyError (see the class).
        """
        if self._streaming:
            return self._run_stream(params)
        acct = self._account()
        acct.feed(self.feeds)
        strategy = self.strategy
        targets = None
        if isinstance(strategy, (np.ndarray, list)):
            targets = strategy
        elif strategy is not None and self.vectorized:
            vectorized = getattr(strategy, "targets", None)
            if vectorized is None:
                raise BacktestError(f"{strategy.__name__} has no vectorized mode (a 'targets' classmethod)")
            targets = vectorized(acct.bars, contract_size=self.specs[self.order[0]].contract_size, **params)
        if targets is not None:
            acct.set_targets(targets)
            acct.advance()
        elif strategy is None:
            acct.advance()
        elif not isinstance(strategy, (np.ndarray, list)):
            self._run_python(acct, strategy, params)
        return acct.finish()

    def _run_stream(self, params: dict[str, Any]) -> Result:
        """Simulate the stream of Ticks chunks with the strategy's ``stream_targets`` (see :meth:`stream`)."""
        cls = self.strategy
        stream_targets = getattr(cls, "stream_targets", None)
        if stream_targets is None:
            raise BacktestError(f"{getattr(cls, '__name__', cls)!r} cannot run on a stream: it has no "
                                "stream_targets(bars, state, **params) classmethod")
        tf = TIMEFRAMES[self.timeframe]
        name = self.order[0]
        state: dict[str, Any] = {}
        acct = self._account()
        carry: Ticks | None = None
        cs = self.specs[name].contract_size

        def simulate(ticks: Ticks) -> None:
            acct.feed({name: ticks})
            acct.set_targets(stream_targets(acct.bars, state, contract_size=cs, **params))
            acct.advance()

        chunks, self._chunks = self._chunks, None
        if chunks is None:
            raise BacktestError("this stream has been run: its chunks are consumed (call Backtest.stream again)")
        first = self.feeds[name]
        if not isinstance(first, Ticks):
            raise BacktestError("a streamed data source must yield Ticks chunks of one symbol")
        for chunk in _chain(first, chunks):
            if chunk.symbol.upper() != name:
                raise BacktestError(f"stream chunk of {chunk.symbol}, expected {name}")
            if not len(chunk):
                continue
            t = np.asarray(chunk.time, dtype=np.int64)
            if carry is not None and len(carry):
                # the carried bar goes on in this chunk: join it with only that bar's ticks here (copying
                # the whole chunk onto the carry cost as much as simulating it); a chunk that does not start
                # after the carry is joined whole, so the sort check sees it
                t_end = (int(carry.time[-1]) // tf + 1) * tf
                join = int(np.searchsorted(t, t_end, side="left")) if t[0] >= carry.time[-1] else len(t)
                carry = concat([carry, chunk.take(slice(0, join))])
                if join == len(t):
                    continue
                simulate(carry)
                chunk, t = chunk.take(slice(join, None)), t[join:]
            cut = int(np.searchsorted(t, (int(t[-1]) // tf) * tf, side="left"))  # the last bar may go on
            carry = chunk.take(slice(cut, None))
            if cut:
                simulate(chunk.take(slice(0, cut)))
        if carry is not None and len(carry):
            simulate(carry)
        return acct.finish()

    def _run_python(self, acct: Account, cls: type[Strategy], params: dict[str, Any]) -> None:
        bars = acct.bars
        strat = cls(_Broker(acct), bars, params)
        name = cls.__name__
        strat._i = len(bars) - 1
        try:
            strat.init()
        except Exception as exc:
            raise StrategyError(f"{name}.init() failed: {type(exc).__name__}: {exc}") from exc
        dec = acct.decisions
        bar_time = np.asarray(bars.time, dtype=np.int64)
        acting = strat.decision_bars()
        if acting is None:
            steps: Iterable[int] = range(dec.shape[0])
        else:
            acting = np.asarray(acting, dtype=np.bool_)
            if acting.shape != (dec.shape[0],):
                raise StrategyError(f"{name}.decision_bars() gave {acting.shape[0]} flags for {dec.shape[0]} bars")
            steps = np.flatnonzero(acting).tolist()
        for d in steps:
            acct.advance(int(dec[d]) + 1)
            strat._i = d
            try:
                strat.next()
            except Exception as exc:
                raise StrategyError(f"{name}.next() failed at bar {iso(int(bar_time[d]))}: "
                                    f"{type(exc).__name__}: {exc}") from exc
        acct.advance()


def _chain(first: Ticks, rest: Iterator[Ticks]) -> Iterator[Ticks]:
    yield first
    yield from rest
