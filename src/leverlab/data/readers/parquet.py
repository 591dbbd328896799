"""Parquet files: leverlab's own layout (``time`` + Ticks/Bars column names, metadata with
symbol/timeframe) or any table whose columns map onto it (``columns=`` as in the CSV reader).

Timestamps: a ``timestamp`` column with a zone is converted to UTC; a naive one is taken in
``tz`` (default UTC, reported as assumed); integer columns are taken as ns since the epoch.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .. import _tz
from ..errors import CorruptFileError, DataError, FormatError
from ..frames import Bars, Frame, Ticks
from ._registry import register
from .text import _map_columns, infer_timeframe


def read_parquet(path: str | Path, *, symbol: str | None = None, columns: dict[str, str] | None = None,
                 tz: str | None = None, timeframe: str | None = None) -> Ticks | Bars:
    """Read a Parquet file into Ticks (bid/ask columns) or Bars (OHLC columns)."""
    p = Path(path)
    try:
        t = pq.ParquetFile(p).read()
    except FileNotFoundError:
        raise DataError("file not found", path=p) from None
    except (pa.ArrowInvalid, OSError) as e:
        raise CorruptFileError(f"not a readable Parquet file ({e})", path=p, expected="a Parquet file") from None
    md = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items() if not k.startswith(b"ARROW")}
    mapping = _map_columns(t.column_names, columns)
    if mapping is None:
        raise FormatError(f"columns {t.column_names}", path=p,
                          expected="time with bid/ask or OHLC columns (or columns=...)")
    tcol = t.column(mapping["time"])
    zone = pa.types.is_timestamp(tcol.type) and tcol.type.tz is not None
    if pa.types.is_timestamp(tcol.type):
        local = tcol.cast(pa.timestamp("ns", tcol.type.tz)).cast(pa.int64()).to_numpy()
    else:
        local = tcol.cast(pa.int64()).to_numpy()
        zone = True
    rule = tz or "UTC"
    times = local if zone else _tz.to_utc(local, rule)
    meta = {"format": "parquet", "timezone": "UTC" if zone else _tz.describe(rule), "files": [str(p)],
            "timezone_reason": "zone stored in the file" if zone else
                               "given by the user" if tz else "not stated in the file; assumed UTC (pass tz=)",
            "tz_assumed": not zone and not tz}
    sym = (symbol or md.get("symbol") or "").upper()
    src = md.get("source", "parquet")

    def g(k: str) -> Any:
        return t.column(mapping[k]).cast(pa.float64()).to_numpy() if k in mapping else None

    if "bid" in mapping and "ask" in mapping and "open" not in mapping:
        return Ticks(sym, times, g("bid"), g("ask"), g("bid_volume") if "bid_volume" in t.column_names else None,
                     g("ask_volume") if "ask_volume" in t.column_names else None, src, dict(meta, kind="tick"))
    tf = timeframe or md.get("timeframe") or infer_timeframe(times)
    pre = "bid_" if "bid_close" in mapping else ""
    asks = {f"ask_{k}": g(f"ask_{k}") for k in ("open", "high", "low", "close")} if "ask_close" in mapping else {}
    return Bars(sym, tf, times, g(pre + "open"), g(pre + "high"), g(pre + "low"), g(pre + "close"), **asks,
                volume=g("volume"), spread=g("spread"), source=src, meta=dict(meta, kind=tf))


def write_parquet(frame: Frame, path: str | Path) -> Path:
    """Write a frame in leverlab's layout (zstd), atomically (temporary file, then rename)."""
    p = Path(path)
    table = frame.to_arrow()
    md = {"symbol": frame.symbol, "source": frame.source or "", "kind": frame.kind}
    if isinstance(frame, Bars):
        md["timeframe"] = frame.timeframe
    table = table.replace_schema_metadata(md)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


register("parquet", read_parquet)


def write_parquet_stream(chunks, path: str | Path) -> int:
    """Write an iterable of same-kind frames to one Parquet file, a row group per chunk, with
    constant memory (temporary file, then rename). Returns the number of rows written."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    writer = None
    rows = 0
    try:
        for ch in chunks:
            table = ch.to_arrow()
            if writer is None:
                md = {"symbol": ch.symbol, "source": ch.source or "", "kind": ch.kind}
                if isinstance(ch, Bars):
                    md["timeframe"] = ch.timeframe
                table = table.replace_schema_metadata(md)
                floats = [c for c in table.column_names if c != "time"]
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd", compression_level=1,
                                          use_dictionary=False, column_encoding={
                                              "time": "DELTA_BINARY_PACKED",
                                              **{c: "BYTE_STREAM_SPLIT" for c in floats}})
            writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
            rows += table.num_rows
        if writer is not None:
            writer.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        if writer is not None:
            writer.close()
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


def iter_parquet(path: str | Path, *, chunk_size: int = 1_000_000, symbol: str | None = None):
    """Read a leverlab-layout Parquet file (as :func:`write_parquet` or
    :func:`write_parquet_stream` write it) in chunks of at most ``chunk_size`` rows."""
    p = Path(path)
    try:
        pf = pq.ParquetFile(p, pre_buffer=False)  # pre-buffering would keep every row group read
    except (pa.ArrowInvalid, OSError) as e:
        raise CorruptFileError(f"not a readable Parquet file ({e})", path=p, expected="a Parquet file") from None
    md = {k.decode(): v.decode() for k, v in (pf.schema_arrow.metadata or {}).items() if not k.startswith(b"ARROW")}
    sym = (symbol or md.get("symbol") or "").upper()
    for batch in pf.iter_batches(batch_size=chunk_size):
        t = pa.Table.from_batches([batch])
        if "bid" in t.column_names:
            yield Ticks.from_arrow(t, sym, md.get("source", "parquet"), {"timezone": "UTC", "files": [str(p)]})
        else:
            yield Bars.from_arrow(t, sym, md.get("timeframe") or "M1", md.get("source", "parquet"),
                                  {"timezone": "UTC", "files": [str(p)]})
