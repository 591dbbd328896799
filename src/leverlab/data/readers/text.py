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
from .._csvio import parse_datetime, read_csv
from ..errors import DataError, FormatError, ParseError
from ..frames import Bars, Ticks, timeframe_ns
from ._registry import register
from ._common import guess_symbol, read_bytes

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


def _iso(col: pa.ChunkedArray | pa.Array, label: Path, first_line: int, column: str = "timestamp") -> tuple[np.ndarray, bool]:
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
                         expected="an ISO date/time like 2020-01-30 15:28:09.820" + ("+00:00" if zone else "")) from None
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
    meta = {"format": "mt5", "timezone": _tz.describe(tz), "timezone_reason": "server time given by the user",
            "files": [str(p)]}
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
    g = lambda c: t.column(c).to_numpy(zero_copy_only=False) if c in header else None  # noqa: E731
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


_AUTO_FORMATS = [(re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}\.\d{3}$"), "%d.%m.%Y %H:%M:%S.%f"),
                 (re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$"), "%d.%m.%Y %H:%M:%S"),
                 (re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2}$"), "%Y.%m.%d %H:%M:%S"),
                 (re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}$"), "%Y.%m.%d %H:%M"),
                 (re.compile(r"^\d{8} \d{6}$"), "%Y%m%d %H%M%S"), (re.compile(r"^\d{8} \d{2}:\d{2}$"), "%Y%m%d %H:%M"),
                 (re.compile(r"^\d{8} \d{9}$"), "%Y%m%d %H%M%S%f"),
                 (re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$"), "%m/%d/%Y %H:%M")]


def _parse_time(col: pa.ChunkedArray, fmt: str | None, label: Path, first_line: int, name: str) -> tuple[np.ndarray, bool]:
    if pa.types.is_string(col.type) and len(col) and col[0].as_py().strip().replace(".", "", 1).isdigit():
        col = col.cast(pa.float64())
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        v = col.to_numpy().astype(np.float64)
        mag = np.nanmax(np.abs(v)) if v.size else 0
        mult = 1e9 if mag < 1e11 else 1e6 if mag < 1e14 else 1e3 if mag < 1e17 else 1.0
        return np.rint(v * mult).astype(np.int64), True
    col = col.combine_chunks()
    if fmt in (None, "iso"):
        s0 = col[0].as_py().strip() if len(col) else ""
        for rx, f in _AUTO_FORMATS:
            if fmt is None and rx.match(s0):
                fmt = f
                break
        else:
            return _iso(col, label, first_line, name)
    return parse_datetime(col, fmt, label, column=name, first_line=first_line), False


def read_csv_generic(path: str | Path, *, symbol: str | None = None, columns: dict[str, str] | None = None,
                     time_format: str | None = None, tz: str | None = None, side: str | None = None,
                     timeframe: str | None = None, delimiter: str | None = None) -> Ticks | Bars:
    """Any CSV with a header: ``columns`` maps our names (time, bid, ask, open, high, low, close,
    volume, spread, bid_open.., ask_close) to the file's; common names are found by themselves.

    Ticks if bid and ask columns exist, else bars (one side: ``side`` 'bid' or 'ask', guessed from
    the file name, default bid). ``time_format``: strptime-like (``%d.%m.%Y %H:%M:%S.%f``), ``iso``,
    or None to detect (also unix seconds/ms/ns). ``tz``: zone of times without an offset (UTC).
    """
    p = Path(path)
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
    local, has_zone = _parse_time(tcol, time_format, p, 2, mapping["time"])
    rule = tz or "UTC"
    times = local if has_zone else _tz.to_utc(local, rule)
    reason = ("offset given in the timestamps" if has_zone else "given by the user" if tz else
              "not stated in the file; assumed UTC (pass tz=)")
    meta: dict[str, Any] = {"format": "csv", "timezone": "UTC" if has_zone else _tz.describe(rule),
                            "timezone_reason": reason, "files": [str(p)], "columns": mapping}
    sym = (symbol or guess_symbol(p.name) or "").upper()
    g = lambda k: t.column(mapping[k]).to_numpy(zero_copy_only=False) if k in mapping else None  # noqa: E731
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
