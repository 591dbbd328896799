"""What every peer script shares: read the benchmark's data file, time a call, print one JSON line."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any, Callable


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls after one warm-up call (JIT compile, caches), and the last output."""
    out = fn()
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def emit(**doc: Any) -> None:
    print(json.dumps(doc), flush=True)
