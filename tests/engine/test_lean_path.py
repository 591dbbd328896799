"""The lean quote paths (nothing can fill: the account re-valued in registers, bar opens and closes
included) give exactly what the full path gives, bit for bit: the same deals, trades, events,
series and statistics - on the sample, on stop-out and margin-call paths, with SL/TP, HMR windows
and on ticks. ``P_LEAN = 0`` sends every quote through the full path."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bars, fingerprint, make_terms, ns, scripted

from leverlab.data import load
from leverlab.data.frames import Ticks
from leverlab.engine import Backtest
from leverlab.engine import _layout as L
from leverlab.strategies import EmaCross, SmaCross


def _same(monkeypatch, make, run_kw):
    a = make().run(**run_kw)
    orig = Backtest._params

    def full_params(self):
        p = orig(self)
        p[L.P_LEAN] = 0.0
        return p

    monkeypatch.setattr(Backtest, "_params", full_params)
    b = make().run(**run_kw)
    monkeypatch.undo()
    assert fingerprint(a) == fingerprint(b)
    return a


@pytest.mark.parametrize("broker", ["exness", "amarkets", "fbs"])
@pytest.mark.parametrize("vectorized", [True, False])
def test_sample_lean_equals_full(monkeypatch, broker, vectorized):
    data = load("sample:eurusd-h1")
    r = _same(monkeypatch, lambda: Backtest(data, SmaCross, broker=broker, account_type="standard", country="SC",
                                            deposit=1_000, vectorized=vectorized), dict(lots=0.2))
    assert r.stats["trades"] > 10


def test_stop_out_and_margin_call_path_lean_equals_full(monkeypatch):
    """10 lots long on 10,000 USD at 1:1000 (MC 100 %, SO 50 %) fall through the margin-call level,
    recover above it, fall through it again and are stopped out inside a bar (bisected crossings);
    a small position follows."""
    closes = ([1.1] * 5 + list(np.linspace(1.1, 1.0908, 15)) + list(np.linspace(1.0908, 1.095, 10))
              + list(np.linspace(1.095, 1.089, 15)) + [1.089] * 10)
    lows = np.asarray(closes) - 0.0004
    highs = np.asarray(closes) + 0.0003
    data = bars("EURUSD", closes, highs=highs, lows=lows, spread=0.00002)
    plan = {0: lambda s: s.buy(10), 50: lambda s: s.buy(0.2)}
    r = _same(monkeypatch, lambda: Backtest(data, scripted(plan), terms=make_terms(), deposit=10_000), {})
    types = [e.type for e in r.events]
    assert "stop_out" in types and types.count("margin_call") >= 2


def test_sl_tp_and_pending_orders_lean_equals_full(monkeypatch):
    rng = np.random.default_rng(5)
    closes = 1.1 + np.cumsum(rng.normal(0, 0.0008, 400))
    data = bars("EURUSD", closes, highs=closes + 0.0006, lows=closes - 0.0006)

    def go(s):
        if not s.position:
            p = s.data.Close[-1]
            s.buy(0.5, sl=p - 0.0015, tp=p + 0.0015) if s._i % 2 else s.sell(0.5, sl=p + 0.0015, tp=p - 0.0015)
        if s._i % 17 == 0:
            p = s.data.Close[-1]
            s.buy(0.2, limit=p - 0.001, sl=p - 0.003, tp=p + 0.001)

    r = _same(monkeypatch, lambda: Backtest(data, scripted({i: go for i in range(400)}), terms=make_terms(),
                                            deposit=5_000), {})
    reasons = {t.reason for t in r.trades}
    assert {"sl", "tp"} <= reasons


def test_ticks_and_hmr_lean_equals_full(monkeypatch):
    rng = np.random.default_rng(11)
    n = 40_000
    t = ns(2024, 1, 5, 12) + np.cumsum(rng.integers(500, 9_000, n)).astype(np.int64) * 1_000_000
    bid = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.0001, n))), 5)
    tk = Ticks("EURUSD", t, bid, bid + 0.00012)
    r = _same(monkeypatch, lambda: Backtest(tk, EmaCross, broker="amarkets", account_type="standard", country="SC",
                                            deposit=500, vectorized=True, timeframe="M1"), dict(lots=1))
    assert r.stats["trades"] > 5
    r = _same(monkeypatch, lambda: Backtest(tk, EmaCross, terms=make_terms(), deposit=300, vectorized=True,
                                            timeframe="M1"), dict(lots=2))
    assert r.stats["stop_outs"] >= 1


def _walk(symbol: str, start: float, step: float, n: int = 3_000, seed: int = 9):
    rng = np.random.default_rng(seed)
    closes = start * np.exp(np.cumsum(rng.normal(0.0, step, n)))
    wick = start * step * np.abs(rng.normal(size=(2, n)))
    return bars(symbol, closes, highs=np.maximum(np.concatenate(([closes[0]], closes[:-1])), closes) + wick[0],
                lows=np.minimum(np.concatenate(([closes[0]], closes[:-1])), closes) - wick[1],
                spread=start * 2e-5)


@pytest.mark.parametrize("case", ["cfd_leverage", "fixed_margin", "repricing_bands", "profit_converted"])
def test_margin_forms_lean_equals_full(monkeypatch, case):
    """The scan and its price box under every margin form: a margin that moves with the price (XAUUSD, a
    CFD with leverage), a fixed margin rate (US30), equity bands re-margining the position as equity
    crosses them (the box must hold one band), and a profit converted at the symbol's own price
    (USDJPY on a USD account: the scan stands aside). Random walks, positions large enough to cross
    the bands and to end in a margin call and a stop-out."""
    from leverlab.brokers.terms import SymbolMargin

    symbol, data, lots, margin = {
        "cfd_leverage": ("XAUUSD", _walk("XAUUSD", 2000.0, 0.004), 0.5, SymbolMargin("XAUUSD", 500.0)),
        "fixed_margin": ("US30", _walk("US30", 38000.0, 0.003), 2.0,
                         SymbolMargin("US30", 1000.0, fixed_margin_rate=0.01)),
        "repricing_bands": ("EURUSD", _walk("EURUSD", 1.1, 0.002), 3.0,
                            SymbolMargin("EURUSD", 1000.0, band_floor=(0.0, 9_000.0, 10_500.0),
                                         band_leverage=(2000.0, 500.0, 100.0))),
        "profit_converted": ("USDJPY", _walk("USDJPY", 150.0, 0.002), 1.0, SymbolMargin("USDJPY", 1000.0)),
    }[case]
    terms = make_terms({symbol: 1000.0}, symbol_margin={symbol: margin})
    r = _same(monkeypatch, lambda: Backtest(data, SmaCross, terms=terms, deposit=10_000, vectorized=True),
              dict(lots=lots))
    assert r.stats["trades"] > 15 and r.stats["stop_outs"] == 1  # (trading until the stop-out: every path met)
