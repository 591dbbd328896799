"""One broker account, many leverage settings (and strategy parameters): survival and return against leverage.

This is the picture behind the risk note on every high-leverage offer: the same strategy and the
same deposit, run margin-exact at 1:30, 1:100, ... 1:3000 and unlimited with one broker's real
terms. Each setting is what the trader *asks for*; the broker's policy may grant less (equity
bands, regulator caps), and the row says what was applied.

>>> from leverlab.analysis.sweep import sweep
>>> s = sweep("sample:eurusd-h1", "sma_cross", "exness", "standard", leverages=[30, 500, "unlimited"],
...           deposit=1_000, sizing={"lots": 1}, start="2018-01-01")  # doctest: +SKIP
>>> [(p.leverage_requested, p.survived) for p in s.points]  # doctest: +SKIP
[(30.0, True), (500.0, False), (inf, False)]
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..brokers import PolicyError
from ..brokers.schema import leverage_json, leverage_text, parse_leverage
from ..engine import Result
from ..strategies import Strategy
from ._runner import Context, Job, run_with_progress
from .compare import (
    CompareError,
    RowStats,
    RunInputs,
    Sizing,
    _check_inputs,
    _run_inputs,
    account_unit,
    can_vectorize,
    check_cost_modes,
    placed_trade,
    resolve_terms_for,
    row_stats,
    spread_mode_for,
    spread_text,
    swap_text,
    what_to_do,
)

#: The leverage settings of the seed question, from a regulated retail cap to "unlimited".
DEFAULT_LEVERAGES: tuple[float, ...] = (30, 100, 500, 1000, 2000, 3000, math.inf)


@dataclass
class SweepPoint:
    """One run: the leverage asked for and applied, the parameters, and the results (trader's currency)."""

    leverage_requested: float
    leverage_applied: float  # for a new position at the deposit
    params: dict[str, Any]
    stats: RowStats | None = None  # None when the engine refused the run (``error`` says why)
    error: str | None = None
    result: Result | None = None
    traded: bool = False  # at least one order filled; a run whose every order was rejected did not trade
    broker: str = ""  # the broker id and account type of this run (a sweep may span several accounts)
    account_type: str = ""
    spread: str = ""  # where this run's spread came from, e.g. "data" or "broker 0.95 pips (<source>)"
    swap_source: str = ""  # where this run's swaps on the traded symbol came from (``Result.meta["swaps"]``)

    @property
    def no_trade(self) -> bool:
        """The run happened but filled no order: it neither survived nor failed anything."""
        return self.error is None and self.stats is not None and not self.traded

    @property
    def survived(self) -> bool:
        """Never ruined - not stopped out, equity never down to 1 % of the deposit (and the run happened).
        A run that placed no trade survived trivially: ``no_trade`` says so, and tables show "no trade"."""
        return self.error is None and self.stats is not None and not self.stats.ruined

    def to_dict(self) -> dict[str, Any]:
        return {"broker": self.broker, "account_type": self.account_type,
                "leverage_requested": leverage_json(self.leverage_requested),
                "leverage_applied": leverage_json(self.leverage_applied),
                "params": self.params, "spread": self.spread, "swap_source": self.swap_source,
                "survived": self.survived, "no_trade": self.no_trade, "error": self.error,
                "stats": self.stats.to_dict() if self.stats else None}


@dataclass
class Sweep:
    """All points of a sweep, in the order accounts x leverages x parameter combinations."""

    inputs: RunInputs
    points: list[SweepPoint]
    notes: list[str] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)  # backtests, run_seconds, backtests_per_second
    executor: str = "local"

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": self.inputs.to_dict(), "notes": self.notes, "executor": self.executor,
                "timing": self.timing, "points": [p.to_dict() for p in self.points]}

    def survival_rate(self, leverage: float, traded_only: bool = False) -> float:
        """Share of the parameter combinations that survived at one requested leverage; ``traded_only``
        counts only the runs that placed a trade (NaN when none did: no trade is not survival)."""
        pts = [p for p in self.points if p.leverage_requested == leverage and p.error is None
               and (p.traded or not traded_only)]
        return sum(p.survived for p in pts) / len(pts) if pts else math.nan


def parse_leverages(items: Sequence[float | str]) -> list[float]:
    """Leverage settings as numbers, each read by ``parse_leverage`` (``"unlimited"`` -> inf)."""
    try:
        out = [parse_leverage(x) for x in items]
    except ValueError as exc:
        raise CompareError(str(exc)) from None
    if not out:
        raise CompareError("give at least one leverage to sweep")
    return out


def parse_accounts(broker: str | Sequence[str], account_type: str | None) -> list[tuple[str, str]]:
    """``(broker, account type)`` pairs from a broker id or several (a list, or ids separated by commas),
    each ``id`` or ``id/account_type``; ``account_type`` is the type of those given without one.

    >>> parse_accounts("exness,xm/micro", "standard")
    [('exness', 'standard'), ('xm', 'micro')]
    """
    items = [x.strip() for x in (broker.split(",") if isinstance(broker, str) else broker) if x.strip()]
    if not items:
        raise CompareError("give at least one broker to sweep")
    out = []
    for item in items:
        b, sep, t = item.partition("/")
        t = t.strip() if sep else (account_type or "")
        if not b.strip() or not t:
            raise CompareError(f"broker {item!r}: no account type; expected broker/account_type (e.g. exness/standard)"
                               f" or an account type for every broker")
        out.append((b.strip(), t))
    return out


def sweep(data: Any, strategy: str | type[Strategy], broker: str | Sequence[str], account_type: str | None,
          leverages: Sequence[float | str] = DEFAULT_LEVERAGES, params_grid: Mapping[str, Sequence[Any]] | None = None,
          *, deposit: float = 1_000, currency: str = "USD", country: str = "SC", client: str = "retail",
          params: Mapping[str, Any] | None = None, sizing: Sizing | Mapping[str, float] | None = None,
          workers: int | None = None, progress: Callable[[int, int], None] | None = None,
          symbol: str | None = None, start: str | None = None, end: str | None = None,
          store: str | os.PathLike[str] | None = None, executor: str = "local", address: str | None = None,
          keep_results: bool = True, spread: str = "data", swaps: str = "published") -> Sweep:
    """Run ``strategy`` with each broker account at each leverage in ``leverages`` and each combination
    of ``params_grid`` (name -> values): points in the order accounts x leverages x combinations.

    ``broker`` is one broker id or several (see ``parse_accounts``: ``"exness,xm/micro"`` with
    ``account_type="standard"``); ``executor``/``address`` say where the backtests run
    (``leverlab.analysis.executor``); ``keep_results=False`` keeps each point's figures but not its
    ``Result`` (series and ledger: ~4 MB for 12 years of H1), so a big grid fits in memory and ships
    little back from a cluster. ``spread`` is one of ``SPREAD_CHOICES`` (default ``data``: the data's
    bid/ask), ``swaps`` one of ``leverlab.engine.SWAP_SOURCES`` (default ``published``); each point's
    ``spread`` and ``swap_source`` say where its costs came from, and a note names both modes. See
    ``compare`` for the other arguments. ``Sweep.timing`` gives the seconds of the runs and the backtests
    per second.

    Raises ``CompareError`` on bad input (unknown broker, account type, parameter, data too short).
    """
    import time

    check_cost_modes(spread, swaps)
    levs = parse_leverages(leverages)
    accounts = parse_accounts(broker, account_type)
    chk = _check_inputs(data, strategy, params, sizing, deposit=deposit, currency=currency, client=client,
                        symbol=symbol, start=start, end=end, grid=params_grid, store=store)
    from ..brokers import UnknownBrokerError, load_broker

    jobs: list[Job] = []
    points: list[SweepPoint] = []
    for b, acct in accounts:
        try:
            prof = load_broker(b)
        except UnknownBrokerError as exc:
            raise CompareError(str(exc)) from None
        for lev in levs:
            try:
                terms = resolve_terms_for(prof, acct, country, client, currency, lev)
                applied = terms.margin_for(chk.symbol).leverage_at(float(deposit) / account_unit(terms.currency))
            except (PolicyError, KeyError, LookupError, ValueError) as exc:
                raise CompareError(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from None
            mode, origin = spread_mode_for(terms, [chk.symbol, *chk.extra], spread)  # CompareError: unpriced
            for combo in chk.combos:
                jobs.append(Job(terms, float(deposit) / account_unit(terms.currency), combo or None, spread=mode,
                                swaps=swaps))
                points.append(SweepPoint(lev, applied, {**chk.params, **combo}, broker=b, account_type=acct,
                                         spread=origin))
    sz = chk.sizing
    vec = can_vectorize(chk.strategy, {**chk.params, **(params_grid or {})}, sz)
    ctx = Context(chk.feeds, chk.strategy, {**chk.params, **sz.params()}, vec,
                  None if keep_results else partial(_figures, deposit=float(deposit)))
    t0 = time.perf_counter()
    results = run_with_progress(jobs, ctx, workers, progress, executor, address)
    seconds = time.perf_counter() - t0
    notes = list(chk.notes)
    for pt, res, job in zip(points, results, jobs):
        if isinstance(res, str):
            pt.error = what_to_do(res)
            continue
        if isinstance(res, Result):
            pt.result = res
            pt.traded, pt.stats, pt.spread, pt.swap_source = _figures(res, job, float(deposit))
        else:
            pt.traded, pt.stats, pt.spread, pt.swap_source = res
        capped = pt.leverage_applied < pt.leverage_requested
        if capped and not any(f"{pt.broker}/{pt.account_type} grants less" in n for n in notes):
            notes.append(f"{pt.broker}/{pt.account_type} grants less than some settings asked for "
                         f"(leverage_applied shows what a new position got at the deposit)")
    notes.append(f"costs: spread {spread} (each point's spread says where it came from), swaps {swaps} (each "
                 f"point's swap_source says where they came from)")
    idle = sum(p.no_trade for p in points)
    if idle:
        notes.append(f"no trade: {idle} of {len(points)} run(s) filled no order (every order rejected, or no "
                     f"signal); they count neither as survived nor as ruined")
    label_b = ",".join(dict.fromkeys(b for b, _ in accounts))
    label_t = ",".join(dict.fromkeys(t for _, t in accounts))
    inputs = _run_inputs(data, chk, deposit=deposit, currency=currency, country=country, client=client,
                         grid=params_grid, broker=label_b, account_type=label_t)
    timing = {"backtests": float(len(jobs)), "run_seconds": seconds,
              "backtests_per_second": len(jobs) / seconds if seconds > 0 else math.inf}
    return Sweep(inputs, points, notes, timing, executor)


def _figures(res: Result, job: Job, deposit: float) -> tuple[bool, RowStats, str, str]:
    """What a point keeps of its run: whether it traded, its figures in the trader's currency, and where its
    spread and its swaps on the traded symbol came from (``Result.meta``)."""
    return (placed_trade(res), row_stats(res, account_unit(job.terms.currency), deposit),
            spread_text(res, job.spread, job.spread), swap_text(res))


def render_sweep_png(s: Sweep, path: str | os.PathLike[str]) -> None:
    """Survival share and median net return against the leverage asked for (log axis; unlimited at the right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    levs = sorted({p.leverage_requested for p in s.points})
    finite = [x for x in levs if math.isfinite(x)]
    top = (max(finite) if finite else 1000.0) * 3
    xs = [x if math.isfinite(x) else top for x in levs]
    surv = [s.survival_rate(x, traded_only=True) for x in levs]
    ret = []
    for x in levs:
        r = [p.stats.net_return for p in s.points if p.leverage_requested == x and p.stats is not None and p.traded]
        ret.append(float(np.median(r)) * 100 if r else math.nan)
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    ax.plot(xs, ret, "o-", color="#1f77b4", lw=2, label="median net return %")
    ax.axhline(0, color="#888", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels([leverage_text(x) for x in levs])
    ax.set_ylabel("net return %")
    ax2 = ax.twinx()
    ax2.bar(xs, [v * 100 for v in surv], width=[x * 0.25 for x in xs], color="#2ca02c", alpha=0.25,
            label="survived (not ruined) %")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("survived %")
    i = s.inputs
    ax.set_title(f"{i.strategy} at {i.broker}/{i.account_type}, {i.deposit:,.0f} {i.currency}: "
                 f"return and survival against leverage", fontsize=10, loc="left")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, frameon=False, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)


__all__ = ["sweep", "Sweep", "SweepPoint", "parse_leverages", "parse_accounts", "render_sweep_png", "DEFAULT_LEVERAGES"]
