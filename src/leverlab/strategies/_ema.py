"""Compiled moving-average helpers shared by strategies and their vectorized modes."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def ema_array(x: np.ndarray, alpha: float) -> np.ndarray:
    """EMA with smoothing ``alpha``, seeded with the first value (no warm-up NaNs)."""
    out = np.empty_like(x)
    if x.shape[0] == 0:
        return out
    e = x[0]
    for i in range(x.shape[0]):
        e = e + alpha * (x[i] - e)
        out[i] = e
    return out


@njit(cache=True, nogil=True)
def cross_targets(fast: np.ndarray, slow: np.ndarray, size: float) -> np.ndarray:
    """Stop-and-reverse targets: +size after fast crosses above slow, -size after it crosses below,
    NaN (no change) elsewhere - the same decisions ``crossover`` makes bar by bar."""
    n = fast.shape[0]
    out = np.full(n, np.nan)
    for i in range(1, n):
        a1 = fast[i - 1]
        b1 = slow[i - 1]
        a0 = fast[i]
        b0 = slow[i]
        if a1 < b1 and a0 > b0:
            out[i] = size
        elif b1 < a1 and b0 > a0:
            out[i] = -size
    return out


@njit(cache=True, nogil=True)
def ema_cross_stream(close: np.ndarray, a_fast: float, a_slow: float, state: np.ndarray, size: float) -> np.ndarray:
    """``cross_targets(ema(fast), ema(slow))`` continued across chunks: ``state`` holds
    [started, ema_fast, ema_slow] after the previous chunk and is updated in place."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    for i in range(n):
        x = close[i]
        if state[0] == 0.0:
            state[0] = 1.0
            state[1] = x
            state[2] = x
            continue
        pf = state[1]
        ps = state[2]
        f = pf + a_fast * (x - pf)
        s = ps + a_slow * (x - ps)
        if pf < ps and f > s:
            out[i] = size
        elif ps < pf and s > f:
            out[i] = -size
        state[1] = f
        state[2] = s
    return out


@njit(cache=True, nogil=True)
def rolling_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Mean of each window of ``n`` values (each window summed afresh from its first value, so no
    drift); NaN before. The windows are summed a block at a time, each still in its own order (the
    same bits as one window after another), so the additions of neighbouring windows run side by side."""
    if n < 1:
        raise ValueError("rolling_mean: the window must be at least 1")
    m = x.shape[0]
    out = np.full(m, np.nan)
    block = 1024
    work = np.empty(block)
    for base in range(n - 1, m, block):
        cnt = min(block, m - base)
        acc = work[:cnt]
        acc[:] = 0.0
        for j in range(n):
            first = base - n + 1 + j
            xs = x[first:first + cnt]  # (slices: the compiler sees the lengths, and vectorizes)
            for k in range(cnt):
                acc[k] += xs[k]
        window = out[base:base + cnt]
        for k in range(cnt):
            window[k] = acc[k] / n
    return out
