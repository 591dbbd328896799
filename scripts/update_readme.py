"""Regenerate the generated parts of README.md (the brokers table) from the profiles: `make readme`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from leverlab.brokers import headline_markdown

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- brokers-table:start -->", "<!-- brokers-table:end -->"


def render(text: str) -> str:
    """README text with the brokers table replaced by a fresh one."""
    block = f"{START}\n{headline_markdown().strip()}\n{END}"
    new, n = re.subn(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    if n != 1:
        raise SystemExit(f"{README}: expected one {START} ... {END} block, found {n}")
    return new


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else "README.md's brokers table is stale: run `make readme`")
    README.write_text(new, encoding="utf-8")
