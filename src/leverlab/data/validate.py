"""Validation of ticks and bars: what is wrong with the data, and what was done about it.

Checks, in the order they are applied, with the actions each allows (default first in brackets):

========== ======================================================= ==============================
check      what it finds                                           actions (default)
========== ======================================================= ==============================
nan        a NaN or infinite price                                 error, warn, drop (drop)
nonpositive a price <= 0                                           error, warn, drop (drop)
unsorted   a row earlier than the row before it                    error, warn, fix = stable sort (fix)
duplicates a row with the same timestamp as the row before it      error, warn, drop/fix = keep last
                                                                   (ticks: warn, bars: drop)
crossed    ask < bid (bars: ask close < bid close)                 error, warn, drop, fix = swap sides (warn)
ohlc       bars whose high/low do not contain open and close       error, warn, drop, fix = widen (warn)
outliers   a return beyond ``outlier_sigma`` robust sigmas         error, warn, drop (warn: flagged, kept)
gaps       no data for longer than ``gap_threshold`` of open       error, warn (warn)
           market time (the weekend and Dec 25 / Jan 1 excluded)
========== ======================================================= ==============================

Nothing is changed silently: every issue records how many rows it found and how many rows the
action changed or removed. Session calendar used for gaps: the FX week runs Sunday 23:00 UTC to
Friday 20:00 UTC (lenient enough for both DST seasons and the usual 21:00/22:00 UTC roll),
closed all day on Dec 25 and Jan 1.

>>> from leverlab.data import load
>>> rep = validate(load("sample:eurusd-h1"))
>>> rep.issue("crossed").count, rep.rows_out == rep.rows_in
(0, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from ..times import iso
from .errors import ValidationError
from .frames import Bars, Frame, Ticks, timeframe_ns

Action = Literal["error", "warn", "drop", "fix"]
CHECKS: tuple[str, ...] = ("nan", "nonpositive", "unsorted", "duplicates", "crossed", "ohlc", "outliers", "gaps")
ALLOWED: dict[str, tuple[str, ...]] = {
    "nan": ("error", "warn", "drop"), "nonpositive": ("error", "warn", "drop"),
    "unsorted": ("error", "warn", "fix"), "duplicates": ("error", "warn", "drop", "fix"),
    "crossed": ("error", "warn", "drop", "fix"), "ohlc": ("error", "warn", "drop", "fix"),
    "outliers": ("error", "warn", "drop"), "gaps": ("error", "warn"),
}
DEFAULT_POLICY: dict[str, str] = {"nan": "drop", "nonpositive": "drop", "unsorted": "fix", "duplicates": "warn",
                                  "crossed": "warn", "ohlc": "warn", "outliers": "warn", "gaps": "warn"}
_BAR_DEFAULTS = {"duplicates": "drop"}
_H = 3_600_000_000_000
_D = 24 * _H
_W = 7 * _D
_WEEK0 = 4 * _D                      # Monday 1970-01-05 00:00 UTC
_FRI_CLOSE = 4 * _D + 20 * _H        # Friday 20:00 UTC, from Monday 00:00
_SUN_OPEN = 6 * _D + 23 * _H         # Sunday 23:00 UTC
_OPEN_PER_WEEK = _FRI_CLOSE + (_W - _SUN_OPEN)
_MAX_EXAMPLES = 5
_NOTES = ("timezone_reason", "date_order", "time_unit", "tz_ignored")  # how a reader read the times (meta keys)


@dataclass
class Issue:
    """One check's outcome: rows found, the action taken, rows changed or removed by it."""

    check: str
    count: int
    action: str
    changed: int = 0
    detail: str = ""
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "count": self.count, "action": self.action, "changed": self.changed,
                "detail": self.detail, "examples": self.examples}


@dataclass
class ValidationReport:
    """What a load found: rows in/out, range, timezone rule, and one :class:`Issue` per check.

    ``timezone_assumed`` is True when the file stated no zone and its times were taken as UTC;
    ``notes`` says how times were read (``timezone_reason``, ``date_order``, ``time_unit``).

    ``frame`` is the data after the policies were applied (not part of ``to_dict``).
    """

    symbol: str
    kind: str
    timeframe: str | None
    source: str
    timezone: str
    rows_in: int
    rows_out: int
    start: int | None
    end: int | None
    issues: list[Issue]
    gaps: list[dict[str, Any]] = field(default_factory=list)
    file: str = ""
    frame: Frame | None = field(default=None, repr=False, compare=False)
    timezone_assumed: bool = False
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no check found anything."""
        return all(i.count == 0 for i in self.issues)

    def issue(self, check: str) -> Issue:
        for i in self.issues:
            if i.check == check:
                return i
        raise KeyError(check)

    def to_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "kind": self.kind, "timeframe": self.timeframe, "source": self.source,
                "file": self.file,
                "timezone": self.timezone, "timezone_assumed": self.timezone_assumed, **self.notes,
                "rows_in": self.rows_in, "rows_out": self.rows_out,
                "start": iso(self.start), "end": iso(self.end), "ok": self.ok,
                "issues": [i.to_dict() for i in self.issues], "gaps": self.gaps}

    def __str__(self) -> str:
        kind = self.kind if self.kind == "ticks" else f"bars {self.timeframe}"
        lines = [f"{self.symbol} {kind} from {self.file or self.source or '?'}",
                 f"  rows: {self.rows_in:,} read, {self.rows_out:,} kept",
                 f"  range: {iso(self.start)} .. {iso(self.end)}",
                 f"  timezone: {self.timezone}" + (f" (ASSUMED: {self.notes.get('timezone_reason', 'not stated')})"
                                                   if self.timezone_assumed else "")]
        lines += [f"  {k.replace('_', ' ')}: {v}" for k, v in self.notes.items() if k != "timezone_reason"]
        for i in self.issues:
            if i.count:
                done = {"drop": f"{i.changed:,} dropped", "fix": f"{i.changed:,} changed"}
                what = done.get(i.action, "flagged, kept")
                lines.append(f"  {i.check}: {i.count:,} ({i.action}: {what}) {i.detail}".rstrip())
                for ex in i.examples[:3]:
                    lines.append(f"      e.g. {', '.join(f'{k}={v}' for k, v in ex.items())}")
        if self.ok:
            lines.append("  no problems found")
        return "\n".join(lines)


def _prices(frame: Frame) -> dict[str, np.ndarray]:
    if isinstance(frame, Ticks):
        return {"bid": frame.bid, "ask": frame.ask}
    names = [f"bid_{k}" for k in ("open", "high", "low", "close")]
    if frame.two_sided:
        names += [f"ask_{k}" for k in ("open", "high", "low", "close")]
    return {n: getattr(frame, n) for n in names}


def _examples(frame: Frame, orig: np.ndarray, rows: np.ndarray, cols: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for r in rows[:_MAX_EXAMPLES]:
        r = int(r)
        ex: dict[str, Any] = {"row": int(orig[r]), "time": iso(int(frame.time[r]))}
        for c in cols:
            ex[c] = float(getattr(frame, c)[r])
        out.append(ex)
    return out


def _act(check: str, action: str, rows: np.ndarray, detail: str, label: str, frame: Frame,
         orig: np.ndarray, cols: tuple[str, ...] = ()) -> Issue:
    issue = Issue(check, int(rows.size), action, 0, detail, _examples(frame, orig, rows, cols))
    if rows.size and action == "error":
        ex = issue.examples[0] if issue.examples else {}
        raise ValidationError(f"{check}: {rows.size:,} rows; first at input row {ex.get('row')} "
                              f"({ex.get('time')}) {detail}".rstrip(), path=label or None,
                              expected=f"no {check} rows, or a policy of warn/drop/fix for {check!r}")
    return issue


def open_time(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Nanoseconds of open FX market between ``a`` and ``b`` (weekend removed), vectorised."""
    def cum(t: np.ndarray) -> np.ndarray:
        x = t - _WEEK0
        wk, off = np.divmod(x, _W)
        return wk * _OPEN_PER_WEEK + np.minimum(off, _FRI_CLOSE) + np.maximum(0, off - _SUN_OPEN)
    return cum(b) - cum(a)


def _holiday_overlap(a: int, b: int) -> int:
    """Open-market ns inside [a, b] that fall on Dec 25 or Jan 1 (closed days)."""
    y0 = int(str(np.datetime64(a, "ns").astype("datetime64[Y]")))
    y1 = int(str(np.datetime64(b, "ns").astype("datetime64[Y]")))
    total = 0
    for y in range(y0, y1 + 1):
        for day in (f"{y}-12-25", f"{y}-01-01"):
            lo = int(np.datetime64(day, "ns").astype(np.int64))
            s, e = max(a, lo), min(b, lo + _D)
            if e > s:
                total += int(open_time(np.array([s]), np.array([e]))[0])
    return total


def default_gap_threshold(frame: Frame) -> int:
    """Open-market time without data that counts as a gap: 30 min for ticks, else
    max(3 bars, 30 min)."""
    if isinstance(frame, Ticks):
        return 30 * 60_000_000_000
    return max(3 * timeframe_ns(frame.timeframe), 30 * 60_000_000_000)


def _parse_duration(x: str | int) -> int:
    if isinstance(x, (int, np.integer)):
        return int(x)
    s = x.strip().lower()
    units = {"ms": 1_000_000, "s": 1_000_000_000, "min": 60_000_000_000, "m": 60_000_000_000, "h": _H, "d": _D}
    for u in ("ms", "min", "s", "m", "h", "d"):
        if s.endswith(u) and s[: -len(u)].replace(".", "", 1).isdigit():
            return int(float(s[: -len(u)]) * units[u])
    raise ValueError(f"duration {x!r} not understood (expected e.g. '30min', '2h', '3d' or ns)")


def validate(frame: Frame, policy: dict[str, str] | str | None = None, *, outlier_sigma: float = 12.0,
             gap_threshold: str | int | None = None, label: str | None = None) -> ValidationReport:
    """Check ``frame`` and apply the policy per check; returns the report, cleaned data in ``.frame``.

    ``policy`` maps check -> action and overrides the defaults; a single string applies to every
    check that allows it (``"error"`` = strict, ``"warn"`` = report only). Outliers are returns of
    the mid (ticks) or bid close (bars) beyond ``outlier_sigma`` times a robust sigma
    (1.4826 x median absolute deviation). ``label`` names the file in errors. Raises ValueError for
    an unknown check or action, ValidationError when a check whose action is ``error`` finds rows.
    """
    run = _Run(frame, _policy(frame, policy), _label(frame, label))
    rows_in = len(frame)
    for check in (_nan, _nonpositive, _unsorted, _duplicates, _crossed, _ohlc):
        check(run)
    _outliers(run, outlier_sigma)
    gaps = _gaps(run, gap_threshold)
    frame = run.frame
    tz = frame.meta.get("timezone", "UTC")
    notes = {k: str(frame.meta[k]) for k in _NOTES if frame.meta.get(k)}
    rep = ValidationReport(frame.symbol, frame.kind, getattr(frame, "timeframe", None), frame.source or "", tz,
                           rows_in, len(frame), frame.start, frame.end, run.issues, gaps[:50], run.label or "", frame,
                           bool(frame.meta.get("tz_assumed", False)), notes)
    frame.meta["report"] = rep.to_dict()
    return rep


def _policy(frame: Frame, policy: dict[str, str] | str | None) -> dict[str, str]:
    """The action of every check: the defaults (bars drop duplicates) overridden by ``policy``."""
    pol = dict(DEFAULT_POLICY)
    if isinstance(frame, Bars):
        pol.update(_BAR_DEFAULTS)
    if isinstance(policy, str):
        return {c: (policy if policy in ALLOWED[c] else pol[c]) for c in CHECKS}
    for c, a in (policy or {}).items():
        if c not in ALLOWED:
            raise ValueError(f"unknown check {c!r} (expected one of {', '.join(CHECKS)})")
        if a not in ALLOWED[c]:
            raise ValueError(f"check {c!r}: action {a!r} not allowed (expected one of {', '.join(ALLOWED[c])})")
        pol[c] = a
    return pol


def _label(frame: Frame, label: str | None) -> str | None:
    """What errors call the data: ``label``, else its file (and how many more), else its source."""
    files = frame.meta.get("files") or []
    return label or (files[0] if len(files) == 1 else (f"{files[0]} (+{len(files) - 1} files)" if files
                                                       else frame.source))


@dataclass
class _Run:
    """The data as the checks go: rows kept so far, their input row numbers, and one issue per check."""

    frame: Frame
    pol: dict[str, str]
    label: str | None
    orig: np.ndarray = field(init=False)
    issues: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.orig = np.arange(len(self.frame), dtype=np.int64)

    def keep(self, mask: np.ndarray) -> None:
        """Keep the rows a boolean mask (or an index order) selects."""
        self.frame = self.frame.take(mask)
        self.orig = self.orig[mask]

    def found(self, check: str, rows: np.ndarray, detail: str, cols: tuple[str, ...] = ()) -> Issue:
        """Record the rows ``check`` found (raising when its action is ``error``)."""
        issue = _act(check, self.pol[check], rows, detail, self.label or "", self.frame, self.orig, cols)
        self.issues.append(issue)
        return issue

    def drop(self, issue: Issue, bad: np.ndarray) -> None:
        """Remove the rows of a boolean mask, counting them on ``issue``."""
        issue.changed = int(bad.sum())
        self.keep(~bad)


def _nan(run: _Run) -> None:
    bad = np.zeros(len(run.frame), bool)
    for a in _prices(run.frame).values():
        bad |= ~np.isfinite(a)
    rows = np.flatnonzero(bad)
    issue = run.found("nan", rows, "")
    if rows.size and run.pol["nan"] == "drop":
        run.drop(issue, bad)


def _nonpositive(run: _Run) -> None:
    prices = _prices(run.frame)
    bad = np.zeros(len(run.frame), bool)
    with np.errstate(invalid="ignore"):
        for a in prices.values():
            bad |= a <= 0
    rows = np.flatnonzero(bad)
    issue = run.found("nonpositive", rows, "", tuple(list(prices)[:2]))
    if rows.size and run.pol["nonpositive"] == "drop":
        run.drop(issue, bad)


def _unsorted(run: _Run) -> None:
    rows = np.flatnonzero(np.diff(run.frame.time) < 0) + 1
    issue = run.found("unsorted", rows, "earlier than the row before" if rows.size else "")
    if rows.size and run.pol["unsorted"] == "fix":
        order = np.argsort(run.frame.time, kind="stable")
        issue.changed = int((order != np.arange(order.size)).sum())
        run.keep(order)


def _duplicates(run: _Run) -> None:
    t = run.frame.time
    dup = np.flatnonzero(np.diff(t) == 0) + 1
    ndistinct = int(np.unique(t[dup]).size) if dup.size else 0
    issue = run.found("duplicates", dup,
                      f"same timestamp as the row before ({ndistinct:,} distinct times)" if dup.size else "")
    if dup.size and run.pol["duplicates"] in ("drop", "fix"):
        m = np.ones(len(run.frame), bool)
        m[dup - 1] = False  # keep the last row of each run of equal timestamps
        issue.changed = int(dup.size)
        run.keep(m)


def _crossed(run: _Run) -> None:
    frame = run.frame
    if isinstance(frame, Ticks):
        crossed = frame.ask < frame.bid
        cols: tuple[str, ...] = ("bid", "ask")
    elif frame.two_sided:
        crossed = frame.ask_close < frame.bid_close
        cols = ("bid_close", "ask_close")
    else:
        crossed = np.zeros(len(frame), bool)
        cols = ()
    rows = np.flatnonzero(crossed)
    issue = run.found("crossed", rows, "ask below bid" if rows.size else "", cols)
    if rows.size and run.pol["crossed"] == "drop":
        run.drop(issue, crossed)
    elif rows.size and run.pol["crossed"] == "fix":
        run.frame = _swap(frame, crossed)
        issue.changed = int(rows.size)


def _ohlc(run: _Run) -> None:
    """Bars only: high/low must contain open and close on every side."""
    frame = run.frame
    if not isinstance(frame, Bars):
        return
    bad = np.zeros(len(frame), bool)
    sides = ("bid", "ask") if frame.two_sided else ("bid",)
    for s in sides:
        o, h, lo, c = (getattr(frame, f"{s}_{k}") for k in ("open", "high", "low", "close"))
        bad |= (h < np.maximum(o, c)) | (lo > np.minimum(o, c)) | (h < lo)
    rows = np.flatnonzero(bad)
    issue = run.found("ohlc", rows, "high/low do not contain open/close" if rows.size else "")
    if rows.size and run.pol["ohlc"] == "drop":
        run.drop(issue, bad)
    elif rows.size and run.pol["ohlc"] == "fix":
        run.frame = _widen(frame, sides)
        issue.changed = int(rows.size)


def _outliers(run: _Run, outlier_sigma: float) -> None:
    """Returns beyond ``outlier_sigma`` robust sigmas, largest first, each example with its return in %."""
    frame = run.frame
    px = (frame.bid + frame.ask) * 0.5 if isinstance(frame, Ticks) else frame.bid_close
    rows = np.zeros(0, np.int64)
    detail = ""
    if px.size > 10:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.diff(np.log(px))
        moving = r[r != 0]
        if moving.size > 10:
            sigma = 1.4826 * float(np.median(np.abs(moving - np.median(moving))))
            if sigma > 0:
                z = np.abs(r) / sigma
                rows = np.flatnonzero(z > outlier_sigma) + 1
                rows = rows[np.argsort(-z[rows - 1], kind="stable")]
                detail = f"|return| > {outlier_sigma:g} x robust sigma {sigma:.3g}" if rows.size else ""
    issue = run.found("outliers", rows, detail, ("bid", "ask") if isinstance(frame, Ticks) else ("bid_close",))
    if not rows.size:
        return
    r_ = np.diff(np.log(px))[rows - 1]
    for ex, rr in zip(issue.examples, r_[:_MAX_EXAMPLES]):
        ex["return_pct"] = round(float(np.expm1(rr) * 100), 4)
    if run.pol["outliers"] == "drop":
        m = np.ones(len(frame), bool)
        m[rows] = False
        issue.changed = int(rows.size)
        run.keep(m)


def _gaps(run: _Run, gap_threshold: str | int | None) -> list[dict[str, Any]]:
    """Holes longer than the threshold of open market time (weekend and Dec 25 / Jan 1 removed),
    largest first; recorded as the last issue."""
    frame = run.frame
    thr = _parse_duration(gap_threshold) if gap_threshold is not None else default_gap_threshold(frame)
    step = timeframe_ns(frame.timeframe) if isinstance(frame, Bars) else 0
    gaps: list[dict[str, Any]] = []
    if len(frame) > 1:
        a, b = frame.time[:-1] + step, frame.time[1:]
        ot = open_time(a, b)
        for i in np.flatnonzero(ot > thr):
            o = int(ot[i]) - _holiday_overlap(int(a[i]), int(b[i]))
            if o > thr:
                gaps.append({"after_row": int(run.orig[i]), "from": iso(int(frame.time[i])), "to": iso(int(b[i])),
                             "open_hours": round(o / _H, 2)})
    gaps.sort(key=lambda g: -g["open_hours"])
    if gaps and run.pol["gaps"] == "error":
        raise ValidationError(f"gaps: {len(gaps)} holes, largest {gaps[0]['from']} .. {gaps[0]['to']}",
                              path=run.label or None, expected="continuous data or policy gaps='warn'")
    run.issues.append(Issue("gaps", len(gaps), run.pol["gaps"], 0,
                            f"no data for > {thr / _H:g} h of open market (largest {gaps[0]['open_hours']} h)"
                            if gaps else "",
                            [{"from": g["from"], "to": g["to"], "open_hours": g["open_hours"]}
                             for g in gaps[:_MAX_EXAMPLES]]))
    return gaps


def _swap(frame: Frame, m: np.ndarray) -> Frame:
    if isinstance(frame, Ticks):
        bid, ask = frame.bid.copy(), frame.ask.copy()
        bid[m], ask[m] = frame.ask[m], frame.bid[m]
        return replace(frame, bid=bid, ask=ask, meta=dict(frame.meta))
    kw = {}
    for k in ("open", "high", "low", "close"):
        b, a = getattr(frame, f"bid_{k}").copy(), getattr(frame, f"ask_{k}").copy()
        b[m], a[m] = getattr(frame, f"ask_{k}")[m], getattr(frame, f"bid_{k}")[m]
        kw[f"bid_{k}"], kw[f"ask_{k}"] = b, a
    return replace(frame, **kw, meta=dict(frame.meta))


def _widen(frame: Bars, sides: tuple[str, ...]) -> Bars:
    kw = {}
    for s in sides:
        o, h, lo, c = (getattr(frame, f"{s}_{k}") for k in ("open", "high", "low", "close"))
        kw[f"{s}_high"] = np.maximum.reduce([o, h, lo, c])
        kw[f"{s}_low"] = np.minimum.reduce([o, h, lo, c])
    return replace(frame, **kw, meta=dict(frame.meta))
