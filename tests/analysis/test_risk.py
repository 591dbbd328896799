"""The worked examples of formulas.md, computed by the calculators (and so by the engine's formulas)."""

import math
from decimal import Decimal

import pytest

from leverlab.analysis.risk import (
    CalculatorError,
    Position,
    margin,
    pip_value,
    position_size,
    profit,
    stopout_levels,
    swap_cost,
)
from leverlab.conversion import MissingRateError
from leverlab.engine.formulas import hedged_margin
from leverlab.instruments import instrument

D = Decimal


# -- section 2: initial margin by calculation mode -------------------------------------------------
@pytest.mark.parametrize(
    "symbol, lots, price, lev, acc, rates, expected",
    [
        ("EURUSD", 1, 1.1000, 1000, "USD", {}, "110.00"),  # FOREX 1
        ("USDJPY", 0.5, 150.0, 500, "USD", {}, "100.00"),  # FOREX 2, no conversion
        ("GBPJPY", 2, 190.0, 200, "USD", {"GBPUSD": 1.27}, "1270.00"),  # FOREX 3, cross
        ("EURUSD", 2, 1.1000, 2000, "EUR", {}, "100.00"),  # FOREX 4, Exness help example
        ("USDCHF", 1, 0.9, 2000, "USD", {}, "50.00"),  # FOREX 5, Exness outside HMR
        ("USDCHF", 1, 0.9, 200, "USD", {}, "500.00"),  # FOREX 5, inside the weekend HMR window
        ("XAUUSD", 1, 2000, 500, "USD", {}, "400.00"),  # CFDLEVERAGE 1
        ("XAUUSD", 1, 2000, 20, "USD", {}, "10000.00"),  # CFDLEVERAGE 2, ESMA gold cap
        ("USOIL", 2, 75.00, 200, "USD", {}, "750.00"),  # CFDLEVERAGE 3
        ("GBPUSD", 5, 1.25, 500, "EUR", {"EURGBP": 0.77142}, "1296.31"),  # section 3, Windsor
    ],
)
def test_margin_worked_examples(symbol, lots, price, lev, acc, rates, expected):
    assert margin(symbol, lots, price, lev, acc, rates).margin == D(expected)


def test_cfd_mode_and_fixed_margin_examples():
    us500 = instrument("US500").with_overrides(calc_mode="cfd", margin_rate=0.05)
    assert margin(us500, 1, 5000, 1).margin == D("250.00")  # CFD 1
    de40 = instrument("DE40").with_overrides(calc_mode="cfd", margin_rate=0.05)
    assert margin(de40, 1, 18000, 1, "USD", {"EURUSD": 1.08}).margin == D("972.00")  # CFD 3
    r = margin("GBPSEK", 0.5, 13.2, 1000, "GBP", fixed_margin_rate=0.01)  # CFD 2, Exness fixed 1 %
    assert (r.margin, r.currency, r.leverage) == (D("500.00"), "GBP", 100.0)


def test_unlimited_leverage_needs_no_margin_and_cent_account_counts_cents():
    assert margin("EURUSD", 1, 1.1, math.inf).margin == D("0.00")
    # A USC account trades cent lots of 1,000 units (Exness: "500 cent lots = 5 lots"; FBS: "1 lot on Cent =
    # 0.01 standard lot"), as the engine does: 1,000 x 1.1 / 1000 = 1.10 USD = 110 US cents. (This line
    # pinned 11,000 cents - a standard lot in cents - which the costs issue names as the calculator's bug.)
    assert margin("EURUSD", 1, 1.1, 1000, "USC").margin == D("110.00")


def test_margin_is_converted_both_directions_and_names_missing_pair():
    # EURGBP in a USD account: margin in EUR, converted through EURUSD
    assert margin("EURGBP", 1, 0.85, 100, "USD", {"EURUSD": 1.1}).margin == D("1100.00")
    # inverse: USDJPY margin is USD, in a JPY account multiply by USDJPY
    assert margin("USDJPY", 1, 150.0, 100, "JPY").margin == D("150000")
    with pytest.raises(MissingRateError, match="EURUSD"):
        margin("EURGBP", 1, 0.85, 100, "USD")


# -- section 4: hedged margin -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "buy, sell, h, expected",
    [(1, 1, 0, 0), (1, 1, 0.5, 110), (1, 1, 0.3, 66), (2, 1, 0, 110), (2, 1, 0.5, 220), (2, 1, 1.0, 330)],
)
def test_hedged_margin_examples(buy, sell, h, expected):
    assert hedged_margin(110.0 * buy, 110.0 * sell, buy, sell, h) == pytest.approx(expected)


# -- section 6: profit -------------------------------------------------------------------------------
def test_profit_examples():
    assert profit("EURUSD", "buy", 1, 1.1000, 1.1050) == D("500.00")
    assert profit("USDJPY", "sell", 0.5, 150.00, 149.00) == D("335.57")
    assert profit("EURGBP", "buy", 1, 0.8500, 0.8550, "USD", {"GBPUSD": 1.27}) == D("635.00")
    assert profit("XAUUSD", "buy", 1, 2000, 2010) == D("1000.00")


# -- section 7: swaps --------------------------------------------------------------------------------
def test_swap_examples():
    one = swap_cost("EURUSD", "buy", 1, nights=1, swap_long=-6.1, swap_short=0.0)
    assert one.total == D("-6.10")
    wed = swap_cost("EURUSD", "buy", 1, nights=1, swap_long=-6.1, swap_short=0.0, start_weekday="wednesday")
    assert (wed.total, wed.triple_nights) == (D("-18.30"), 1)
    week = swap_cost("EURUSD", "buy", 1, nights=7, swap_long=-6.1, swap_short=0.0)
    assert (week.total, week.charged_nights) == (D("-42.70"), 7)  # 7 swaps a week: Mon, Tue, Wed x3, Thu, Fri
    weekend = swap_cost("EURUSD", "buy", 1, nights=2, swap_long=-6.1, swap_short=0.0, start_weekday="saturday")
    assert weekend.total == D("0.00")
    jpy = swap_cost("USDJPY", "buy", 1, nights=1, swap_long=16.4, swap_short=0.0, rates={"USDJPY": 150})
    assert jpy.total == D("10.93")
    btc = swap_cost("BTCUSD", "sell", 0.1, nights=1, swap_long=0.0, swap_short=-19.0, mode="interest",
                    price=57_000)
    assert btc.total == D("-3.01")
    ultima = swap_cost("EURUSD", "buy", 1, nights=1, swap_long=-5.45, swap_short=0.0)
    assert ultima.total == D("-5.45")


# -- section 1: margin level and stop-out prices -----------------------------------------------------
def test_stop_out_price_examples():
    pos = [Position("EURUSD", "buy", 1, 1.1000)]
    repriced = stopout_levels(pos, 500, 500, 20, prices={"EURUSD": 1.1})
    assert repriced.stop_out.price == pytest.approx(1.095438, abs=5e-7)
    frozen = stopout_levels(pos, 500, 500, 20, prices={"EURUSD": 1.1}, margin_at_open=True)
    assert frozen.stop_out.price == pytest.approx(1.09544, abs=5e-7)
    exness = stopout_levels(pos, 500, 2000, 0, prices={"EURUSD": 1.1})
    assert exness.stop_out.price == pytest.approx(1.0950, abs=5e-7)
    esma = stopout_levels(pos, 5000, 30, 50, 80, prices={"EURUSD": 1.1}, margin_at_open=True)
    assert esma.used_margin == pytest.approx(3666.67, abs=0.005)
    assert esma.stop_out.price == pytest.approx(1.068333, abs=5e-7)
    assert esma.margin_call.price > esma.stop_out.price
    assert esma.stop_out.distance_pips == pytest.approx(-316.67, abs=0.01)


def test_engine_issue_stop_out_example_and_margin_level():
    r = stopout_levels([Position("EURUSD", "buy", 10, 1.1)], 10_000, 1000, 50, prices={"EURUSD": 1.1})
    assert r.stop_out.price == pytest.approx(1.090545, abs=5e-7)
    assert r.stop_out.equity_at_price == pytest.approx(545.27, abs=0.01)
    # formulas.md margin-level example 1: balance 1,000, floating -600, margin 110 -> 363.64 %
    ml = stopout_levels([Position("EURUSD", "buy", 1, 1.1060)], 1000, 1000, 0, prices={"EURUSD": 1.1})
    assert ml.equity == pytest.approx(400) and ml.used_margin == pytest.approx(110)
    assert ml.margin_level == pytest.approx(363.636, abs=0.001)


def test_fully_hedged_book_never_stops_out():
    pos = [Position("EURUSD", "buy", 1, 1.1), Position("EURUSD", "sell", 1, 1.1)]
    r = stopout_levels(pos, 1000, 1000, 50, prices={"EURUSD": 1.1}, hedge_factor=0.0)
    assert r.stop_out.price is None


# -- pip value and position size ---------------------------------------------------------------------
def test_pip_value_and_position_size():
    assert pip_value("EURUSD", 1) == D("10.00")
    assert pip_value("USDJPY", 1, rates={"USDJPY": 150.0}) == D("6.67")
    assert pip_value("EURGBP", 1, "USD", {"GBPUSD": 1.27}) == D("12.70")
    s = position_size("EURUSD", 10_000, 1, 20)
    assert (s.lots, s.risk_amount) == (0.5, D("100.00"))
    s = position_size("USDJPY", 1_000, 2, 33, rates={"USDJPY": 150.0})  # 20 USD over 33 pips of 6.667 -> 0.0909
    assert s.lots == 0.09 and s.risk_at_lots <= s.risk_amount
    tiny = position_size("EURUSD", 10, 1, 50)
    assert tiny.lots == 0 and "minimum lot" in tiny.note


@pytest.mark.parametrize(
    "call",
    [
        lambda: margin("EURUSD", -1, 1.1, 100),
        lambda: margin("EURUSD", 1, 0, 100),
        lambda: margin("EURUSD", 1, 1.1, 0),
        lambda: position_size("EURUSD", 1000, 150, 10),
        lambda: swap_cost("EURUSD", "hold", 1, 1, 0, 0),
        lambda: stopout_levels([], 100, 100, 50, prices={}),
    ],
)
def test_nonsense_inputs_raise(call):
    with pytest.raises(CalculatorError):
        call()
