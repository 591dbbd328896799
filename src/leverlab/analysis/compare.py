"""One strategy, the same prices and the same deposit, run under every broker's real rules for one trader.

``compare`` answers "which broker is best for me?" by measurement. For every broker profile and
each of its account types it asks the broker rules (``leverlab.brokers``) whether this trader -
residence ``country``, ``client`` class, ``deposit`` in ``currency`` - can open the account and
on what terms (entity, leverage policy, margin call / stop-out, NBP, commission, swaps,
cashback), runs the strategy through the margin-exact engine with those terms, and ranks the
results with the transparent score of ``leverlab.analysis.score``.

Accounts the trader cannot open appear too, with the reason and what they could open instead;
accounts whose leverage the regulator cuts below the leverage asked for are run at the leverage
the trader would really get, and say so.

>>> from leverlab.analysis.compare import compare
>>> c = compare("sample:eurusd-h1", "sma_cross", deposit=1_000, brokers=["exness", "xm"],
...             start="2023-01-01", workers=1)  # doctest: +SKIP
>>> [(r.rank, r.broker, r.account_type) for r in c.ranked][:2]  # doctest: +SKIP
[(1, 'xm', 'micro'), (2, 'xm', 'standard')]

Identical account terms (two account types that differ only in name, minimum deposit or
platform) are simulated once and the result is shared: the engine is deterministic, so the
numbers are the same as running each.
"""

from __future__ import annotations

import copy
import itertools
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..times import iso, to_ns
from ..brokers import AccountTerms, BrokerProfile, load_all, load_broker
from ..brokers.schema import leverage_json, leverage_text
from ..engine import Backtest, Result
from ..money import currency as money_currency
from ..strategies import Strategy
from . import score as _score

#: Stop distance used for risk sizing when a strategy has an ``sl_pips`` parameter left unset:
#: risk-% sizing needs a stop, and a stop-and-reverse strategy has none of its own.
DEFAULT_RISK_SL_PIPS = 50.0
#: Equity at or below this share of the deposit counts as ruin, stopped out or not.
RUIN_LEVEL = 0.01
#: Parameter names that set an indicator's look-back (used to check the data is long enough).
_LOOKBACK_NAMES = ("fast", "slow", "n", "period", "lookback", "window", "entry", "exit", "bb_period", "rsi_period")


class CompareError(ValueError):
    """Input a comparison cannot run with: unknown strategy or parameter, data too short, no broker to run."""


@dataclass(frozen=True)
class Sizing:
    """How each order is sized: ``risk`` % of equity lost at the stop, fixed ``lots``, or fixed ``units``."""

    kind: str = "risk"
    value: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ("risk", "lots", "units"):
            raise CompareError(f"sizing: unknown kind {self.kind!r}; expected risk, lots or units")
        if not (isinstance(self.value, (int, float)) and math.isfinite(self.value) and self.value > 0):
            raise CompareError(f"sizing: {self.kind} must be a positive number, got {self.value!r}")

    def params(self) -> dict[str, float]:
        return {self.kind: float(self.value)}

    def describe(self) -> str:
        return {"risk": f"{self.value:g}% of equity at risk per trade", "lots": f"{self.value:g} lots per order",
                "units": f"{self.value:g} units per order"}[self.kind]


def as_sizing(sizing: Sizing | Mapping[str, float] | None) -> Sizing:
    """A Sizing from None (1 % risk), a Sizing, or a one-item mapping such as ``{"lots": 0.1}``."""
    if sizing is None:
        return Sizing()
    if isinstance(sizing, Sizing):
        return sizing
    if len(sizing) != 1:
        raise CompareError(f"sizing: give exactly one of risk, lots or units, got {dict(sizing)}")
    (k, v), = sizing.items()
    try:
        return Sizing(k, float(v))
    except (TypeError, ValueError):
        raise CompareError(f"sizing: {k} must be a positive number, got {v!r}") from None


@dataclass
class Row:
    """One broker x account type for this trader: eligibility, terms, the run's numbers and the score.

    Money is in the trader's ``currency`` (a cent account's figures are converted from cents);
    ``result`` (the engine's Result, in the account's own currency) stays in memory for reports.
    """

    broker: str
    broker_name: str
    account_type: str
    entity: str | None
    regulator: str | None
    eligible: bool
    reason: str
    instead: str = ""  # for an account the trader cannot open: what they can do instead
    simulated: bool = False
    error: str | None = None
    account_currency: str = ""
    unit_value: float = 1.0  # one account unit in the trader's currency (0.01 for cent accounts)
    deposit: float = 0.0  # in the trader's currency
    leverage: float = math.nan  # applied to a new position at the deposit (inf = unlimited)
    leverage_requested: float | None = None
    leverage_bound_by: str = ""
    leverage_why: str = ""
    leverage_capped: bool = False  # the trader asked for more than this account gives them
    leverage_steps: list[tuple[float, float]] = field(default_factory=list)  # (equity floor, leverage)
    margin_call_level: float | None = None
    stop_out_level: float = math.nan
    nbp: bool = False
    commission_per_lot_side: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    terms_notes: list[str] = field(default_factory=list)
    shared_with: str | None = None  # "broker/account" whose identical terms were simulated
    result: Result | None = None
    score: dict[str, float] | None = None
    rank: int | None = None

    @property
    def label(self) -> str:
        return f"{self.broker}/{self.account_type}"

    # what score.components reads
    def score_inputs(self) -> dict[str, Any]:
        s = self.stats
        return {"ruined": s["ruined"], "ruin_fraction": s["ruin_fraction"],
                "net_return": s["net_return"], "net_cost": s["costs"]["net"], "deposit": self.deposit,
                "nbp": self.nbp, "stop_out_level": self.stop_out_level, "regulator": self.regulator,
                "leverage": self.leverage}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, deterministic (no Result; unlimited leverage as the string ``"unlimited"``)."""
        return {
            "rank": self.rank, "broker": self.broker, "broker_name": self.broker_name,
            "account_type": self.account_type, "entity": self.entity, "regulator": self.regulator,
            "eligible": self.eligible, "reason": self.reason, "instead": self.instead or None,
            "simulated": self.simulated, "error": self.error, "account_currency": self.account_currency,
            "deposit": self.deposit,
            "leverage": {"applied": leverage_json(self.leverage),
                         "requested": leverage_json(self.leverage_requested),
                         "bound_by": self.leverage_bound_by, "why": self.leverage_why,
                         "capped": self.leverage_capped,
                         "steps": [[f, leverage_json(v)] for f, v in self.leverage_steps]},
            "margin_call_level": self.margin_call_level,
            "stop_out_level": None if math.isnan(self.stop_out_level) else self.stop_out_level,
            "nbp": self.nbp, "commission_per_lot_side": self.commission_per_lot_side,
            "stats": self.stats or None, "score": self.score, "shared_with": self.shared_with,
            "terms_notes": self.terms_notes,
        }


@dataclass
class Comparison:
    """The whole comparison: inputs, one ``Row`` per broker x account type, the weights and notes."""

    inputs: dict[str, Any]
    rows: list[Row]
    weights: dict[str, float]
    notes: list[str] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)  # seconds; not part of to_dict (not deterministic)

    @property
    def ranked(self) -> list[Row]:
        """Simulated rows, best first."""
        return sorted((r for r in self.rows if r.rank is not None), key=lambda r: r.rank)  # type: ignore[arg-type,return-value]

    @property
    def ineligible(self) -> list[Row]:
        """Accounts this trader cannot open (with ``reason`` and ``instead``)."""
        return [r for r in self.rows if not r.eligible]

    @property
    def failed(self) -> list[Row]:
        """Eligible accounts the engine could not run (``error`` says why)."""
        return [r for r in self.rows if r.eligible and not r.simulated]

    def to_dict(self) -> dict[str, Any]:
        """Deterministic JSON-able document: inputs, weights, ranked rows, then the others."""
        order = self.ranked + [r for r in self.rows if r.rank is None]
        return {"inputs": self.inputs, "weights": self.weights, "notes": self.notes,
                "score_formula": _score.__doc__.split("\n\n")[1] if _score.__doc__ else "",
                "rows": [r.to_dict() for r in order]}


# ------------------------------------------------------------------ strategy and parameters
def resolve_strategy(strategy: str | type[Strategy]) -> type[Strategy]:
    """A Strategy subclass from a class or a registered name (CompareError naming the choices)."""
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy
    from .. import strategies

    try:
        return strategies.get(str(strategy))
    except KeyError as exc:
        raise CompareError(str(exc.args[0])) from None


def default_stop(cls: type[Strategy], params: dict[str, Any], sizing: Sizing) -> str | None:
    """Risk-% sizing needs a stop: give an unset ``sl_pips`` the documented default (returns the note)."""
    if sizing.kind == "risk" and "sl_pips" in cls.param_names() and params.get("sl_pips",
                                                                               getattr(cls, "sl_pips")) is None:
        params["sl_pips"] = DEFAULT_RISK_SL_PIPS
        return (f"risk sizing needs a stop: sl_pips={DEFAULT_RISK_SL_PIPS:g} used "
                f"(set it with --param sl_pips=N)")
    return None


def check_params(cls: type[Strategy], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The strategy's own check and conversion (``Strategy.checked_params``); the order size is refused
    here because compare takes it from its sizing option."""
    for k in params or {}:
        if k in ("lots", "units", "risk"):
            raise CompareError(f"parameter {k!r} is the order size: use the sizing option (--{k}) instead")
    try:
        return cls.checked_params(dict(params or {}))
    except (TypeError, ValueError) as exc:
        raise CompareError(str(exc)) from None


def min_bars(cls: type[Strategy], params: Mapping[str, Any]) -> int:
    """Bars a strategy needs before its indicators give a value (its ``min_bars`` if it has one)."""
    fn = getattr(cls, "min_bars", None)
    if callable(fn):
        return int(fn(**params))
    need = 2
    for name in cls.param_names():
        if name in _LOOKBACK_NAMES:
            v = params.get(name, getattr(cls, name))
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                need = max(need, int(v) + 1)
    return need


# ------------------------------------------------------------------ running
@dataclass(frozen=True)
class _Job:
    terms: AccountTerms
    deposit: float  # account units
    params: dict[str, Any] | None = None  # overrides of the context's strategy parameters (sweeps)


@dataclass(frozen=True)
class _Context:
    data: Any
    strategy: type[Strategy]
    params: dict[str, Any]
    vectorized: bool = False  # the strategy's compiled ``targets`` mode (same decisions, no Python loop)


def can_vectorize(cls: type[Strategy], params: Mapping[str, Any], sizing: Sizing) -> bool:
    """True when the run can use the strategy's compiled ``targets`` mode and mean the same thing:
    fixed sizing (risk-% sizing needs the equity at each decision) and every parameter given is one
    ``targets`` names explicitly (so none is silently ignored, e.g. a stop-loss)."""
    import inspect

    fn = getattr(cls, "targets", None)
    if sizing.kind == "risk" or not callable(fn):
        return False
    named = {n for n, prm in inspect.signature(fn).parameters.items()
             if prm.kind in (prm.POSITIONAL_OR_KEYWORD, prm.KEYWORD_ONLY)}
    return all(k in named for k in params) and sizing.kind in named


_CTX: _Context | None = None


def _init_worker(ctx: _Context) -> None:
    global _CTX
    _CTX = ctx


def _run(job: _Job, ctx: _Context | None = None) -> Result | str:
    """One backtest; an engine refusal comes back as its message (the row shows it)."""
    from ..engine import BacktestError, StrategyError

    c = ctx or _CTX
    assert c is not None
    try:
        params = c.params if not job.params else {**c.params, **job.params}
        return Backtest(c.data, c.strategy, terms=job.terms, deposit=job.deposit,
                        vectorized=c.vectorized).run(**params)
    except (BacktestError, StrategyError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


def _sim_key(terms: AccountTerms) -> AccountTerms:
    """The terms with everything that cannot change a simulation blanked (names, notes, minimum deposit)."""
    return replace(terms, broker="", broker_name="", account_type="", entity="", regulator="", country="",
                   min_deposit=None, explanation=())


def run_jobs(jobs: Sequence[_Job], ctx: _Context, workers: int | None = None,
             on_done: Callable[[], None] | None = None, pool: str = "auto") -> list[Result | str]:
    """Run backtests, in parallel when ``workers`` > 1, results in the order of ``jobs``.

    Parallel runs use forked worker processes: the Python strategy loop holds the GIL, and a
    forked worker inherits the parent's loaded modules and compiled kernels (no warm-up).
    Where fork is not available (Windows, macOS default) threads are used. ``pool`` forces
    ``"process"`` or ``"thread"`` (the compiled kernel releases the GIL, so compiled-targets runs
    also scale on threads; benchmarks/bench_compare.py measures both).
    """
    n = len(jobs)
    if workers is None:
        workers = os.cpu_count() or 1
    workers = max(1, min(int(workers), n))
    out: list[Result | str | None] = [None] * n
    if workers == 1:
        for i, job in enumerate(jobs):
            out[i] = _run(job, ctx)
            if on_done:
                on_done()
        return out  # type: ignore[return-value]
    executor: Executor
    if pool not in ("auto", "process", "thread"):
        raise ValueError(f"pool must be auto, process or thread, got {pool!r}")
    if pool == "process" or (pool == "auto" and sys.platform.startswith("linux")):
        import multiprocessing as mp

        executor = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"),
                                       initializer=_init_worker, initargs=(ctx,))
    else:
        executor = ThreadPoolExecutor(max_workers=workers)
    in_process = isinstance(executor, ThreadPoolExecutor)
    with executor as ex:
        # results go back to their job's slot, so the order never depends on timing
        futures = {ex.submit(_run, jobs[i], ctx if in_process else None): i for i in range(n)}
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            if on_done:
                on_done()
    return out  # type: ignore[return-value]


# ------------------------------------------------------------------ the comparison
def load_data(data: Any, symbol: str | None, start: str | None, end: str | None) -> Any:
    from ..data import Bars, Ticks
    from ..data.errors import DataError

    if isinstance(data, (str, os.PathLike)):
        try:
            from ..data import load

            data = load(data, symbol=symbol)
        except (DataError, OSError, ValueError) as exc:
            raise CompareError(f"data {str(data)!r}: {exc}") from None
    if not isinstance(data, (Bars, Ticks)):
        raise CompareError(f"data must be Bars, Ticks or a source such as 'sample:eurusd-h1', got {type(data).__name__}")
    if start or end:
        try:
            s = to_ns(start) if start else None
            e = to_ns(end) if end else None
        except (TypeError, ValueError) as exc:
            raise CompareError(f"start/end: {exc}") from None
        if len(data) == 0:
            raise CompareError("the data is empty")
        cover = f"{iso(int(data.time[0]))[:10]} .. {iso(int(data.time[-1]))[:10]}"
        data = data.between(s, e)
        if len(data) == 0:
            raise CompareError(f"no market data between {start or 'the start'} and {end or 'the end'}; "
                               f"the data covers {cover}")
    if len(data) == 0:
        raise CompareError("the data is empty")
    return data


def _profiles(brokers: Iterable[str | BrokerProfile] | None) -> list[BrokerProfile]:
    from ..brokers import UnknownBrokerError

    if brokers is None:
        return load_all()
    out = []
    for b in brokers:
        if isinstance(b, BrokerProfile):
            out.append(b)
            continue
        try:
            out.append(load_broker(str(b)))
        except UnknownBrokerError as exc:
            raise CompareError(str(exc)) from None
    return out


def row_stats(result: Result, unit: float, deposit: float) -> dict[str, Any]:
    """The row's numbers in the trader's currency."""
    s = result.stats
    c = s["costs"]
    spread, comm, swap, cash = (float(c[k]) * unit for k in ("spread", "commission", "swap", "cashback"))
    t = result.series.time
    start, stop = (int(t[0]), int(t[-1])) if len(t) else (0, 0)
    first = None
    frac = None
    days = None
    so_t = None
    if s["stop_outs"] and s["first_stop_out_time"]:
        # from the stats' timestamp: building every Event object (thousands of rejects) is not needed
        so_t = int(np.datetime64(str(s["first_stop_out_time"]).rstrip("Z"), "ns").astype(np.int64))
        first = s["first_stop_out_time"]
        frac = (so_t - start) / (stop - start) if stop > start else 0.0
        days = round((so_t - start) / 86_400e9, 2)
    # ruin: stopped out, or equity down to RUIN_LEVEL of the deposit (an unlimited-leverage or 0 %
    # stop-out account can lose everything without a stop-out)
    ruin_t = so_t
    wiped = np.flatnonzero(result.series.equity * unit <= RUIN_LEVEL * deposit)
    if wiped.size and (ruin_t is None or int(t[wiped[0]]) < ruin_t):
        ruin_t = int(t[wiped[0]])
    ruin_frac = None if ruin_t is None else ((ruin_t - start) / (stop - start) if stop > start else 0.0)
    return {
        "final_equity": round(float(s["final_equity"]) * unit, 2),
        "final_balance": round(float(s["final_balance"]) * unit, 2),
        "net_return": s["net_return"],
        "max_drawdown": s["max_drawdown"],
        "trades": s["trades"],
        "stop_outs": s["stop_outs"],
        "margin_calls": s["margin_calls"],
        "rejects": s["rejects"],
        "first_stop_out_time": first,
        "days_to_first_stop_out": days,
        "first_stop_out_fraction": frac,
        "ruined": ruin_t is not None,
        "ruin_time": None if ruin_t is None else iso(ruin_t),
        "ruin_fraction": ruin_frac,
        "min_margin_level": s["min_margin_level"],
        "nbp_absorbed": round(float(s["nbp_absorbed"]) * unit, 2),
        "costs": {"spread": round(spread, 2), "commission": round(comm, 2), "swap": round(swap, 2),
                  "cashback": round(cash, 2), "net": round(spread + comm + swap - cash, 2)},
    }


def _steps(terms: AccountTerms, symbol: str, unit: float) -> list[tuple[float, float]]:
    """Leverage by equity for a new position (outside HMR windows): (equity floor in trader currency, L)."""
    sm = terms.margin_for(symbol)
    if sm.fixed_margin_rate:
        return [(0.0, 1.0 / sm.fixed_margin_rate)]
    if not sm.band_floor:
        return [(0.0, sm.static_cap)]
    return [(round(f * unit, 2), min(sm.static_cap, lev)) for f, lev in zip(sm.band_floor, sm.band_leverage)]


def _instead(eligible: list[str], account: str, reason: str, profile: BrokerProfile) -> str:
    if "below the minimum" in reason:
        acc = next(a for a in profile.account_types if a.id == account)
        need = f"a deposit of at least {float(acc.min_deposit.value):,.2f} {acc.min_deposit.currency}"  # type: ignore[arg-type]
        return need + (f", or open {', '.join(eligible)}" if eligible else "")
    if eligible:
        return f"open {', '.join(eligible)} at {profile.name} instead"
    return "no account type at this broker for this trader"


def compare(data: Any, strategy: str | type[Strategy], *, deposit: float, currency: str = "USD",
            country: str = "SC", client: str = "retail", leverage: float | str | None = None,
            params: Mapping[str, Any] | None = None, sizing: Sizing | Mapping[str, float] | None = None,
            brokers: Iterable[str | BrokerProfile] | None = None,
            weights: Mapping[str, float] | str | None = None, workers: int | None = None,
            progress: Callable[[int, int], None] | None = None, symbol: str | None = None,
            start: str | None = None, end: str | None = None, vectorized: bool | None = None) -> Comparison:
    """Run ``strategy`` on ``data`` under every broker's account types this trader can open, and rank them.

    ``deposit`` is in ``currency`` (the trader's money; a cent account gets it in cents);
    ``country`` is the ISO code of the trader's residence; ``client`` is ``retail`` or ``pro``;
    ``leverage`` the setting the trader would pick (None: the most each broker allows);
    ``sizing`` ``Sizing("risk", 1)`` (default), ``{"lots": 0.1}`` or ``{"units": 1000}``;
    ``brokers`` a subset of broker ids; ``weights`` for the score (see ``leverlab.analysis.score``);
    ``start``/``end`` cut the data (ISO dates); ``vectorized`` None picks the strategy's compiled
    ``targets`` mode when it means the same as ``next()`` (see ``can_vectorize``), True/False forces it;
    ``progress(done, total)`` is told how many backtests are finished.
    Raises ``CompareError`` on bad input.
    """
    import time

    t_start = time.perf_counter()
    cls = resolve_strategy(strategy)
    p = check_params(cls, params)
    sz = as_sizing(sizing)
    try:
        w = _score.parse_weights(weights)
    except _score.WeightsError as exc:
        raise CompareError(str(exc)) from None
    if client not in ("retail", "pro"):
        raise CompareError(f"client class {client!r}: expected retail or pro")
    if not (isinstance(deposit, (int, float)) and math.isfinite(deposit) and deposit > 0):
        raise CompareError(f"deposit must be a positive amount, got {deposit!r}")
    try:
        money_currency(currency)
    except ValueError as exc:
        raise CompareError(str(exc)) from None
    notes: list[str] = []
    note = default_stop(cls, p, sz)
    if note:
        notes.append(note)
    bars = load_data(data, symbol, start, end)
    need = min_bars(cls, p)
    if len(bars) < need:
        raise CompareError(f"data too short: {len(bars)} bars, {cls.__name__} needs at least {need} "
                           f"for its indicators ({', '.join(f'{k}={v}' for k, v in p.items()) or 'defaults'})")
    sym = bars.symbol.upper()
    from ..brokers import NoEntityError, PolicyError, UnknownCountryError, eligible_account_types
    from ..brokers import leverage as policy_leverage
    from ..brokers.policy import parse_selected

    try:
        requested = parse_selected(leverage)
    except (PolicyError, ValueError) as exc:
        raise CompareError(f"leverage {leverage!r}: {exc}") from None

    rows: list[Row] = []
    jobs: list[_Job] = []
    job_of_row: dict[int, int] = {}
    key_to_job: dict[str, int] = {}
    first_label: dict[int, str] = {}
    for prof in _profiles(brokers):
        try:
            accounts = eligible_account_types(prof, country, client, float(deposit), currency)
        except UnknownCountryError as exc:
            raise CompareError(str(exc)) from None
        except (NoEntityError, PolicyError) as exc:
            rows.append(Row(prof.id, prof.name, "*", None, None, False, str(exc),
                            instead=f"{prof.name} has no entity for {country.upper()} {client} clients"))
            continue
        ok_ids = [a for a, ok, _ in accounts if ok]
        for acc, ok, why in accounts:
            if not ok:
                rows.append(Row(prof.id, prof.name, acc, None, None, False, why,
                                instead=_instead(ok_ids, acc, why, prof)))
                continue
            try:
                terms = resolve_terms_for(prof, acc, country, client, currency, leverage)
                sm = terms.margin_for(sym)
            except (PolicyError, KeyError, ValueError) as exc:
                msg = exc.args[0] if isinstance(exc, KeyError) else str(exc)
                rows.append(Row(prof.id, prof.name, acc, None, None, False, f"{why}; cannot resolve terms: {msg}",
                                instead="not comparable on this symbol"))
                continue
            ccy = money_currency(terms.currency)
            unit = float(ccy.unit_value) if ccy.is_cent else 1.0
            dep_units = float(deposit) / unit
            ans = policy_leverage(prof, acc, country, client, sym, dep_units, selected=leverage)
            applied = sm.leverage_at(dep_units)
            row = Row(prof.id, prof.name, acc, terms.entity, terms.regulator, True, why,
                      account_currency=terms.currency, unit_value=unit, deposit=float(deposit), leverage=applied,
                      leverage_requested=requested, leverage_bound_by=ans.bound_by, leverage_why=ans.explanation,
                      leverage_steps=_steps(terms, sym, unit), margin_call_level=terms.margin_call_level,
                      stop_out_level=terms.stop_out_level, nbp=terms.nbp,
                      commission_per_lot_side=terms.commission_per_lot_side, terms_notes=list(terms.explanation))
            if requested is not None and applied < requested:
                row.leverage_capped = True
                row.reason += (f"; asked {leverage_text(requested)}, gets {leverage_text(applied)} "
                               f"(bound by {ans.bound_by}{', ' + terms.regulator if ans.bound_by == 'regulator' else ''})")
                row.instead = f"runs at {leverage_text(applied)}, the most {terms.entity} gives this trader"
            key = repr(_sim_key(terms))
            j = key_to_job.get(key)
            if j is None:
                j = len(jobs)
                key_to_job[key] = j
                jobs.append(_Job(terms, dep_units))
                first_label[j] = row.label
            elif first_label[j] != row.label:
                row.shared_with = first_label[j]
            job_of_row[len(rows)] = j
            rows.append(row)
    if not jobs:
        reasons = "; ".join(f"{r.label}: {r.reason}" for r in rows[:6])
        raise CompareError(f"no broker account can be opened by a {client} client from {country.upper()} with "
                           f"{deposit:,.2f} {currency}: {reasons}")

    run_sz = sz
    if sz.kind == "lots":
        # the same exposure on every account: a cent account's lot is 1/100 of a standard one, so
        # "0.1 lots" means 10,000 units of base currency everywhere
        from ..instruments import instrument

        try:
            cs = instrument(sym).contract_size
        except KeyError:
            cs = None
        if cs:
            run_sz = Sizing("units", sz.value * cs)
            notes.append(f"{sz.value:g} lots = {sz.value * cs:,.0f} units of {sym[:3]} on every account "
                         f"(cent accounts trade the same exposure in their smaller lots)")
    vec = can_vectorize(cls, p, run_sz) if vectorized is None else bool(vectorized)
    ctx = _Context(bars, cls, {**p, **run_sz.params()}, vec)
    notes.append(f"{cls.__name__} ran in its compiled targets mode (same decisions as next())" if vec else
                 f"{cls.__name__} ran its next() in Python at each decision bar")
    if getattr(bars, "two_sided", False) and any(r.eligible and r.commission_per_lot_side for r in rows):
        notes.append("spreads: every account pays the bid/ask spread in the price data, since the profiles publish "
                     "no typical spreads; raw-spread accounts pay their commission on top, so their cost is "
                     "overstated by the difference between the data's spread and their own")
    t_setup = time.perf_counter()
    results = run_with_progress(jobs, ctx, workers, progress)
    t_run = time.perf_counter()
    for i, row in enumerate(rows):
        if i not in job_of_row:
            continue
        res = results[job_of_row[i]]
        if isinstance(res, str):
            row.error = res
            continue
        if row.shared_with:
            res = copy.copy(res)
            res.meta = {**res.meta, "broker": row.broker, "account_type": row.account_type}
        row.result = res
        row.simulated = True
        row.stats = row_stats(res, row.unit_value, row.deposit)
    _score.score(rows, w)
    t_end = time.perf_counter()
    inputs = {"data": str(data) if isinstance(data, (str, os.PathLike)) else getattr(bars, "source", "") or sym,
              "symbol": sym, "timeframe": getattr(bars, "timeframe", None), "bars": len(bars),
              "start": iso(int(bars.time[0])), "end": iso(int(bars.time[-1])),
              "strategy": cls.__name__, "params": p, "sizing": {sz.kind: sz.value}, "deposit": float(deposit),
              "currency": currency.upper(), "country": country.upper(), "client": client,
              "leverage": leverage_json(requested)}
    notes.append(f"{len(jobs)} distinct account terms simulated for {sum(1 for r in rows if r.eligible)} "
                 f"eligible account types (identical terms run once)")
    return Comparison(inputs, rows, w, notes,
                      timing={"setup": t_setup - t_start, "run": t_run - t_setup, "total": t_end - t_start,
                              "backtests": float(len(jobs))})


def resolve_terms_for(profile: BrokerProfile, account: str, country: str, client: str, currency: str,
                      leverage: float | str | None) -> AccountTerms:
    """``resolve_terms`` for one comparison row (the trader's currency and leverage setting)."""
    from ..brokers import resolve_terms

    return resolve_terms(profile, account, country, client, currency=currency, selected_leverage=leverage)


def run_with_progress(jobs: Sequence[_Job], ctx: _Context, workers: int | None,
                      progress: Callable[[int, int], None] | None = None) -> list[Result | str]:
    """``run_jobs``, telling ``progress(done, total)`` at the start and after each backtest (the
    command line draws its bar from it); compiled-targets runs go to threads (the kernel releases
    the GIL), bar-by-bar Python runs to forked processes."""
    pool = "thread" if ctx.vectorized else "auto"
    if not progress:
        return run_jobs(jobs, ctx, workers, pool=pool)
    total, done = len(jobs), itertools.count(1)
    progress(0, total)
    return run_jobs(jobs, ctx, workers, on_done=lambda: progress(next(done), total), pool=pool)


__all__ = ["compare", "Comparison", "Row", "Sizing", "CompareError", "check_params", "resolve_strategy",
           "min_bars", "run_jobs", "DEFAULT_RISK_SL_PIPS"]
