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
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..brokers import AccountTerms, BrokerProfile, load_all, load_broker
from ..brokers.schema import leverage_json, leverage_text
from ..engine import SWAP_SOURCES, Result
from ..engine.account import check_deposit, unpriced_symbol
from ..engine.result import Record
from ..money import currency as money_currency
from ..strategies import Strategy
from ..times import iso, to_ns
from . import score as _score
from ._runner import Context, Job, run_with_progress

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


@dataclass(frozen=True)
class RowCosts(Record):
    """What one account cost over the run, in the trader's currency rounded to cents, each positive when
    paid (see ``leverlab.engine.result.Costs``); ``net`` = spread + commission + swap - cashback."""

    spread: float
    commission: float
    swap: float
    cashback: float
    net: float


@dataclass(frozen=True)
class RowStats(Record):
    """One simulated row's numbers, in the trader's currency (money rounded to cents).

    From the run's ``Stats``: ``final_equity``, ``final_balance``, ``net_return`` and ``max_drawdown``
    (fractions), the counts, ``min_margin_level`` (%, None without margin in use), ``nbp_absorbed``
    and ``costs``. Row-only: the first stop-out as ISO time, days from the start and fraction of the
    period (None without one); ``ruined`` (stopped out, or equity down to ``RUIN_LEVEL`` of the
    deposit) with its ISO ``ruin_time`` and ``ruin_fraction`` of the period."""

    final_equity: float
    final_balance: float
    net_return: float
    max_drawdown: float
    trades: int
    stop_outs: int
    margin_calls: int
    rejects: int
    first_stop_out_time: str | None
    days_to_first_stop_out: float | None
    first_stop_out_fraction: float | None
    ruined: bool
    ruin_time: str | None
    ruin_fraction: float | None
    min_margin_level: float | None
    nbp_absorbed: float
    costs: RowCosts


#: The keys of a sweep's inputs, in the order its JSON document has always listed them.
_SWEEP_KEYS = ("data", "symbol", "start", "end", "bars", "strategy", "params", "grid", "sizing", "broker",
               "account_type", "deposit", "currency", "country", "client")


@dataclass(frozen=True)
class RunInputs(Record):
    """What a comparison or a sweep ran with, as checked: ``data`` (the source as given, or the symbol),
    ``bars`` (count) from ``start`` to ``end`` (ISO UTC), the strategy's class name and checked
    ``params``, ``sizing`` (``{"risk": 1.0}``, ``{"lots": 0.1}``...), and the trader: ``deposit`` in
    ``currency``, ``country`` (ISO code, upper case), ``client`` class.

    A comparison adds ``leverage``, the setting asked for (None: the most each broker allows; inf:
    unlimited); a sweep adds its parameter ``grid``, ``broker`` and ``account_type`` instead, and
    lists only its own keys (``keys()``, ``to_dict()``)."""

    data: str
    symbol: str
    timeframe: str | None
    bars: int
    start: str
    end: str
    strategy: str
    params: dict[str, Any]
    sizing: dict[str, float]
    deposit: float
    currency: str
    country: str
    client: str
    leverage: float | None = None
    grid: dict[str, list[Any]] | None = None
    broker: str | None = None
    account_type: str | None = None

    def keys(self) -> tuple[str, ...]:
        if self.broker is not None:
            return _SWEEP_KEYS
        return tuple(k for k in super().keys() if k not in ("grid", "broker", "account_type"))

    def to_dict(self) -> dict[str, Any]:
        """The keys in order; leverage as in every JSON document (``"unlimited"`` for inf)."""
        d = super().to_dict()
        if "leverage" in d:
            d["leverage"] = leverage_json(self.leverage)
        return d


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
    stats: RowStats | None = None  # None until simulated
    traded: bool = False  # the run filled at least one order; a run that did not is shown, never ranked
    terms_notes: list[str] = field(default_factory=list)
    shared_with: str | None = None  # "broker/account" whose identical terms were simulated
    # where the spread this account paid came from: "broker 0.95 pips (<source>, <confidence>)" (the
    # profile's typical spread around the data's mid) or "data" (the price data's own bid/ask)
    spread: str = ""
    # where this account's swaps on the traded symbol came from (``Result.meta["swaps"]``), e.g. "policy
    # rates: ... minus markup ..." or "none: swap-free account"; empty when the account was not run
    swap_source: str = ""
    result: Result | None = None
    score: dict[str, float] | None = None
    rank: int | None = None
    # set by the score: None, or {"rank": the tie's first rank, "with": [labels], "terms": what differs}
    # when other accounts measured exactly the same outcome
    tie: dict[str, Any] | None = None
    # why an account the trader can open was not simulated on purpose (an unpublished commission is
    # never simulated as 0): it is listed, not ranked
    unranked: str | None = None

    @property
    def label(self) -> str:
        return f"{self.broker}/{self.account_type}"

    @property
    def no_trade(self) -> bool:
        """Simulated, but no order was filled: its numbers say nothing about the account, so it is not ranked."""
        return self.simulated and not self.traded

    def set_result(self, res: Result) -> RowStats:
        """Record a finished run on this row: its Result, that it ran, whether it filled an order, and its
        numbers in the trader's currency (``row_stats``, returned)."""
        self.result = res
        self.simulated = True
        self.traded = placed_trade(res)
        self.stats = row_stats(res, self.unit_value, self.deposit)
        return self.stats

    # what score.components reads
    def score_inputs(self) -> dict[str, Any]:
        s = self.stats
        if s is None:
            raise ValueError(f"{self.label} was not simulated: it has nothing to score")
        return {"traded": self.traded, "ruined": s.ruined, "ruin_fraction": s.ruin_fraction,
                "net_return": s.net_return, "net_cost": s.costs.net, "deposit": self.deposit,
                "nbp": self.nbp, "stop_out_level": self.stop_out_level, "regulator": self.regulator,
                "leverage": self.leverage, "final_equity": s.final_equity,
                "margin_call_level": self.margin_call_level,
                "commission_per_lot_side": self.commission_per_lot_side, "spread": self.spread}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, deterministic (no Result; unlimited leverage as the string ``"unlimited"``)."""
        return {
            "rank": self.rank, "broker": self.broker, "broker_name": self.broker_name,
            "account_type": self.account_type, "entity": self.entity, "regulator": self.regulator,
            "eligible": self.eligible, "reason": self.reason, "instead": self.instead or None,
            "simulated": self.simulated, "no_trade": self.no_trade, "error": self.error,
            "account_currency": self.account_currency,
            "deposit": self.deposit,
            "leverage": {"applied": leverage_json(self.leverage),
                         "requested": leverage_json(self.leverage_requested),
                         "bound_by": self.leverage_bound_by, "why": self.leverage_why,
                         "capped": self.leverage_capped,
                         "steps": [[f, leverage_json(v)] for f, v in self.leverage_steps]},
            "margin_call_level": self.margin_call_level,
            "stop_out_level": None if math.isnan(self.stop_out_level) else self.stop_out_level,
            "nbp": self.nbp, "commission_per_lot_side": self.commission_per_lot_side, "spread": self.spread,
            "swap_source": self.swap_source,
            "stats": self.stats.to_dict() if self.stats else None, "score": self.score, "shared_with": self.shared_with,
            "terms_notes": self.terms_notes, "tie": self.tie, "unranked": self.unranked,
        }


@dataclass
class Comparison:
    """The whole comparison: inputs, one ``Row`` per broker x account type, the weights and notes."""

    inputs: RunInputs
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
    def no_trade(self) -> list[Row]:
        """Accounts simulated whose run filled no order (not ranked, not recommended)."""
        return [r for r in self.rows if r.no_trade]

    @property
    def failed(self) -> list[Row]:
        """Eligible accounts the engine could not run (``error`` says why)."""
        return [r for r in self.rows if r.eligible and not r.simulated and not r.unranked]

    @property
    def unranked(self) -> list[Row]:
        """Accounts the trader can open that were not simulated on purpose (``unranked`` says why: an
        unpublished commission is never simulated as 0)."""
        return [r for r in self.rows if r.unranked]

    def differences(self) -> list[str]:
        """What differed between the accounts and why, most telling first (see ``what_differed``)."""
        return what_differed(self)

    def to_dict(self) -> dict[str, Any]:
        """Deterministic JSON-able document: inputs, weights, what differed, ranked rows, then the others."""
        order = self.ranked + [r for r in self.rows if r.rank is None]
        return {"inputs": self.inputs.to_dict(), "weights": self.weights, "notes": self.notes,
                "score_formula": _score.FORMULA, "differences": self.differences(),
                "rows": [r.to_dict() for r in order]}


def _labels(rows: Sequence[Row], most: int = 6) -> str:
    names = [r.label for r in rows]
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


#: a refused order's reason code (``Event.reason`` up to its first colon) in a trader's words
_REFUSED_WHY = {"below_min_lot": "risk sizing asked for less than the smallest lot",
                "not enough free margin": "not enough free margin", "invalid volume": "invalid volume",
                "invalid_stops": "stops on the wrong side of the price"}


def _refusals(ranked: Sequence[Row]) -> str | None:
    """One sentence on the orders each account refused and why (an account that refuses orders trades less,
    which moves its money as much as any cost), or None when no account refused one."""
    counts: dict[str, dict[str, int]] = {}
    for r in ranked:
        if r.result is None or r.stats is None or not r.stats.rejects:
            continue
        why: dict[str, int] = {}
        for e in r.result.events:
            if e.type == "reject":
                code = e.reason.split(":", 1)[0].strip()
                why[code] = why.get(code, 0) + 1
        counts[r.label] = why
    if not counts:
        return None
    shown = sorted(counts, key=lambda k: -sum(counts[k].values()))
    total: dict[str, int] = {}
    for why in counts.values():
        for code, n in why.items():
            total[code] = total.get(code, 0) + n
    more = f" and {len(shown) - 6} more" if len(shown) > 6 else ""
    none = [r for r in ranked if r.label not in counts]
    return (f"Orders refused: {', '.join(f'{k} {sum(counts[k].values()):,}' for k in shown[:6])}{more} ("
            + "; ".join(f"{_REFUSED_WHY.get(c, c)}: {n:,}" for c, n in sorted(total.items(), key=lambda x: -x[1]))
            + ")" + (f"; none by {_labels(none)}" if none else "")
            + ". An account that refuses orders trades less than the others, so its money moves less, "
              "for better or worse.")


def what_differed(c: Comparison) -> list[str]:
    """Sentences saying what differed between the accounts of a comparison and why, from their numbers:
    survival first (who was stopped out or wiped out, at which stop-out and leverage, what NBP wrote off,
    who survived and how), then the money (final equity, costs split), ties and the accounts left out."""
    ranked = c.ranked
    if not ranked:
        return ["no account was simulated"]
    ccy = c.inputs.currency
    st: dict[str, RowStats] = {r.label: r.stats for r in ranked if r.stats is not None}
    out: list[str] = []
    ruined = [r for r in ranked if st[r.label].ruined]
    alive = [r for r in ranked if not st[r.label].ruined]
    if not ruined:
        out.append(f"Survival: none of the {len(ranked)} accounts was stopped out or wiped out - leverage, margin "
                   f"call, stop-out and NBP changed no outcome here; spreads, commissions and lot sizes did.")
    else:
        out.append(f"Survival: {len(ruined)} of {len(ranked)} accounts were ruined (stopped out, or down to "
                   f"{RUIN_LEVEL:.0%} of the deposit); {len(alive)} survived.")
        groups: dict[tuple[float, float, bool], list[Row]] = {}
        for r in ruined:
            groups.setdefault((r.stop_out_level, r.leverage, bool(st[r.label].stop_outs)), []).append(r)
        for (so, lev, stopped), rows in sorted(groups.items(),
                                               key=lambda kv: -max(st[r.label].final_equity for r in kv[1])):
            left = [st[r.label].final_equity for r in rows]
            first = min(st[r.label].ruin_time or "" for r in rows)
            nbp = sum(st[r.label].nbp_absorbed for r in rows)
            how = (f"stopped out at a {so:g}% stop-out on {leverage_text(lev)}" if stopped else
                   f"wiped out without a stop-out ({so:g}% stop-out, {leverage_text(lev)})")
            out.append(f"  {how} (first on {first[:10]}): {_labels(rows)} - kept "
                       + (f"{min(left):,.2f}" if min(left) == max(left) else f"{min(left):,.2f}-{max(left):,.2f}")
                       + f" {ccy}" + (f"; negative balance protection wrote off {nbp:,.2f} {ccy}" if nbp else "")
                       + ("" if so else "; a 0% stop-out lets the equity run to nothing"))
        if alive:
            kept = ", ".join(f"{r.label} {st[r.label].final_equity:,.2f}" for r in alive[:6])
            refused = [r for r in alive if st[r.label].rejects]
            levs = sorted({leverage_text(r.leverage) for r in refused})
            out.append(f"  survived (never stopped out, equity above {RUIN_LEVEL:.0%} of the deposit): {kept} {ccy}"
                       + (f"; at {' / '.join(levs)} an order of this size needs more margin than the shrunken "
                          f"equity can carry, so further orders were refused ("
                          + ", ".join(f"{r.label} {st[r.label].rejects}" for r in refused[:4])
                          + " rejected) and what was left stayed" if refused else ""))
    best = max(ranked, key=lambda r: st[r.label].final_equity)
    worst = min(ranked, key=lambda r: st[r.label].final_equity)
    out.append(f"Money: final equity from {st[worst.label].final_equity:,.2f} {ccy} ({worst.label}) to "
               f"{st[best.label].final_equity:,.2f} {ccy} ({best.label}) on a deposit of "
               f"{c.inputs.deposit:,.2f}.")

    refusals = _refusals(ranked)
    if refusals:
        out.append(refusals)

    def split(r: Row) -> str:
        co = st[r.label].costs
        return (f"{co.net:,.2f} {ccy} ({r.label}: spread {co.spread:,.2f}, commission {co.commission:,.2f}, "
                f"swap {co.swap:,.2f}, cashback {co.cashback:,.2f}; spread from {r.spread or 'data'})")

    cheap = min(ranked, key=lambda r: st[r.label].costs.net)
    dear = max(ranked, key=lambda r: st[r.label].costs.net)
    out.append(f"Costs: from {split(cheap)} to {split(dear)}.")
    seen: set[int] = set()
    for r in ranked:
        if r.tie and r.tie["rank"] not in seen:
            seen.add(r.tie["rank"])
            out.append(f"Tie: {', '.join([r.label, *r.tie['with']])} ended with the same money to the cent; what "
                       f"would separate them: {r.tie['terms']}.")
    if c.unranked:
        out.append(f"Not ranked: {_labels(c.unranked)} - commission not published, never simulated as 0.")
    if c.ineligible:
        out.append(f"Not open to this trader: {_labels(c.ineligible)} (see the reasons).")
    return out


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
    except strategies.StrategyFileError as exc:
        raise CompareError(str(exc)) from None


def default_stop(cls: type[Strategy], params: dict[str, Any], sizing: Sizing) -> str | None:
    """Risk-% sizing needs a stop: give an unset ``sl_pips`` the documented default (returns the note)."""
    if sizing.kind == "risk" and "sl_pips" in cls.param_names() and params.get("sl_pips",
                                                                               getattr(cls, "sl_pips", None)) is None:
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


def _sim_key(terms: AccountTerms) -> AccountTerms:
    """The terms with everything that cannot change a simulation blanked (names, notes, minimum deposit)."""
    return replace(terms, broker="", broker_name="", account_type="", entity="", regulator="", country="",
                   min_deposit=None, explanation=())


# ------------------------------------------------------------------ data, brokers and a row's numbers
def load_sources(data: Any, symbol: str | None, start: str | None, end: str | None,
                 store: str | os.PathLike[str] | None = None) -> tuple[Any, dict[str, Any]]:
    """The traded data and the other sources' data by symbol (prices to convert currencies): ``data`` is one
    source, or a list whose first item is the traded pair; each is loaded and cut like ``load_data``."""
    if not isinstance(data, (list, tuple)):
        return load_data(data, symbol, start, end, store), {}
    if not data:
        raise CompareError("no data given; expected at least one source such as 'sample:eurusd-h1'")
    first = load_data(data[0], symbol, start, end, store)
    extra: dict[str, Any] = {}
    for src in data[1:]:
        frame = load_data(src, None, start, end, store)
        sym = str(frame.symbol).upper()
        if sym == str(first.symbol).upper() or sym in extra:
            raise CompareError(f"data {str(src)!r}: a second source of {sym}; expected one source per symbol")
        extra[sym] = frame
    return first, extra


def load_data(data: Any, symbol: str | None, start: str | None, end: str | None,
              store: str | os.PathLike[str] | None = None) -> Any:
    """One source (a file, a stored symbol in ``store``, a sample) or Bars/Ticks, cut to ``start``..``end``."""
    from ..data import Bars, Ticks
    from ..data.errors import DataError

    if isinstance(data, (str, os.PathLike)):
        try:
            from ..data import load

            data = load(data, symbol=symbol, store=store)
        except (DataError, OSError, ValueError) as exc:
            raise CompareError(f"data {str(data)!r}: {exc}") from None
    if not isinstance(data, (Bars, Ticks)):
        raise CompareError("data must be Bars, Ticks or a source such as 'sample:eurusd-h1', "
                           f"got {type(data).__name__}")
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


def account_unit(code: str) -> float:
    """One account unit in the trader's money: 0.01 for a cent account (USC), else 1."""
    ccy = money_currency(code)
    return float(ccy.unit_value) if ccy.is_cent else 1.0


_NO_CONVERSION = re.compile(r"cannot convert its (?P<what>\w+) currency.*?cannot convert (?P<ccy>\w+) to \w+: "
                            r"need a price for (?P<pair>\w+)", re.S)


_NO_PRICE_YET = re.compile(r"no price yet at (?P<when>\S+) for the conversion pair\(s\) (?P<pairs>[\w, ]+?) needed")

#: Engine refusals by the words that identify them, with what the trader can do about each.
_HINTS = (("lots is below the minimum volume", "raise the order size (--lots, --units or --risk)"),
          ("lots is above the maximum volume", "lower the order size (--lots, --units or --risk)"),
          ("lots is not a multiple of the volume step", "give --lots as a multiple of the account's volume step"),
          ("deposit must be a positive amount", "give a smaller --deposit"),
          ("StrategyError:", "the strategy's own code failed: fix it, or its --param values"))


def what_to_do(error: str) -> str:
    """An engine refusal as a trader reads it: what is missing or wrong, and the option that changes it."""
    m = _NO_CONVERSION.search(error)
    if m:
        pair = m["pair"]
        return (f"needs {pair} prices to convert the {m['ccy']} {m['what']}: add --data <{pair} source> "
                f"(a file, a stored {pair}, or Bars/Ticks of {pair} in the data list)")
    m = _NO_PRICE_YET.search(error)
    if m:
        return (f"the {m['pairs']} prices start after {m['when']}, when they are first needed: give --start "
                f"{m['when'][:10]} or later, or --data sources that cover the whole period ({error})")
    hint = next((h for words, h in _HINTS if words in error), None)
    return f"{error} - {hint}" if hint else error


def placed_trade(result: Result) -> bool:
    """True when the run filled at least one order - a closed trade, margin in use at some price, a spread
    paid or a position still open at the end (unlimited leverage uses no margin); rejected orders do not count."""
    s = result.stats
    return (s.trades > 0 or s.min_margin_level is not None or s.costs.spread > 0
            or s.final_equity != s.final_balance)


def row_stats(result: Result, unit: float, deposit: float) -> RowStats:
    """The row's numbers in the trader's currency (``unit``: one account unit in it; ``deposit`` in it)."""
    s = result.stats
    c = s.costs
    spread, comm, swap, cash = (float(x) * unit for x in (c.spread, c.commission, c.swap, c.cashback))
    t = result.series.time
    start, stop = (int(t[0]), int(t[-1])) if len(t) else (0, 0)
    first = None
    frac = None
    days = None
    so_t = None
    if s.stop_outs and s.first_stop_out_time:
        # from the stats' timestamp: building every Event object (thousands of rejects) is not needed
        so_t = int(np.datetime64(s.first_stop_out_time.rstrip("Z"), "ns").astype(np.int64))
        first = s.first_stop_out_time
        frac = (so_t - start) / (stop - start) if stop > start else 0.0
        days = round((so_t - start) / 86_400e9, 2)
    # ruin: stopped out, or equity down to RUIN_LEVEL of the deposit (an unlimited-leverage or 0 %
    # stop-out account can lose everything without a stop-out)
    ruin_t = so_t
    wiped = np.flatnonzero(result.series.equity * unit <= RUIN_LEVEL * deposit)
    if wiped.size and (ruin_t is None or int(t[wiped[0]]) < ruin_t):
        ruin_t = int(t[wiped[0]])
    ruin_frac = None if ruin_t is None else ((ruin_t - start) / (stop - start) if stop > start else 0.0)
    return RowStats(
        final_equity=round(float(s.final_equity) * unit, 2),
        final_balance=round(float(s.final_balance) * unit, 2),
        net_return=s.net_return,
        max_drawdown=s.max_drawdown,
        trades=s.trades,
        stop_outs=s.stop_outs,
        margin_calls=s.margin_calls,
        rejects=s.rejects,
        first_stop_out_time=first,
        days_to_first_stop_out=days,
        first_stop_out_fraction=frac,
        ruined=ruin_t is not None,
        ruin_time=None if ruin_t is None else iso(ruin_t),
        ruin_fraction=ruin_frac,
        min_margin_level=s.min_margin_level,
        nbp_absorbed=round(float(s.nbp_absorbed) * unit, 2),
        costs=RowCosts(spread=round(spread, 2), commission=round(comm, 2), swap=round(swap, 2),
                       cashback=round(cash, 2), net=round(spread + comm + swap - cash, 2)),
    )


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
        need = f"a deposit of at least {float(acc.min_deposit.value):,.2f} {acc.min_deposit.currency}"
        return need + (f", or open {', '.join(eligible)}" if eligible else "")
    if eligible:
        return f"open {', '.join(eligible)} at {profile.name} instead"
    return "no account type at this broker for this trader"


# ------------------------------------------------------------------ checked inputs (compare and sweep)
@dataclass(frozen=True)
class _Checked:
    """The inputs every run checks the same way: strategy, parameters (and grid), sizing, the data."""

    strategy: type[Strategy]
    params: dict[str, Any]
    combos: list[dict[str, Any]]  # parameter overrides to run ([{}]: the parameters as they are)
    sizing: Sizing
    bars: Any
    notes: list[str]
    extra: dict[str, Any] = field(default_factory=dict)  # other symbols' prices, for currency conversion

    @property
    def symbol(self) -> str:
        return str(self.bars.symbol).upper()

    @property
    def feeds(self) -> Any:
        """What each backtest runs on: the traded data alone, or every symbol's data (traded first)."""
        return {self.symbol: self.bars, **self.extra} if self.extra else self.bars


def param_combinations(cls: type[Strategy], grid: Mapping[str, Sequence[Any]] | None,
                       base: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every combination of a parameter grid (name -> values), each checked together with the ``base``
    parameters it runs with (``fast`` must stay below the given ``slow``); ``[{}]`` without a grid."""
    if not grid:
        return [{}]
    keys = list(grid)
    for k in keys:
        if not list(grid[k]):
            raise CompareError(f"parameter grid: {k} has no values")
    grid_values = itertools.product(*(list(grid[k]) for k in keys))
    out = []
    for values in grid_values:
        combo = dict(zip(keys, values))
        checked = check_params(cls, {**(base or {}), **combo})
        out.append({k: checked[k] for k in keys})
    return out


def _check_inputs(data: Any, strategy: str | type[Strategy], params: Mapping[str, Any] | None,
                  sizing: Sizing | Mapping[str, float] | None, *, deposit: float, currency: str, client: str,
                  symbol: str | None, start: str | None, end: str | None,
                  grid: Mapping[str, Sequence[Any]] | None = None,
                  store: str | os.PathLike[str] | None = None) -> _Checked:
    """Check what a comparison or a sweep was given and load the data (CompareError naming the input);
    the data must be long enough for the indicators of every grid combination."""
    cls = resolve_strategy(strategy)
    p = check_params(cls, params)
    sz = as_sizing(sizing)
    combos = param_combinations(cls, grid, p)
    if client not in ("retail", "pro"):
        raise CompareError(f"client class {client!r}: expected retail or pro")
    try:
        check_deposit(deposit)
    except ValueError as exc:
        raise CompareError(str(exc).replace("account units", currency.upper())) from None
    try:
        money_currency(currency)
    except ValueError as exc:
        raise CompareError(str(exc)) from None
    notes = [n for n in [default_stop(cls, p, sz)] if n]
    bars, extra = load_sources(data, symbol, start, end, store)
    longest = max(combos, key=lambda c: min_bars(cls, {**p, **c}))
    need = min_bars(cls, {**p, **longest})
    if len(bars) < need:
        used = ", ".join(f"{k}={v}" for k, v in {**p, **longest}.items()) or "defaults"
        raise CompareError(f"data too short: {len(bars)} bars, {cls.__name__} needs at least {need} "
                           f"for its indicators ({used})")
    return _Checked(cls, p, combos, sz, bars, notes, extra)


def _run_inputs(data: Any, chk: _Checked, *, deposit: float, currency: str, country: str, client: str,
                leverage: float | None = None, grid: Mapping[str, Sequence[Any]] | None = None,
                broker: str | None = None, account_type: str | None = None) -> RunInputs:
    """The inputs as a comparison (``leverage``) or a sweep (``grid``, ``broker``, ``account_type``) reports them."""
    bars = chk.bars
    if isinstance(data, (list, tuple)):
        source = ", ".join(str(d) if isinstance(d, (str, os.PathLike)) else str(getattr(d, "symbol", d))
                           for d in data)
    else:
        source = str(data) if isinstance(data, (str, os.PathLike)) else getattr(bars, "source", "") or chk.symbol
    return RunInputs(
        data=source, symbol=chk.symbol, timeframe=getattr(bars, "timeframe", None), bars=len(bars),
        start=iso(int(bars.time[0])), end=iso(int(bars.time[-1])), strategy=chk.strategy.__name__,
        params=chk.params, sizing={chk.sizing.kind: chk.sizing.value}, deposit=float(deposit),
        currency=currency.upper(), country=country.upper(), client=client, leverage=leverage,
        grid=None if broker is None else {k: list(v) for k, v in (grid or {}).items()},
        broker=broker, account_type=account_type)


# ------------------------------------------------------------------ the comparison
@dataclass(frozen=True)
class _Trader:
    """Who compares: residence (ISO code), client class, deposit in ``currency``, the leverage setting as
    given and as a number (None: the most each broker allows)."""

    country: str
    client: str
    deposit: float
    currency: str
    leverage: float | str | None
    requested: float | None


@dataclass
class Plan:
    """The rows of a comparison and the distinct backtests behind them: row ``i`` shows
    ``jobs[job_of_row[i]]`` (rows that cannot run have no job)."""

    rows: list[Row] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    job_of_row: dict[int, int] = field(default_factory=dict)


SPREAD_CHOICES = ("auto", "broker", "data", "data+markup")
"""How a comparison prices spreads: ``broker`` (every account pays its profile's typical spread around
the data's mid), ``data`` (every account pays the data's bid/ask), ``data+markup`` (the data's spread quote
by quote plus the account's markup: its published markup over a stated reference, else its typical spread
minus the data's median spread) or ``auto`` (the default): ``broker`` for each account whose profile
publishes a typical spread for every symbol of the data, ``data`` for the others."""


def spread_mode_for(terms: AccountTerms, symbols: Sequence[str], choice: str) -> tuple[str, str]:
    """(the spread mode an account runs with, where its spread comes from) under ``choice``
    (``SPREAD_CHOICES``): "broker 0.95 pips (<source>, <confidence>)", "data" or "data+markup <markup>
    (<source>)"; for ``broker`` on an account that publishes no spread for a symbol, or ``data+markup`` on
    one that publishes neither a markup nor a typical spread, CompareError naming the account and the symbol."""
    if choice == "data":
        return "data", "data"
    specs = {sym: terms.instrument(sym) for sym in symbols}
    if choice == "data+markup":
        if terms.spread_markup_pips is not None:  # one figure for the account, over a stated reference
            return "data+markup", f"data+markup {terms.spread_markup_source}"
        missing = unpriced_symbol(terms, specs)
        if missing is not None:
            raise CompareError(f"{terms.broker}/{terms.account_type} publishes neither a spread markup nor a "
                               f"typical spread for {missing}: spread 'data+markup' cannot price it; use spread "
                               f"'data' or 'auto'")
        fig = terms.typical_spread(symbols[0], specs[symbols[0]].asset_class)
        assert fig is not None
        return "data+markup", f"data+markup: typical {fig[1]} over the data's median spread"
    missing = unpriced_symbol(terms, specs)
    if missing is not None:
        if choice == "broker":
            raise CompareError(f"{terms.broker}/{terms.account_type} publishes no typical spread for {missing}: "
                               f"spread 'broker' cannot price it; use spread 'data' or 'auto'")
        return "data", "data"
    first = symbols[0]
    fig = terms.typical_spread(first, specs[first].asset_class)
    assert fig is not None
    return "broker", f"broker {fig[1]}"


def spread_text(res: Result, mode: str, default: str) -> str:
    """Where a run's spread on its traded symbol came from (``Result.meta["spreads"]``, else ``default``),
    under ``data+markup`` named after the mode: "data+markup <markup> (<source>)"."""
    text = str(res.meta.get("spreads", {}).get(res.meta.get("symbol"), default))
    if mode == "data+markup" and not text.startswith("data+markup"):  # the engine's "data + <markup> ..."
        text = "data+markup " + text.removeprefix("data").lstrip(" +")
    return text


def swap_text(res: Result) -> str:
    """Where a run's swaps on its traded symbol came from (``Result.meta["swaps"]``; "" when not recorded)."""
    return str(res.meta.get("swaps", {}).get(res.meta.get("symbol"), ""))


def check_cost_modes(spread: str, swaps: str) -> None:
    """``CompareError`` unless ``spread`` is one of ``SPREAD_CHOICES`` and ``swaps`` one of ``SWAP_SOURCES``."""
    if spread not in SPREAD_CHOICES:
        raise CompareError(f"spread {spread!r}: expected one of {', '.join(SPREAD_CHOICES)}")
    if swaps not in SWAP_SOURCES:
        raise CompareError(f"swaps {swaps!r}: expected one of {', '.join(SWAP_SOURCES)}")


_SWAP_NOTES = {
    "policy": "swaps (policy): each account's published swap table where its profile has one, else each day's "
              "financing from the central banks' policy-rate differential minus the broker's markup, booked at its "
              "rollover (triple on its triple day); swap-free accounts book none, or their published fee; each "
              "row's swap_source says which",
    "published": "swaps (published): only swap tables published in the profiles are booked; an account without "
                 "one books no swap, so overnight holding is free there (row's swap_source says so)",
    "none": "swaps (none): no account books a swap; overnight holding costs nothing in this run",
}


def _plan(profiles: Iterable[BrokerProfile], symbol: str, trader: _Trader, spread: str = "data",
          symbols: Sequence[str] = (), swaps: str = "published", widening: bool = False) -> Plan:
    """A row per broker x account type, and one job per distinct simulation (identical terms and spread mode
    run once). ``spread`` is one of ``SPREAD_CHOICES``; ``symbols`` every symbol of the data (default: the
    traded one). Under ``broker``, an account that publishes no spread for them is a row that is not run."""
    plan = Plan()
    key_to_job: dict[str, int] = {}
    first_label: dict[int, str] = {}
    for prof in profiles:
        for row, terms in _profile_rows(prof, symbol, trader):
            if terms is not None:
                try:
                    mode, row.spread = spread_mode_for(terms, list(symbols) or [symbol], spread)
                except CompareError as exc:
                    row.error, row.spread = str(exc), f"{spread}: not published"
                    plan.rows.append(row)
                    continue
                key = repr(_sim_key(terms)) + mode
                j = key_to_job.get(key)
                if j is None:
                    j = key_to_job[key] = len(plan.jobs)
                    plan.jobs.append(Job(terms, trader.deposit / row.unit_value, spread=mode, swaps=swaps,
                                         widening=widening))
                    first_label[j] = row.label
                elif first_label[j] != row.label:
                    row.shared_with = first_label[j]
                plan.job_of_row[len(plan.rows)] = j
            plan.rows.append(row)
    return plan


def trader_rows(brokers: Iterable[str | BrokerProfile] | None, symbol: str, *, country: str, client: str,
                deposit: float, currency: str, leverage: float | str | None = None
                ) -> list[tuple[Row, AccountTerms | None]]:
    """Every broker x account type for this trader, each with the terms to simulate, or None with the row's
    ``reason`` (cannot open) or ``unranked`` (e.g. an unpublished commission): the one eligibility rule that
    ``compare`` and ``leverlab.history`` share. ``deposit`` is in ``currency``; ``leverage`` the setting asked
    for (None: the most each broker allows). Raises ``CompareError`` for an unknown broker, country or leverage.
    """
    trader = _Trader(country, client, float(deposit), currency, leverage, requested_leverage(leverage))
    return [pair for prof in _profiles(brokers) for pair in _profile_rows(prof, symbol, trader)]


def _profile_rows(prof: BrokerProfile, symbol: str, trader: _Trader) -> list[tuple[Row, AccountTerms | None]]:
    """One broker's rows, each with the terms to simulate (None for an account this trader cannot run)."""
    from ..brokers import NoEntityError, PolicyError, UnknownCountryError, eligible_account_types

    country, client = trader.country, trader.client
    try:
        accounts = eligible_account_types(prof, country, client, trader.deposit, trader.currency)
    except UnknownCountryError as exc:
        raise CompareError(str(exc)) from None
    except (NoEntityError, PolicyError) as exc:
        return [(Row(prof.id, prof.name, "*", None, None, False, str(exc),
                     instead=f"{prof.name} has no entity for {country.upper()} {client} clients"), None)]
    ok_ids = [a for a, ok, _ in accounts if ok]
    out: list[tuple[Row, AccountTerms | None]] = []
    for acc, ok, why in accounts:
        if not ok:
            out.append((Row(prof.id, prof.name, acc, None, None, False, why,
                            instead=_instead(ok_ids, acc, why, prof)), None))
            continue
        try:
            terms = resolve_terms_for(prof, acc, country, client, trader.currency, trader.leverage)
            terms.margin_for(symbol)
        except (PolicyError, KeyError, ValueError) as exc:
            msg = exc.args[0] if isinstance(exc, KeyError) else str(exc)
            out.append((Row(prof.id, prof.name, acc, None, None, False, f"{why}; cannot resolve terms: {msg}",
                            instead="not comparable on this symbol"), None))
            continue
        row = _eligible_row(prof, acc, why, terms, symbol, trader)
        gap = unknown_commission(prof, acc)
        if gap:
            row.unranked = gap
            out.append((row, None))
            continue
        out.append((row, terms))
    return out


def unknown_commission(profile: BrokerProfile, account: str) -> str | None:
    """Why an account cannot be ranked on its costs: its commission is not published (None when it is).

    The choice made for issue 9: an account whose commission is unknown is never simulated at 0 and
    never under an invented figure; it is listed as not ranked, with this reason.
    """
    acc = next(a for a in profile.account_types if a.id == account)
    com = acc.commission if acc.commission is not None else acc.commission_per_lot_side
    if not com.is_unknown:
        return None
    return (f"commission not published ({com.note or 'no source gives it'}); an unknown commission is never "
            f"simulated as 0, so {profile.id}/{account} is not ranked")


def _eligible_row(prof: BrokerProfile, acc: str, why: str, terms: AccountTerms, symbol: str, trader: _Trader) -> Row:
    """The row of an account this trader can open: its terms, and the leverage it really gets at the deposit."""
    from ..brokers import leverage as policy_leverage

    unit = account_unit(terms.currency)
    dep_units = trader.deposit / unit
    ans = policy_leverage(prof, acc, trader.country, trader.client, symbol, dep_units, selected=trader.leverage)
    applied = terms.margin_for(symbol).leverage_at(dep_units)
    row = Row(prof.id, prof.name, acc, terms.entity, terms.regulator, True, why,
              account_currency=terms.currency, unit_value=unit, deposit=trader.deposit, leverage=applied,
              leverage_requested=trader.requested, leverage_bound_by=ans.bound_by, leverage_why=ans.explanation,
              leverage_steps=_steps(terms, symbol, unit), margin_call_level=terms.margin_call_level,
              stop_out_level=terms.stop_out_level, nbp=terms.nbp,
              commission_per_lot_side=terms.commission_per_lot_side, terms_notes=list(terms.explanation))
    requested = trader.requested
    if requested is not None and applied < requested:
        row.leverage_capped = True
        row.reason += (f"; asked {leverage_text(requested)}, gets {leverage_text(applied)} "
                       f"(bound by {ans.bound_by}{', ' + terms.regulator if ans.bound_by == 'regulator' else ''})")
        row.instead = f"runs at {leverage_text(applied)}, the most {terms.entity} gives this trader"
    return row


def _same_exposure(sz: Sizing, symbol: str, notes: list[str]) -> Sizing:
    """The sizing the runs use: lots become units of the symbol's contract, so a cent account (whose lot is
    1/100 of a standard one) trades the same exposure as every other; says so in ``notes``."""
    if sz.kind != "lots":
        return sz
    from ..instruments import instrument

    try:
        cs = instrument(symbol).contract_size
    except KeyError:
        cs = None
    if not cs:
        return sz
    notes.append(f"{sz.value:g} lots = {sz.value * cs:,.0f} units of {symbol[:3]} on every account "
                 f"(cent accounts trade the same exposure in their smaller lots)")
    return Sizing("units", sz.value * cs)


def _attach_results(plan: Plan, results: Sequence[Result | str]) -> None:
    """Give each row its job's result and numbers, or the engine's refusal as ``error``; a row that shares
    another's simulation gets a shallow copy named after itself."""
    for i, row in enumerate(plan.rows):
        j = plan.job_of_row.get(i)
        if j is None:
            continue
        res = results[j]
        if isinstance(res, str):
            row.error = what_to_do(res)
            continue
        if row.shared_with:
            res = copy.copy(res)
            res.meta = {**res.meta, "broker": row.broker, "account_type": row.account_type}
        row.set_result(res)
        row.spread = spread_text(res, plan.jobs[j].spread, row.spread)
        row.swap_source = swap_text(res)


def compare(data: Any, strategy: str | type[Strategy], *, deposit: float, currency: str = "USD",
            country: str = "SC", client: str = "retail", leverage: float | str | None = None,
            params: Mapping[str, Any] | None = None, sizing: Sizing | Mapping[str, float] | None = None,
            brokers: Iterable[str | BrokerProfile] | None = None,
            weights: Mapping[str, float] | str | None = None, workers: int | None = None,
            progress: Callable[[int, int], None] | None = None, symbol: str | None = None,
            start: str | None = None, end: str | None = None, vectorized: bool | None = None,
            store: str | os.PathLike[str] | None = None, spread: str = "auto", executor: str = "local",
            address: str | None = None, swaps: str = "policy", widening: bool = False) -> Comparison:
    """Run ``strategy`` on ``data`` under every broker's account types this trader can open, and rank them.

    ``executor``/``address``: where the backtests run (``leverlab.analysis.executor``; default this machine).

    ``deposit`` is in ``currency`` (the trader's money; a cent account gets it in cents);
    ``country`` is the ISO code of the trader's residence; ``client`` is ``retail`` or ``pro``;
    ``leverage`` the setting the trader would pick (None: the most each broker allows);
    ``sizing`` ``Sizing("risk", 1)`` (default), ``{"lots": 0.1}`` or ``{"units": 1000}``;
    ``brokers`` a subset of broker ids; ``weights`` for the score (see ``leverlab.analysis.score``);
    ``start``/``end`` cut the data (ISO dates); ``data`` may be a list of sources, the traded pair first and
    then the pairs that convert its currencies (e.g. AUDUSD for an AUD commission); ``store`` is the
    local store the sources are looked up in (default: ``$LEVERLAB_STORE`` or the user data folder);
    ``vectorized`` None picks the strategy's compiled ``targets`` mode when it means the same as
    ``next()`` (see ``can_vectorize``), True/False forces it;
    ``progress(done, total)`` is told how many backtests are finished;
    ``spread`` ``auto`` (default), ``broker``, ``data`` or ``data+markup`` (see ``SPREAD_CHOICES``): each
    row's ``spread`` says where the spread that account paid came from; ``widening`` widens every account's
    spread around its broker's rollover (``leverlab.engine.Backtest``'s ``widening``; a note says so);
    ``swaps`` ``policy`` (default), ``published`` or ``none`` (see ``leverlab.engine.SWAP_SOURCES``): each
    row's ``swap_source`` says where that account's overnight financing of the traded symbol came from.
    Raises ``CompareError`` on bad input.
    """
    import time

    t_start = time.perf_counter()
    try:
        w = _score.parse_weights(weights)
    except _score.WeightsError as exc:
        raise CompareError(str(exc)) from None
    chk = _check_inputs(data, strategy, params, sizing, deposit=deposit, currency=currency, client=client,
                        symbol=symbol, start=start, end=end, store=store)
    check_cost_modes(spread, swaps)
    trader = _Trader(country, client, float(deposit), currency, leverage, requested_leverage(leverage))
    plan = _plan(_profiles(brokers), chk.symbol, trader, spread, [chk.symbol, *chk.extra], swaps, widening)
    if not plan.jobs:
        reasons = "; ".join(f"{r.label}: {r.unranked or r.reason}" for r in plan.rows[:6])
        raise CompareError(f"no broker account can be opened by a {client} client from {country.upper()} with "
                           f"{deposit:,.2f} {currency}: {reasons}")
    notes = list(chk.notes)
    run_sz = _same_exposure(chk.sizing, chk.symbol, notes)
    cls = chk.strategy
    vec = can_vectorize(cls, chk.params, run_sz) if vectorized is None else bool(vectorized)
    ctx = Context(chk.feeds, cls, {**chk.params, **run_sz.params()}, vec)
    notes.append(f"{cls.__name__} ran in its compiled targets mode (same decisions as next())" if vec else
                 f"{cls.__name__} ran its next() in Python at each decision bar")
    n_broker = sum(1 for j in plan.jobs if j.spread == "broker")
    n_markup = sum(1 for j in plan.jobs if j.spread == "data+markup")
    data_commission = any(r.eligible and r.spread == "data" and r.commission_per_lot_side for r in plan.rows)
    overstated = ("; accounts among them that charge a commission pay it on top of the data's spread, so their "
                  "cost is overstated by the difference between the data's spread and their own"
                  if data_commission else "")
    if n_markup:
        notes.append(f"spreads ({spread}): every account pays the data's spread quote by quote plus its markup: the "
                     f"markup its profile publishes over a stated reference, else its typical spread minus the data's "
                     f"median spread ('data+markup <markup> (<source>)' in the spread column)")
    elif n_broker and n_broker < len(plan.jobs):
        notes.append(f"spreads ({spread}): accounts whose profile publishes a typical spread for {chk.symbol} pay it "
                     f"around the data's mid ('broker <figure> (<source>, <confidence>)' in the spread column); "
                     f"the others pay the bid/ask spread in the price data ('data'), so the two groups' spreads do "
                     f"not come from the same place" + overstated)
    elif n_broker:
        notes.append(f"spreads ({spread}): every account pays its profile's typical spread around the data's mid")
    else:
        notes.append(f"spreads ({spread}): every account pays the bid/ask spread in the price data" + overstated)
    notes.append(_SWAP_NOTES[swaps])
    if widening:
        notes.append("spread widening: every account's spread widens around its broker's daily rollover (the "
                     "profile's figures, else documented defaults marked assumed); no calendar, so no news windows")
    t_setup = time.perf_counter()
    results = run_with_progress(plan.jobs, ctx, workers, progress, executor, address)
    t_run = time.perf_counter()
    _attach_results(plan, results)
    _score.score(plan.rows, w)
    t_end = time.perf_counter()
    unranked = [r.label for r in plan.rows if r.unranked]
    if unranked:
        notes.append(f"not ranked: {len(unranked)} account(s) whose commission is not published "
                     f"({', '.join(unranked)}); an unknown commission is never simulated as 0")
    idle = [r.label for r in plan.rows if r.no_trade]
    if idle:
        notes.append(f"no trade: {len(idle)} account(s) filled no order ({', '.join(idle[:6])}"
                     f"{', ...' if len(idle) > 6 else ''}), so they are not ranked; check the strategy's "
                     f"parameters, the order size and the data")
    notes.append(f"{len(plan.jobs)} distinct account terms simulated for {sum(1 for r in plan.rows if r.eligible)} "
                 f"eligible account types (identical terms run once)")
    inputs = _run_inputs(data, chk, deposit=deposit, currency=currency, country=country, client=client,
                         leverage=trader.requested)
    return Comparison(inputs, plan.rows, w, notes,
                      timing={"setup": t_setup - t_start, "run": t_run - t_setup, "total": t_end - t_start,
                              "backtests": float(len(plan.jobs))})


def requested_leverage(leverage: float | str | None) -> float | None:
    """The leverage setting as a number (None: none asked; inf: unlimited), CompareError when it does not parse."""
    from ..brokers import PolicyError
    from ..brokers.policy import parse_selected

    try:
        return parse_selected(leverage)
    except (PolicyError, ValueError) as exc:
        raise CompareError(f"leverage {leverage!r}: {exc}") from None


def resolve_terms_for(profile: BrokerProfile, account: str, country: str, client: str, currency: str,
                      leverage: float | str | None) -> AccountTerms:
    """``resolve_terms`` for one comparison row (the trader's currency and leverage setting)."""
    from ..brokers import resolve_terms

    return resolve_terms(profile, account, country, client, currency=currency, selected_leverage=leverage)


__all__ = ["compare", "SPREAD_CHOICES", "Comparison", "unknown_commission", "what_differed",
           "Row", "RowStats", "RowCosts", "RunInputs", "Sizing", "CompareError",
           "check_params", "resolve_strategy", "min_bars", "load_sources", "what_to_do", "DEFAULT_RISK_SL_PIPS"]
