"""A copy-trading backtest: a master runs a strategy, followers at other brokers mirror its fills.

The master is an ordinary ``engine.Backtest``; it never sees its followers, so it runs first.
Each follower is its own ``engine.Account`` under its own broker's terms and deposit, fed the same
prices and stepped to each master fill: every master fill (an open, a partial or full close, an
SL/TP hit, a stop-out close) becomes a market order on the follower placed just before the quote
the master filled at, so the follower fills at that same quote with its own price, margin check
(a refusal is a recorded ``reject``), stop-out and negative-balance protection. The follower's
copies carry no SL/TP of their own: a master's SL/TP or stop-out closes them (as Octa's copy
conditions say: "if these orders are triggered on the Master's account, the copied trades are
also closed"). Each follower's copies are placed by a ``mirror.Mirror`` and sized by
``rules.copy_lots``; equities for Octa's rule are both read at
the master's last recorded point before its fill (its last bar close, or margin event), which for
an order placed at a bar close is the instant it was decided.

>>> from leverlab import load
>>> from leverlab.strategies import get
>>> run = copy_backtest(load("sample:eurusd-h1").take(slice(0, 600)), get("sma_cross"),
...                     master=AccountSpec("exness", "standard", deposit=1_000, leverage=500),
...                     followers=[AccountSpec("octa", "mt", deposit=300, leverage=200)],
...                     rule=CopyRule("octa"), country="SC", params={"lots": 0.5})
>>> f = run.followers[0]
>>> f.copied > 0, [c.lots for c in f.copies if c.action == "open"][0]   # 0.5 x 300/1000 x 200/500
(True, 0.06)
>>> f.result.final_balance == f.result.ledger_balance()
True

Hedging accounts in one currency (a cent account's equity is compared in its underlying units, and
volumes in units of the base currency, so a cent or micro account copies the same exposure).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..brokers import resolve_terms
from ..brokers.schema import leverage_text, parse_leverage
from ..brokers.terms import AccountTerms
from ..data.frames import Bars, Ticks
from ..engine import Account, Backtest, Result, Series, Strategy
from ..times import iso
from .mirror import Copy, Mirror
from .rules import CopyError, CopyRule, check_subscriptions

NS_PER_DAY = 86_400_000_000_000


@dataclass(frozen=True)
class AccountSpec:
    """One account of a copy run: ``broker`` / ``account_type``, its ``deposit`` (account units; None:
    the run's), ``leverage`` (1:L; None: the most the broker allows) and an optional ``name``
    (default ``broker/account_type``) that tells apart two accounts of one type."""

    broker: str
    account_type: str
    deposit: float | None = None
    leverage: float | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """The account's name in reports."""
        return self.name or f"{self.broker}/{self.account_type}"


def parse_account(text: str) -> AccountSpec:
    """``BROKER/ACCOUNT[,deposit=N][,leverage=L][,name=X]`` (the command line's form); CopyError otherwise.

    >>> parse_account("octa/mt,deposit=300,leverage=1:200,name=bob")
    AccountSpec(broker='octa', account_type='mt', deposit=300.0, leverage=200.0, name='bob')
    >>> parse_account("octa")
    Traceback (most recent call last):
    ...
    leverlab.copytrade.rules.CopyError: account 'octa': expected BROKER/ACCOUNT[,deposit=N][,leverage=L][,name=X], \
e.g. exness/standard,deposit=500
    """
    head, *opts = [p.strip() for p in str(text).split(",")]
    broker, sep, account = head.partition("/")
    form = "expected BROKER/ACCOUNT[,deposit=N][,leverage=L][,name=X], e.g. exness/standard,deposit=500"
    if not sep or not broker.strip() or not account.strip() or "/" in account:
        raise CopyError(f"account {text!r}: {form}")
    kw: dict[str, Any] = {}
    for opt in opts:
        key, eq, value = (s.strip() for s in opt.partition("="))
        if not eq or not value or key not in ("deposit", "leverage", "name") or key in kw:
            raise CopyError(f"account {text!r}: option {opt!r} not understood; {form}")
        if key == "deposit":
            try:
                kw[key] = float(value)
            except ValueError:
                raise CopyError(f"account {text!r}: deposit {value!r} is not a number") from None
            if not (math.isfinite(kw[key]) and kw[key] > 0):
                raise CopyError(f"account {text!r}: deposit must be above 0, got {value}")
        elif key == "leverage":
            try:
                kw[key] = parse_leverage(value)
            except ValueError as exc:
                raise CopyError(f"account {text!r}: {exc}") from None
        else:
            kw[key] = value
    return AccountSpec(broker.strip().lower(), account.strip().lower(), **kw)


@dataclass
class FollowerRun:
    """One follower's run: its account, its ``copies`` log (every master fill it saw), its ``result``,
    when it stopped copying (``stopped_copying``, UTC ns or None) and its ``tracking_error`` against
    the master (:func:`tracking_error`; None with fewer than two daily returns)."""

    spec: AccountSpec
    terms: AccountTerms
    deposit: float
    result: Result
    copies: list[Copy] = field(default_factory=list)
    stopped_copying: int | None = None
    tracking_error: float | None = None

    @property
    def copied(self) -> int:
        """Master fills mirrored by a filled order."""
        return sum(c.status == "copied" for c in self.copies)

    @property
    def skipped(self) -> list[Copy]:
        """Master fills not mirrored (no order, or the order refused), with their reasons."""
        return [c for c in self.copies if c.status != "copied"]

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: the account, the copies, the skipped ones with their reasons, stop-outs,
        final equity and the tracking error."""
        s = self.result.stats
        reasons: dict[str, int] = {}
        for c in self.skipped:
            key = f"{c.action}: {c.reason}"
            reasons[key] = reasons.get(key, 0) + 1
        lev = self.terms.selected_leverage
        return {"account": self.spec.label, "broker": self.terms.broker, "account_type": self.terms.account_type,
                "leverage": None if math.isinf(lev) else lev, "stop_out_level": self.terms.stop_out_level,
                "currency": self.result.currency, "deposit": float(self.result.deposit),
                "copies": self.copied, "skipped": len(self.skipped), "skipped_by_reason": reasons,
                "rejected": sum(c.status == "rejected" for c in self.copies),
                "stop_outs": s.stop_outs, "margin_calls": s.margin_calls, "final_balance": float(s.final_balance),
                "final_equity": float(s.final_equity), "net_return": s.net_return, "max_drawdown": s.max_drawdown,
                "nbp_absorbed": float(s.nbp_absorbed),
                "stopped_copying": None if self.stopped_copying is None else iso(self.stopped_copying),
                "tracking_error": self.tracking_error,
                "skipped_copies": [c.to_dict() for c in self.skipped]}


@dataclass
class CopyRun:
    """A master's run and its followers' (``FollowerRun``), under one ``rule``."""

    master: AccountSpec
    master_terms: AccountTerms
    master_result: Result
    rule: CopyRule
    followers: list[FollowerRun]

    def to_dict(self) -> dict[str, Any]:
        """One JSON-ready document: the rule, the tracking-error definition, master and followers."""
        s = self.master_result.stats
        lev = self.master_terms.selected_leverage
        return {"rule": {"kind": self.rule.kind, "value": None if self.rule.kind == "octa" else self.rule.value,
                         "min_lots": self.rule.min_lots, "max_lots": self.rule.max_lots,
                         "stop_copy_equity": self.rule.stop_copy_equity, "text": self.rule.describe()},
                "tracking_error_definition": TRACKING_ERROR,
                "master": {"account": self.master.label, "broker": self.master_terms.broker,
                           "account_type": self.master_terms.account_type,
                           "leverage": None if math.isinf(lev) else lev,
                           "stop_out_level": self.master_terms.stop_out_level,
                           "currency": self.master_result.currency, "deposit": float(self.master_result.deposit),
                           "fills": sum(d.kind in ("open", "close") for d in self.master_result.deals),
                           "stop_outs": s.stop_outs, "final_balance": float(s.final_balance),
                           "final_equity": float(s.final_equity), "net_return": s.net_return,
                           "max_drawdown": s.max_drawdown},
                "followers": [f.summary() for f in self.followers]}


TRACKING_ERROR = ("sample standard deviation (ddof 1) of the follower's daily equity return minus the master's, "
                  "over the UTC days both accounts have (the last recorded equity of each day; a day counts "
                  "while both equities before it are above 0); a fraction per day, not annualised")


def daily_returns(series: Series) -> dict[int, float]:
    """Day number (UTC days since 1970) -> the return of the last recorded equity of that day on the
    previous recorded day's (days whose previous equity is 0 or less have none).

    >>> import numpy as np
    >>> day = 86_400 * 10**9
    >>> s = Series(np.array([0, day, 2 * day]), *(np.array([100.0, 110.0, 99.0]),) * 5)
    >>> {k: round(v, 6) for k, v in daily_returns(s).items()}
    {1: 0.1, 2: -0.1}
    """
    t = np.asarray(series.time, dtype=np.int64)
    e = np.asarray(series.equity, dtype=np.float64)
    if t.size == 0:
        return {}
    day = t // NS_PER_DAY
    last = np.flatnonzero(np.append(day[1:] != day[:-1], True))  # the last point of each day
    days, eq = day[last], e[last]
    return {int(days[k]): float(eq[k] / eq[k - 1] - 1.0) for k in range(1, days.size) if eq[k - 1] > 0}


def tracking_error(master: Series, follower: Series) -> float | None:
    """The follower's tracking error against the master: ``TRACKING_ERROR`` says how; None with fewer
    than two common daily returns.

    >>> import numpy as np
    >>> day = 86_400 * 10**9
    >>> m = Series(np.arange(4) * day, *(np.array([100.0, 110.0, 121.0, 133.1]),) * 5)  # +10 % a day
    >>> f = Series(np.arange(4) * day, *(np.array([100.0, 120.0, 144.0, 172.8]),) * 5)  # +20 % a day
    >>> round(tracking_error(m, f), 12), tracking_error(m, m)
    (0.0, 0.0)
    """
    rm, rf = daily_returns(master), daily_returns(follower)
    common = sorted(set(rm) & set(rf))
    if len(common) < 2:
        return None
    diff = np.array([rf[d] - rm[d] for d in common])
    return float(np.std(diff, ddof=1))


def _terms(spec: AccountSpec, country: str, client: str, currency: str) -> AccountTerms:
    try:
        return resolve_terms(spec.broker, spec.account_type, country, client, currency=currency,
                             selected_leverage=spec.leverage)
    except (LookupError, ValueError) as exc:
        msg = str(exc.args[0]) if exc.args else str(exc)
        raise CopyError(f"{spec.label}: {msg}") from exc


def copy_backtest(data: Bars | Ticks | Mapping[str, Bars | Ticks], strategy: type[Strategy], *,
                  master: AccountSpec, followers: Sequence[AccountSpec], rule: CopyRule, country: str,
                  client: str = "retail", deposit: float = 1_000.0, currency: str = "USD",
                  params: Mapping[str, Any] | None = None, timeframe: str = "M1", spread: str = "data") -> CopyRun:
    """Run ``strategy`` on ``master`` and mirror its fills on each of ``followers`` (module docstring).

    ``deposit`` is every account's unless its spec gives one; ``params`` go to the strategy.
    Raises CopyError before any run for no follower, a follower copying the master's own account (the
    same label), two followers of one label, an account the brokers refuse (unknown broker, account
    type or country; the message names the account), or Octa's rule with an unlimited leverage;
    BacktestError / StrategyError from the master's run.
    """
    if not followers:
        raise CopyError("a copy run needs at least one follower")
    labels = [f.label for f in followers]
    dup = next((x for x in labels if labels.count(x) > 1), None)
    if dup is not None:
        raise CopyError(f"two followers are both named {dup}: give each a name (BROKER/ACCOUNT,name=X)")
    check_subscriptions((f.label, master.label) for f in followers)  # no account copies itself
    m_terms = _terms(master, country, client, currency)
    f_terms = [_terms(f, country, client, currency) for f in followers]
    if rule.kind == "octa":
        for spec, t in [(master, m_terms), *zip(followers, f_terms)]:
            if math.isinf(t.selected_leverage):
                raise CopyError(f"{spec.label}: Octa's copy rule divides by the leverage, which is "
                                f"{leverage_text(t.selected_leverage)} here; give a finite one (leverage=L)")
    bt = Backtest(data, strategy, terms=m_terms, deposit=master.deposit or deposit, timeframe=timeframe, spread=spread)
    m_result = bt.run(**dict(params or {}))
    runs = []
    for spec, terms in zip(followers, f_terms):
        acct = Account(terms, bt.order, deposit=spec.deposit or deposit, timeframe=timeframe, spread=spread)
        acct.feed(bt.feeds)
        mirror = Mirror(acct, rule, master_leverage=m_terms.selected_leverage, master_currency=m_terms.currency,
                        master_contract_sizes={name: s.contract_size for name, s in bt.specs.items()})
        run = _follow(acct, spec, mirror, m_result)
        run.tracking_error = tracking_error(m_result.series, run.result.series)
        runs.append(run)
    return CopyRun(master, m_terms, m_result, rule, runs)


def _follow(acct: Account, spec: AccountSpec, mirror: Mirror, master: Result) -> FollowerRun:
    """Step the follower through the master's fills (the module docstring says how), then finish it."""
    times = acct.quote_times  # the same feeds as the master's, so the same quotes at the same times
    ser_t = np.asarray(master.series.time, dtype=np.int64)
    ser_e = np.asarray(master.series.equity, dtype=np.float64)
    dec = acct.decisions
    checked = 0  # decision bars already checked against the stop-copy level

    def advance(end: int) -> None:
        """Up to quote ``end`` (not included), checking the stop-copy level at each bar close on the way."""
        nonlocal checked
        if mirror.rule.stop_copy_equity is not None:
            while mirror.stopped is None and checked < dec.shape[0] and dec[checked] < end:
                if int(dec[checked]) + 1 > acct.index:
                    acct.advance(int(dec[checked]) + 1)
                checked += 1
                mirror.check_stop_copy()
        if end > acct.index:
            acct.advance(end)
        mirror.resolve()

    fills = [d for d in master.deals if d.kind in ("open", "close")]
    reasons: dict[tuple[int, int], list[str]] = {}
    for tr in master.trades:
        reasons.setdefault((tr.position_id, tr.close_time), []).append(tr.reason)
    k = 0
    while k < len(fills):
        t = fills[k].time
        group = []
        while k < len(fills) and fills[k].time == t:
            group.append(fills[k])
            k += 1
        opened = {d.position_id for d in group if d.kind == "open"}
        same_quote = opened & {d.position_id for d in group if d.kind == "close"}
        i = int(np.searchsorted(times, t, side="left"))  # the master's fill quote (the first at its time)
        r = int(np.searchsorted(ser_t, t, side="left")) - 1  # the master's last record before it
        m_eq = float(ser_e[r]) if r >= 0 else float(master.deposit)
        advance(min(i, int(np.searchsorted(times, ser_t[r], side="right")) if r >= 0 else 0))
        f_eq = acct.view().equity  # the follower at the same instant
        advance(i)
        for d in group:
            if d.kind == "open":
                mirror.on_open(d, m_eq, f_eq,
                               skip="the master opened and closed it at one quote" if d.position_id in same_quote
                               else "")
            else:
                why = reasons.get((d.position_id, d.time), [])
                mirror.on_close(d, why.pop(0) if why else "")
    advance(acct.quotes)
    result = acct.finish()
    mirror.close_log()
    return FollowerRun(spec, acct.terms, float(acct.deposit), result, mirror.copies, mirror.stopped)
