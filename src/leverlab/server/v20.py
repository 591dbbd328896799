"""v20 wire formats: times in both of OANDA's formats, money and price strings, errors.

>>> rfc3339(1_795_462_827_358_394_259)
'2026-11-23T19:40:27.358394259Z'
>>> unix(1_795_462_827_358_394_259)
'1795462827.358394259'
>>> parse_time('2026-11-23T19:40:27.358394259Z') == parse_time('1795462827.358394259') == 1_795_462_827_358_394_259
True
>>> money(Decimal('-1.5'))
'-1.5000'
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

_RFC = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")
_UNIX = re.compile(r"^\d{1,12}(?:\.\d{1,9})?$")


class V20Error(Exception):
    """A request v20 answers with an error: HTTP ``status``, ``errorCode`` (may be empty), ``errorMessage``,
    and extra body fields (a ``*_REJECT`` transaction...)."""

    def __init__(self, status: int, message: str, code: str = "", **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        if self.code:
            out["errorCode"] = self.code
        out["errorMessage"] = self.message
        return out


def rfc3339(ns: int) -> str:
    """RFC 3339 UTC with nanoseconds, as v20 writes times."""
    sec, frac = divmod(int(ns), 10**9)
    return datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def unix(ns: int) -> str:
    """UNIX seconds with nine decimals, v20's other time format."""
    sec, frac = divmod(int(ns), 10**9)
    return f"{sec}.{frac:09d}"


def parse_time(text: str) -> int:
    """UTC ns of an RFC 3339 or UNIX time string; ValueError naming what was found otherwise."""
    s = str(text).strip()
    if _UNIX.match(s):
        whole, _, frac = s.partition(".")
        return int(whole) * 10**9 + int((frac + "000000000")[:9])
    m = _RFC.match(s)
    if not m:
        raise ValueError(f"time {text!r}: expected RFC 3339 (2026-01-02T15:04:05.000000000Z) or UNIX seconds")
    y, mo, d, h, mi, se, frac, tz = m.groups()
    dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(se), tzinfo=timezone.utc)
    ns = int(dt.timestamp()) * 10**9 + int(((frac or "") + "000000000")[:9])
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        ns -= sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60) * 10**9
    return ns


def time_field(raw: Any, field: str) -> int:
    """UTC ns of a time a request sends in ``field`` (RFC 3339 or UNIX); V20Error 400 naming the field otherwise.

    >>> time_field("1520244000", "from")
    1520244000000000000
    >>> time_field("yesterday", "from")
    Traceback (most recent call last):
    ...
    leverlab.server.v20.V20Error: Invalid value specified for 'from': time 'yesterday': expected RFC 3339 \
(2026-01-02T15:04:05.000000000Z) or UNIX seconds
    """
    try:
        return parse_time(str(raw))
    except ValueError as exc:
        raise V20Error(400, f"Invalid value specified for '{field}': {exc}", "INVALID_VALUE") from None


def to_unix_times(obj: Any) -> Any:
    """``obj`` with every time field (``time`` or a name ending in ``Time``) rewritten from RFC 3339 to UNIX."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(v, str) and (k == "time" or k.endswith("Time")) and v.endswith("Z"):
                out[k] = unix(parse_time(v))
            else:
                out[k] = to_unix_times(v)
        return out
    if isinstance(obj, list):
        return [to_unix_times(v) for v in obj]
    return obj


def money(x: Decimal | float | int) -> str:
    """An amount of the home currency as v20 writes it (four decimals)."""
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x))) if isinstance(x, float) else Decimal(x)
    return str(d.quantize(Decimal("0.0001")))


def price(x: float, digits: int) -> str:
    """A price with the instrument's display precision."""
    return f"{x:.{digits}f}"


def units(x: Decimal | int | float, digits: int = 0) -> str:
    """Units (signed) with the instrument's units precision."""
    d = x if isinstance(x, Decimal) else Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    return str(d.quantize(Decimal(1).scaleb(-digits)))


def decimal(text: Any, field: str) -> Decimal:
    """A decimal number sent as a string (or a JSON number); V20Error 400 naming the field otherwise."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise V20Error(400, f"Invalid value specified for '{field}': expected a decimal number as a string, "
                            f"got {text!r}", "INVALID_VALUE")
    if isinstance(text, str) and not text.isascii():  # Decimal() also takes Unicode digits such as "١٢"
        raise V20Error(400, f"Invalid value specified for '{field}': {text!r} is not a decimal number "
                            f"(ASCII digits expected)", "INVALID_VALUE")
    try:
        d = Decimal(str(text).strip())
    except InvalidOperation:
        raise V20Error(400, f"Invalid value specified for '{field}': {text!r} is not a decimal number",
                       "INVALID_VALUE") from None
    if not d.is_finite():
        raise V20Error(400, f"Invalid value specified for '{field}': {text!r} is not finite", "INVALID_VALUE")
    return d
