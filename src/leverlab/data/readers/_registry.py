"""The table of readers by format name; reader modules register here, below the package that uses it."""

from __future__ import annotations

from collections.abc import Callable

from ..frames import Frame

Reader = Callable[..., Frame]
READERS: dict[str, Reader] = {}


def register(name: str, reader: Reader) -> None:
    """Add a reader under ``name`` (used by ``read(path, format=name)``)."""
    READERS[name] = reader
