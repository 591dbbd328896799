"""Random bytes and random CSV-like rows imported into a store that already holds data: only the
package's own errors, no hang, and the rows already stored are unchanged."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leverlab.data import DataError, Store, Ticks

FUZZ = settings(max_examples=60, deadline=10_000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def _store(root: Path) -> Store:
    store = Store(root)
    n = 5_000
    t = 1_700_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 60_000_000_000
    store.write(Ticks("EURUSD", t, 1.1 + np.sin(np.arange(n)) * 1e-3, 1.1002 + np.sin(np.arange(n)) * 1e-3))
    return store


def _digest(store: Store) -> str:
    """SHA-256 of the stored EURUSD rows (every column, in order)."""
    f = store.load("EURUSD")
    h = hashlib.sha256()
    for a in (f.time, f.bid, f.ask):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _files(store: Store) -> dict[str, bytes]:
    return {str(p.relative_to(store.root)): p.read_bytes() for p in sorted(store.root.rglob("*"))
            if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="module")
def held(tmp_path_factory) -> tuple[Store, str]:
    """A store that already holds 5,000 EURUSD ticks, and the digest of those rows."""
    store = _store(tmp_path_factory.mktemp("fuzz-store"))
    return store, _digest(store)


def _import(held: tuple[Store, str], data: bytes, name: str, **options) -> None:
    store, before = held
    with tempfile.TemporaryDirectory(prefix="leverlab-fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        files = _files(store)
        try:
            store.import_file(path, "FUZZ", **options)  # another symbol: the EURUSD rows must not move
        except DataError as e:
            assert str(path) in str(e) or "FUZZ" in str(e), str(e)
            assert _files(store) == files  # a refused file leaves the store byte for byte as it was
    assert _digest(store) == before


@FUZZ
@given(st.binary(max_size=3_000), st.sampled_from(["x.csv", "x.bi5", "x.zip", "x.parquet", "x.txt", "x"]))
def test_random_bytes(held, data, name):
    _import(held, data, name)


_RECENT = st.datetimes(min_value=datetime(2023, 11, 1), max_value=datetime(2023, 12, 31))
_TIME = st.one_of(
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    _RECENT.map(lambda d: f"{d:%Y-%m-%d %H:%M:%S}"),
    _RECENT.map(lambda d: f"{d:%d/%m/%Y %H:%M}"),
    st.builds(lambda d, m, y, h: f"{d:02d}/{m:02d}/{y} {h:02d}:00", st.integers(0, 40), st.integers(0, 14),
              st.integers(1900, 2100), st.integers(0, 25)),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet="0123456789-/.: T+Z", max_size=25),
)
_NUM = st.one_of(st.floats(1.0, 1.3).map(lambda x: f"{x:.5f}"), st.floats(1.0, 1.3).map(lambda x: f"{x:.5f}"),
                 st.floats(allow_nan=True, allow_infinity=True).map(str), st.integers().map(str),
                 st.sampled_from(["", "nan", "-0", "1e400", "x", '"1.1"']))
_HEADERS = ["time,bid,ask", "time,open,high,low,close", "Date,Open,High,Low,Close,Volume", "timestamp,bid,ask",
            "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>", "time;bid;ask", ",Open,High,Low,Close"]


@st.composite
def _csv(draw) -> str:
    header = draw(st.sampled_from(_HEADERS))
    sep = "\t" if "\t" in header else (";" if ";" in header else ",")
    width = header.count(sep) + 1
    rows = draw(st.lists(st.builds(lambda t, nums: [t, *nums], _TIME,
                                   st.lists(_NUM, min_size=width - 1, max_size=width - 1)), max_size=30))
    if rows and draw(st.booleans()):  # one row with too few or too many fields
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = (rows[i] + ["1.1"])[:draw(st.integers(1, width + 1))]
    return "\n".join([header, *(sep.join(r) for r in rows)]) + draw(st.sampled_from(["", "\n", "\r\n"]))


@FUZZ
@given(_csv(), st.sampled_from([{}, {"tz": "UTC+2"}, {"date_format": "DMY"}, {"tz": "Mars/Olympus"},
                                {"date_format": "nonsense"}]))
def test_random_csv_rows(held, text, options):
    _import(held, text.encode(), "EURUSD_fuzz.csv", **options)
