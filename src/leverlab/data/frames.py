"""leverlab's one representation of market data: columnar ticks and bars in UTC nanoseconds.

Arrays are contiguous NumPy arrays (int64 times, float64 prices) so the compiled engine reads
them without copies. Bars carry bid and ask OHLC; single-sided sources (a MetaTrader export, a
one-sided CSV) keep ``ask_*`` as ``None`` and may carry ``spread`` in points, and the engine then
builds the ask side from that spread or from the account type's spread model.

``meta`` holds what a reader learned on the way (timezone rule applied, files read, the
validation report as a dict under ``"report"``); it never affects equality.

>>> import numpy as np
>>> t = Ticks("EURUSD", np.array([0, 1_000_000], dtype=np.int64), np.array([1.1, 1.2]), np.array([1.2, 1.3]))
>>> len(t), t.kind, t.to_arrow().num_columns
(2, 'ticks', 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Self, overload

import numpy as np
import pyarrow as pa

TIMEFRAMES: dict[str, int] = {  # nanoseconds per bar
    "S1": 1_000_000_000, "M1": 60_000_000_000, "M5": 300_000_000_000, "M15": 900_000_000_000,
    "M30": 1_800_000_000_000, "H1": 3_600_000_000_000, "H4": 14_400_000_000_000, "D1": 86_400_000_000_000,
}

_UNITS = {"S": 1_000_000_000, "M": 60_000_000_000, "H": 3_600_000_000_000, "D": 86_400_000_000_000}

TICK_COLUMNS = ("time", "bid", "ask", "bid_volume", "ask_volume")
BAR_COLUMNS = ("time", "bid_open", "bid_high", "bid_low", "bid_close", "ask_open", "ask_high",
               "ask_low", "ask_close", "volume", "spread")


def timeframe_ns(timeframe: str) -> int:
    """Nanoseconds in a timeframe: ``M1``, ``M15``, ``H4``, ``D1``, ``S30``... (any multiple).

    >>> timeframe_ns("M15") == 15 * 60 * 10**9
    True
    """
    tf = timeframe.strip().upper()
    if tf in TIMEFRAMES:
        return TIMEFRAMES[tf]
    if len(tf) >= 2 and tf[0] in _UNITS and tf[1:].isdigit() and int(tf[1:]) > 0:
        return _UNITS[tf[0]] * int(tf[1:])
    raise ValueError(f"timeframe {timeframe!r} not understood (expected S<n>, M<n>, H<n> or D<n>, e.g. M1, H1, D1)")


def _i64(a: Any) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _f64(a: Any) -> np.ndarray | None:
    return None if a is None else np.ascontiguousarray(a, dtype=np.float64)


class _Rows:
    """What ticks and bars share: rows of columns (``_columns``, time first) sorted by time."""

    _columns: tuple[str, ...] = ()
    time: np.ndarray
    meta: dict

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @property
    def start(self) -> int | None:
        return int(self.time[0]) if len(self) else None

    @property
    def end(self) -> int | None:
        return int(self.time[-1]) if len(self) else None

    def take(self, index: np.ndarray | slice) -> Self:
        """The rows selected by an index array, boolean mask or slice (a slice shares memory)."""
        return replace(self, **{n: (None if getattr(self, n) is None else getattr(self, n)[index])  # type: ignore[type-var]
                                for n in self._columns}, meta=dict(self.meta))

    def between(self, start_ns: int | None = None, end_ns: int | None = None) -> Self:
        """Rows with ``start_ns <= time < end_ns`` (time must be sorted)."""
        lo = 0 if start_ns is None else int(np.searchsorted(self.time, start_ns, "left"))
        hi = len(self) if end_ns is None else int(np.searchsorted(self.time, end_ns, "left"))
        return self.take(slice(lo, hi))

    def to_arrow(self) -> pa.Table:
        """An Arrow table (time as ``timestamp[ns, UTC]``); optional columns only if present."""
        cols = {"time": pa.array(self.time, pa.int64()).cast(pa.timestamp("ns", "UTC"))}
        for n in self._columns[1:]:
            a = getattr(self, n)
            if a is not None:
                cols[n] = pa.array(a, pa.float64())
        return pa.table(cols)


@dataclass(frozen=True)
class Ticks(_Rows):
    """Quotes: ``time`` int64 ns since the epoch (UTC), ``bid`` and ``ask`` float64, optional volumes."""

    symbol: str
    time: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    bid_volume: np.ndarray | None = None
    ask_volume: np.ndarray | None = None
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _i64(self.time))
        for name in ("bid", "ask", "bid_volume", "ask_volume"):
            object.__setattr__(self, name, _f64(getattr(self, name)))
        n = self.time.shape[0]
        for name in ("bid", "ask", "bid_volume", "ask_volume"):
            a = getattr(self, name)
            if a is not None and a.shape != (n,):
                raise ValueError(f"Ticks {self.symbol}: column {name} has shape {a.shape}, expected ({n},)")

    kind = "ticks"
    _columns = TICK_COLUMNS

    @classmethod
    def from_arrow(cls, table: pa.Table, symbol: str, source: str = "", meta: dict | None = None) -> Ticks:
        """Build from a table with ``time`` (timestamp or int64 ns) and ``bid``/``ask`` columns."""
        return cls(symbol, _col_i64(table, "time"), _col_f64(table, "bid"), _col_f64(table, "ask"),
                   _col_f64(table, "bid_volume", True), _col_f64(table, "ask_volume", True), source,
                   dict(meta or {}))


@dataclass(frozen=True)
class Bars(_Rows):
    """OHLC bars labelled by their UTC open time (int64 ns). ``ask_*`` None for single-sided data.

    A one-sided file of ask prices keeps them in ``bid_*`` with ``meta["side"] == "ask"``; join a
    bid and an ask file with :func:`combine_sides`.
    """

    symbol: str
    timeframe: str
    time: np.ndarray
    bid_open: np.ndarray
    bid_high: np.ndarray
    bid_low: np.ndarray
    bid_close: np.ndarray
    ask_open: np.ndarray | None = None
    ask_high: np.ndarray | None = None
    ask_low: np.ndarray | None = None
    ask_close: np.ndarray | None = None
    volume: np.ndarray | None = None
    spread: np.ndarray | None = None  # in points, as MetaTrader exports give it
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _i64(self.time))
        for name in BAR_COLUMNS[1:]:
            object.__setattr__(self, name, _f64(getattr(self, name)))
        n = self.time.shape[0]
        for name in BAR_COLUMNS[1:]:
            a = getattr(self, name)
            if a is not None and a.shape != (n,):
                raise ValueError(f"Bars {self.symbol}: column {name} has shape {a.shape}, expected ({n},)")
        asks = [getattr(self, f"ask_{p}") is None for p in ("open", "high", "low", "close")]
        if any(asks) and not all(asks):
            raise ValueError(f"Bars {self.symbol}: give all four ask columns or none")

    kind = "bars"
    _columns = BAR_COLUMNS

    @property
    def two_sided(self) -> bool:
        return self.ask_close is not None

    @classmethod
    def from_arrow(cls, table: pa.Table, symbol: str, timeframe: str, source: str = "",
                   meta: dict | None = None) -> Bars:
        """Build from a table with ``time`` and ``bid_*`` columns (``ask_*``, volume, spread optional)."""
        kw: dict[str, Any] = {n: _col_f64(table, n, optional=not n.startswith("bid_")) for n in BAR_COLUMNS[1:]}
        return cls(symbol, timeframe, _col_i64(table, "time"), source=source, meta=dict(meta or {}), **kw)


Frame = Ticks | Bars


def to_numpy(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A NumPy copy of a null-free numeric Arrow column, read from its buffer.

    ``pyarrow``'s own ``to_numpy`` imports pandas (~0.6 s), which a first backtest can't afford.
    """
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if arr.null_count or not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)):
        return arr.to_numpy(zero_copy_only=False)
    dtype = np.dtype(arr.type.to_pandas_dtype())
    buf = arr.buffers()[1]
    return np.frombuffer(buf, dtype=dtype, count=len(arr), offset=arr.offset * dtype.itemsize).copy()


def _col_i64(table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name)
    if pa.types.is_timestamp(col.type):
        col = col.cast(pa.timestamp("ns", col.type.tz)).cast(pa.int64())
    return to_numpy(col)


@overload
def _col_f64(table: pa.Table, name: str, optional: Literal[False] = ...) -> np.ndarray: ...


@overload
def _col_f64(table: pa.Table, name: str, optional: bool) -> np.ndarray | None: ...


def _col_f64(table: pa.Table, name: str, optional: bool = False) -> np.ndarray | None:
    if name not in table.column_names:
        if optional:
            return None
        raise KeyError(f"column {name!r} missing (columns: {table.column_names})")
    col = table.column(name)
    if col.type != pa.float64():
        col = col.cast(pa.float64())
    return to_numpy(col)


@overload
def concat(frames: Sequence[Ticks]) -> Ticks: ...


@overload
def concat(frames: Sequence[Bars]) -> Bars: ...


@overload
def concat(frames: Sequence[Frame]) -> Frame: ...


def concat(frames: Sequence[Frame]) -> Frame:
    """Concatenate frames of one kind (and timeframe) in the given order; optional columns kept
    only if every part has them."""
    if not frames:
        raise ValueError("concat needs at least one frame")
    first = frames[0]
    names = TICK_COLUMNS if isinstance(first, Ticks) else BAR_COLUMNS
    kw: dict[str, Any] = {}
    for n in names:
        parts = [getattr(f, n) for f in frames]
        kw[n] = None if any(p is None for p in parts) else np.concatenate(parts)
    meta = dict(first.meta)
    if isinstance(first, Bars):
        return Bars(first.symbol, first.timeframe, source=first.source, meta=meta, **kw)
    return Ticks(first.symbol, source=first.source, meta=meta, **kw)


def combine_sides(bid: Bars, ask: Bars) -> Bars:
    """Two-sided bars from a bid file and an ask file (as FXCM and Dukascopy publish them),
    joined on open time; times present on one side only are dropped and counted in
    ``meta["unmatched"]``."""
    if bid.timeframe != ask.timeframe:
        raise ValueError(f"bid bars are {bid.timeframe}, ask bars {ask.timeframe}: expected one timeframe")
    common, i, j = np.intersect1d(bid.time, ask.time, assume_unique=False, return_indices=True)
    meta = dict(bid.meta)
    meta.pop("side", None)
    meta["files"] = list(bid.meta.get("files", [])) + list(ask.meta.get("files", []))
    meta["unmatched"] = {"bid": len(bid) - common.size, "ask": len(ask) - common.size}
    vol = None if bid.volume is None else bid.volume[i]
    return Bars(bid.symbol or ask.symbol, bid.timeframe, common, bid.bid_open[i], bid.bid_high[i], bid.bid_low[i],
                bid.bid_close[i], ask.bid_open[j], ask.bid_high[j], ask.bid_low[j], ask.bid_close[j], vol,
                source=bid.source, meta=meta)


def frame_columns(frame: Frame) -> list[str]:
    """Names of the array columns a frame carries (optional ones only if present)."""
    names = TICK_COLUMNS if isinstance(frame, Ticks) else BAR_COLUMNS
    return [n for n in names if getattr(frame, n) is not None]


__all__ = ["Ticks", "Bars", "Frame", "TIMEFRAMES", "timeframe_ns", "concat", "combine_sides", "frame_columns",
           "TICK_COLUMNS", "BAR_COLUMNS"]
