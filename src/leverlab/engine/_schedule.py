"""Time schedules the kernel follows: rollover instants, HMR windows, cashback payment instants.

All are computed once in Python as sorted int64 UTC nanoseconds, so the kernel only walks a
pointer forward. Rollovers follow the broker's server time zone, so DST shifts them in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from ..brokers.terms import WEEKDAYS, HmrWindow

NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_ns(dt: datetime) -> int:
    """UTC nanoseconds of an aware datetime (naive datetimes are taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS + delta.microseconds * 1_000


def from_ns(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(ns) // 1_000)


def iso(ns: int) -> str:
    """ISO-8601 UTC text of a nanosecond time: '2017-04-19T09:00:00Z' (microseconds only when present;
    the engine places intrabar path vertices a few ns after the bar time, which this hides)."""
    sec, frac = divmod(int(ns), NS)
    base = (_EPOCH + timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%S")
    frac //= 1_000
    if frac:
        base += f".{frac:06d}".rstrip("0")
    return base + "Z"


def _days(start_ns: int, end_ns: int, tz: ZoneInfo) -> Iterable[date]:
    d0 = from_ns(start_ns).astimezone(tz).date() - timedelta(days=1)
    d1 = from_ns(end_ns).astimezone(tz).date() + timedelta(days=1)
    d = d0
    while d <= d1:
        yield d
        d += timedelta(days=1)


def rollover_times(start_ns: int, end_ns: int, rollover_time: str, server_timezone: str,
                   triple_day: str) -> tuple[np.ndarray, np.ndarray]:
    """Rollover instants between two times and each one's swap multiplier.

    A rollover happens at ``rollover_time`` (server time) on each Monday to Friday; the one on
    ``triple_day`` books three nights (it covers the weekend's settlement).
    """
    tz = ZoneInfo(server_timezone)
    hh, mm = (int(x) for x in rollover_time.split(":"))
    triple = WEEKDAYS.index(triple_day.lower())
    times: list[int] = []
    mult: list[float] = []
    for d in _days(start_ns, end_ns, tz):
        wd = d.weekday()
        if wd >= 5:
            continue
        ns = to_ns(datetime.combine(d, time(hh, mm), tzinfo=tz))
        if start_ns < ns <= end_ns:
            times.append(ns)
            mult.append(3.0 if wd == triple else 1.0)
    return np.asarray(times, dtype=np.int64), np.asarray(mult, dtype=np.float64)


_NY = "America/New_York"


def weekend_windows(start_ns: int, end_ns: int) -> list[tuple[int, int]]:
    """FX weekend closures: Friday 17:00 to Sunday 17:00 New York time (DST-aware), as UTC ns."""
    tz = ZoneInfo(_NY)
    out = []
    for d in _days(start_ns - 3 * 86_400 * NS, end_ns + 3 * 86_400 * NS, tz):
        if d.weekday() == 4:
            close = to_ns(datetime.combine(d, time(17, 0), tzinfo=tz))
            reopen = to_ns(datetime.combine(d + timedelta(days=2), time(17, 0), tzinfo=tz))
            out.append((close, reopen))
    return out


def hmr_intervals(windows: Iterable[HmrWindow], start_ns: int, end_ns: int,
                  calendar: Iterable[int]) -> tuple[np.ndarray, bool]:
    """Merged, sorted (n, 2) int64 [start, end) intervals of higher-margin windows.

    'weekend' rules wrap each weekend closure; 'news' rules wrap each calendar event time.
    Returns the intervals and whether any rule applies to all open positions.
    """
    spans: list[tuple[int, int]] = []
    all_positions = False
    cal = sorted(int(c) for c in calendar)
    for w in windows:
        before = int(w.minutes_before * 60 * NS)
        after = int(w.minutes_after * 60 * NS)
        if w.applies_to == "all_positions":
            all_positions = True
        if w.trigger == "weekend":
            spans += [(a - before, b + after) for a, b in weekend_windows(start_ns, end_ns)]
        elif w.trigger == "news":
            spans += [(c - before, c + after) for c in cal]
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    arr = np.asarray(merged, dtype=np.int64).reshape(-1, 2)
    return arr, all_positions


def cashback_times(start_ns: int, end_ns: int, schedule: str) -> np.ndarray:
    """Payment instants for scheduled cashback: each UTC midnight ('daily') or month start ('monthly')."""
    if schedule not in ("daily", "monthly"):
        return np.zeros(0, dtype=np.int64)
    d = from_ns(start_ns).date()
    last = from_ns(end_ns).date() + timedelta(days=32)
    out = []
    while d <= last:
        d = d + timedelta(days=1)
        if schedule == "daily" or d.day == 1:
            out.append(to_ns(datetime.combine(d, time(0, 0), tzinfo=timezone.utc)))
    return np.asarray(out, dtype=np.int64)
