"""Errors raised while reading, validating or storing market data.

Every message names the file, the row (1-based, counting the file's own lines) or the byte offset,
what was found and what was expected, so a user can open the file and see the problem.
"""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """Base class: something is wrong with market data or with how it was asked for."""

    def __init__(self, message: str, *, path: str | Path | None = None, row: int | None = None,
                 offset: int | None = None, expected: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.row = row
        self.offset = offset
        self.expected = expected
        where = []
        if self.path:
            where.append(self.path)
        if row is not None:
            where.append(f"row {row}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        text = (", ".join(where) + ": " if where else "") + message
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)


class FormatError(DataError):
    """The file's format cannot be recognised, or is not the one named."""


class ParseError(DataError):
    """A row or record cannot be parsed: wrong column count, bad date, bad number."""


class CorruptFileError(DataError):
    """The container is damaged: truncated zip, data that is not LZMA, a partial record."""


class ValidationError(DataError):
    """A validation check whose policy is ``error`` found problems."""


class StoreError(DataError):
    """The local store cannot satisfy a request (unknown symbol, damaged catalog)."""
