"""Helpers shared by the readers: opening files and zips with clear errors, guessing symbols."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..errors import CorruptFileError, DataError

_SYMBOL = re.compile(r"(?<![A-Za-z])([A-Za-z]{6})(?![A-Za-z])")
#: ISO codes (and metals) accepted as halves of a symbol guessed from a file name
CURRENCIES = frozenset(
    "USD EUR JPY GBP CHF AUD NZD CAD SEK NOK DKK PLN HUF CZK TRY ZAR MXN SGD HKD CNH CNY RUB ILS THB INR "
    "KRW BRL XAU XAG XPT XPD BTC ETH".split())


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a missing file is a DataError naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError("file not found", path=path) from None
    except IsADirectoryError:
        raise DataError("is a directory", path=path, expected="a file") from None


def zip_members(path: Path) -> dict[str, bytes]:
    """All members of a zip archive; a truncated or damaged zip raises CorruptFileError."""
    try:
        with zipfile.ZipFile(path) as zf:
            out = {}
            for info in zf.infolist():
                if info.is_dir():
                    continue
                try:
                    out[info.filename] = zf.read(info)
                except (zipfile.BadZipFile, EOFError, OSError) as e:
                    raise CorruptFileError(f"member {info.filename!r} cannot be read ({e})", path=path,
                                           offset=info.header_offset, expected="an intact zip archive") from None
            return out
    except zipfile.BadZipFile as e:
        size = path.stat().st_size if path.exists() else None
        raise CorruptFileError(f"not a readable zip archive ({e}; file is {size} bytes)", path=path,
                               offset=size, expected="a zip central directory at the end of the file") from None
    except FileNotFoundError:
        raise DataError("file not found", path=path) from None


def guess_symbol(*names: str) -> str | None:
    """First six-letter run found in the given names, upper-cased (``eurusd.csv`` -> ``EURUSD``)."""
    for n in names:
        stem = Path(n).name
        for m in _SYMBOL.finditer(stem.replace("_", " ").replace("-", " ")):
            cand = m.group(1).upper()
            if cand[:3] in CURRENCIES and cand[3:] in CURRENCIES:
                return cand
    return None
