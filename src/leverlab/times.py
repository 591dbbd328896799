"""Instants as int64 nanoseconds since the Unix epoch (UTC), and the one text form they are shown in.

Every room keeps time as int ns: the data frames, the kernel's schedules and the broker rules.
``to_ns`` reads the forms people write, ``from_ns`` gives a datetime back, and ``iso`` is the only
place that decides how an instant is printed.

>>> to_ns("2024-07-05T20:00Z")
1720209600000000000
>>> iso(1720209600000000000), iso(1720209600292000000), iso(1720209600000000003)
('2024-07-05T20:00:00Z', '2024-07-05T20:00:00.292Z', '2024-07-05T20:00:00Z')
>>> from_ns(1720209600292000000)
datetime.datetime(2024, 7, 5, 20, 0, 0, 292000, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, overload

import numpy as np

NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_ns(t: Any) -> int:
    """Nanoseconds since the Unix epoch (UTC) of a datetime, date, ISO string, datetime64 or int ns.

    Naive datetimes and strings without an offset are taken as UTC. Raises ValueError for text
    that is not ISO 8601 and TypeError for any other kind of value.
    """
    if isinstance(t, (int, np.integer)):
        return int(t)
    if isinstance(t, np.datetime64):
        return int(t.astype("datetime64[ns]").astype(np.int64))
    if isinstance(t, str):
        text = t.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"time {t!r} is not ISO 8601 (expected e.g. 2024-07-05T20:00:00Z)") from None
    if isinstance(t, datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        delta = t - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * NS + delta.microseconds * 1000
    if isinstance(t, date):
        return to_ns(datetime(t.year, t.month, t.day, tzinfo=timezone.utc))
    raise TypeError(f"cannot read a time from {type(t).__name__} {t!r}; expected datetime, ISO string or int ns")


def from_ns(ns: int) -> datetime:
    """The UTC datetime of an int ns time, floored to the microsecond (datetime's resolution)."""
    return _EPOCH + timedelta(microseconds=int(ns) // 1_000)


@overload
def iso(ns: int | np.integer) -> str: ...
@overload
def iso(ns: None) -> None: ...
def iso(ns: int | np.integer | None) -> str | None:
    """ISO-8601 UTC text of an int ns time: ``2024-07-05T20:00:00Z`` for a whole second, else the
    fraction down to the microsecond with trailing zeros dropped (``...T20:00:00.292Z``).

    Digits below the microsecond are dropped, as in ``from_ns``: the engine places intrabar path
    points a few ns after their bar's time, and a report should show that bar's time. None gives None.
    """
    if ns is None:
        return None
    sec, us = divmod(int(ns) // 1_000, 1_000_000)
    text = (_EPOCH + timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%S")
    if us:
        text += f".{us:06d}".rstrip("0")
    return text + "Z"


__all__ = ["NS", "to_ns", "from_ns", "iso"]
