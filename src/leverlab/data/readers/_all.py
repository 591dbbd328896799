"""Imports every reader module so that each registers itself; text-format sniffing."""

from __future__ import annotations

from pathlib import Path

from . import dukascopy, parquet, text  # noqa: F401  (each registers its readers)


def sniff_text(path: Path, head: bytes) -> str | None:
    """The name of the text reader that recognises ``head`` (None if none does)."""
    return text.sniff(path, head)
