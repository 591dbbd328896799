"""The copy rules: hand-computed volumes for Octa's published rule, ratio and fixed lots, the bounds
and the rounding, and the bad inputs that must be refused before anything changes."""

from __future__ import annotations

import math

import pytest

from leverlab.copytrade import CopyError, CopyRule, check_subscriptions, close_lots, copy_lots, parse_rule, subscribe

STD = {"min_lot": 0.01, "lot_step": 0.01, "max_lot": 100.0}


def octa(master_lots: float, m_eq: float, f_eq: float, m_lev: float, f_lev: float, **kw: float):
    limits = {**STD, **kw}
    return copy_lots(CopyRule("octa"), master_lots, master_equity=m_eq, follower_equity=f_eq, master_leverage=m_lev,
                     follower_leverage=f_lev, **limits)


def test_octa_published_example():
    """Octa's own example (octa.yaml, copy_formula): master 500 USD at 1:200, copier 200 USD at 1:100,
    master opens 1 lot: 200/500 x 100/200 x 1 = 0.4 x 0.5 = 0.2 lot."""
    assert octa(1.0, 500, 200, 200, 100).lots == 0.2


@pytest.mark.parametrize(("master_lots", "m_eq", "f_eq", "m_lev", "f_lev", "expected", "how"), [
    (0.5, 1000, 300, 500, 200, 0.06, "0.5 x 300/1000 x 200/500 = 0.5 x 0.3 x 0.4 = 0.06"),
    (2.0, 10_000, 2_500, 100, 400, 2.0, "2 x 0.25 x 4 = 2.0: a smaller account at higher leverage copies as much"),
    (1.0, 3000, 1000, 500, 500, 0.33, "1 x 1/3 x 1 = 0.3333, floored to the 0.01 step = 0.33 (not 0.34)"),
    (0.1, 1000, 999, 1000, 1000, 0.09, "0.1 x 0.999 = 0.0999, floored to 0.09: never more than the rule"),
    (1.0, 1000, 50, 1000, 100, 0.0, "1 x 0.05 x 0.1 = 0.005 < 0.01 minimum: not copied"),
])
def test_octa_hand_computed(master_lots, m_eq, f_eq, m_lev, f_lev, expected, how):
    assert octa(master_lots, m_eq, f_eq, m_lev, f_lev).lots == expected, how


def test_octa_reasons_and_limits():
    # 0.005 lot is under the account type's minimum: refused, not rounded up
    s = octa(1.0, 1000, 50, 1000, 100)
    assert (s.lots, s.reason) == (0.0, "below_min_lot") and math.isclose(s.computed, 0.005)
    # 50 x 10 x 1 = 500 lots: cut to the account type's 100-lot maximum
    assert octa(50.0, 100, 1000, 100, 100) .lots == 100.0
    assert octa(50.0, 100, 1000, 100, 100).reason == "account_max"
    # a 0.1 lot step (e.g. a cent or micro account): 0.06 floors to 0.0 -> below a 0.1 minimum
    assert octa(0.5, 1000, 300, 500, 200, min_lot=0.1, lot_step=0.1).reason == "below_min_lot"
    # an equity at or below 0 cannot be sized (the stop-out and NBP took it)
    assert octa(1.0, 0.0, 100, 100, 100).reason == "master_equity"
    assert octa(1.0, 100, -5.0, 100, 100).reason == "follower_equity"
    with pytest.raises(CopyError, match="finite leverage"):
        octa(1.0, 100, 100, math.inf, 100)


def test_ratio_and_fixed_lots_with_bounds():
    assert copy_lots(CopyRule("ratio", 0.25), 0.4, **STD).lots == 0.1  # 0.4 x 0.25
    assert copy_lots(CopyRule("ratio", 3), 0.07, **STD).lots == 0.21  # 0.07 x 3 = 0.21000000000000002 -> 0.21
    assert copy_lots(CopyRule("lots", 0.3), 5.0, **STD).lots == 0.3  # whatever the master trades
    # min_lots raises a small copy (the follower's chosen floor), max_lots cuts a large one
    s = copy_lots(CopyRule("ratio", 0.1, min_lots=0.02), 0.05, **STD)  # 0.005 -> 0.02
    assert (s.lots, s.reason) == (0.02, "min_lots")
    s = copy_lots(CopyRule("ratio", 10, max_lots=1.5), 0.5, **STD)  # 5.0 -> 1.5
    assert (s.lots, s.reason) == (1.5, "max_lots")
    # a bound off the step is floored to it: at most 0.155 -> 0.15
    assert copy_lots(CopyRule("ratio", 10, max_lots=0.155), 0.5, **STD).lots == 0.15


def test_close_lots_is_proportional_to_the_opening_sizes():
    # master opened 1.0 and closes 0.3 (0.7 left); the copy opened 0.5: 0.5 x 0.3 / 1.0 = 0.15
    assert close_lots(0.3, 1.0, 0.7, 0.5, 0.5, 0.01) == 0.15
    # the master's last 0.7 closes the copy's remaining 0.35 in full
    assert close_lots(0.7, 1.0, 0.0, 0.5, 0.35, 0.01) == 0.35
    # never more than what the copy still holds
    assert close_lots(0.9, 1.0, 0.1, 0.5, 0.2, 0.01) == 0.2


@pytest.mark.parametrize("text", ["ratio:0", "ratio:-1", "ratio:nan", "ratio:inf", "ratio:abc", "ratio:", "lots:0",
                                  "lots:-0.1", "lots:x", "ratio", "double:2", "", "octa:2"])
def test_bad_rules_are_refused(text):
    with pytest.raises(CopyError) as err:
        parse_rule(text)
    msg = str(err.value)
    assert "expected" in msg and (repr(text.partition(":")[2].strip()) in msg or repr(text) in msg), msg


@pytest.mark.parametrize(("kw", "field"), [
    ({"min_lots": 0}, "min_lots"), ({"max_lots": -1}, "max_lots"), ({"max_lots": math.nan}, "max_lots"),
    ({"min_lots": 2, "max_lots": 1}, "min_lots 2 is above max_lots 1"), ({"stop_copy_equity": -10}, "stop_copy_equity"),
])
def test_bad_bounds_are_refused(kw, field):
    with pytest.raises(CopyError, match=field):
        CopyRule("ratio", 1.0, **kw)


def test_a_ratio_of_the_wrong_type_is_refused():
    for value in (True, None, [1], "0", 0.0, -2):
        with pytest.raises(CopyError, match="ratio: expected a finite number above 0"):
            CopyRule("ratio", value)  # type: ignore[arg-type]


def test_subscriptions_refuse_self_copy_repeats_and_cycles_and_change_nothing():
    links = subscribe(frozenset(), "b", "a")
    links = subscribe(links, "c", "b")
    links = subscribe(links, "c", "a")  # copying two masters is allowed (Octa: any number of masters)
    before = set(links)
    with pytest.raises(CopyError, match="cannot copy itself"):
        subscribe(links, "a", "a")
    with pytest.raises(CopyError, match="already copies"):
        subscribe(links, "b", "a")
    with pytest.raises(CopyError, match=r"a cannot copy c: that makes a cycle of followers \(a -> c -> "):
        subscribe(links, "a", "c")
    with pytest.raises(CopyError, match=r"\(a -> b -> a\)"):
        subscribe(links, "a", "b")
    assert set(links) == before
    with pytest.raises(CopyError, match="cycle"):
        check_subscriptions([("x", "y"), ("y", "z"), ("z", "x")])
