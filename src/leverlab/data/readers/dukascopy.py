"""Dukascopy ``.bi5`` files: LZMA-compressed arrays of big-endian records, UTC.

- ticks ``SYMBOL/YYYY/MM/DD/HHh_ticks.bi5``: records ``>IIIff`` = ms from the hour, ask, bid
  (integer points), ask volume, bid volume (millions).
- candles ``{BID,ASK}_candles_{min,hour,day}_1.bi5`` in the day, month or year folder: records
  ``>IIIIIf`` = seconds from the folder's start, open, close, low, high (points), volume.

Month folders are 0-based (``00`` = January). A point is 1e-5, or 1e-3 for JPY pairs and metals;
pass ``point=`` for other instruments. An empty file means no ticks in that hour.
"""

from __future__ import annotations

import lzma
import re
from pathlib import Path

import numpy as np

from .._csvio import days_from_civil
from ..errors import CorruptFileError, FormatError
from ..frames import Bars, Ticks, concat
from ._common import read_bytes
from ._registry import register

_TICK = np.dtype([("ms", ">u4"), ("ask", ">u4"), ("bid", ">u4"), ("ask_volume", ">f4"), ("bid_volume", ">f4")])
_CANDLE = np.dtype([("s", ">u4"), ("open", ">u4"), ("close", ">u4"), ("low", ">u4"), ("high", ">u4"),
                    ("volume", ">f4")])
_TICK_NAME = re.compile(r"^(\d{2})h_ticks\.bi5$", re.I)
_CANDLE_NAME = re.compile(r"^(BID|ASK)_candles_(min|hour|day)_1\.bi5$", re.I)
_H = 3_600_000_000_000


def default_point(symbol: str) -> float:
    """Dukascopy's price unit for a symbol: 1e-3 for JPY quotes and metals, else 1e-5."""
    s = symbol.upper()
    return 1e-3 if s.endswith("JPY") or s[:3] in ("XAU", "XAG", "XPT", "XPD") else 1e-5


def _decompress(p: Path, record: int) -> bytes:
    raw = read_bytes(p)
    if not raw:
        return b""
    try:
        data = lzma.decompress(raw)
    except lzma.LZMAError as e:
        raise CorruptFileError(f"not LZMA data ({e}; first bytes {raw[:6].hex()})", path=p, offset=0,
                               expected="an LZMA-compressed .bi5 stream") from None
    if len(data) % record:
        raise CorruptFileError(f"decompressed size {len(data)} is not a multiple of {record}", path=p,
                               offset=len(data) - len(data) % record,
                               expected=f"whole {record}-byte records (truncated download?)")
    return data


def _parts(p: Path) -> tuple[str, list[int]]:
    """Symbol and [year, month(1-based), day, hour] parsed from the folder names above ``p``."""
    nums: list[int] = []
    sym = ""
    for part in reversed(p.parent.parts):
        if part.isdigit() and len(nums) < 3:
            nums.insert(0, int(part))
        else:
            sym = part
            break
    if not nums or len(str(nums[0])) != 4:
        raise FormatError("cannot find the YYYY[/MM[/DD]] folders above the file", path=p,
                          expected="SYMBOL/YYYY/MM/DD/HHh_ticks.bi5 (months 0-based)")
    if len(nums) >= 2:
        nums[1] += 1  # 0-based month folders
    return sym.upper(), nums


def _epoch(y: int, m: int = 1, d: int = 1) -> int:
    return int(days_from_civil(np.array([y]), np.array([m]), np.array([d]))[0]) * 24 * _H


def _read_ticks_file(p: Path, symbol: str | None, point: float | None) -> Ticks:
    m = _TICK_NAME.match(p.name)
    sym, nums = _parts(p)
    if m is None or len(nums) != 3:
        raise FormatError("not a Dukascopy tick file", path=p, expected="SYMBOL/YYYY/MM/DD/HHh_ticks.bi5")
    sym = (symbol or sym).upper()
    base = _epoch(*nums) + int(m.group(1)) * _H
    rec = np.frombuffer(_decompress(p, _TICK.itemsize), _TICK)
    pt = point or default_point(sym)
    return Ticks(sym, base + rec["ms"].astype(np.int64) * 1_000_000, rec["bid"] * pt, rec["ask"] * pt,
                 rec["bid_volume"].astype(np.float64), rec["ask_volume"].astype(np.float64), "dukascopy",
                 {"format": "dukascopy", "timezone": "UTC", "timezone_reason": "Dukascopy publishes UTC",
                  "files": [str(p)], "kind": "tick", "point": pt})


def _read_candles_file(p: Path, symbol: str | None, point: float | None) -> Bars:
    m = _CANDLE_NAME.match(p.name)
    sym, nums = _parts(p)
    if m is None:
        raise FormatError("not a Dukascopy candle file", path=p, expected="{BID,ASK}_candles_{min,hour,day}_1.bi5")
    res = m.group(2).lower()
    want = {"min": 3, "hour": 2, "day": 1}[res]
    if len(nums) != want:
        raise FormatError(f"{res} candles must sit in a {'YYYY/MM/DD'[:3 * want + want - 1]} folder", path=p)
    sym = (symbol or sym).upper()
    base = _epoch(*nums)
    rec = np.frombuffer(_decompress(p, _CANDLE.itemsize), _CANDLE)
    pt = point or default_point(sym)
    side = m.group(1).lower()
    tf = {"min": "M1", "hour": "H1", "day": "D1"}[res]
    return Bars(sym, tf, base + rec["s"].astype(np.int64) * 1_000_000_000, rec["open"] * pt, rec["high"] * pt,
                rec["low"] * pt, rec["close"] * pt, volume=rec["volume"].astype(np.float64), source="dukascopy",
                meta={"format": "dukascopy", "timezone": "UTC", "timezone_reason": "Dukascopy publishes UTC",
                      "files": [str(p)], "kind": tf, "side": side, "point": pt})


def read_dukascopy(path: str | Path, *, symbol: str | None = None, point: float | None = None,
                   candles: str | None = None) -> Ticks | Bars:
    """Read one ``.bi5`` file, or a folder tree: all tick files in time order (or, with
    ``candles="min"|"hour"|"day"`` or when there are no tick files, the candle files)."""
    p = Path(path)
    if not p.is_dir():
        return _read_ticks_file(p, symbol, point) if _TICK_NAME.match(p.name) else _read_candles_file(p, symbol, point)
    ticks = [] if candles else sorted(f for f in p.rglob("*.bi5") if _TICK_NAME.match(f.name))
    if ticks:
        parts = [_read_ticks_file(f, symbol, point) for f in ticks]
        order = np.argsort([x.time[0] if len(x) else _parts(f)[1][0] for x, f in zip(parts, ticks)], kind="stable")
        out = concat([parts[i] for i in order])
        out.meta["files"] = [str(ticks[i]) for i in order]
        return out
    for res in ([candles] if candles else ["min", "hour", "day"]):
        files = sorted(f for f in p.rglob("*.bi5") if (m := _CANDLE_NAME.match(f.name)) and m.group(2).lower() == res)
        if files:
            candles_read = [_read_candles_file(f, symbol, point) for f in files]
            out = concat(sorted(candles_read, key=lambda b: b.time[0] if len(b) else 0))
            out.meta["files"] = [str(f) for f in files]
            return out
    raise FormatError("folder holds no Dukascopy .bi5 files", path=p, expected="HHh_ticks.bi5 or *_candles_*.bi5")


register("dukascopy", read_dukascopy)
