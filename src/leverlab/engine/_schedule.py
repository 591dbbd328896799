"""Time schedules the kernel follows: rollover instants, HMR windows, cashback payment instants.

All are computed once in Python as sorted int64 UTC nanoseconds, so the kernel only walks a
pointer forward. Rollovers follow the broker's server time zone, so DST shifts them in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from ..brokers.terms import WEEKDAYS, AccountTerms

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


def _utc_offsets_ns(local_days: np.ndarray, at: time, tz: ZoneInfo) -> np.ndarray:
    """UTC offset (ns) of local time ``at`` on each day (epoch day numbers); looked up weekly, and day
    by day only in a week where the offset changes (DST), so long spans cost few zone look-ups."""
    base = date(1970, 1, 1)

    def off(k: int) -> int:
        u = datetime.combine(base + timedelta(days=int(local_days[k])), at, tzinfo=tz).utcoffset()
        return int(u.total_seconds()) * NS if u is not None else 0

    n = local_days.shape[0]
    out = np.empty(n, dtype=np.int64)
    prev_i, prev = 0, off(0)
    out[0] = prev
    i = 5
    while True:
        j = min(i, n - 1)
        cur = off(j)
        if cur == prev:
            out[prev_i:j + 1] = prev
        else:
            for k in range(prev_i + 1, j + 1):
                out[k] = off(k)
        if j == n - 1:
            break
        prev_i, prev = j, cur
        i += 5
    return out


def rollover_times(start_ns: int, end_ns: int, rollover_time: str, server_timezone: str,
                   triple_day: str) -> tuple[np.ndarray, np.ndarray]:
    """Rollover instants in (start_ns, end_ns] and each one's swap multiplier.

    Each trading day D (Monday to Friday, server time) ends with a rollover at ``rollover_time``
    on D - or, for "00:00", at midnight that ends D (the start of D + 1). The rollover ending
    ``triple_day`` books three nights (it covers the weekend's settlement). DST-aware.
    """
    tz = ZoneInfo(server_timezone)
    hh, mm = (int(x) for x in rollover_time.split(":"))
    triple = WEEKDAYS.index(triple_day.lower())
    day = 86_400 * NS
    days = np.arange(start_ns // day - 2, end_ns // day + 3, dtype=np.int64)
    wd = (days + 3) % 7  # 1970-01-01 was a Thursday
    days, wd = days[wd < 5], wd[wd < 5]
    if days.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    local_days = days + (1 if (hh, mm) == (0, 0) else 0)
    utc = local_days * day + (hh * 3600 + mm * 60) * NS - _utc_offsets_ns(local_days, time(hh, mm), tz)
    keep = (utc > start_ns) & (utc <= end_ns)
    mult = np.where(wd == triple, 3.0, 1.0)
    return np.ascontiguousarray(utc[keep]), np.ascontiguousarray(mult[keep])


def hmr_schedule(terms: AccountTerms, start_ns: int, end_ns: int, calendar: Iterable[int]) -> tuple[np.ndarray, bool]:
    """Merged (n, 2) int64 [start, end) HMR intervals (``leverlab.brokers.hmr``) and whether any
    window applies to all open positions (else only to positions opened inside it)."""
    from ..brokers.hmr import hmr_intervals

    iv = hmr_intervals(terms, start_ns, end_ns, calendar) if terms.hmr_windows else np.zeros((0, 2), np.int64)
    all_positions = any(w.applies_to == "all_positions" for w in terms.hmr_windows)
    return np.ascontiguousarray(iv, dtype=np.int64), all_positions


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
