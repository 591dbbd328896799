"""Fast CSV reading on pyarrow with errors that name the file and row, and vectorised parsing of
fixed-width date/time text (``20170102 020000``, ``2025.06.13``, ``01.01.2017 22:00:00.000``).

pyarrow's own messages do not carry row numbers, so on failure we locate the offending row with a
plain scan of the bytes (only on the error path, so the fast path stays fast).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import ParseError

_COLS = re.compile(r"Expected (\d+) columns, got (\d+): (.*)", re.S)
_CONV = re.compile(r"In CSV column #(\d+): .*?conversion error to ([^:]+): invalid value '(.*)'", re.S)


def read_csv(data: bytes, label: str | Path, *, names: list[str] | None, types: dict[str, pa.DataType],
             delimiter: str = ",", skip_rows: int = 0, autogenerate: bool = False,
             include: list[str] | None = None) -> pa.Table:
    """Parse CSV bytes into a table; ``names`` None means the first (non-skipped) row is a header.

    Raises :class:`ParseError` naming ``label``, the 1-based line and what was expected.
    """
    if data and not data.endswith(b"\n"):
        data += b"\n"  # a header-only file without a final newline reads as no rows, not as an error
    ropts = pacsv.ReadOptions(column_names=names, skip_rows=skip_rows, block_size=16 << 20,
                              autogenerate_column_names=autogenerate)
    popts = pacsv.ParseOptions(delimiter=delimiter)
    copts = pacsv.ConvertOptions(column_types=types, include_columns=include, strings_can_be_null=False,
                                 quoted_strings_can_be_null=False)
    try:
        return pacsv.read_csv(io.BytesIO(data), read_options=ropts, parse_options=popts, convert_options=copts)
    except pa.ArrowInvalid as e:
        raise _explain(str(e), data, label, delimiter, skip_rows + (0 if names else 1), names) from None


def _explain(msg: str, data: bytes, label: str | Path, delimiter: str, first_data_line: int,
             names: list[str] | None) -> ParseError:
    m = _COLS.search(msg)
    if m:
        want, got, text = int(m.group(1)), int(m.group(2)), m.group(3).strip()
        row = _find_line(data, lambda ln: ln.strip() == text.encode(), first_data_line)
        return ParseError(f"found {got} columns: {text[:80]!r}", path=label, row=row,
                          expected=f"{want} columns separated by {delimiter!r}")
    m = _CONV.search(msg)
    if m:
        col, typ, value = int(m.group(1)), m.group(2), m.group(3)
        d = delimiter.encode()
        row = _find_line(data, lambda ln: _field(ln, d, col) == value.encode(), first_data_line)
        cname = names[col] if names and col < len(names) else f"#{col + 1}"
        return ParseError(f"column {cname}: cannot read {value!r}", path=label, row=row,
                          expected=_TYPE_WORDS.get(typ.strip(), typ.strip()))
    return ParseError(msg.replace("\n", " "), path=label)


_TYPE_WORDS = {"double": "a number", "int64": "an integer", "timestamp[ns]": "a date/time"}


def _field(line: bytes, delim: bytes, col: int) -> bytes | None:
    parts = line.rstrip(b"\r\n").split(delim)
    return parts[col].strip(b'"') if col < len(parts) else None


def _find_line(data: bytes, pred, first: int) -> int | None:
    for i, ln in enumerate(data.splitlines()):
        if i >= first and pred(ln):
            return i + 1
    return None


# ---------------------------------------------------------------- fixed-width date/time parsing

_TOKENS = {"%Y": ("Y", 4), "%m": ("m", 2), "%d": ("d", 2), "%H": ("H", 2), "%M": ("M", 2), "%S": ("S", 2),
           "%f": ("f", 3)}


def _layout(fmt: str) -> tuple[list[tuple[str, int, int]], int, list[tuple[int, int]]]:
    """Fields (name, start, width), total width and literal positions of a strptime-like format."""
    fields_, lits, pos, i = [], [], 0, 0
    while i < len(fmt):
        tok = fmt[i:i + 2]
        if tok in _TOKENS:
            name, w = _TOKENS[tok]
            fields_.append((name, pos, w))
            pos += w
            i += 2
        else:
            lits.append((pos, ord(fmt[i])))
            pos += 1
            i += 1
    return fields_, pos, lits


def parse_datetime(col: pa.Array | pa.ChunkedArray, fmt: str, label: str | Path, *,
                   column: str = "time", first_line: int = 1) -> np.ndarray:
    """Parse fixed-width date/time strings into int64 ns (wall clock, no zone), vectorised.

    ``fmt`` uses ``%Y %m %d %H %M %S %f`` (``%f`` = 3-digit milliseconds) and literal characters.
    A row whose text does not fit raises ParseError with its line (``first_line`` = line of row 0).
    """
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    fields_, width, lits = _layout(fmt)
    n = len(col)
    if n == 0:
        return np.zeros(0, np.int64)
    if col.type != pa.string():
        col = col.cast(pa.string())
    offsets = np.frombuffer(col.buffers()[1], np.int32)[col.offset:col.offset + n + 1].astype(np.int64)
    lengths = np.diff(offsets)
    bad = np.flatnonzero(lengths != width)
    if bad.size:
        i = int(bad[0])
        raise ParseError(f"column {column}: cannot read {col[i].as_py()!r}", path=label, row=first_line + i,
                         expected=f"date/time like {fmt!r} ({width} characters)")
    buf = np.frombuffer(col.buffers()[2], np.uint8)
    chars = buf[int(offsets[0]):int(offsets[0]) + n * width].reshape(n, width)
    vals: dict[str, np.ndarray] = {}
    okmask = np.ones(n, bool)
    for name, start, w in fields_:
        d = chars[:, start:start + w].astype(np.int64) - 48
        okmask &= ((d >= 0) & (d <= 9)).all(axis=1)
        v = np.zeros(n, np.int64)
        for k in range(w):
            v = v * 10 + d[:, k]
        vals[name] = v
    for p, c in lits:
        okmask &= chars[:, p] == c
    y = vals.get("Y", np.full(n, 1970))
    mo, dd = vals.get("m", np.ones(n, np.int64)), vals.get("d", np.ones(n, np.int64))
    hh, mi, ss = (vals.get(k, np.zeros(n, np.int64)) for k in ("H", "M", "S"))
    okmask &= (mo >= 1) & (mo <= 12) & (dd >= 1) & (dd <= 31) & (hh < 24) & (mi < 60) & (ss < 61)
    if not okmask.all():
        i = int(np.flatnonzero(~okmask)[0])
        raise ParseError(f"column {column}: cannot read {col[i].as_py()!r}", path=label, row=first_line + i,
                         expected=f"date/time like {fmt!r}")
    days = days_from_civil(y, mo, dd)
    ns = ((days * 24 + hh) * 60 + mi) * 60 + ss
    ns = ns * 1_000_000_000
    if "f" in vals:
        ns += vals["f"] * 1_000_000
    return ns


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 for proleptic Gregorian dates (H. Hinnant's algorithm), vectorised."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
