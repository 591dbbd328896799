"""Small helpers for the data tests."""

from __future__ import annotations

import numpy as np


def utc(ns: int) -> str:
    """ISO text of an int64 ns timestamp, as asserted in the tests."""
    return str(np.datetime64(int(ns), "ns"))
