"""Higher-margin-requirement (HMR) windows as time intervals.

A weekend window is anchored on the broker's published weekly close and reopen in the broker's
timezone (so DST moves it the way the broker's clock does) and widened by ``minutes_before`` /
``minutes_after``. A news window is ``[event - before, event + after)`` for every high-impact event
of an economic calendar the caller supplies. Intervals are half-open: a position opened at the
exact start is inside, one opened at the exact end is outside.

>>> from leverlab.brokers.terms import HmrWindow
>>> w = HmrWindow("weekend", 180, 60, weekly_start="friday 16:59", weekly_end="sunday 17:05",
...               timezone="America/New_York")
>>> iv = window_intervals(w, to_ns("2024-07-05T00:00Z"), to_ns("2024-07-08T00:00Z"))
>>> [str(np.datetime64(int(x), "ns"))[:16] for x in iv[0]]   # UTC: Fri 17:59 to Sun 22:05 (summer)
['2024-07-05T17:59', '2024-07-07T22:05']
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ..times import to_ns
from .terms import WEEKDAYS, AccountTerms, HmrWindow

_NS = 1_000_000_000
_MIN = 60 * _NS
_DAY = 86_400 * _NS


def _parse_weekly(text: str) -> tuple[int, time]:
    day, _, hhmm = text.strip().lower().partition(" ")
    if day not in WEEKDAYS or len(hhmm) != 5:
        raise ValueError(f"weekly time {text!r}; expected '<weekday> HH:MM', e.g. 'friday 21:00'")
    return WEEKDAYS.index(day), time(int(hhmm[:2]), int(hhmm[3:]))


def _local_ns(d: date, at: time, tz: ZoneInfo) -> int:
    return to_ns(datetime.combine(d, at, tzinfo=tz))


def window_intervals(window: HmrWindow, start_ns: int, end_ns: int,
                     calendar: Iterable[Any] = ()) -> np.ndarray:
    """The intervals of one window overlapping ``[start_ns, end_ns)``, as an int64 (n, 2) array."""
    before = int(round(window.minutes_before * _MIN))
    after = int(round(window.minutes_after * _MIN))
    out: list[tuple[int, int]] = []
    if window.trigger == "news":
        for ev in calendar:
            t = to_ns(ev)
            s, e = t - before, t + after
            if e > start_ns and s < end_ns:
                out.append((s, e))
    elif window.trigger == "weekend":
        tz = ZoneInfo(window.timezone)
        sd, st = _parse_weekly(window.weekly_start)
        ed, et = _parse_weekly(window.weekly_end)
        span = (ed - sd) % 7
        if span == 0 and et <= st:
            span = 7
        first = datetime.fromtimestamp((start_ns - 9 * _DAY) / _NS, tz).date()
        d = first + timedelta(days=(sd - first.weekday()) % 7)
        while True:
            s = _local_ns(d, st, tz) - before
            if s >= end_ns:
                break
            e = _local_ns(d + timedelta(days=span), et, tz) + after
            if e > start_ns:
                out.append((s, e))
            d += timedelta(days=7)
    else:
        raise ValueError(f"HMR trigger {window.trigger!r}; expected 'news' or 'weekend'")
    out.sort()
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def merge_intervals(iv: np.ndarray) -> np.ndarray:
    """Sorted, disjoint union of [start, end) intervals: int64 (n, 2) in, int64 (m, 2) out."""
    if len(iv) == 0:
        return iv
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    merged = [list(iv[0])]
    for s, e in iv[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return np.array(merged, dtype=np.int64).reshape(-1, 2)


def hmr_intervals(terms: AccountTerms, start_ns: int, end_ns: int, calendar: Iterable[Any] = (),
                  window: int | str | None = None) -> np.ndarray:
    """All HMR intervals of ``terms`` in ``[start_ns, end_ns)``, merged and sorted: int64 (n, 2).

    ``calendar`` holds the high-impact event times (datetimes, ISO strings or int ns) that news
    windows need. ``window`` (an index into ``terms.hmr_windows``, or a window id / trigger)
    restricts the result to one window, for brokers whose windows carry different caps
    (``SymbolMargin.hmr_caps``).
    """
    events = [to_ns(e) for e in calendar]
    chosen = list(enumerate(terms.hmr_windows))
    if window is not None:
        chosen = [(i, w) for i, w in chosen if window in (i, w.id, w.trigger)]
        if not chosen:
            raise ValueError(f"no HMR window {window!r}; windows: "
                             f"{[(i, w.id or w.trigger) for i, w in enumerate(terms.hmr_windows)]}")
    parts = [window_intervals(w, start_ns, end_ns, events) for _, w in chosen]
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    return merge_intervals(np.concatenate(parts))


def in_window(window: HmrWindow, t_ns: int, calendar: Iterable[Any] = ()) -> bool:
    """Whether a position opened at ``t_ns`` falls inside ``window``."""
    iv = window_intervals(window, t_ns - 8 * _DAY, t_ns + 8 * _DAY, calendar)
    return bool(np.any((iv[:, 0] <= t_ns) & (t_ns < iv[:, 1])))
