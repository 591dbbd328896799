"""Readers, one per file format, chosen by name or detected from the file.

Each reader returns :class:`~leverlab.data.Ticks` or :class:`~leverlab.data.Bars` in UTC, with the
timezone rule it applied in ``meta["timezone"]``. :func:`read` then validates the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import DataError, FormatError
from ..frames import Frame
from . import lean

Reader = Callable[..., Frame]
READERS: dict[str, Reader] = {"lean": lean.read_lean}


def register(name: str, reader: Reader) -> None:
    """Add a reader under ``name`` (used by ``read(path, format=name)``)."""
    READERS[name] = reader


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
