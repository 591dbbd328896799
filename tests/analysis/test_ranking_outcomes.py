"""A ranking decided by outcomes (issue 9, item 9): measured components lead, identical outcomes are ties
with the terms that would separate them, the cost columns are split and reconcile with each ledger to the
cent; an account whose commission is unknown is listed, never simulated at 0 (item 2)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from leverlab.analysis import score as S
from leverlab.analysis.compare import compare
from leverlab.brokers import resolve_terms
from leverlab.data import load

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def two_weeks() -> object:
    return load("sample:eurusd-h1").between(1_538_352_000_000_000_000, 1_539_561_600_000_000_000)


@pytest.fixture(scope="module")
def on_data(two_weeks):
    """Every account on the data's own bid/ask, so the spread column can be recomputed from the quotes."""
    return compare(two_weeks, "sma_cross", deposit=1_000, sizing={"lots": 0.1},
                   brokers=["exness", "xm", "pepperstone"], workers=1, spread="data")


def _row(**kw):
    base = {"ruined": False, "ruin_fraction": None, "net_return": 0.0, "net_cost": 10.0, "deposit": 1000.0,
            "nbp": True, "stop_out_level": 50.0, "regulator": "fca", "leverage": 30.0, "final_equity": 1000.0,
            "simulated": True, "account_type": "std"}
    base.update(kw)
    return base


def test_measured_outcomes_lead_the_default_weights():
    w = S.DEFAULT_WEIGHTS
    measured = sum(w[k] for k in S.OUTCOMES) / sum(w.values())
    assert measured == pytest.approx(10 / 11.5) and measured > 0.85
    assert all(w[k] < min(w[m] for m in S.OUTCOMES) for k in S.STATIC)
    # an offshore account that survived beats one stopped out half-way under the strictest protection:
    # 4 x 1 + 3 x 0.5 + 3 x 1/1.01 + 0.5 x log(2000)/log(3000) = 8.945 against
    # 4 x 0.25 + 3 x 0.1 + 3 x 1/1.01 + 1 x 1 + 0.5 x log(30)/log(3000) = 5.483 (of 11.5)
    offshore = _row(broker="off", nbp=False, stop_out_level=0.0, regulator="fsa_seychelles", leverage=2000.0)
    regulated = _row(broker="reg", ruined=True, ruin_fraction=0.5, net_return=-0.8, final_equity=200.0)
    S.score([offshore, regulated])
    assert (offshore["rank"], regulated["rank"]) == (1, 2)
    assert offshore["score"]["total"] == pytest.approx(8.945 / 11.5, abs=1e-3)
    assert regulated["score"]["total"] == pytest.approx(5.483 / 11.5, abs=1e-3)
    assert offshore["score"]["protection"] < regulated["score"]["protection"]


def test_identical_outcomes_are_a_tie_with_the_terms_that_separate_them():
    """Same net return, costs and final equity: one tie, named with what differs (NBP, stop-out, regulator,
    leverage); a different outcome is not in it."""
    a = _row(broker="a", nbp=False, stop_out_level=0.0, regulator="fsa_seychelles", leverage=math.inf)
    b = _row(broker="b")
    c = _row(broker="c", net_return=0.01, final_equity=1010.0)
    S.score([a, b, c])
    assert c["rank"] == 1 and c["tie"] is None
    assert b["tie"] == {"rank": 2, "with": ["a/std"],
                        "terms": "NBP: b/std yes, a/std no; stop-out: b/std 50%, a/std 0%; regulator: b/std fca, "
                                 "a/std fsa_seychelles; leverage: b/std 1:30, a/std unlimited"}
    assert a["tie"]["with"] == ["b/std"] and a["rank"] == 3  # static facts order them inside the tie


def test_cost_columns_reconcile_with_each_ledger_to_the_cent(on_data, two_weeks):
    """Commission, swap, cashback and NBP are the ledger's deals of that kind (sign flipped), exactly, then
    rounded to the cent in the trader's currency; the spread column is, on the data's bid/ask, the sum over
    opening deals of units x (ask - bid) of the bar the deal filled on (EURUSD on a USD or USC account: the
    profit currency is the account's); the final balance is the deposit plus every deal."""
    assert on_data.ranked
    for r in on_data.ranked:
        res, u = r.result, Decimal(str(r.unit_value))
        kinds: dict[str, Decimal] = {}
        for d in res.deals:
            kinds[d.kind] = kinds.get(d.kind, Decimal(0)) + d.amount
        exact = res.stats.costs
        assert exact.commission == -kinds.get("commission", Decimal(0))
        assert exact.swap == -kinds.get("swap", Decimal(0))
        assert exact.cashback == kinds.get("cashback", Decimal(0))
        co = r.stats.costs
        for col, value in (("commission", exact.commission), ("swap", exact.swap), ("cashback", exact.cashback),
                           ("net", exact.net)):
            assert Decimal(str(getattr(co, col))) == (value * u).quantize(CENT), (r.label, col)
        assert Decimal(str(r.stats.nbp_absorbed)) == (kinds.get("nbp", Decimal(0)) * u).quantize(CENT)
        assert res.ledger_balance() == res.stats.final_balance == sum(kinds.values(), Decimal(0))
        t = two_weeks.time
        lot_units = resolve_terms(r.broker, r.account_type, "SC").instrument("EURUSD").contract_size
        paid = 0.0  # USD: EURUSD profit is in USD, and a cent account's USC x 0.01 is USD again
        for d in (d for d in res.deals if d.kind == "open"):
            i = int(np.searchsorted(t, d.time))
            assert t[i] == d.time
            paid += d.lots * lot_units * (two_weeks.ask_open[i] - two_weeks.bid_open[i])
        assert co.spread == pytest.approx(round(paid, 2), abs=0.005), r.label


def test_the_table_and_the_report_split_the_costs(on_data):
    from rich.console import Console

    from leverlab.analysis.report import ranking_html
    from leverlab.cli.compare import ranking_table

    wide = Console(width=260, record=True)
    wide.print(ranking_table(on_data))
    head = wide.export_text().splitlines()[:4]
    assert any("swap" in line and "cashback" in line and "comm" in line for line in head)
    page = ranking_html(on_data)
    assert "<th>commission</th><th>swap</th><th>cashback</th>" in page


def test_an_unknown_commission_is_listed_not_simulated(on_data):
    """The choice for issue 9: an account whose commission is not published is left unranked with the reason
    (never simulated at 0, never under an invented figure)."""
    zero = next(r for r in on_data.rows if r.label == "exness/zero")
    assert zero.eligible and not zero.simulated and zero.rank is None and zero.result is None
    assert "commission not published" in zero.unranked and "never simulated as 0" in zero.unranked
    doc = next(d for d in on_data.to_dict()["rows"] if d["broker"] == "exness" and d["account_type"] == "zero")
    assert doc["unranked"] == zero.unranked and doc["rank"] is None and doc["stats"] is None
    assert any("not ranked" in n and "exness/zero" in n for n in on_data.notes)
