"""Time schedules the kernel follows: rollover instants, HMR windows, cashback payment instants.

All are computed once in Python as sorted int64 UTC nanoseconds, so the kernel only walks a
pointer forward. Rollovers follow the broker's server time zone, so DST shifts them in UTC.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from ..brokers.terms import WEEKDAYS, AccountTerms
from ..times import NS, from_ns, to_ns


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


_ROLL_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def rollover_times(start_ns: int, end_ns: int, rollover_time: str, server_timezone: str,
                   triple_day: str) -> tuple[np.ndarray, np.ndarray]:
    """``_rollover_times``, remembered for the last few spans (a comparison runs many accounts over
    the same data; a long span costs a zone look-up per week). The arrays are shared: never write to
    them (they stay writable so the kernel keeps one compiled signature)."""
    key = (int(start_ns), int(end_ns), rollover_time, server_timezone, triple_day.lower())
    out = _ROLL_CACHE.get(key)
    if out is None:
        out = _rollover_times(*key)
        if len(_ROLL_CACHE) >= 32:
            _ROLL_CACHE.pop(next(iter(_ROLL_CACHE)))
        _ROLL_CACHE[key] = out
    return out


def _rollover_times(start_ns: int, end_ns: int, rollover_time: str, server_timezone: str,
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


_IV_CACHE: dict[tuple, np.ndarray] = {}


def _window_intervals(terms: AccountTerms, i: int, start_ns: int, end_ns: int, calendar: tuple[int, ...]) -> np.ndarray:
    """One window's merged intervals, remembered for the last few spans: a comparison runs many
    accounts over the same data, and a long span's weekly windows cost a zone look-up each."""
    from ..brokers.hmr import hmr_intervals

    w = terms.hmr_windows[i]
    key = (w, start_ns, end_ns, calendar if w.trigger == "news" else ())
    iv = _IV_CACHE.get(key)
    if iv is None:
        iv = np.asarray(hmr_intervals(terms, start_ns, end_ns, calendar, window=i), dtype=np.int64).reshape(-1, 2)
        if len(_IV_CACHE) >= 32:
            _IV_CACHE.pop(next(iter(_IV_CACHE)))
        _IV_CACHE[key] = iv
    return iv


def hmr_schedule(terms: AccountTerms, start_ns: int, end_ns: int, calendar: Iterable[int],
                 order: list[str]) -> tuple[np.ndarray, np.ndarray, bool]:
    """The HMR windows (``leverlab.brokers.hmr``) as the kernel reads them.

    Returns ``hmr``, int64 (n, 3): elementary [start, end) intervals (no window starts or ends
    inside one) with, per row, the end of the new-position windows containing it (0: none), and
    ``hmr_cap``, float64 (n, 2 x symbols): per symbol the leverage cap on every open position while
    inside (windows that apply to all positions) and the cap given to a position opened inside
    (windows that apply to new positions) - each window with its own cap
    (``SymbolMargin.hmr_caps``, else ``hmr_cap``), the tightest where windows overlap; and whether
    any window applies to all open positions.
    """
    windows = terms.hmr_windows
    n_sym = len(order)
    all_positions = any(w.applies_to == "all_positions" for w in windows)
    if not windows:
        return np.zeros((0, 3), np.int64), np.zeros((0, 2 * n_sym)), all_positions
    cal = tuple(int(c) for c in calendar)
    ivs = [_window_intervals(terms, i, start_ns, end_ns, cal) for i in range(len(windows))]
    edges = np.unique(np.concatenate([iv.ravel() for iv in ivs] + [np.zeros(0, np.int64)]))
    if edges.shape[0] < 2:
        return np.zeros((0, 3), np.int64), np.zeros((0, 2 * n_sym)), all_positions
    lo, hi = edges[:-1], edges[1:]
    m = lo.shape[0]
    cap = np.full((m, 2 * n_sym), math.inf)
    new_until = np.zeros(m, np.int64)
    active = np.zeros(m, dtype=bool)
    for i, (w, iv) in enumerate(zip(windows, ivs)):
        if iv.shape[0] == 0:
            continue
        j = np.searchsorted(iv[:, 0], lo, side="right") - 1
        inside = (j >= 0) & (lo < iv[np.maximum(j, 0), 1])
        if not inside.any():
            continue
        active |= inside
        col0 = 0 if w.applies_to == "all_positions" else n_sym
        if col0:
            new_until = np.where(inside, np.maximum(new_until, iv[np.maximum(j, 0), 1]), new_until)
        for si, name in enumerate(order):
            sm = terms.symbols.get(name)
            if sm is None:
                continue
            c = sm.hmr_caps[i] if len(sm.hmr_caps) == len(windows) else sm.hmr_cap
            if c is None:
                continue
            cap[inside, col0 + si] = np.minimum(cap[inside, col0 + si], float(c))
    hmr = np.ascontiguousarray(np.stack([lo, hi, new_until], axis=1)[active], dtype=np.int64)
    return hmr, np.ascontiguousarray(cap[active]), all_positions


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
