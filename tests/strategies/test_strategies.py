"""The Strategy API and the built-in strategies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leverlab import strategies
from leverlab.brokers.terms import AccountTerms, SymbolMargin
from leverlab.data.frames import Bars
from leverlab.engine import Backtest, StrategyError
from leverlab.strategies import EmaCross, SmaCross, Strategy, crossover, ema, sma

H1 = 3_600_000_000_000


def _terms(**kw) -> AccountTerms:
    base = dict(broker="t", broker_name="T", account_type="std", entity="e", regulator="r", country="SC",
                client_class="retail", currency="USD", is_cent=False, selected_leverage=500.0,
                margin_call_level=None, stop_out_level=0.0, stop_out_counts_credit=True, nbp=True,
                delete_pending_on_stop_out=True, commission_per_lot_side=0.0, commission_currency="USD",
                swap_free=True, triple_swap_day="wednesday", rollover_time="00:00", server_timezone="UTC",
                min_deposit=None, max_lots=None, symbols={"EURUSD": SymbolMargin("EURUSD", 500.0)})
    base.update(kw)
    return AccountTerms(**base)


def _bars(close) -> Bars:
    c = np.asarray(close, dtype=float)
    o = np.concatenate(([c[0]], c[:-1]))
    t = 1_700_000_000_000_000_000 + np.arange(c.size, dtype=np.int64) * H1
    return Bars("EURUSD", "H1", t, o, np.maximum(o, c), np.minimum(o, c), c)


def test_registry():
    assert {"ema_cross", "sma_cross"} <= set(strategies.names()) and strategies.names() == sorted(strategies.names())
    assert strategies.get("SMA-cross") is SmaCross and strategies.get("ema_cross") is EmaCross
    with pytest.raises(KeyError, match="unknown strategy 'nope'; expected one of: .*sma_cross"):
        strategies.get("nope")


def test_indicators_and_crossover():
    x = np.arange(1.0, 8.0)
    assert np.isnan(sma(x, 3)[:2]).all() and sma(x, 3)[2:].tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]
    e = ema(np.array([1.0, 2.0, 3.0]), 3)  # alpha 0.5, seeded with the first value
    assert e.tolist() == [1.0, 1.5, 2.25]
    assert crossover(np.array([1.0, 3.0]), np.array([2.0, 2.0]))
    assert not crossover(np.array([2.0, 3.0]), np.array([2.0, 2.0]))  # not strictly below before
    assert crossover(np.array([1.0, 3.0]), 2.0) and not crossover(np.array([3.0]), 2.0)


def test_strategy_sees_only_the_past():
    seen = []

    class Peek(Strategy):
        def init(self):
            self.ma = self.I(sma, self.data.Close, 2)

        def next(self):
            seen.append((len(self.data.Close), float(self.data.Close[-1]), len(self.ma)))
            with pytest.raises(IndexError):
                self.data.Close[len(self.data.Close)]

    Backtest(_bars([1.1, 1.2, 1.3]), Peek, terms=_terms()).run()
    assert seen == [(1, 1.1, 1), (2, 1.2, 2), (3, 1.3, 3)]


def test_unknown_parameter_is_named():
    with pytest.raises(TypeError, match="SmaCross has no parameter 'fastest'"):
        Backtest(_bars([1.1] * 30), SmaCross, terms=_terms()).run(fastest=3)


def test_risk_sizing_uses_the_stop_distance():
    """risk 1 % of 10,000 USD with a 50-pip stop on EURUSD: 100 / (0.0050 x 100,000) = 0.2 lots."""
    sizes = []

    class R(Strategy):
        risk = 1.0

        def next(self):
            if self._i == 0:
                self.buy(sl=float(self.data.Close[-1]) - 0.005)
            sizes.append([p.lots for p in self.positions])

    Backtest(_bars([1.1] * 4), R, terms=_terms(), deposit=10_000).run()
    assert sizes[1] == [0.2]


def test_sma_cross_sl_tp_parameters_attach_levels():
    c = 1.1 + 0.01 * np.sin(np.arange(120) / 8.0)  # smooth swings: several crosses
    r = Backtest(_bars(c), SmaCross, terms=_terms(), deposit=10_000).run(lots=0.1, sl_pips=20, tp_pips=40)
    assert r.stats["trades"] >= 1
    assert {t.reason for t in r.trades} <= {"sl", "tp", "signal", "end"}


def test_account_is_visible_to_the_strategy():
    levels = []

    class A(Strategy):
        def next(self):
            if self._i == 0:
                self.buy(1)
            a = self.account
            levels.append((a.margin, a.margin_level, a.free_margin, bool(self.position), self.position.size))

    Backtest(_bars([1.1] * 3), A, terms=_terms(), deposit=1_000).run()
    assert levels[0] == (0.0, math.inf, 1000.0, False, 0)
    m, lvl, free, has, size = levels[1]
    assert m == pytest.approx(220.0) and lvl == pytest.approx(1000 / 220 * 100) and has and size == 1.0


def test_init_error_is_wrapped():
    class Bad(Strategy):
        def init(self):
            raise RuntimeError("no data")

    with pytest.raises(StrategyError, match=r"Bad.init\(\) failed: RuntimeError: no data"):
        Backtest(_bars([1.1] * 3), Bad, terms=_terms()).run()


def test_text_parameters_take_the_defaults_types():
    """A command line gives text; the Strategy converts it once, for backtest and compare alike."""
    from leverlab.strategies import SmaCross

    assert SmaCross.checked_params({"fast": "5", "sl_pips": "30", "tp_pips": "none"}) == \
        {"fast": 5, "sl_pips": 30, "tp_pips": None}
    with pytest.raises(ValueError, match="expected int"):
        SmaCross.checked_params({"fast": "ten"})


def test_sma_sums_each_window_from_its_first_value():
    """``sma`` runs windows side by side; each must still be summed in order, first value first: the
    same bits as the plain loop, across block edges (1,024 windows) and through NaNs."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=2_600) * 1e3 + 1.1
    x[[5, 1_500]] = np.nan
    for n in (1, 2, 19, 700, 2_500, 2_601):
        plain = np.full(x.shape[0], np.nan)
        for i in range(n - 1, x.shape[0]):
            s = 0.0
            for v in x[i - n + 1:i + 1]:
                s += v
            plain[i] = s / n
        assert sma(x, n).tobytes() == plain.tobytes(), n


def test_sma_refuses_a_window_below_one():
    with pytest.raises(ValueError, match="sma: window 0 bars; expected at least 1"):
        sma(np.arange(5.0), 0)
