"""Helpers for engine tests: hand-built account terms and price paths."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from leverlab.brokers.terms import AccountTerms, SymbolMargin
from leverlab.data.frames import Bars, Ticks

H1 = 3_600_000_000_000


def ns(*args: int) -> int:
    """UTC nanoseconds of datetime(*args)."""
    return int(datetime(*args, tzinfo=timezone.utc).timestamp()) * 1_000_000_000


def make_terms(symbols: dict[str, float] | None = None, *, currency: str = "USD", stop_out: float = 50.0,
               margin_call: float | None = 100.0, nbp: bool = True, leverage: float = 1000.0, **kw) -> AccountTerms:
    """Terms of a plain account: each symbol at a static leverage cap, no costs unless given."""
    symbols = symbols or {"EURUSD": leverage}
    sm = kw.pop("symbol_margin", None) or {s: SymbolMargin(s, lev) for s, lev in symbols.items()}
    base = dict(
        broker="test", broker_name="Test", account_type="standard", entity="test", regulator="none", country="SC",
        client_class="retail", currency=currency, is_cent=currency in ("USC", "EUC"), selected_leverage=leverage,
        margin_call_level=margin_call, stop_out_level=stop_out, stop_out_counts_credit=True, nbp=nbp,
        delete_pending_on_stop_out=True, commission_per_lot_side=0.0, commission_currency="USD", swap_free=False,
        triple_swap_day="wednesday", rollover_time="00:00", server_timezone="Etc/GMT-2", min_deposit=None,
        max_lots=None, symbols=sm,
    )
    base.update(kw)
    return AccountTerms(**base)


def bars(symbol: str, closes, start: int = None, opens=None, highs=None, lows=None, tf: str = "H1",
         spread: float = 0.0) -> Bars:
    """Bars from closes (open = previous close unless given; high/low = max/min of open/close unless given)."""
    c = np.asarray(closes, dtype=np.float64)
    o = np.asarray(opens, dtype=np.float64) if opens is not None else np.concatenate(([c[0]], c[:-1]))
    h = np.asarray(highs, dtype=np.float64) if highs is not None else np.maximum(o, c)
    lo = np.asarray(lows, dtype=np.float64) if lows is not None else np.minimum(o, c)
    start = ns(2024, 1, 2, 10) if start is None else start
    t = start + np.arange(c.shape[0], dtype=np.int64) * H1
    kw = {}
    if spread:
        kw = dict(ask_open=o + spread, ask_high=h + spread, ask_low=lo + spread, ask_close=c + spread)
    return Bars(symbol, tf, t, o, h, lo, c, **kw)


def ticks(symbol: str, bids, start: int = None, spread: float = 0.0, step_ns: int = 1_000_000_000) -> Ticks:
    b = np.asarray(bids, dtype=np.float64)
    start = ns(2024, 1, 2, 10) if start is None else start
    t = start + np.arange(b.shape[0], dtype=np.int64) * step_ns
    return Ticks(symbol, t, b, b + spread)


@pytest.fixture
def terms():
    return make_terms()


def scripted(plan: dict):
    """A Strategy class that runs ``plan[i](self)`` at the close of bar i."""
    from leverlab.strategies import Strategy

    class Script(Strategy):
        def next(self):
            f = plan.get(self._i)
            if f is not None:
                f(self)

    return Script


def record_margins(data, plan: dict, *, terms, deposit: float, **kw):
    """Run ``plan`` (as ``scripted``) and note the used margin at every bar close: (seen, result)."""
    from leverlab.engine import Backtest

    seen: dict[int, float] = {}

    def note(s):
        seen[s._i] = s.account.margin
        f = plan.get(s._i)
        if f:
            f(s)

    n = len(next(iter(data.values())) if isinstance(data, dict) else data)
    r = Backtest(data, scripted({i: note for i in range(n)}), terms=terms, deposit=deposit, **kw).run()
    return seen, r


def fingerprint(result):
    """A result's bytes for "same inputs, same bytes" comparisons: every raw table, the account series and
    the stats (as text)."""
    out = [np.ascontiguousarray(a).tobytes() for pair in result.raw for a in pair]
    s = result.series
    out += [np.ascontiguousarray(a).tobytes() for a in (s.time, s.balance, s.equity, s.margin, s.free_margin,
                                                         s.margin_level)]
    out.append(repr(sorted((k, str(v)) for k, v in result.stats.items())))
    return out
