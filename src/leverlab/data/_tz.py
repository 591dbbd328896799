"""Timezone rules: turn a file's local wall-clock nanoseconds into UTC nanoseconds, vectorised.

Accepted rules (case-insensitive):

- ``UTC`` (or ``Z``, ``GMT``): nothing to do.
- fixed offsets: ``UTC-5``, ``UTC+02:00``, ``+03:00``, ``-0500``, ``EST`` (= UTC-5, no DST, as
  HistData states).
- ``ny+7`` (alias ``mt4``/``mt5``/``ny-close``): the usual MetaTrader server clock, New York time
  plus 7 hours, i.e. UTC+2 in northern winter and UTC+3 in summer, so a day closes at 17:00 New York.
- any IANA name (``Europe/Berlin``, ``America/New_York``), with its DST transitions; ambiguous
  autumn hours take the earlier instant, non-existent spring hours are moved forward.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HOUR = 3_600_000_000_000
_FIXED = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")
_NY7 = {"ny+7", "mt4", "mt5", "ny-close", "ny_close"}


def describe(tz: str) -> str:
    """A plain-words statement of the rule, for the validation report."""
    rule = _parse(tz)
    if rule == 0:
        return "UTC"
    if isinstance(rule, int):
        sign = "+" if rule > 0 else "-"
        m = abs(rule) // 60_000_000_000
        return f"fixed UTC{sign}{m // 60:02d}:{m % 60:02d} (no daylight saving)"
    if rule == "ny+7":
        return "New York time + 7 h (UTC+2 winter / UTC+3 summer, MetaTrader server convention)"
    return f"{rule} (IANA, with daylight saving)"


def _parse(tz: str) -> int | str:
    t = tz.strip()
    low = t.lower()
    if low in ("utc", "z", "gmt", "utc+0", "utc-0", "+00:00", "etc/utc"):
        return 0
    if low == "est":
        return -5 * _HOUR
    if low in _NY7:
        return "ny+7"
    m = _FIXED.match(t.upper())
    if m:
        h, mins = int(m.group(2)), int(m.group(3) or 0)
        if h > 14 or mins >= 60:
            raise ValueError(f"timezone {tz!r}: offset out of range")
        off = (h * 60 + mins) * 60_000_000_000
        return off if m.group(1) == "+" else -off
    if "/" in t:
        return t
    raise ValueError(f"timezone {tz!r} not understood (expected UTC, UTC+2, -05:00, EST, ny+7 or an IANA name)")


def _assume(local_ns: np.ndarray, name: str) -> np.ndarray:
    arr = pa.array(local_ns, pa.timestamp("ns"))
    try:
        out = pc.assume_timezone(arr, name, ambiguous="earliest", nonexistent="latest")
    except pa.ArrowInvalid as e:
        raise ValueError(f"timezone {name!r}: {e}") from None
    return out.cast(pa.int64()).to_numpy(zero_copy_only=False)


def to_utc(local_ns: np.ndarray, tz: str) -> np.ndarray:
    """UTC int64 ns for local wall-clock int64 ns under rule ``tz`` (returns the input if UTC)."""
    rule = _parse(tz)
    if rule == 0:
        return local_ns
    if isinstance(rule, int):
        return local_ns - rule
    if rule == "ny+7":
        return _assume(local_ns - 7 * _HOUR, "America/New_York")
    return _assume(local_ns, rule)
