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
- **Nothing lost on import** (the merge rule): an import adds its rows; where a new row has the
  same time as stored rows, the new row wins, and when their values differ that is a *conflict*,
  counted in the result (``conflicts``, ``overwritten_rows``). Stored rows at other times are never
  removed by an import. Only an explicit ``replace`` (the file's own span, or a range
  ``START..END``, start inclusive, end exclusive) removes the stored rows inside it first, and the
  result counts them (``replaced_rows``).
- **Honest idempotence**: an import is skipped only when the same file (SHA-256) with the same
  reader options (format, symbol, ``tz``, ``date_format``, policy, ...) was imported before *and*
  every row it stored is still there (no later conflict, replace, delete or damaged partition
  touched its span). Skipping never hides lost rows; re-importing is always safe.
- **Checked names**: symbols and dataset kinds are letters, digits, ``.``, ``_`` and ``-`` only,
  so no name can point outside the store; a damaged catalog or Parquet file raises
  :class:`StoreError` naming the file and what was expected (``verify`` checks every partition).

>>> import tempfile
>>> from leverlab.data import load
>>> st = Store(tempfile.mkdtemp())
>>> st.write(load("sample:eurusd-h1")).rows
74439
>>> [d["kind"] for d in st.list()], len(st.load("EURUSD", timeframe="H1"))
(['bars-H1'], 74439)
"""

from __future__ import annotations

import builtins
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..times import iso
from .errors import DataError, StoreError
from .frames import BAR_COLUMNS, TICK_COLUMNS, Bars, Frame, Ticks, concat, frame_columns, timeframe_ns, to_numpy

CATALOG = "catalog.json"
_PART = re.compile(r"^(\d{4}-\d{2})\.[0-9a-f]{12}\.parquet$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
Progress = Callable[[str, int, int], None]
_NAME_RULE = "letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit), e.g. EURUSD or XAUUSD.m"


def default_root() -> Path:
    """``$LEVERLAB_STORE`` if set, else ``<user data dir>/leverlab/store``."""
    env = os.environ.get("LEVERLAB_STORE")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("leverlab", appauthor=False)) / "store"


def check_name(name: Any, what: str = "symbol", path: str | Path | None = None) -> str:
    """``name`` if it is safe as one folder name in the store; StoreError saying what is allowed otherwise."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise StoreError(f"{what} {name!r} is not allowed", path=path, expected=_NAME_RULE)
    return name


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


def import_key(sha256: str, options: dict[str, Any]) -> str:
    """What makes two imports the same: the file's SHA-256 and every reader option (JSON-normalised)."""
    text = json.dumps({"sha256": sha256, "options": options}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def parse_range(text: str) -> tuple[int, int]:
    """``START..END`` (ISO dates or times, UTC; start inclusive, end exclusive) -> (start_ns, end_ns)."""
    a, sep, b = text.partition("..")
    try:
        if not sep or not a.strip() or not b.strip():
            raise ValueError
        lo, hi = _ns(a.strip()), _ns(b.strip())
    except ValueError:
        raise DataError(f"range {text!r} not understood",
                        expected="START..END in UTC, e.g. 2025-01-01..2025-02-01 (end exclusive)") from None
    assert lo is not None and hi is not None
    if hi <= lo:
        raise DataError(f"range {text!r} is empty", expected="END after START")
    return lo, hi


@dataclass
class ImportResult:
    """What one import did: ``status`` imported / skipped (``reason``) / failed (``error``), and row counts.

    ``rows``: rows the file gave after validation; ``added``: rows at times not stored before;
    ``unchanged``: rows identical to stored ones; ``conflicts``: times stored with other values (the
    new rows won; ``overwritten_rows`` stored rows were overwritten); ``replaced_rows``: stored rows
    removed by an explicit replace.
    """

    symbol: str
    kind: str
    source: str
    rows: int
    skipped: bool = False
    replaced_rows: int = 0
    seconds: float = 0.0
    partitions: list[str] = field(default_factory=list)
    report: dict[str, Any] | None = None
    status: str = "imported"
    reason: str = ""
    error: str = ""
    added: int = 0
    unchanged: int = 0
    conflicts: int = 0
    overwritten_rows: int = 0
    repaired: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "symbol": self.symbol, "kind": self.kind, "source": self.source,
                "rows": self.rows, "skipped": self.skipped, "reason": self.reason, "error": self.error,
                "added": self.added, "unchanged": self.unchanged, "conflicts": self.conflicts,
                "overwritten_rows": self.overwritten_rows, "replaced_rows": self.replaced_rows,
                "repaired": self.repaired, "notes": self.notes, "seconds": round(self.seconds, 3),
                "partitions": self.partitions, "report": self.report}


_DATASET_KEYS = {"symbol": str, "kind": str, "partitions": dict, "imports": list, "rows": int}
_PART_KEYS = {"file": str, "rows": int, "start": int, "end": int}
_WORDS = {str: "a text", dict: "an object", list: "a list", int: "an integer"}


def _check_catalog(cat: Any, path: Path) -> dict[str, Any]:
    """The catalog if its structure is what ``Store`` writes; StoreError naming the entry otherwise."""
    def bad(what: str, found: Any, expected: str) -> StoreError:
        return StoreError(f"{what}: found {_short(found)}", path=path, expected=expected)

    if not isinstance(cat, dict):
        raise bad("catalog", cat, "a JSON object with a 'datasets' object, as written by leverlab")
    ds = cat.get("datasets")
    if not isinstance(ds, dict):
        raise bad("catalog 'datasets'", ds, "an object of datasets keyed 'SYMBOL/kind'")
    for key, d in ds.items():
        if not isinstance(d, dict):
            raise bad(f"dataset {key!r}", d, "an object with symbol, kind, partitions, imports, rows")
        for k, typ in _DATASET_KEYS.items():
            if k not in d:
                raise StoreError(f"dataset {key!r} has no field {k!r}", path=path,
                                 expected=f"{_WORDS[typ]} under {k!r}, as leverlab writes it")
            if not isinstance(d[k], typ) or isinstance(d[k], bool):
                raise bad(f"dataset {key!r} field {k!r}", d[k], _WORDS[typ])
        check_name(d["symbol"], f"dataset {key!r} symbol", path)
        check_name(d["kind"], f"dataset {key!r} kind", path)
        if d["kind"] != "ticks":
            try:
                timeframe_ns(d.get("timeframe"))  # type: ignore[arg-type]
            except (ValueError, AttributeError):
                raise bad(f"dataset {key!r} field 'timeframe'", d.get("timeframe", "(missing)"),
                          "a timeframe like M15 or H1") from None
        for k in ("start", "end"):
            if d.get(k) is not None and (not isinstance(d[k], int) or isinstance(d[k], bool)):
                raise bad(f"dataset {key!r} field {k!r}", d[k], "nanoseconds since 1970 (an integer) or null")
        for m, p_ in d["partitions"].items():
            if not isinstance(p_, dict) or any(not isinstance(p_.get(k), t) for k, t in _PART_KEYS.items()):
                raise bad(f"dataset {key!r} partition {m!r}", p_, "an object with file, rows, start, end")
            if not _PART.match(p_["file"]):
                raise bad(f"dataset {key!r} partition {m!r} file", p_["file"], "a name like 2014-05.<12 hex>.parquet")
        if d["partitions"] and not isinstance(d.get("columns"), list):
            raise bad(f"dataset {key!r} field 'columns'", d.get("columns", "(missing)"), "a list of column names")
        for i in d["imports"]:
            if not isinstance(i, dict):
                raise bad(f"dataset {key!r} import", i, "an object with source, rows, start, end")
    return cat


def _short(x: Any) -> str:
    text = json.dumps(x, default=str) if not isinstance(x, str) else repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


#: What reading a partition file can raise when it is missing or damaged.
_READ_ERRORS = (FileNotFoundError, pa.ArrowException, OSError, ValueError, KeyError)


def _partition_error(path: Path, exc: Exception) -> StoreError:
    """The one message for a partition file that is missing or cannot be read, naming the file."""
    if isinstance(exc, FileNotFoundError):
        return StoreError("partition file is missing", path=path,
                          expected="the file the catalog names (run `leverlab data verify`, re-import the source)")
    return StoreError(f"partition file is damaged ({str(exc)[:120]})", path=path,
                      expected="a Parquet file written by leverlab (run `leverlab data verify`, "
                               "then re-import the source)")


class Store:
    """A catalog of market data on disk; see the module docstring for layout and guarantees."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        if self.root.exists() and not self.root.is_dir():
            raise StoreError("the store must be a folder, found a file", path=self.root,
                             expected="a folder (an empty or new one for a new store)")

    # ------------------------------------------------------------------ catalog
    def _catalog(self) -> dict[str, Any]:
        p = self.root / CATALOG
        if not p.exists():
            return {"version": 1, "datasets": {}}
        try:
            cat = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise StoreError(f"catalog is not valid JSON ({e})", path=p, row=e.lineno,
                             expected="the catalog written by leverlab") from None
        except (UnicodeDecodeError, OSError) as e:
            raise StoreError(f"catalog cannot be read ({e})", path=p,
                             expected="the catalog written by leverlab") from None
        return _check_catalog(cat, p)

    def _save_catalog(self, cat: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".catalog.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(cat, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.root / CATALOG)

    def list(self) -> builtins.list[dict[str, Any]]:
        """One row per dataset: symbol, kind, start, end, rows, sources, timezone notes.

        ``tz_assumed`` is True when some stored rows came from a file without a stated zone that was
        read as UTC; ``timezones`` lists the rule each import applied.
        """
        out = []
        for _, d in sorted(self._catalog()["datasets"].items()):
            out.append({"symbol": d["symbol"], "kind": d["kind"], "timeframe": d.get("timeframe"),
                        "start": iso(d.get("start")), "end": iso(d.get("end")), "rows": d["rows"],
                        "partitions": len(d["partitions"]),
                        "sources": sorted({str(i.get("source")) for i in d["imports"]}),
                        "two_sided": d.get("two_sided", True), "tz_assumed": _tz_assumed(d),
                        "timezones": sorted({str(i.get("timezone")) for i in d["imports"] if i.get("timezone")})})
        return out

    def symbols(self) -> builtins.list[str]:
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
            raise StoreError(f"{sym} has no {timeframe} bars",
                             expected="one of " + ", ".join(d["kind"] for d in ds.values()))
        if kind:
            match = [k for k, d in ds.items() if d["kind"] == kind or d["kind"].startswith(kind)]
            if not match:
                raise StoreError(f"{sym} has no {kind}", expected="one of " + ", ".join(d["kind"] for d in ds.values()))
            return match[0], ds[match[0]]
        key = f"{sym}/ticks" if f"{sym}/ticks" in ds else sorted(ds)[0]
        return key, ds[key]

    def report(self, symbol: str, kind: str | None = None,
               timeframe: str | None = None) -> builtins.list[dict[str, Any]]:
        """Validation reports of the imports of a dataset, newest first."""
        _, d = self._dataset(symbol, kind, timeframe)
        return [i["report"] for i in reversed(d["imports"]) if i.get("report")]

    # ------------------------------------------------------------------ writing
    def import_file(self, path: str | Path, symbol: str | None = None, *, format: str | None = None,
                    policy: dict[str, str] | str | None = None, progress: Progress | None = None,
                    replace: bool | tuple[int, int] | str = False, **reader_options: Any) -> ImportResult:
        """Read, validate and store one file or folder under the merge rule (module docstring).

        ``replace``: True removes the stored rows in the file's own span first; ``"START..END"`` or
        ``(start_ns, end_ns)`` removes those in that range. Skipped (``status`` "skipped") only when
        the same file with the same options is fully stored. Raises DataError (naming the file) for
        anything wrong with the file, the options or the store; the store is then unchanged.
        """
        from .readers import read

        t0 = time.perf_counter()
        p = Path(path)
        if symbol is not None:
            symbol = check_name(symbol.strip().upper(), "--symbol")
        rng = parse_range(replace) if isinstance(replace, str) else replace
        if reader_options.get("tz") is not None:
            from . import _tz

            try:
                _tz.describe(str(reader_options["tz"]))
            except ValueError as e:
                raise DataError(str(e), path=p,
                                expected="a zone such as UTC, UTC+2, EST, ny+7 or Europe/Berlin") from None
        if not p.exists():
            raise DataError("file not found", path=p)
        if progress:
            progress("hash", 0, 3)
        try:
            digest = file_digest(p)
        except OSError as e:
            raise DataError(f"cannot be read ({e.strerror or e})", path=p) from None
        options = {"format": format, "symbol": symbol, "policy": policy, **reader_options}
        key = import_key(digest, options)
        notes: list[str] = []
        if not rng:
            found = self._already(key, digest, options, notes)
            if found is not None:
                d, imp = found
                return ImportResult(d["symbol"], d["kind"], str(p), 0, skipped=True, status="skipped",
                                    reason=f"already imported ({imp.get('at', '?')}) with the same options, "
                                           f"and all its {imp.get('rows', 0):,} rows are still stored",
                                    seconds=time.perf_counter() - t0)
        if progress:
            progress("read", 1, 3)
        if symbol:
            reader_options["symbol"] = symbol
        frame = _read_file(read, p, format, policy, reader_options)
        if not frame.symbol:
            raise StoreError("no symbol in the file name or data", path=p, expected="--symbol X")
        check_name(frame.symbol.upper(), "symbol", p)
        if progress:
            progress("write", 2, 3)
        res = self.write(frame, source=str(p), sha256=digest, key=key, options=options, replace=rng, progress=progress)
        res.notes = notes + res.notes
        res.seconds = time.perf_counter() - t0
        return res

    def _already(self, key: str, digest: str, options: dict[str, Any],
                 notes: builtins.list[str]) -> tuple[dict, dict] | None:
        """The (dataset, import) that makes this import redundant, or None; ``notes`` says why not."""
        for d in self._catalog()["datasets"].values():
            for imp in reversed(d["imports"]):
                if imp.get("key") == key:
                    if imp.get("intact", True) is False:
                        notes.append("imported before, but some of its rows were since overwritten, replaced or "
                                     "deleted: imported again")
                    elif (bad := self._damaged_in(d, imp)):
                        notes.append(f"imported before, but its stored rows are damaged ({bad}): imported again")
                    else:
                        return d, imp
                    return None
        for d in self._catalog()["datasets"].values():
            for imp in d["imports"]:
                if imp.get("sha256") == digest and imp.get("options") is not None and imp["options"] != options:
                    diff = sorted(k for k in set(imp["options"]) | set(options)
                                  if imp["options"].get(k) != options.get(k))
                    notes.append(f"this file was imported before with other options ({', '.join(diff)}): a new "
                                 "import; rows at times the earlier import stored and this one does not are kept "
                                 "(use replace to drop them)")
                    return None
        return None

    def _damaged_in(self, d: dict[str, Any], imp: dict[str, Any]) -> str:
        """Why the stored rows of ``imp``'s span are not all there ('' when they look intact)."""
        lo, hi = imp.get("start"), imp.get("end")
        if not isinstance(lo, int) or not isinstance(hi, int):
            return "no span recorded"
        folder = self.root / d["symbol"] / d["kind"]
        stored = 0
        for p_ in d["partitions"].values():
            if p_["end"] < lo or p_["start"] > hi:
                continue
            try:
                t = self._read_table(folder / p_["file"], columns=["time"])
            except StoreError as e:
                return str(e)
            if t.num_rows != p_["rows"]:
                return f"{folder / p_['file']} holds {t.num_rows} rows, the catalog {p_['rows']}"
            tt = _col_i64(t, "time")
            stored += int(((tt >= lo) & (tt <= hi)).sum())
        if stored < int(imp.get("rows", 0)):
            return f"{stored:,} rows stored in its span, it brought {imp.get('rows', 0):,}"
        return ""

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
              key: str | None = None, options: dict[str, Any] | None = None,
              replace: bool | tuple[int, int] | None = None, progress: Progress | None = None) -> ImportResult:
        """Store a frame under the merge rule (module docstring); one commit of the catalog."""
        with self._writer():
            return self._write(frame, source=source, sha256=sha256, key=key, options=options,
                               replace=replace, progress=progress)

    def _write(self, frame: Frame, *, source: str | None, sha256: str | None, key: str | None,
               options: dict[str, Any] | None, replace: bool | tuple[int, int] | None,
               progress: Progress | None) -> ImportResult:
        if isinstance(frame, Bars) and frame.meta.get("side") == "ask" and frame.two_sided:
            raise StoreError("bars marked ask-only carry ask columns", expected="consistent bars")
        if len(frame) and (np.diff(frame.time) < 0).any():
            frame = frame.take(np.argsort(frame.time, kind="stable"))
        src = source or frame.source or "memory"
        sym = check_name(frame.symbol.upper(), "symbol", src)
        kind = check_name(dataset_key(frame), "dataset kind", src)
        dkey = f"{sym}/{kind}"
        cat = self._catalog()
        d = cat["datasets"].get(dkey) or {"symbol": sym, "kind": kind, "timeframe": getattr(frame, "timeframe", None),
                                          "partitions": {}, "imports": [], "rows": 0, "start": None, "end": None}
        cols = [n for n in (TICK_COLUMNS if isinstance(frame, Ticks) else BAR_COLUMNS) if getattr(frame, n) is not None]
        if d["partitions"] and d.get("columns") and d["columns"] != cols:
            raise StoreError(f"{dkey} holds columns {d['columns']}, new data has {cols}", path=src,
                             expected="the same columns as the stored data")
        result = ImportResult(sym, kind, src, len(frame))
        if len(frame) == 0 and not isinstance(replace, tuple):
            result.status, result.skipped, result.reason = "skipped", True, "no rows left after validation"
            return result
        folder = self.root / sym / kind
        folder.mkdir(parents=True, exist_ok=True)
        self._sweep(folder, d)
        rng: tuple[int, int] | None = None
        if replace is True:
            rng = (int(frame.time[0]), int(frame.time[-1]) + 1)
        elif isinstance(replace, tuple):
            rng = (int(replace[0]), int(replace[1]))
        months = frame.time.astype("datetime64[ns]").astype("datetime64[M]")
        cuts = np.flatnonzero(months[1:] != months[:-1]) + 1
        bounds = np.r_[0, cuts, len(frame)]
        new_months = {str(months[a]): (int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])} if len(frame) else {}
        touched = sorted(set(new_months) | ({m for m, pi in d["partitions"].items()
                                              if pi["end"] >= rng[0] and pi["start"] < rng[1]} if rng else set()))
        written: dict[str, dict[str, Any]] = {}
        lost: list[np.ndarray] = []  # times of stored rows this write removes or overwrites with other values
        spans: list[tuple[int, int]] = []  # months whose damaged file is replaced: all their rows are lost
        for n_done, m in enumerate(touched):
            new = frame.take(slice(*new_months[m])) if m in new_months else None
            old = None
            if m in d["partitions"]:
                pinfo = d["partitions"][m]
                try:
                    old = self._read_part(folder / pinfo["file"], frame, sym)
                except StoreError:
                    result.repaired.append(f"{folder / pinfo['file']} ({pinfo['rows']:,} rows were unreadable)")
                    spans.append((pinfo["start"], pinfo["end"]))
            parts: list[Frame] = []
            if old is not None and len(old):
                if rng:
                    drop = (old.time >= rng[0]) & (old.time < rng[1])
                    if drop.any():
                        result.replaced_rows += int(drop.sum())
                        lost.append(old.time[drop])
                        old = old.take(~drop)
                if new is not None:
                    old = self._merge_counts(old, new, result, lost)
                parts.append(old)
            if new is not None:
                parts.append(new)
                if old is None:
                    result.added += len(new)
            merged = concat(parts) if len(parts) > 1 else (parts[0] if parts else None)
            if merged is not None and len(parts) > 1:
                merged = merged.take(np.argsort(merged.time, kind="stable"))
            written[m] = self._write_part(folder, m, merged) if merged is not None and len(merged) else {}
            if progress:
                progress(f"write {m}", n_done + 1, len(touched))
        old_files = [d["partitions"][m]["file"] for m in touched if m in d["partitions"]]
        for m, info in written.items():
            if info:
                d["partitions"][m] = info
            else:
                d["partitions"].pop(m, None)
        _mark_lost(d, np.concatenate(lost) if lost else np.zeros(0, np.int64), spans)
        _totals(d)
        d["columns"] = cols
        d["two_sided"] = not isinstance(frame, Bars) or frame.two_sided
        rep = frame.meta.get("report")
        d["imports"].append({"source": src, "sha256": sha256, "key": key, "options": options, "rows": len(frame),
                             "added": result.added, "conflicts": result.conflicts,
                             "replaced_rows": result.replaced_rows, "replace": list(rng) if rng else None,
                             "start": int(frame.time[0]) if len(frame) else None,
                             "end": int(frame.time[-1]) if len(frame) else None, "intact": True,
                             "timezone": frame.meta.get("timezone", "UTC"),
                             "tz_assumed": bool(frame.meta.get("tz_assumed", False)),
                             "timezone_reason": frame.meta.get("timezone_reason"),
                             "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "report": rep})
        if not d["partitions"]:
            cat["datasets"].pop(dkey, None)
        else:
            cat["datasets"][dkey] = d
        self._save_catalog(cat)  # the commit point
        for f in old_files:
            (folder / f).unlink(missing_ok=True)
        result.partitions = sorted(written)
        result.report = rep
        return result

    @staticmethod
    def _merge_counts(old: Frame, new: Frame, result: ImportResult, lost: builtins.list[np.ndarray]) -> Frame:
        """Stored rows kept beside ``new`` (those at times ``new`` lacks); counts added/unchanged/conflicts.

        Rows are compared per time: the group of stored rows at a time equals the new group when it
        has as many rows with the same values (NaN equal to NaN) in the same order.
        """
        common = np.isin(old.time, new.time)
        in_old = np.isin(new.time, old.time)
        result.added += int((~in_old).sum())
        if not common.any():
            return old
        oc, nc = old.take(common), new.take(in_old)
        tu, ocount = np.unique(oc.time, return_counts=True)
        _, ncount = np.unique(nc.time, return_counts=True)
        same_n = tu[ocount == ncount]
        differ = set(tu[ocount != ncount].tolist())
        a, b = oc.take(np.isin(oc.time, same_n)), nc.take(np.isin(nc.time, same_n))
        neq = np.zeros(len(a), bool)
        for c in frame_columns(a):
            x, y = getattr(a, c), getattr(b, c)
            neq |= ~((x == y) | (np.isnan(x) & np.isnan(y))) if c != "time" else (x != y)
        differ |= set(np.unique(a.time[neq]).tolist())
        bad = np.isin(oc.time, np.fromiter(differ, np.int64, len(differ)))
        result.conflicts += len(differ)
        result.overwritten_rows += int(bad.sum())
        result.unchanged += int(len(nc) - np.isin(nc.time, oc.time[bad]).sum())
        if bad.any():
            lost.append(oc.time[bad])
        return old.take(~common)

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

    @staticmethod
    def _read_table(path: Path, columns: builtins.list[str] | None = None) -> pa.Table:
        """A whole partition file; a missing or damaged one is a StoreError naming it."""
        try:
            return pq.ParquetFile(path).read(columns=columns)  # read_table would import pyarrow.dataset (~0.6 s)
        except _READ_ERRORS as e:
            raise _partition_error(path, e) from None

    def _read_part(self, path: Path, like: Frame, symbol: str) -> Frame:
        t = self._read_table(path)
        try:
            if isinstance(like, Ticks):
                return Ticks.from_arrow(t, symbol)
            return Bars.from_arrow(t, symbol, like.timeframe, meta=dict(like.meta))
        except (KeyError, ValueError, pa.ArrowException) as e:
            raise StoreError(f"partition file has unexpected columns ({e})", path=path,
                             expected="the columns leverlab wrote") from None

    # ------------------------------------------------------------------ reading
    def load(self, symbol: str, *, kind: str | None = None, timeframe: str | None = None,
             start: str | int | None = None, end: str | int | None = None) -> Ticks | Bars:
        """All rows of a dataset (optionally ``start <= time < end``) into contiguous arrays.

        Arrays are allocated once at their final size and each row group (1M rows) is copied
        into its slice, so peak memory is the arrays plus one row group. ``meta["tz_assumed"]`` is
        True when some rows came from a file whose zone was not stated and was taken as UTC
        (``meta["tz_note"]`` says which). A damaged partition raises StoreError naming its file.
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
            path = folder / p_["file"]
            try:
                pf = pq.ParquetFile(path, pre_buffer=False)
                for g in range(pf.num_row_groups):
                    t = pf.read_row_group(g, columns=cols)
                    if at + t.num_rows > n:
                        break
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
            except _READ_ERRORS as e:
                raise _partition_error(path, e) from None
        release = getattr(pa.default_memory_pool(), "release_unused", None)
        if release is not None:
            release()  # hand Arrow's freed row-group buffers back to the system
        if at != n:
            raise StoreError(f"{key}: catalog lists {n} rows, files hold {at}", path=folder,
                             expected="files matching the catalog (run `leverlab data verify`, re-import the data)")
        meta: dict[str, Any] = {"format": "store", "store": str(self.root), "timezone": "UTC", "dataset": key,
                                "sources": sorted({str(i.get("source")) for i in d["imports"]}),
                                "tz_assumed": _tz_assumed(d)}
        if meta["tz_assumed"]:
            assumed = sorted({str(i.get("source")) for i in d["imports"] if i.get("tz_assumed")})
            meta["tz_note"] = ("times assumed UTC (the file stated no zone; import with --tz to fix): "
                               + ", ".join(assumed))
        if d["imports"] and d["imports"][-1].get("report"):
            meta["report"] = d["imports"][-1]["report"]
        if d["kind"] == "ticks":
            frame: Frame = Ticks(d["symbol"], arrays["time"], arrays["bid"], arrays["ask"], arrays.get("bid_volume"),
                                 arrays.get("ask_volume"), "store", meta)
        else:
            if d["kind"].endswith("-ask"):
                meta["side"] = "ask"
            columns: dict[str, Any] = {c: arrays.get(c) for c in BAR_COLUMNS}
            frame = Bars(d["symbol"], d["timeframe"], source="store", meta=meta, **columns)
        if lo is not None or hi is not None:
            frame = frame.between(lo, hi)
        return frame

    def iter_chunks(self, symbol: str, *, kind: str | None = None, timeframe: str | None = None) -> Iterator[Frame]:
        """Yield the dataset one month at a time (streaming, constant memory)."""
        _, d = self._dataset(symbol, kind, timeframe)
        folder = self.root / d["symbol"] / d["kind"]
        for _, p_ in sorted(d["partitions"].items()):
            t = self._read_table(folder / p_["file"])
            if d["kind"] == "ticks":
                yield Ticks.from_arrow(t, d["symbol"], "store")
            else:
                yield Bars.from_arrow(t, d["symbol"], d["timeframe"], "store")

    def verify(self) -> builtins.list[dict[str, Any]]:
        """Read every partition in full; one entry per dataset with its damaged files (empty list: all intact).

        Each problem names the file and what is wrong (missing, unreadable, row count or time range
        not as the catalog says, unsorted times). Importing the source again repairs a damaged month.
        """
        out = []
        for key, d in sorted(self._catalog()["datasets"].items()):
            folder = self.root / d["symbol"] / d["kind"]
            problems = []
            for m, p_ in sorted(d["partitions"].items()):
                path = folder / p_["file"]
                try:
                    t = self._read_table(path)
                    tt = _col_i64(t, "time")
                    missing = [c for c in d.get("columns", []) if c not in t.column_names]
                    if missing:
                        raise StoreError(f"columns {missing} missing", path=path, expected=f"columns {d['columns']}")
                    if t.num_rows != p_["rows"]:
                        raise StoreError(f"holds {t.num_rows:,} rows, the catalog says {p_['rows']:,}", path=path,
                                         expected="the rows the catalog lists")
                    if len(tt) and (int(tt[0]) != p_["start"] or int(tt[-1]) != p_["end"] or (np.diff(tt) < 0).any()):
                        raise StoreError("times unsorted or not the catalog's range", path=path,
                                         expected=f"sorted times {iso(p_['start'])} .. {iso(p_['end'])}")
                except StoreError as e:
                    problems.append({"month": m, "file": str(path), "rows": p_["rows"], "problem": str(e)})
            out.append({"dataset": key, "symbol": d["symbol"], "kind": d["kind"], "partitions": len(d["partitions"]),
                        "rows": d["rows"], "damaged": problems,
                        "sources": sorted({str(i.get("source")) for i in d["imports"]})})
        return out

    def delete(self, symbol: str, kind: str | None = None, start: str | int | None = None,
               end: str | int | None = None) -> int:
        """Remove a symbol's datasets (or one kind), all rows or those with ``start <= time < end``;
        returns rows removed. StoreError if the symbol (or kind) is not stored."""
        with self._writer():
            return self._delete(symbol, kind, _ns(start), _ns(end))

    def _delete(self, symbol: str, kind: str | None, lo: int | None, hi: int | None) -> int:
        cat = self._catalog()
        sym = symbol.upper()
        keys = [k for k, d in cat["datasets"].items() if d["symbol"] == sym and (kind is None or d["kind"] == kind)]
        if not keys:
            have = ", ".join(sorted(cat["datasets"])) or "(store is empty)"
            raise StoreError(f"{sym}{' ' + kind if kind else ''} is not in the store at {self.root}",
                             expected=f"one of {have}")
        rows = 0
        files: list[Path] = []
        for k in keys:
            d = cat["datasets"][k]
            folder = self.root / d["symbol"] / d["kind"]
            if lo is None and hi is None:
                cat["datasets"].pop(k)
                rows += d["rows"]
                files += [folder / p_["file"] for p_ in d["partitions"].values()]
                continue
            a, b = (lo if lo is not None else -(1 << 62)), (hi if hi is not None else 1 << 62)
            lost = []
            for m, p_ in sorted(d["partitions"].items()):
                if p_["end"] < a or p_["start"] >= b:
                    continue
                t = self._read_table(folder / p_["file"])
                tt = _col_i64(t, "time")
                drop = (tt >= a) & (tt < b)
                if not drop.any():
                    continue
                rows += int(drop.sum())
                lost.append(tt[drop])
                files.append(folder / p_["file"])
                keep = t.filter(pa.array(~drop))
                if keep.num_rows:
                    like = Ticks.from_arrow(keep, d["symbol"]) if d["kind"] == "ticks" else \
                        Bars.from_arrow(keep, d["symbol"], d["timeframe"])
                    d["partitions"][m] = self._write_part(folder, m, like)
                else:
                    d["partitions"].pop(m)
            _mark_lost(d, np.concatenate(lost) if lost else np.zeros(0, np.int64))
            if d["partitions"]:
                _totals(d)
            else:
                cat["datasets"].pop(k)
        self._save_catalog(cat)
        for f in files:
            f.unlink(missing_ok=True)
        return rows


def _read_file(read: Callable[..., Frame], p: Path, format: str | None, policy: Any,
               options: dict[str, Any]) -> Frame:
    """The reader's frame; library errors that escape a reader become a DataError naming the file."""
    import lzma
    import struct
    import zipfile

    try:
        return read(p, format, policy=policy, **options)
    except DataError:
        raise
    except TypeError as e:
        if "unexpected keyword argument" in str(e):
            raise DataError(f"reader option not accepted ({e})", path=p,
                            expected="options this format's reader takes") from None
        raise
    except (pa.ArrowException, ValueError, OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile,
            struct.error, UnicodeError, IndexError) as e:
        raise DataError(f"cannot be read ({type(e).__name__}: {str(e)[:200]})", path=p,
                        expected="a file in one of the supported formats") from None


def _col_i64(t: pa.Table, name: str) -> np.ndarray:
    col = t.column(name)
    if pa.types.is_timestamp(col.type):
        col = col.cast(pa.timestamp("ns", col.type.tz)).cast(pa.int64())
    return to_numpy(col)


def _mark_lost(d: dict[str, Any], times: np.ndarray, spans: Sequence[tuple[int, int]] = ()) -> None:
    """Imports whose span holds one of ``times`` (rows removed or overwritten) or overlaps one of
    ``spans`` (inclusive ns ranges of lost partitions) no longer count as fully stored."""
    times = np.sort(times)
    for imp in d["imports"]:
        lo, hi = imp.get("start"), imp.get("end")
        if isinstance(lo, int) and isinstance(hi, int):
            i = int(np.searchsorted(times, lo, "left"))
            if (i < times.size and times[i] <= hi) or any(a <= hi and b >= lo for a, b in spans):
                imp["intact"] = False


def _totals(d: dict[str, Any]) -> None:
    parts_ = d["partitions"].values()
    d["rows"] = sum(p_["rows"] for p_ in parts_)
    d["start"] = min((p_["start"] for p_ in parts_), default=None)
    d["end"] = max((p_["end"] for p_ in parts_), default=None)


def _tz_assumed(d: dict[str, Any]) -> bool:
    return any(bool(i.get("tz_assumed")) for i in d["imports"])


def _ns(x: str | int | None) -> int | None:
    """ns since the epoch of an int (already ns) or ISO text (UTC); ValueError when not understood."""
    if x is None:
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    try:
        return int(np.datetime64(str(x).strip().rstrip("Z"), "ns").astype(np.int64))
    except ValueError:
        raise DataError(f"time {x!r} not understood", expected="an ISO date or time in UTC, e.g. 2025-01-02 "
                        "or 2025-01-02T10:00") from None
