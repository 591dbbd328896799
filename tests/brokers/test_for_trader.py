"""The broker table tells the truth for this trader; `leverlab broker NAME` prints every rule (issue 9, item 8)."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from leverlab.brokers import load_broker
from leverlab.brokers.summary import describe, for_trader
from leverlab.cli.brokers import broker_cmd, brokers_cmd

app = typer.Typer()
app.command("brokers")(brokers_cmd)
app.command("broker")(broker_cmd)
runner = CliRunner()


def _acc(mine: dict, account: str) -> dict:
    return next(a for a in mine["accounts"] if a["account_type"] == account)


def test_the_entity_serving_the_trader_with_its_levels_nbp_and_regulator_by_name():
    de = for_trader(load_broker("exness"), "DE", "retail", 3_000)
    assert de["entity"] == "exness_eu" and de["regulator"] == "Cyprus Securities and Exchange Commission (CySEC)"
    # CySEC's 50 % close-out raises Exness's published 0 % stop-out; the margin call stays the account's
    assert _acc(de, "standard")["stop_out"] == 50 and _acc(de, "standard")["margin_call"] == 60
    assert de["levels"] == "60% / 50% (standard, standard_cent); 30% / 50% (pro, raw_spread, zero)"
    assert de["nbp"] == "yes" and de["leverage"] == "1:30 (regulator)"
    sc = for_trader(load_broker("exness"), "SC", "retail", 3_000)
    assert sc["entity"] == "exness_sc" and _acc(sc, "standard")["stop_out"] == 0
    ava = for_trader(load_broker("avatrade"), "DE", "retail", 3_000)
    assert ava["regulator"] == "Central Bank of Ireland (CBI)"  # not ESMA: ESMA supervises no firm
    pro = for_trader(load_broker("pepperstone"), "AU", "pro", 3_000)
    assert pro["nbp"] == "no" and pro["levels"] == "90% / 20%" and pro["leverage"] == "1:500 (entity)"


def test_minimum_deposit_of_the_accounts_this_trader_can_open_in_their_currency():
    """FP Markets' Pro account (AUD 1,000) is for wholesale clients only: a retail client's table names the
    Standard account's AUD 100 = 100 x 0.70466 = 70.47 USD and lists Pro as not for them."""
    retail = for_trader(load_broker("fpmarkets"), "AU", "retail", 1_000)
    assert [a["account_type"] for a in retail["accounts"]] == ["standard", "raw"]
    assert retail["not_offered"][0]["account_type"] == "pro"
    assert retail["min_deposit"] == "70.47 USD (standard)"
    assert _acc(retail, "raw")["min_deposit_text"] == "704.66 USD (1,000.00 AUD)"
    eur = for_trader(load_broker("xm"), "SC", "retail", 1_000, currency="EUR")
    assert eur["min_deposit"].startswith("4.32 EUR (micro)")  # USD 5 / 1.1566
    unknown = for_trader(load_broker("xtb"), "SC", "retail", 1_000)
    assert unknown["min_deposit"] == "unknown" and "not published" in _acc(unknown, "standard")["min_deposit_text"]


def test_leverage_at_the_equity_converts_a_cent_account():
    """6,000 USD on Exness Standard Cent is 600,000 USC: band 3 (5,000-29,999.99 USD) gives 1:1000; read
    unconverted (6,000 USC = 60 USD) it would have been the first band's 1:2000."""
    mine = for_trader(load_broker("exness"), "SC", "retail", 6_000)
    cent = _acc(mine, "standard_cent")
    assert cent["equity_in_account"] == "600,000.00 USC" and cent["leverage"] == "1:1000"
    assert _acc(mine, "standard")["leverage"] == "1:1000"
    fbs = _acc(for_trader(load_broker("fbs"), "SC", "retail", 150), "cent")
    assert fbs["leverage"] == "1:1000" and fbs["equity_in_account"] == "15,000.00 USC"


def test_an_unknown_leverage_says_why_in_the_table():
    mine = for_trader(load_broker("fbs"), "AU", "pro", 1_000)
    std = _acc(mine, "standard")
    assert std["leverage"] == "unknown" and "fbs_au" in std["leverage_why"] and "pro cap" in std["leverage_why"]
    r = runner.invoke(app, ["brokers", "--country", "AU", "--client", "pro", "--equity", "1000"])
    assert r.exit_code == 0 and "fbs (standard, cent): leverage unknown" in r.stdout


def test_brokers_command_json_has_the_traders_view():
    r = runner.invoke(app, ["brokers", "--country", "GB", "--equity", "2000", "--currency", "GBP", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    rows = {b["id"]: b for b in doc["brokers"]}
    assert doc["currency"] == "GBP"
    assert rows["pepperstone"]["for_you"]["entity"] == "pepperstone_uk"
    assert rows["pepperstone"]["for_you"]["regulator"] == "Financial Conduct Authority (FCA, UK)"
    assert rows["xm"]["for_you"]["levels"].startswith("50% / 50%")


def test_broker_prints_every_rule_and_never_a_blank():
    for name in ("exness", "pepperstone", "fbs", "xm", "amarkets"):
        lines = describe(load_broker(name))
        assert lines and all(value.strip() and value != "(none)" for _, value, _ in lines), name
    text = {name: "\n".join(f"{a}: {b} | {c}" for a, b, c in describe(load_broker(name)))
            for name in ("exness", "pepperstone", "fbs", "xm")}
    ex = text["exness"]
    assert "leverage.fixed_margin[0]: GBPSEK: 1% of notional" in ex
    assert "leverage.hmr[news]: news: 15 min before to 5 min after each high-impact release" in ex
    assert "leverage.hmr[news].cap: class major, minor, exotic: 1:200" in ex
    assert "leverage.hmr[weekend]: weekend: 180 min before the close (friday 16:59)" in ex
    assert "leverage.unlimited: account equity below USD 1,000" in ex
    assert "account_types[standard].spread.typical.EURUSD: 0.95 pips" in ex
    assert "account_types[raw_spread].commission_per_lot_side: 3.5 USD" in ex
    assert "account_types[zero].commission_per_lot_side: unknown (" in ex
    assert "swaps.triple_days.fx: wednesday" in ex and "swaps.table: unknown (" in ex
    assert "leverage.instrument_caps[0]: class major, minor, exotic: 1:500; pro clients; entities pepperstone_au" \
        in text["pepperstone"]
    assert "cashback: Pro rebates" in text["pepperstone"]
    assert "bonuses[deposit_100]: 100% deposit bonus (credit): 100% of the deposit" in text["fbs"]
    assert "per notional 100,000 USD" in text["xm"]
    r = runner.invoke(app, ["broker", "pepperstone"])
    assert r.exit_code == 0 and "instrument_caps[6]" in r.stdout and ": \n" not in r.stdout
    doc = json.loads(runner.invoke(app, ["broker", "exness", "--json"]).stdout)
    assert doc["id"] == "exness" and len(doc["rules"]) == len(describe(load_broker("exness")))
