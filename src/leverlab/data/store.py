"""The local store: Parquet files partitioned by symbol and month, with a JSON catalog.

Layout under the store root (``--store DIR`` or the user data directory)::

    catalog.json                          what is there: datasets, partitions, imports, reports
    EURUSD/ticks/2014-05.<id>.parquet     one file per symbol, kind and UTC month
    EURUSD/bars-H1/2014-05.<id>.parquet

Guarantees:

- **Atomic**: new partition files get fresh names and the catalog is replaced by a rename only
  after they are all written; readers only see files the catalog names. An interrupted import
  leaves the previous catalog, hence the previous data, untouched; its stray files are removed by
  the next import.
- **Idempotent**: a file whose SHA-256 is already recorded for the dataset is skipped, and new
  data replaces the stored rows of the time span it covers, so importing the same data twice
  never duplicates rows.

>>> import tempfile
>>> from leverlab.data import load
>>> st = Store(tempfile.mkdtemp())
>>> st.write(load("sample:eurusd-h1")).rows
74439
>>> [d["kind"] for d in st.list()], len(st.load("EURUSD", timeframe="H1"))
(['bars-H1'], 74439)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import uuid

try:  # POSIX advisory locks; elsewhere a single writer is assumed
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import DataError, StoreError
from .frames import BAR_COLUMNS, TICK_COLUMNS, Bars, Frame, Ticks, concat, timeframe_ns, to_numpy
from ..times import iso

CATALOG = "catalog.json"
_PART = re.compile(r"^(\d{4}-\d{2})\.[0-9a-f]{12}\.parquet$")
Progress = Callable[[str, int, int], None]


def default_root() -> Path:
    """``$LEVERLAB_STORE`` if set, else ``<user data dir>/leverlab/store``."""
    env = os.environ.get("LEVERLAB_STORE")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("leverlab", appauthor=False)) / "store"


def dataset_key(frame: Frame) -> str:
    """``ticks`` or ``bars-<TF>`` (``-ask`` appended for an ask-only bar file)."""
    if isinstance(frame, Ticks):
        return "ticks"
    side = frame.meta.get("side")
    return f"bars-{frame.timeframe}" + ("-ask" if side == "ask" else "")


def file_digest(path: Path) -> str:
    """SHA-256 of a file, or of the sorted files of a folder (names and contents)."""
    h = hashlib.sha256()
    files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


@dataclass
class ImportResult:
    """What one import did."""

    symbol: str
    kind: str
    source: str
    rows: int
    skipped: bool = False
    replaced_rows: int = 0
    seconds: float = 0.0
    partitions: list[str] = field(default_factory=list)
    report: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "kind": self.kind, "source": self.source, "rows": self.rows,
                "skipped": self.skipped, "replaced_rows": self.replaced_rows, "seconds": round(self.seconds, 3),
                "partitions": self.partitions, "report": self.report}


class Store:
    """A catalog of market data on disk; see the module docstring for layout and guarantees."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    # ------------------------------------------------------------------ catalog
    def _catalog(self) -> dict[str, Any]:
        p = self.root / CATALOG
        if not p.exists():
            return {"version": 1, "datasets": {}}
        try:
            return json.loads(p.read_text())
        except json.JSONDecodeError as e:
            raise StoreError(f"catalog is not valid JSON ({e})", path=p, row=e.lineno,
                             expected="the catalog written by leverlab") from None

    def _save_catalog(self, cat: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".catalog.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(cat, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.root / CATALOG)

    def list(self) -> list[dict[str, Any]]:
        """One row per dataset: symbol, kind, start, end, rows, sources."""
        out = []
        for key, d in sorted(self._catalog()["datasets"].items()):
            out.append({"symbol": d["symbol"], "kind": d["kind"], "timeframe": d.get("timeframe"),
                        "start": iso(d["start"]), "end": iso(d["end"]), "rows": d["rows"],
                        "partitions": len(d["partitions"]), "sources": sorted({i["source"] for i in d["imports"]}),
                        "two_sided": d.get("two_sided", True)})
        return out

    def symbols(self) -> list[str]:
        return sorted({d["symbol"] for d in self._catalog()["datasets"].values()})

    def has(self, symbol: str) -> bool:
        return symbol.upper() in self.symbols()

    def _dataset(self, symbol: str, kind: str | None = None, timeframe: str | None = None) -> tuple[str, dict]:
        sym = symbol.upper()
        ds = {k: d for k, d in self._catalog()["datasets"].items() if d["symbol"] == sym}
        if not ds:
            raise StoreError(f"symbol {sym} is not in the store at {self.root}",
                             expected="one of " + (", ".join(self.symbols()) or "(store is empty)"))
        if timeframe:
            key = f"{sym}/bars-{timeframe.upper()}"
            if key in ds:
                return key, ds[key]
            want = timeframe_ns(timeframe)
            finer = [(timeframe_ns(d["timeframe"]), k) for k, d in ds.items() if d["kind"].startswith("bars-")
                     and not d["kind"].endswith("-ask") and want % timeframe_ns(d["timeframe"]) == 0]
            if finer:  # the caller resamples these
                k = max(finer)[1]
                return k, ds[k]
            if kind != "bars" and f"{sym}/ticks" in ds:
                return f"{sym}/ticks", ds[f"{sym}/ticks"]
            raise StoreError(f"{sym} has no {timeframe} bars", expected="one of " + ", ".join(d["kind"] for d in ds.values()))
        if kind:
            match = [k for k, d in ds.items() if d["kind"] == kind or d["kind"].startswith(kind)]
            if not match:
                raise StoreError(f"{sym} has no {kind}", expected="one of " + ", ".join(d["kind"] for d in ds.values()))
            return match[0], ds[match[0]]
        key = f"{sym}/ticks" if f"{sym}/ticks" in ds else sorted(ds)[0]
        return key, ds[key]

    def report(self, symbol: str, kind: str | None = None, timeframe: str | None = None) -> list[dict[str, Any]]:
        """Validation reports of the imports of a dataset, newest first."""
        _, d = self._dataset(symbol, kind, timeframe)
        return [i["report"] for i in reversed(d["imports"]) if i.get("report")]

    # ------------------------------------------------------------------ writing
    def import_file(self, path: str | Path, symbol: str | None = None, *, format: str | None = None,
                    policy: dict[str, str] | str | None = None, progress: Progress | None = None,
                    **reader_options: Any) -> ImportResult:
        """Read, validate and store one file or folder; a file already imported is skipped."""
        from .readers import read

        t0 = time.perf_counter()
        p = Path(path)
        if not p.exists():
            raise DataError("file not found", path=p)
        if progress:
            progress("hash", 0, 3)
        digest = file_digest(p)
        for key, d in self._catalog()["datasets"].items():
            if symbol and d["symbol"] != symbol.upper():
                continue
            if any(i.get("sha256") == digest for i in d["imports"]):
                return ImportResult(d["symbol"], d["kind"], str(p), 0, skipped=True, seconds=time.perf_counter() - t0)
        if progress:
            progress("read", 1, 3)
        if symbol:
            reader_options["symbol"] = symbol
        frame = read(p, format, policy=policy, **reader_options)
        if not frame.symbol:
            raise StoreError("no symbol in the file name or data", path=p, expected="--symbol X")
        if progress:
            progress("write", 2, 3)
        res = self.write(frame, source=str(p), sha256=digest, progress=progress)
        res.seconds = time.perf_counter() - t0
        return res

    @contextmanager
    def _writer(self) -> Iterator[None]:
        """One writer at a time: an exclusive lock on the store's lock file around read-modify-write."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def write(self, frame: Frame, *, source: str | None = None, sha256: str | None = None,
              progress: Progress | None = None) -> ImportResult:
        """Store a frame: its rows replace stored rows of the same span; one commit of the catalog."""
        with self._writer():
            return self._write(frame, source=source, sha256=sha256, progress=progress)

    def _write(self, frame: Frame, *, source: str | None, sha256: str | None,
               progress: Progress | None) -> ImportResult:
        if isinstance(frame, Bars) and frame.meta.get("side") == "ask" and frame.two_sided:
            raise StoreError("bars marked ask-only carry ask columns", expected="consistent bars")
        if len(frame) and (np.diff(frame.time) < 0).any():
            frame = frame.take(np.argsort(frame.time, kind="stable"))
        sym = frame.symbol.upper()
        kind = dataset_key(frame)
        key = f"{sym}/{kind}"
        src = source or frame.source or "memory"
        cat = self._catalog()
        d = cat["datasets"].get(key) or {"symbol": sym, "kind": kind, "timeframe": getattr(frame, "timeframe", None),
                                         "partitions": {}, "imports": [], "rows": 0, "start": None, "end": None}
        cols = [n for n in (TICK_COLUMNS if isinstance(frame, Ticks) else BAR_COLUMNS) if getattr(frame, n) is not None]
        if d["partitions"] and d.get("columns") and d["columns"] != cols:
            raise StoreError(f"{key} holds columns {d['columns']}, new data has {cols}", path=src,
                             expected="the same columns as the stored data")
        folder = self.root / sym / kind
        folder.mkdir(parents=True, exist_ok=True)
        self._sweep(folder, d)
        result = ImportResult(sym, kind, src, len(frame))
        if len(frame) == 0:
            return result
        lo, hi = int(frame.time[0]), int(frame.time[-1])
        months = frame.time.astype("datetime64[ns]").astype("datetime64[M]")
        cuts = np.flatnonzero(months[1:] != months[:-1]) + 1
        bounds = np.r_[0, cuts, len(frame)]
        new_months = {str(months[a]): (int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])}
        # stored months overlapping [lo, hi] lose the rows inside the span
        touched = sorted(set(new_months) | {m for m, pinfo in d["partitions"].items()
                                             if pinfo["end"] >= lo and pinfo["start"] <= hi})
        written: dict[str, dict[str, Any]] = {}
        replaced = 0
        for n_done, m in enumerate(touched):
            parts: list[Frame] = []
            if m in d["partitions"]:
                old = self._read_part(folder / d["partitions"][m]["file"], frame, sym)
                keep = (old.time < lo) | (old.time > hi)
                replaced += int((~keep).sum())
                parts.append(old.take(keep))
            if m in new_months:
                a, b = new_months[m]
                parts.append(frame.take(slice(a, b)))
            merged = concat(parts) if len(parts) > 1 else parts[0]
            if len(parts) > 1:
                merged = merged.take(np.argsort(merged.time, kind="stable"))
            if len(merged):
                written[m] = self._write_part(folder, m, merged)
            else:
                written[m] = {}
            if progress:
                progress(f"write {m}", n_done + 1, len(touched))
        old_files = [d["partitions"][m]["file"] for m in touched if m in d["partitions"]]
        for m, info in written.items():
            if info:
                d["partitions"][m] = info
            else:
                d["partitions"].pop(m, None)
        parts_ = d["partitions"].values()
        d["rows"] = sum(p_["rows"] for p_ in parts_)
        d["start"] = min(p_["start"] for p_ in parts_)
        d["end"] = max(p_["end"] for p_ in parts_)
        d["columns"] = cols
        d["two_sided"] = not isinstance(frame, Bars) or frame.two_sided
        rep = frame.meta.get("report")
        d["imports"].append({"source": src, "sha256": sha256, "rows": len(frame), "replaced_rows": replaced,
                             "start": lo, "end": hi, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                             "report": rep})
        cat["datasets"][key] = d
        self._save_catalog(cat)  # the commit point
        for f in old_files:
            (folder / f).unlink(missing_ok=True)
        result.replaced_rows = replaced
        result.partitions = sorted(written)
        result.report = rep
        return result

    def _write_part(self, folder: Path, month: str, frame: Frame) -> dict[str, Any]:
        table = frame.to_arrow()
        name = f"{month}.{uuid.uuid4().hex[:12]}.parquet"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        os.close(fd)
        try:
            floats = [c for c in table.column_names if c != "time"]
            pq.write_table(table, tmp, compression="zstd", compression_level=1, use_dictionary=False,
                           column_encoding={"time": "DELTA_BINARY_PACKED", **{c: "BYTE_STREAM_SPLIT" for c in floats}},
                           row_group_size=1 << 20)
            os.chmod(tmp, 0o644)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return {"file": name, "rows": len(frame), "start": int(frame.time[0]), "end": int(frame.time[-1])}

    def _sweep(self, folder: Path, d: dict[str, Any]) -> None:
        """Remove files an interrupted import left behind (not named by the catalog)."""
        known = {p_["file"] for p_ in d["partitions"].values()}
        for f in folder.iterdir():
            if (f.name.startswith(".") and f.name.endswith(".tmp")) or (_PART.match(f.name) and f.name not in known):
                f.unlink(missing_ok=True)

    def _read_part(self, path: Path, like: Frame, symbol: str) -> Frame:
        t = pq.ParquetFile(path).read()  # read_table would import pyarrow.dataset (~0.6 s)
        if isinstance(like, Ticks):
            return Ticks.from_arrow(t, symbol)
        return Bars.from_arrow(t, symbol, like.timeframe, meta=dict(like.meta))

    # ------------------------------------------------------------------ reading
    def load(self, symbol: str, *, kind: str | None = None, timeframe: str | None = None,
             start: str | int | None = None, end: str | int | None = None) -> Ticks | Bars:
        """All rows of a dataset (optionally ``start <= time < end``) into contiguous arrays.

        Arrays are allocated once at their final size and each row group (1M rows) is copied
        into its slice, so peak memory is the arrays plus one row group.
        """
        key, d = self._dataset(symbol, kind, timeframe)
        lo, hi = _ns(start), _ns(end)
        parts = [(m, p_) for m, p_ in sorted(d["partitions"].items())
                 if (hi is None or p_["start"] < hi) and (lo is None or p_["end"] >= lo)]
        n = sum(p_["rows"] for _, p_ in parts)
        cols = d["columns"]
        arrays = {c: np.empty(n, np.int64 if c == "time" else np.float64) for c in cols}
        folder = self.root / d["symbol"] / d["kind"]
        at = 0
        for _, p_ in parts:  # one row group at a time: peak memory = arrays + one row group
            pf = pq.ParquetFile(folder / p_["file"], pre_buffer=False)
            for g in range(pf.num_row_groups):
                t = pf.read_row_group(g, columns=cols)
                for c in cols:
                    col = t.column(c)
                    if c == "time":
                        col = col.cast(pa.int64())
                    off = at
                    for ch in col.chunks:
                        arrays[c][off:off + len(ch)] = to_numpy(ch)
                        off += len(ch)
                at += t.num_rows
                del t
        release = getattr(pa.default_memory_pool(), "release_unused", None)
        if release is not None:
            release()  # hand Arrow's freed row-group buffers back to the system
        if at != n:
            raise StoreError(f"{key}: catalog lists {n} rows, files hold {at}", path=folder,
                             expected="files matching the catalog (re-import the data)")
        meta = {"format": "store", "store": str(self.root), "timezone": "UTC", "dataset": key,
                "sources": sorted({i["source"] for i in d["imports"]})}
        if d["imports"] and d["imports"][-1].get("report"):
            meta["report"] = d["imports"][-1]["report"]
        if d["kind"] == "ticks":
            frame: Frame = Ticks(d["symbol"], arrays["time"], arrays["bid"], arrays["ask"], arrays.get("bid_volume"),
                                 arrays.get("ask_volume"), "store", meta)
        else:
            if d["kind"].endswith("-ask"):
                meta["side"] = "ask"
            frame = Bars(d["symbol"], d["timeframe"], source="store", meta=meta,
                         **{c: arrays.get(c) for c in BAR_COLUMNS})
        if lo is not None or hi is not None:
            frame = frame.between(lo, hi)
        return frame  # type: ignore[return-value]

    def iter_chunks(self, symbol: str, *, kind: str | None = None, timeframe: str | None = None) -> Iterator[Frame]:
        """Yield the dataset one month at a time (streaming, constant memory)."""
        _, d = self._dataset(symbol, kind, timeframe)
        folder = self.root / d["symbol"] / d["kind"]
        for _, p_ in sorted(d["partitions"].items()):
            t = pq.ParquetFile(folder / p_["file"]).read()
            if d["kind"] == "ticks":
                yield Ticks.from_arrow(t, d["symbol"], "store")
            else:
                yield Bars.from_arrow(t, d["symbol"], d["timeframe"], "store")

    def delete(self, symbol: str, kind: str | None = None) -> int:
        """Remove a symbol's datasets (or one kind); returns rows removed."""
        with self._writer():
            return self._delete(symbol, kind)

    def _delete(self, symbol: str, kind: str | None) -> int:
        cat = self._catalog()
        sym = symbol.upper()
        keys = [k for k, d in cat["datasets"].items() if d["symbol"] == sym and (kind is None or d["kind"] == kind)]
        rows = 0
        files = []
        for k in keys:
            d = cat["datasets"].pop(k)
            rows += d["rows"]
            files += [self.root / d["symbol"] / d["kind"] / p_["file"] for p_ in d["partitions"].values()]
        self._save_catalog(cat)
        for f in files:
            f.unlink(missing_ok=True)
        return rows


def _ns(x: str | int | None) -> int | None:
    if x is None:
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    return int(np.datetime64(str(x).rstrip("Z"), "ns").astype(np.int64))
