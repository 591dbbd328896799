"""The bundled real sample: Oanda EURUSD and XAUUSD H1 bid/ask bars, 2007-01-01..2018-12-31.

Taken from QuantConnect LEAN's ``Data/`` folder (Apache-2.0; see ``sample/NOTICE``), stored as
Parquet with prices as integer points (exact: ``points / 10**digits`` gives back the very float
the vendor's text parses to), delta-encoded and zstd-compressed, so both series take about 2 MB.

>>> bars = load_sample("sample:eurusd-h1")
>>> bars.symbol, bars.timeframe, bars.two_sided
('EURUSD', 'H1', True)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import DataError
from .frames import BAR_COLUMNS, Bars, to_numpy

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
SAMPLES: dict[str, tuple[str, str, str]] = {  # name -> (file, symbol, LEAN path it was built from)
    "eurusd-h1": ("eurusd-h1.parquet", "EURUSD", "forex/oanda/hour/eurusd.zip"),
    "xauusd-h1": ("xauusd-h1.parquet", "XAUUSD", "cfd/oanda/hour/xauusd.zip"),
}
_RANGE = ("2007-01-01", "2019-01-01")  # [start, end) UTC


def sample_names() -> list[str]:
    """Names accepted after ``sample:``."""
    return sorted(SAMPLES)


def load_sample(name: str) -> Bars:
    """Load a bundled sample by ``sample:<name>`` or ``<name>`` (no network, no other files)."""
    key = name.split(":", 1)[1] if name.lower().startswith("sample:") else name
    key = key.lower()
    if key not in SAMPLES:
        raise DataError(f"unknown sample {name!r}", expected=f"one of {', '.join('sample:' + s for s in SAMPLES)}")
    fname, symbol, origin = SAMPLES[key]
    path = SAMPLE_DIR / fname
    t = pq.ParquetFile(path).read()  # read_table would import pyarrow.dataset (~0.6 s)
    md = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items()}
    scale = 10.0 ** int(md["digits"])
    cols = {c: to_numpy(t.column(c)).astype(np.float64) / scale for c in BAR_COLUMNS[1:] if c in t.column_names}
    time = to_numpy(t.column("time").cast(pa.int64()))
    meta = {"format": "sample", "timezone": "UTC", "origin": f"QuantConnect LEAN Data/{origin} (Oanda)",
            "license": "Apache-2.0", "files": [str(path)], "digits": int(md["digits"])}
    return Bars(symbol, "H1", time, source=f"sample:{key}", meta=meta, **cols)


def _digits(cols: dict[str, np.ndarray]) -> int:
    for d in range(0, 9):
        s = 10.0 ** d
        if all(np.array_equal(np.rint(a * s) / s, a) for a in cols.values()):
            return d
    raise ValueError("prices need more than 8 decimals")


def build_samples(lean_data: str | Path, out_dir: str | Path = SAMPLE_DIR) -> list[Path]:
    """Rebuild the sample files from a LEAN ``Data/`` folder (how the bundled files were made)."""
    from .readers.lean import read_lean

    lo, hi = (np.datetime64(x, "ns").astype(np.int64) for x in _RANGE)
    written = []
    for fname, symbol, origin in SAMPLES.values():
        bars = read_lean(Path(lean_data) / origin, symbol=symbol).between(int(lo), int(hi))
        cols = {c: getattr(bars, c) for c in BAR_COLUMNS[1:9]}
        d = _digits(cols)
        table = pa.table({"time": pa.array(bars.time).cast(pa.timestamp("ns", "UTC")),
                          **{c: pa.array(np.rint(a * 10.0 ** d).astype(np.int32)) for c, a in cols.items()}})
        table = table.replace_schema_metadata({"digits": str(d), "symbol": symbol, "timeframe": "H1",
                                               "origin": f"QuantConnect LEAN Data/{origin}"})
        out = Path(out_dir) / fname
        fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
        os.close(fd)
        os.chmod(tmp, 0o644)
        pq.write_table(table, tmp, compression="zstd", compression_level=19, use_dictionary=False,
                       column_encoding={c: "DELTA_BINARY_PACKED" for c in table.column_names})
        os.replace(tmp, out)
        written.append(out)
    return written
