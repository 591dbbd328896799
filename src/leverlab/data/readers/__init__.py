"""Readers, one per file format, chosen by name or detected from the file.

Each reader returns :class:`~leverlab.data.Ticks` or :class:`~leverlab.data.Bars` in UTC, with the
timezone rule it applied in ``meta["timezone"]``. :func:`read` then validates the result.
The store imports this package (never the other way), and ``leverlab.data.read`` is :func:`read`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DataError, FormatError
from ..frames import Frame
from ..validate import validate
from . import lean
from ._registry import READERS, Reader, register

register("lean", lean.read_lean)

__all__ = ["READERS", "Reader", "register", "detect", "read_raw", "read"]


def _head(p: Path, n: int = 4096) -> bytes:
    try:
        with open(p, "rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        raise DataError("file not found", path=p) from None


def detect(path: str | Path) -> str:
    """The format name of ``path`` from its name and first bytes; FormatError if unknown."""
    from . import _all

    p = Path(path)
    if p.is_dir():
        if any(p.glob("*.zip")):
            return "lean"
        if any(p.rglob("*.bi5")):
            return "dukascopy"
        raise FormatError("folder holds neither LEAN zips nor Dukascopy .bi5 files", path=p)
    head = _head(p)
    if p.suffix.lower() == ".bi5":
        return "dukascopy"
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:2] == b"PK":
        return "lean"
    name = _all.sniff_text(p, head)
    if name:
        return name

    raise FormatError("format not recognised", path=p,
                      expected="one of: " + ", ".join(sorted(READERS)) + " (or pass format=...)")


def read_raw(path: str | Path, format: str | None = None, **options: Any) -> Frame:
    """Read without validating: the reader's output as is."""
    from . import _all  # noqa: F401  (registers the readers)

    fmt = format or detect(path)
    if fmt not in READERS:
        raise FormatError(f"unknown format {fmt!r}", path=path, expected="one of " + ", ".join(sorted(READERS)))
    return READERS[fmt](path, **options)


def read(path: str | Path, format: str | None = None, *, policy: dict[str, str] | str | None = None,
         outlier_sigma: float = 12.0, gap_threshold: str | int | None = None, **options: Any) -> Frame:
    """Read a file (format detected unless given), validate it and apply ``policy``.

    The validation report is in ``frame.meta["report"]`` (a dict); options go to the reader
    (``symbol=``, ``tz=``, ``columns=``...).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "EURUSD.csv")
    >>> _ = open(path, "w").write("time,bid,ask\\n2024-01-02 10:00:00,1.1000,1.1002\\n"
    ...                           "2024-01-02 10:00:01,1.1001,1.1003\\n")
    >>> ticks = read(path, symbol="EURUSD", tz="UTC")
    >>> type(ticks).__name__, len(ticks), ticks.meta["report"]["rows_out"]
    ('Ticks', 2, 2)
    """
    frame = read_raw(path, format, **options)
    return validate(frame, policy, outlier_sigma=outlier_sigma, gap_threshold=gap_threshold).frame  # type: ignore[return-value]
