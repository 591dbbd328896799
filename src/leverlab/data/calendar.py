"""Economic-calendar files: the high-impact event times that open a broker's news margin windows."""

from __future__ import annotations

import json
from pathlib import Path


def read_calendar(path: Path) -> list[str]:
    """High-impact event times from a file: a JSON list (strings or objects with ``time``/``datetime``),
    or text/CSV with one ISO 8601 time in the first column of each line (a header line is skipped)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        data = json.loads(text)
        out = []
        for item in data:
            if isinstance(item, dict):
                item = item.get("time") or item.get("datetime") or item.get("date")
            out.append(str(item))
        return out
    out = []
    for line in text.splitlines():
        cell = line.split(",")[0].strip()
        if cell and not cell.startswith("#") and cell[0].isdigit():
            out.append(cell)
    return out


__all__ = ["read_calendar"]
