"""The fused tick pass (``_rebuild_bars``: the account's quotes and the strategy's bars in one pass) gives
the same bits as the two steps it fuses: ``_quotes`` (spread rule + widening) then ``_tick_bars`` on the
rebuilt quotes. Random ticks with NaNs, negative and zero spreads, windows before/inside/after the data."""

import numpy as np
import pytest

from leverlab.engine._prepare import _count_buckets, _quotes, _rebuild_bars, _tick_bars

MIN, HOUR = 60 * 10**9, 3600 * 10**9


def _case(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 2000))
    t = (np.cumsum(rng.integers(0, 20 * 10**9, n)) + 10**18).astype(np.int64)
    mid = 1.1 + np.cumsum(rng.normal(0, 1e-4, n))
    sp = np.abs(rng.normal(1e-4, 1e-4, n)) * (rng.random(n) > 0.05) - 1e-5 * (rng.random(n) < 0.05)
    bid, ask = mid - sp / 2, mid + sp / 2
    if seed % 3 == 0:
        bid[rng.integers(0, n, 3)] = np.nan
    if seed % 4 == 0:
        ask[rng.integers(0, n, 2)] = np.nan
    e = np.unique(rng.integers(t[0] - 10**10, t[-1] + 10**10, 2 * int(rng.integers(0, 6)))).astype(np.int64)
    k = e.shape[0] // 2
    lo, hi = np.ascontiguousarray(e[0:2 * k:2]), np.ascontiguousarray(e[1:2 * k:2])
    mult = rng.choice([1.0, 3.0, 2.5], k)
    add = rng.choice([0.0, 2e-5], k)
    return t, bid, ask, lo, hi, mult, add, float(rng.random() * 3e-4)


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("kind", [0, 1, 2])
@pytest.mark.parametrize("tf", [MIN, HOUR])
def test_fused_pass_equals_quotes_then_bars(seed: int, kind: int, tf: int) -> None:
    t, bid, ask, lo, hi, mult, add, sp = _case(seed)
    n = t.shape[0]
    ref_b, ref_a = np.full(n, -1.0), np.full(n, -1.0)
    _quotes(t, bid, ask, kind, sp, lo, hi, mult, add, ref_b, ref_a)
    bad, ref_last, ref_time, ref_ohlc = _tick_bars(t, tf, ref_b, ref_a)
    assert bad == -1
    bad, m = _count_buckets(t, tf)
    out_b, out_a = np.full(n, -2.0), np.full(n, -2.0)
    last, btime, ohlc = np.empty(m, np.int64), np.empty(m, np.int64), np.empty((8, m))
    _rebuild_bars(t, tf, bid, ask, kind, sp, lo, hi, mult, add, out_b, out_a, last, btime, ohlc)
    assert out_b.tobytes() == ref_b.tobytes() and out_a.tobytes() == ref_a.tobytes()
    assert ohlc.tobytes() == ref_ohlc.tobytes()
    assert last.tolist() == ref_last.tolist() and btime.tolist() == ref_time.tolist()
    if kind == 1 and lo.shape[0] == 0:  # broker mode, no window: every spread is exactly sp (up to rounding)
        ok = ~np.isnan(out_b) & ~np.isnan(out_a)
        np.testing.assert_allclose(out_a[ok] - out_b[ok], sp, atol=1e-12)
