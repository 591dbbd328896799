"""Text formats: HistData ASCII (M1 bars and ticks), TrueFX ticks, MetaTrader 5 history exports,
and generic CSV with a column mapping.

Timezone rules (each stated in ``meta["timezone"]`` and the validation report):

- HistData: fixed UTC-5 (EST without daylight saving), as HistData documents.
- TrueFX: UTC (both the vendor's ``EUR/USD,20200130 15:28:09.820,bid,ask`` files and the
  ``timestamp,bid,ask`` ISO form).
- MetaTrader 5 export: the broker's server time, which the file does not state: ``tz=`` is
  required (e.g. ``"ny+7"``, the usual UTC+2/+3 clock, or ``"UTC+2"``).
- Generic CSV: an explicit zone offset in the timestamps wins; otherwise ``tz=`` (default UTC,
  reported as assumed).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _tz
from .._csvio import days_from_civil, parse_datetime, read_csv
from ..errors import DataError, FormatError, ParseError
from ..frames import Bars, Ticks, timeframe_ns
from ._common import guess_symbol, read_bytes
from ._registry import register

_HD_M1 = re.compile(rb"^\d{8} \d{6};[-\d.]+;[-\d.]+;[-\d.]+;[-\d.]+;[-\d.]+\s*$")
_HD_TICK = re.compile(rb"^\d{8} \d{9},[-\d.]+,[-\d.]+,[-\d.]+\s*$")
_TFX = re.compile(rb"^[A-Z]{3}/[A-Z]{3},\d{8} \d{2}:\d{2}:\d{2}\.\d{3},[-\d.]+,[-\d.]+\s*$")
_MT5 = re.compile(rb"^<DATE>\t<TIME>\t", re.I)


def _first_line(head: bytes) -> bytes:
    head = head.lstrip(b"\xef\xbb\xbf")
    return head.split(b"\n", 1)[0].rstrip(b"\r")


def sniff(path: Path, head: bytes) -> str | None:
    """Which text format ``head`` (the first bytes) looks like, or None."""
    line = _first_line(head)
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"<DATE>") or _MT5.match(line):
        return "mt5"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") and b"<\x00D\x00A\x00T\x00E\x00>" in head[:32]:
        return "mt5"
    if _HD_M1.match(line) or _HD_TICK.match(line):
        return "histdata"
    if _TFX.match(line) or line.strip().lower() == b"timestamp,bid,ask":
        return "truefx"
    if b"," in line or b";" in line or b"\t" in line:
        cols = [c.strip().strip(b'"').lower() for c in re.split(rb"[,;\t]", line)]
        if _map_columns([c.decode("latin-1") for c in cols], None, strict=False):
            return "csv"
    return None


# ------------------------------------------------------------------------------------ HistData

def read_histdata(path: str | Path, *, symbol: str | None = None, tz: str = "EST") -> Ticks | Bars:
    """HistData ASCII: M1 bars ``YYYYMMDD HHMMSS;O;H;L;C;V`` (bid) or ticks
    ``YYYYMMDD HHMMSSfff,bid,ask,vol``; timestamps fixed UTC-5 (EST, no DST)."""
    p = Path(path)
    data = read_bytes(p)
    line = _first_line(data[:256])
    sym = (symbol or guess_symbol(p.name.replace("DAT_ASCII_", "")) or "").upper()
    meta = {"format": "histdata", "timezone": _tz.describe(tz), "timezone_reason": "HistData states EST without DST"
            if tz == "EST" else "given by the user", "files": [str(p)]}
    if _HD_TICK.match(line):
        names = ["t", "bid", "ask", "volume"]
        t = read_csv(data, p, names=names, types={"t": pa.string(), "bid": pa.float64(), "ask": pa.float64(),
                                                  "volume": pa.float64()})
        local = parse_datetime(t.column("t"), "%Y%m%d %H%M%S%f", p)
        return Ticks(sym, _tz.to_utc(local, tz), t.column("bid").to_numpy(), t.column("ask").to_numpy(),
                     source="histdata", meta=dict(meta, kind="tick"))
    if _HD_M1.match(line):
        names = ["t", "open", "high", "low", "close", "volume"]
        t = read_csv(data, p, names=names, types={"t": pa.string(), **{c: pa.float64() for c in names[1:]}},
                     delimiter=";")
        local = parse_datetime(t.column("t"), "%Y%m%d %H%M%S", p)
        g = lambda c: t.column(c).to_numpy()  # noqa: E731
        vol = g("volume")
        return Bars(sym, "M1", _tz.to_utc(local, tz), g("open"), g("high"), g("low"), g("close"),
                    volume=vol if vol.any() else None, source="histdata", meta=dict(meta, kind="M1", side="bid"))
    raise FormatError(f"first line {line[:60]!r} is not HistData ASCII", path=p, row=1,
                      expected="'YYYYMMDD HHMMSS;O;H;L;C;V' (M1) or 'YYYYMMDD HHMMSSfff,bid,ask,vol' (tick)")


# ------------------------------------------------------------------------------------ TrueFX

def read_truefx(path: str | Path, *, symbol: str | None = None, tz: str = "UTC") -> Ticks:
    """TrueFX ticks: ``EUR/USD,YYYYMMDD HH:MM:SS.fff,bid,ask`` or ``timestamp,bid,ask`` (ISO), UTC."""
    p = Path(path)
    data = read_bytes(p)
    line = _first_line(data[:256])
    meta = {"format": "truefx", "timezone": _tz.describe(tz), "files": [str(p)],
            "timezone_reason": "TrueFX publishes UTC" if tz == "UTC" else "given by the user"}
    if _TFX.match(line):
        names = ["pair", "t", "bid", "ask"]
        t = read_csv(data, p, names=names, types={"pair": pa.string(), "t": pa.string(), "bid": pa.float64(),
                                                  "ask": pa.float64()})
        local = parse_datetime(t.column("t"), "%Y%m%d %H:%M:%S.%f", p)
        sym = symbol or line.split(b",", 1)[0].decode().replace("/", "")
        times = _tz.to_utc(local, tz)
    elif line.strip().lower() == b"timestamp,bid,ask":
        t = read_csv(data, p, names=None, types={"timestamp": pa.string(), "bid": pa.float64(), "ask": pa.float64()})
        times, zone = _iso(t.column("timestamp"), p, 2)
        if not zone:
            times = _tz.to_utc(times, tz)
        sym = symbol or guess_symbol(p.name) or ""
    else:
        raise FormatError(f"first line {line[:60]!r} is not TrueFX", path=p, row=1,
                          expected="'EUR/USD,YYYYMMDD HH:MM:SS.fff,bid,ask' or a 'timestamp,bid,ask' header")
    return Ticks(sym.upper(), times, t.column("bid").to_numpy(), t.column("ask").to_numpy(), source="truefx",
                 meta=dict(meta, kind="tick"))


def _iso(col: pa.ChunkedArray | pa.Array, label: Path, first_line: int,
         column: str = "timestamp") -> tuple[np.ndarray, bool]:
    """ISO-8601 text -> int64 ns; True if the text carried a zone offset (then already UTC)."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if len(col) == 0:
        return np.zeros(0, np.int64), False
    s0 = col[0].as_py().strip()
    zone = bool(re.search(r"(Z|[+-]\d{2}:?\d{2})$", s0)) and len(s0) > 10
    typ = pa.timestamp("ns", "UTC") if zone else pa.timestamp("ns")
    try:
        out = col.cast(typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        lo, hi = 0, len(col)  # bisect to the first row that does not parse
        while hi - lo > 1:
            mid = (lo + hi) // 2
            try:
                col.slice(lo, mid - lo).cast(typ)
                lo = mid
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                hi = mid
        raise ParseError(f"column {column}: cannot read {col[lo].as_py()!r}", path=label, row=first_line + lo,
                         expected="an ISO date/time like 2020-01-30 15:28:09.820"
                         + ("+00:00" if zone else "")) from None
    return out.cast(pa.int64()).to_numpy(zero_copy_only=False), zone


# ------------------------------------------------------------------------------------ MetaTrader 5

def read_mt5(path: str | Path, *, symbol: str | None = None, tz: str | None = None,
             timeframe: str | None = None) -> Ticks | Bars:
    """MetaTrader 5 history export (tab separated, ``<DATE> <TIME> ...``): bars with
    ``<OPEN>..<CLOSE> <TICKVOL> <VOL> <SPREAD>`` (bid side, spread in points) or ticks with
    ``<BID> <ASK> <LAST> <VOLUME> <FLAGS>`` (empty cells = unchanged, carried forward).

    ``tz`` is the broker's server timezone and is required: the file does not say it.
    """
    p = Path(path)
    data = read_bytes(p)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16").encode()
    data = data.lstrip(b"\xef\xbb\xbf")
    if not tz:
        raise DataError("MetaTrader exports are in the broker's server time, which the file does not state",
                        path=p, expected="tz= the server timezone, e.g. 'ny+7' (UTC+2 winter/UTC+3 summer) or 'UTC+2'")
    header = [h.strip("<>").lower() for h in _first_line(data).decode().split("\t")]
    if header[:2] != ["date", "time"]:
        raise FormatError(f"header {header[:4]}", path=p, row=1, expected="<DATE>\\t<TIME>\\t...")
    types: dict[str, pa.DataType] = {h: pa.float64() for h in header}
    types["date"] = types["time"] = pa.string()
    names = header
    t = read_csv(data, p, names=names, types=types, delimiter="\t", skip_rows=1)
    tcol = t.column("time").combine_chunks()
    dt = pc.binary_join_element_wise(t.column("date").combine_chunks(), tcol, " ")
    w = len(tcol[0].as_py()) if len(tcol) else 8
    fmt = "%Y.%m.%d %H:%M:%S.%f" if w == 12 else ("%Y.%m.%d %H:%M:%S" if w == 8 else "%Y.%m.%d %H:%M")
    local = parse_datetime(dt, fmt, p, first_line=2)
    times = _tz.to_utc(local, tz)
    sym = (symbol or guess_symbol(p.name) or "").upper()
    meta: dict[str, Any] = {"format": "mt5", "timezone": _tz.describe(tz),
                            "timezone_reason": "server time given by the user", "files": [str(p)]}
    if "bid" in header:
        bid = _ffill(t.column("bid").combine_chunks())
        ask = _ffill(t.column("ask").combine_chunks())
        ok = ~(np.isnan(bid) | np.isnan(ask))
        start = int(np.argmax(ok)) if ok.any() else len(ok)
        if start:
            meta["leading_rows_without_both_sides"] = start
        vol = t.column("volume").to_numpy(zero_copy_only=False) if "volume" in header else None
        return Ticks(sym, times[start:], bid[start:], ask[start:], None if vol is None else np.nan_to_num(vol[start:]),
                     source="mt5", meta=dict(meta, kind="tick"))
    need = ["open", "high", "low", "close"]
    if any(c not in header for c in need):
        raise FormatError(f"header {header}", path=p, row=1, expected="<OPEN> <HIGH> <LOW> <CLOSE> columns")
    def g(c: str) -> Any:
        return t.column(c).to_numpy(zero_copy_only=False) if c in header else None

    vol = g("vol") if "vol" in header and np.nansum(g("vol")) > 0 else g("tickvol")
    tf = timeframe or infer_timeframe(times)
    return Bars(sym, tf, times, g("open"), g("high"), g("low"), g("close"), volume=vol, spread=g("spread"),
                source="mt5", meta=dict(meta, kind=tf, side="bid"))


def _ffill(a: pa.Array) -> np.ndarray:
    v = a.to_numpy(zero_copy_only=False).astype(np.float64)
    idx = np.where(np.isnan(v), 0, np.arange(v.size))
    np.maximum.accumulate(idx, out=idx)
    out = v[idx]
    if v.size and np.isnan(v[0]):
        first = np.flatnonzero(~np.isnan(v))
        out[: first[0] if first.size else v.size] = np.nan
    return out


def infer_timeframe(times: np.ndarray) -> str:
    """Name of the most common positive spacing of ``times`` (``M15``, ``H1``, ...)."""
    d = np.diff(times)
    d = d[d > 0]
    if d.size == 0:
        return "M1"
    vals, counts = np.unique(d, return_counts=True)
    step = int(vals[np.argmax(counts)])
    for name, ns in sorted(((k, v) for k, v in _CANDIDATE_TF.items()), key=lambda kv: kv[1]):
        if ns == step:
            return name
    return f"S{step // 1_000_000_000}" if step % 60_000_000_000 else f"M{step // 60_000_000_000}"


_CANDIDATE_TF = {k: timeframe_ns(k) for k in ("S1", "M1", "M2", "M3", "M5", "M10", "M15", "M30", "H1", "H2", "H3",
                                               "H4", "H6", "H8", "H12", "D1")}


# ------------------------------------------------------------------------------------ generic CSV

_ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("time", "timestamp", "datetime", "date_time", "gmt time", "local time", "date", "ts", ""),
    "bid": ("bid", "bidprice", "bid_price"), "ask": ("ask", "askprice", "ask_price", "offer"),
    "open": ("open", "o"), "high": ("high", "h"), "low": ("low", "l"), "close": ("close", "c"),
    "volume": ("volume", "vol", "tickvol", "tick_volume", "v"), "spread": ("spread",),
    **{f"{s}_{k}": (f"{s}_{k}", f"{s}{k}") for s in ("bid", "ask") for k in ("open", "high", "low", "close")},
}


def _map_columns(header: list[str], given: dict[str, str] | None, strict: bool = True) -> dict[str, str] | None:
    """Map our names -> the file's column names, from ``given`` or the aliases; None if no fit."""
    low = {h.strip().lower(): h for h in header}
    out: dict[str, str] = {}
    for ours, theirs in (given or {}).items():
        if theirs not in header:
            if strict:
                raise FormatError(f"column {theirs!r} (for {ours}) not in header {header}")
            return None
        out[ours] = theirs
    for ours, aliases in _ALIASES.items():
        if ours not in out:
            for a in aliases:
                if a in low and low[a] not in out.values():
                    out[ours] = low[a]
                    break
    if "time" not in out:
        return None
    if {"bid", "ask"} <= out.keys() or {"open", "high", "low", "close"} <= out.keys() or "bid_close" in out:
        return out
    return None


_AUTO_FORMATS = [(re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2}$"), "%Y.%m.%d %H:%M:%S"),
                 (re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}$"), "%Y.%m.%d %H:%M"),
                 (re.compile(r"^\d{8} \d{6}$"), "%Y%m%d %H%M%S"), (re.compile(r"^\d{8} \d{2}:\d{2}$"), "%Y%m%d %H:%M"),
                 (re.compile(r"^\d{8} \d{9}$"), "%Y%m%d %H%M%S%f")]
#: day and month both before the year (01/02/2020, 1.2.2020, 01-02-2020 10:00:00.5): order read from the data
_DMY = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{4}([ T]|$)")
_DMY_FULL = (r"^\s*(?P<a>\d{1,2})[./-](?P<b>\d{1,2})[./-](?P<y>\d{4})"
             r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?\s*$")
_NUMBER = re.compile(r"^\s*[-+]?\d+(\.\d*)?\s*$")
#: epoch units by magnitude: a value in [low, high) is in that unit (years 1973..5138 for each)
_EPOCH_UNITS = ((1e8, 1e11, 1_000_000_000, "seconds"), (1e11, 1e14, 1_000_000, "milliseconds"),
                (1e14, 1e17, 1_000, "microseconds"), (1e17, 1e20, 1, "nanoseconds"))


def date_order(date_format: str | None) -> tuple[str | None, str | None]:
    """``date_format`` as (order, strptime-like format): ``DMY``/``MDY``/``YMD`` or their spelled forms
    (``dd/mm/yyyy``) give an order; text with ``%`` is a full time format. ValueError otherwise."""
    if not date_format:
        return None, None
    if "%" in date_format:
        return None, date_format
    letters = "".join(dict.fromkeys(c for c in date_format.lower() if c in "dmy"))
    if len(letters) != 3 or any(c not in "dmy/.- " for c in date_format.lower()):
        raise ValueError(f"date format {date_format!r} not understood (expected DMY, MDY, YMD, a form like "
                         "dd/mm/yyyy, or a full format like '%d/%m/%Y %H:%M')")
    return letters.upper(), None


def _parse_time(col: pa.ChunkedArray, fmt: str | None, label: Path, first_line: int, name: str,
                order: str | None = None, notes: dict[str, str] | None = None) -> tuple[np.ndarray, bool]:
    """Time text -> int64 ns (+ True when already UTC): epoch numbers by magnitude, day/month dates by
    ``order`` or by what the data shows, fixed layouts, else ISO. ``notes`` receives how it was read."""
    notes = {} if notes is None else notes
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    s0 = col[0].as_py().strip() if len(col) and col[0].is_valid else ""
    if fmt is None and _NUMBER.match(s0):
        return _epoch(col, label, first_line, name, notes), True
    if fmt is None and _DMY.match(s0):
        return _day_month(col, order, label, first_line, name, notes), False
    if fmt in (None, "iso"):
        for rx, f in _AUTO_FORMATS:
            if fmt is None and rx.match(s0):
                fmt = f
                break
        else:
            return _iso(col, label, first_line, name)
    return parse_datetime(col, fmt, label, column=name, first_line=first_line), False


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _epoch(col: pa.Array, label: Path, first_line: int, name: str, notes: dict[str, str]) -> np.ndarray:
    """Numeric epoch times -> ns; the unit (s, ms, us, ns) read from each value's magnitude, one unit
    for the whole column; a value that fits none, or another unit than row 1's, is a ParseError."""
    text = pc.utf8_trim_whitespace(col.cast(pa.string()))
    ok = pc.fill_null(pc.match_substring_regex(text, r"^[-+]?\d+(\.\d*)?$"), False).to_numpy(zero_copy_only=False)
    if not ok.all():
        i = _first_bad(~ok)
        raise ParseError(f"column {name}: cannot read {col[i].as_py()!r}", path=label, row=first_line + i,
                         expected="a number of seconds, milliseconds, microseconds or nanoseconds since 1970 "
                                  "(as in the rows above)")
    v = text.cast(pa.float64()).to_numpy(zero_copy_only=False)
    unit = np.searchsorted([u[0] for u in _EPOCH_UNITS] + [_EPOCH_UNITS[-1][1]], v, "right") - 1
    bad = (unit < 0) | (unit >= len(_EPOCH_UNITS))
    if bad.any():
        i = _first_bad(bad)
        raise ParseError(f"column {name}: {col[i].as_py()!r} is no epoch time in seconds, milliseconds, microseconds "
                         "or nanoseconds", path=label, row=first_line + i,
                         expected="unix time with 10 (s), 13 (ms), 16 (us) or 19 (ns) digits, years 1973..5138; "
                                  "for other layouts give time_format / --date-format")
    if (unit != unit[0]).any():
        i = _first_bad(unit != unit[0])
        raise ParseError(f"column {name}: {col[i].as_py()!r} is in {_EPOCH_UNITS[unit[i]][3]} but row "
                         f"{first_line} ({col[0].as_py()!r}) is in {_EPOCH_UNITS[unit[0]][3]}",
                         path=label, row=first_line + i, expected="one time unit in the whole column")
    mult = _EPOCH_UNITS[int(unit[0])][2]
    if pc.all(pc.match_substring_regex(text, r"^[-+]?\d+$")).as_py():
        ns = text.cast(pa.int64()).to_numpy(zero_copy_only=False) * mult  # exact for integer ns
    else:
        ns = np.rint(v * mult).astype(np.int64)
    notes["time_unit"] = f"unix {_EPOCH_UNITS[int(unit[0])][3]} (recognised by magnitude)"
    return ns


def _day_month(col: pa.Array, order: str | None, label: Path, first_line: int, name: str,
               notes: dict[str, str]) -> np.ndarray:
    """``dd/mm/yyyy``-like dates -> wall-clock ns. ``order`` DMY or MDY as the user stated; otherwise
    inferred only if some row has a first (day) or second (month... day) field above 12, and refused
    when every row is ambiguous or the rows contradict each other."""
    parts = pc.extract_regex(col.cast(pa.string()), _DMY_FULL)
    valid = parts.is_valid().to_numpy(zero_copy_only=False)
    if not valid.all():
        i = _first_bad(~valid)
        raise ParseError(f"column {name}: cannot read {col[i].as_py()!r}", path=label, row=first_line + i,
                         expected=f"a date like the row above ({col[0].as_py()!r})")

    def field(k: str) -> np.ndarray:
        a = pc.struct_field(parts, k)
        a = pc.if_else(pc.equal(a, ""), "0", a)
        return a.cast(pa.int64()).to_numpy(zero_copy_only=False)

    a, b, y = field("a"), field("b"), field("y")
    if order is None:
        over_a, over_b = a > 12, b > 12
        if over_a.any() and over_b.any():
            i, j = _first_bad(over_a), _first_bad(over_b)
            raise ParseError(f"column {name}: row {first_line + i} ({col[i].as_py()!r}) reads day first, row "
                             f"{first_line + j} ({col[j].as_py()!r}) month first", path=label,
                             row=first_line + max(i, j), expected="one date order in the whole column")
        if not (over_a.any() or over_b.any()):
            raise ParseError(f"column {name}: dates like {col[0].as_py()!r} could be day/month or month/day, and "
                             "no row has a day above 12 to tell", path=label, row=first_line,
                             expected="the order stated: date_format='DMY' or 'MDY' (--date-format DMY: "
                                      f"{col[0].as_py()!r} is day {a[0]}, month {b[0]})")
        order = "DMY" if over_a.any() else "MDY"
        i = _first_bad(over_a if order == "DMY" else over_b)
        notes["date_order"] = (f"{'day/month' if order == 'DMY' else 'month/day'}/year, inferred from row "
                               f"{first_line + i} ({col[i].as_py()!r})")
    elif order in ("DMY", "MDY"):
        notes["date_order"] = f"{'day/month' if order == 'DMY' else 'month/day'}/year, as stated (date_format)"
    else:
        raise ParseError(f"column {name}: dates like {col[0].as_py()!r} put the year last, date_format is {order}",
                         path=label, row=first_line, expected="date_format DMY or MDY")
    d, m = (a, b) if order == "DMY" else (b, a)
    mlen = days_from_civil(np.where(m == 12, y + 1, y), np.where(m == 12, 1, m + 1), np.ones_like(m)) - \
        days_from_civil(y, np.clip(m, 1, 12), np.ones_like(m))
    hh, mi, ss, f = field("H"), field("M"), field("S"), pc.struct_field(parts, "f")
    bad = (m < 1) | (m > 12) | (d < 1) | (d > mlen) | (hh > 23) | (mi > 59) | (ss > 60)
    if bad.any():
        i = _first_bad(bad)
        raise ParseError(f"column {name}: {col[i].as_py()!r} is no valid date/time read as "
                         f"{'day/month' if order == 'DMY' else 'month/day'}/year", path=label, row=first_line + i,
                         expected="a real calendar date and time")
    frac = pc.utf8_rpad(f, 9, "0").cast(pa.string())
    frac = pc.if_else(pc.equal(f, ""), "0", frac).cast(pa.int64()).to_numpy(zero_copy_only=False)
    days = days_from_civil(y, m, d)
    return ((days * 24 + hh) * 60 + mi) * 60_000_000_000 + ss * 1_000_000_000 + frac


def read_csv_generic(path: str | Path, *, symbol: str | None = None, columns: dict[str, str] | None = None,
                     time_format: str | None = None, tz: str | None = None, side: str | None = None,
                     timeframe: str | None = None, delimiter: str | None = None,
                     date_format: str | None = None) -> Ticks | Bars:
    """Any CSV with a header: ``columns`` maps our names (time, bid, ask, open, high, low, close,
    volume, spread, bid_open.., ask_close) to the file's; common names are found by themselves.

    Ticks if bid and ask columns exist, else bars (one side: ``side`` 'bid' or 'ask', guessed from
    the file name, default bid). ``time_format``: strptime-like (``%d.%m.%Y %H:%M:%S.%f``), ``iso``,
    or None to detect (also unix s/ms/us/ns by magnitude). ``date_format``: ``DMY`` or ``MDY`` for
    dates like 01/02/2020, which are refused when no row shows the order (a day above 12).
    ``tz``: zone of times without an offset; if not given they are taken as UTC and the frame says so
    (``meta["tz_assumed"]``, the report's ``timezone_assumed``).
    """
    p = Path(path)
    try:
        order, full = date_order(date_format)
    except ValueError as e:
        raise DataError(str(e), path=p) from None
    if full and time_format and full != time_format:
        raise DataError(f"date_format {date_format!r} and time_format {time_format!r} disagree", path=p,
                        expected="one of them")
    time_format = time_format or full
    data = read_bytes(p)
    line = _first_line(data[:4096]).decode("utf-8", "replace")
    delim = delimiter or max([",", ";", "\t", "|"], key=line.count)
    header = [h.strip().strip('"') for h in line.split(delim)]
    mapping = _map_columns(header, columns)
    if mapping is None:
        raise FormatError(f"header {header} has no time column with bid/ask or OHLC", path=p, row=1,
                          expected="a header with time and bid,ask or open,high,low,close (or columns=...)")
    names = [h if h else f"column_{i}" for i, h in enumerate(header)]
    mapping = {k: names[header.index(v)] for k, v in mapping.items()}
    types: dict[str, pa.DataType] = {v: pa.float64() for k, v in mapping.items() if k != "time"}
    types[mapping["time"]] = pa.string()
    t = read_csv(data, p, names=names, types=types, delimiter=delim, skip_rows=1,
                 include=list(dict.fromkeys(mapping.values())))
    tcol = t.column(mapping["time"])
    if len(tcol) and tcol.null_count:
        i = int(np.flatnonzero(~tcol.is_valid().to_numpy(zero_copy_only=False))[0])
        raise ParseError(f"column {mapping['time']}: empty", path=p, row=2 + i, expected="a date/time")
    notes: dict[str, str] = {}
    local, has_zone = _parse_time(tcol, time_format, p, 2, mapping["time"], order, notes)
    rule = tz or "UTC"
    times = local if has_zone else _tz.to_utc(local, rule)
    if has_zone and tz:
        notes["tz_ignored"] = f"tz={tz!r} not applied: the times state their zone"
    reason = ("unix time, UTC by definition" if "time_unit" in notes else "offset given in the timestamps"
              if has_zone else "given by the user" if tz else
              "not stated in the file; assumed UTC (pass tz=)")
    meta: dict[str, Any] = {"format": "csv", "timezone": "UTC" if has_zone else _tz.describe(rule),
                            "timezone_reason": reason, "tz_assumed": not has_zone and not tz,
                            "files": [str(p)], "columns": mapping, **notes}
    sym = (symbol or guess_symbol(p.name) or "").upper()
    def g(k: str) -> Any:
        return t.column(mapping[k]).to_numpy(zero_copy_only=False) if k in mapping else None

    if "bid" in mapping and "ask" in mapping and "open" not in mapping:
        return Ticks(sym, times, g("bid"), g("ask"), source="csv", meta=dict(meta, kind="tick"))
    tf = timeframe or infer_timeframe(times)
    if "bid_close" in mapping:
        asks = {f"ask_{k}": g(f"ask_{k}") for k in ("open", "high", "low", "close")} if "ask_close" in mapping else {}
        return Bars(sym, tf, times, g("bid_open"), g("bid_high"), g("bid_low"), g("bid_close"), **asks,
                    volume=g("volume"), spread=g("spread"), source="csv", meta=dict(meta, kind=tf))
    sd = side or ("ask" if re.search(r"(^|[^a-z])ask([^a-z]|$)", p.name.lower()) else "bid")
    if sd not in ("bid", "ask"):
        raise DataError(f"side {sd!r}", path=p, expected="'bid' or 'ask'")
    return Bars(sym, tf, times, g("open"), g("high"), g("low"), g("close"), volume=g("volume"), spread=g("spread"),
                source="csv", meta=dict(meta, kind=tf, side=sd))


register("histdata", read_histdata)
register("truefx", read_truefx)
register("mt5", read_mt5)
register("csv", read_csv_generic)
