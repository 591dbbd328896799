"""LEAN / QuantConnect zip files (``Data/forex/<vendor>/<resolution>/...``).

Formats (one CSV inside each zip, no header):

- hour / daily: ``<symbol>.zip`` holding ``YYYYMMDD HH:MM,bidO,bidH,bidL,bidC,bidSize,askO,askH,askL,askC,askSize``;
  bars are labelled by their start.
- minute / second: one zip per day ``YYYYMMDD_quote.zip``; the first column is milliseconds since
  midnight of that day.
- tick: one zip per day; ``ms,bid,ask[,bidSize,askSize]`` (ms may have decimals).

Timezone rule: LEAN stores each vendor in its own data zone. Oanda is UTC; FXCM is fixed UTC-5
(no daylight saving). The vendor is taken from the path (``.../oanda/...``, ``.../fxcm/...``);
otherwise UTC is assumed and said so. Pass ``tz=`` to override.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .. import _tz
from .._csvio import days_from_civil, parse_datetime, read_csv
from ..errors import FormatError, ParseError
from ..frames import Bars, Ticks, concat
from ._common import guess_symbol, zip_members

_VENDOR_TZ = {"oanda": "UTC", "fxcm": "UTC-5"}
_DAY = re.compile(r"^(\d{8})_([a-z0-9]+)_(tick|second|minute)_(quote|trade)\.csv$", re.I)
_MS_DAY = 86_400_000_000_000


def vendor_tz(path: Path) -> tuple[str, str]:
    """(timezone rule, reason) for a LEAN path from its vendor folder."""
    for part in reversed(path.resolve().parts):
        if part.lower() in _VENDOR_TZ:
            return _VENDOR_TZ[part.lower()], f"LEAN {part.lower()} data zone"
    return "UTC", "LEAN vendor not recognised from the path; assumed UTC"


def sniff(path: Path, head: bytes) -> bool:
    """A zip whose single member looks like a LEAN CSV."""
    return path.suffix.lower() == ".zip" and head[:2] == b"PK"


def read_lean(path: str | Path, *, symbol: str | None = None, tz: str | None = None) -> Ticks | Bars:
    """Read one LEAN zip or a folder of daily LEAN zips (concatenated in date order)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.zip"))
        if not files:
            raise FormatError("folder holds no LEAN .zip files", path=p, expected="YYYYMMDD_quote.zip files")
        parts = [read_lean(f, symbol=symbol, tz=tz) for f in files]
        out = concat(parts)
        meta = dict(parts[0].meta)
        meta["files"] = [str(f) for f in files]
        return _with_meta(out, meta)
    tzrule, why = (tz, "given by the user") if tz else vendor_tz(p)
    members = zip_members(p)
    csvs = {k: v for k, v in members.items() if k.lower().endswith(".csv")}
    if len(csvs) != 1:
        raise FormatError(f"zip holds {len(csvs)} CSV files", path=p, expected="exactly one LEAN CSV")
    (name, data), = csvs.items()
    label = f"{p}!{name}"
    sym = (symbol or guess_symbol(name, p.parent.name, p.name) or "").upper()
    meta = {"format": "lean", "timezone": _tz.describe(tzrule), "timezone_reason": why, "files": [str(p)],
            "tz_assumed": "assumed" in why}
    m = _DAY.match(Path(name).name)
    if m:
        day_ns = _day_ns(m.group(1), label)
        res = m.group(3).lower()
        if m.group(4).lower() != "quote":
            raise FormatError("LEAN trade files are not FX quotes", path=label, expected="*_quote.csv")
        if res == "tick":
            return _ticks(data, label, sym, day_ns, tzrule, meta)
        return _bars_ms(data, label, sym, day_ns, tzrule, "M1" if res == "minute" else "S1", meta)
    return _bars_dated(data, label, sym, tzrule, p, meta)


def _with_meta(frame, meta):
    frame.meta.clear()
    frame.meta.update(meta)
    return frame


def _day_ns(yyyymmdd: str, label: str) -> int:
    y, m, d = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    if not (1 <= m <= 12 and 1 <= d <= 31):
        raise ParseError(f"bad date {yyyymmdd!r} in the file name", path=label, expected="YYYYMMDD")
    return int(days_from_civil(np.array([y]), np.array([m]), np.array([d]))[0]) * _MS_DAY


def _ncols(data: bytes) -> int:
    first = data.split(b"\n", 1)[0]
    return first.count(b",") + 1


def _ticks(data: bytes, label: str, sym: str, day_ns: int, tzrule: str, meta: dict) -> Ticks:
    n = _ncols(data) if data.strip() else 3
    if n not in (3, 5):
        raise ParseError(f"found {n} columns", path=label, row=1, expected="3 (ms,bid,ask) or 5 columns")
    names = ["ms", "bid", "ask", "bid_volume", "ask_volume"][:n]
    t = read_csv(data, label, names=names, types={c: pa.float64() for c in names})
    ms = t.column("ms").to_numpy()
    local = day_ns + np.rint(ms * 1e6).astype(np.int64)
    vol = {c: t.column(c).to_numpy() for c in names[3:]}
    return Ticks(sym, _tz.to_utc(local, tzrule), t.column("bid").to_numpy(), t.column("ask").to_numpy(),
                 vol.get("bid_volume"), vol.get("ask_volume"), "lean", dict(meta, kind="tick"))


_BAR_NAMES = ["t", "bid_open", "bid_high", "bid_low", "bid_close", "bid_size",
              "ask_open", "ask_high", "ask_low", "ask_close", "ask_size"]


def _bar_table(data: bytes, label: str, time_type: pa.DataType) -> tuple[pa.Table, bool]:
    n = _ncols(data)
    if n == 11:
        names = _BAR_NAMES
    elif n in (5, 6):
        names = ["t", "bid_open", "bid_high", "bid_low", "bid_close", "bid_size"][:n]
    else:
        raise ParseError(f"found {n} columns", path=label, row=1,
                         expected="11 columns (time, bid OHLC, size, ask OHLC, size) or 5-6 (time, OHLC[, volume])")
    types = {c: pa.float64() for c in names[1:]}
    types["t"] = time_type
    return read_csv(data, label, names=names, types=types), n == 11


def _make_bars(t: pa.Table, two: bool, sym: str, tf: str, time_ns: np.ndarray, meta: dict) -> Bars:
    def g(c: str) -> Any:
        return t.column(c).to_numpy() if c in t.column_names else None

    asks = {f"ask_{k}": g(f"ask_{k}") for k in ("open", "high", "low", "close")} if two else {}
    return Bars(sym, tf, time_ns, g("bid_open"), g("bid_high"), g("bid_low"), g("bid_close"), **asks,
                source="lean", meta=meta)


def _bars_ms(data: bytes, label: str, sym: str, day_ns: int, tzrule: str, tf: str, meta: dict) -> Bars:
    t, two = _bar_table(data, label, pa.int64())
    local = day_ns + t.column("t").to_numpy() * 1_000_000
    return _make_bars(t, two, sym, tf, _tz.to_utc(local, tzrule), dict(meta, kind=tf))


def _bars_dated(data: bytes, label: str, sym: str, tzrule: str, p: Path, meta: dict) -> Bars:
    t, two = _bar_table(data, label, pa.string())
    local = parse_datetime(t.column("t"), "%Y%m%d %H:%M", label)
    folder = {part.lower() for part in p.parts}
    if "daily" in folder:
        tf = "D1"
    elif "hour" in folder:
        tf = "H1"
    else:
        step = np.diff(local)
        tf = "D1" if local.size and not (local % _MS_DAY).any() and (step.size == 0 or step.min() >= _MS_DAY) else "H1"
    return _make_bars(t, two, sym, tf, _tz.to_utc(local, tzrule), dict(meta, kind=tf))
