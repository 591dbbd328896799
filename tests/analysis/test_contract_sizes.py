"""A lot is what the account type says it is: the calculators and the engine value it alike.

XM Micro lots are 1,000 units of base currency (fofan.org FAQ on XM trading sizes, in the xm
profile); a cent lot is 0.01 standard lot with amounts in cents (Exness: "500 cent lots = 5 lots",
get.exness.help 360013782240; FBS bonus terms: "1 lot on Cent = 0.01 standard lot").
"""

import json
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from leverlab.brokers import broker_ids, eligible_account_types, resolve_terms
from leverlab.cli import app
from leverlab.data.frames import Ticks
from leverlab.engine import Account
from leverlab.money import currency

runner = CliRunner()
T0 = 1_704_189_600_000_000_000  # 2024-01-02 10:00 UTC, a Tuesday: no rollover or weekend window near


def cli(*args: str) -> dict:
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_exness_cent_margin_is_fifty_cents_of_a_cent_lot():
    """1 cent lot USDJPY = 1,000 USD at 1:2000 (equity 100,000 USC = 1,000 USD, band 1,000-4,999.99):
    1,000 / 2,000 = 0.50 USD = **50 USC** (was 5,000 USC: a 100,000-unit lot)."""
    doc = cli("margin", "--broker", "exness", "--account-type", "standard_cent", "--country", "SC", "--symbol",
              "USDJPY", "--lots", "1", "--price", "150", "--account-currency", "USC", "--equity", "100000")
    assert doc["margin"] == 50.0 and doc["currency"] == "USC" and doc["contract_size"] == 1000.0


def test_pip_of_a_cent_lot_is_ten_cents():
    """1 cent lot EURUSD: 1,000 x 0.0001 = 0.10 USD = **10 USC** (was 1,000 USC)."""
    assert cli("pip", "--symbol", "EURUSD", "--lots", "1", "--account-currency", "USC")["pip_value"] == 10.0
    doc = cli("pip", "--symbol", "EURUSD", "--broker", "exness", "--account-type", "standard_cent",
              "--account-currency", "USC")
    assert doc["pip_value"] == 10.0


def test_xm_micro_margin_and_pip_use_its_1000_unit_lot():
    """1 Micro lot EURUSD at 1.1, 1:1000: 1,000 / 1,000 = 1 EUR x 1.1 = **1.10 USD** (was 110 USD);
    a pip: 1,000 x 0.0001 = **0.10 USD** (was 10 USD)."""
    doc = cli("margin", "--broker", "xm", "--account-type", "micro", "--country", "SC", "--symbol", "EURUSD",
              "--lots", "1", "--price", "1.1", "--equity", "1000")
    assert doc["margin"] == 1.10 and doc["contract_size"] == 1000.0
    assert cli("pip", "--symbol", "EURUSD", "--broker", "xm", "--account-type", "micro")["pip_value"] == 0.10


def test_the_account_type_lot_flows_through_resolve_terms():
    """The profile's ``lot_size`` (with its source) reaches ``AccountTerms``; a standard account keeps 100,000."""
    micro, std = resolve_terms("xm", "micro", "SC"), resolve_terms("xm", "standard", "SC")
    assert micro.lot_size == 1000.0 and micro.instrument("EURUSD").contract_size == 1000.0
    assert micro.instrument("XAUUSD").contract_size == 1.0  # 100 oz / 100
    assert std.lot_size == 100_000.0 and std.instrument("EURUSD").contract_size == 100_000.0
    jm = resolve_terms("justmarkets", "standard_cent", "SC")  # cent lot not published: the convention, said so
    assert jm.instrument("EURUSD").contract_size == 1000.0
    assert any("cent lot not published" in e for e in jm.explanation)


def _one_trade(terms, deposit: float) -> tuple[float, float]:
    """Margin (account view) of 1 lot EURUSD bought at 1.1000 and the profit booked closing it at 1.1010."""
    bids = np.array([1.1, 1.1, 1.1, 1.101, 1.101, 1.101])
    t = T0 + np.arange(bids.shape[0], dtype=np.int64) * 1_000_000_000
    acct = Account(terms, ["EURUSD"], deposit=deposit, timeframe="M1")
    acct.feed(Ticks("EURUSD", t, bids, bids.copy()))
    acct.advance(1)
    acct.submit("EURUSD", +1, 1.0)
    acct.advance(3)
    margin = acct.view().margin
    acct.close("EURUSD")
    acct.advance()
    close = [d for d in acct.deals() if d.kind == "close"]
    assert len(close) == 1
    return margin, float(close[0].amount)


def _accounts() -> list[tuple[str, str]]:
    out = []
    for b in broker_ids():
        for acc, ok, _ in eligible_account_types(b, "SC", "retail", 1_000_000, "USD"):
            if ok:
                out.append((b, acc))
    return out


@pytest.mark.parametrize("broker,account", _accounts())
def test_calculators_agree_with_a_one_trade_backtest(broker, account):
    """For 1 lot EURUSD at 1.1000 (no spread): the ``margin`` command equals the engine's used margin,
    and 10 x the ``pip`` command equals the profit the ledger books for +10 pips (e.g. 10 x 10 USD =
    100 USD on a standard lot, 10 x 0.10 USD = 1 USD on XM Micro, 10 x 10 USC = 100 USC on a cent account)."""
    # commission is booked apart from the close deal and needs its own conversion pair (FP Markets
    # charges AUD): left out, as this compares margin and profit only
    terms = replace(resolve_terms(broker, account, "SC"), commission_per_lot_side=0.0)
    if "EURUSD" not in terms.symbols:
        pytest.skip(f"{broker}/{account}: no EURUSD terms")
    ccy = terms.currency
    deposit = 1_000_000.0 / float(currency(ccy).unit_value)  # 1,000,000 USD: room for XM Shares' 1:1 margin
    margin, profit = _one_trade(terms, deposit)
    calc = cli("margin", "--broker", broker, "--account-type", account, "--country", "SC", "--symbol", "EURUSD",
               "--lots", "1", "--price", "1.1", "--equity", f"{deposit:g}", "--account-currency", ccy)
    pip = cli("pip", "--symbol", "EURUSD", "--lots", "1", "--price", "1.1", "--broker", broker, "--account-type",
              account, "--account-currency", ccy)
    assert calc["margin"] == pytest.approx(margin, abs=0.005), (broker, account)
    assert 10 * pip["pip_value"] == pytest.approx(profit, abs=0.005), (broker, account)


def test_xm_micro_backtest_books_one_dollar_for_ten_pips():
    """+10 pips on 1 Micro lot: 1,000 x 0.0010 = **1.00 USD** (was 100 USD); margin 1.10 USD (was 110)."""
    margin, profit = _one_trade(resolve_terms("xm", "micro", "SC"), 1000.0)
    assert profit == 1.00 and margin == pytest.approx(1.10)


def test_bad_broker_options_are_named_in_the_one_json_error():
    """Exit code 2 and the CLI's error document naming what was wrong."""
    for args, words in ((["pip", "--symbol", "EURUSD", "--broker", "xm"], "--account-type is required"),
                        (["pip", "--symbol", "EURUSD", "--broker", "xm", "--account-type", "micro",
                          "--account-currency", "USC"], "not a cent account"),
                        (["size", "--symbol", "EURUSD", "--equity", "100", "--risk", "1", "--stop-pips", "50",
                          "--broker", "xm", "--account-type", "nano"], "unknown account type 'nano'")):
        r = runner.invoke(app, [*args, "--json"])
        assert r.exit_code == 2
        doc = json.loads(r.stdout)
        assert doc["ok"] is False and words in doc["error"]
