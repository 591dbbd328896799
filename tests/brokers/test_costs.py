"""Costs in the profiles: spreads per symbol, commissions on their published basis, swap rules.

Each figure keeps its source; bad cost input fails at load naming file, line, field, found and expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from leverlab.brokers import ProfileError, load_all, load_broker, resolve_terms
from leverlab.brokers.schema import Fact

HERE = Path(__file__).resolve().parent
BASE = (HERE / "eleventh.yaml").read_text()
OLD_SPREAD = 'spread: {model: "floating", typical: {EURUSD: {value: 1.2, source: site, confidence: high}}, ' \
             'source: site, confidence: high}'


def _load_text(tmp_path: Path, text: str, name: str = "bad.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return load_broker(str(f))


def _error(tmp_path: Path, text: str, needle: str, name: str = "bad.yaml") -> str:
    """The load error of ``text``; it must name the file and the line holding ``needle``."""
    with pytest.raises(ProfileError) as exc:
        _load_text(tmp_path, text, name)
    msg = str(exc.value)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if needle in s)
    assert f"{name}:{line}:" in msg, msg
    return msg


def _with_spread(block: str) -> str:
    assert OLD_SPREAD in BASE
    return BASE.replace(OLD_SPREAD, block)


# ------------------------------------------------------------------ what the bundled profiles publish
def test_typical_spreads_per_account_type_with_sources() -> None:
    """The figures of the costs review, e.g. Exness's own tick archive (Sept 2024) per account type."""
    ex = {a.id: a for a in load_broker("exness").account_types}
    raw = ex["raw_spread"].spread.typical["EURUSD"]
    assert raw.value == 0.028 and raw.confidence == "medium" and raw.date == "2024-09"
    assert load_broker("exness").source_url(raw.source).startswith("https://ticks.ex2archive.com/")
    assert {k: a.spread.typical_pips for k, a in ex.items()} == {
        "standard": {"EURUSD": 0.95}, "standard_cent": {"EURUSD": 0.95}, "pro": {},
        "raw_spread": {"EURUSD": 0.028}, "zero": {}}
    assert ex["standard"].spread.from_pips == 0.2
    xm = {a.id: a.spread.typical_pips.get("EURUSD") for a in load_broker("xm").account_types}
    assert xm == {"micro": 1.6, "standard": 1.6, "ultra_low": 0.8, "zero": 0.1, "shares": None}
    assert load_broker("pepperstone").account_types[1].spread.typical_pips == {"EURUSD": 0.1}
    assert load_broker("octa").account_types[0].spread.typical_pips == {"major": 1.0}


def test_unknown_spreads_say_why() -> None:
    """"Not found" stays unknown with its reason, and never reaches the typical spreads the engine reads."""
    pro = {a.id: a for a in load_broker("exness").account_types}["pro"].spread.typical["EURUSD"]
    assert pro.is_unknown and "0.67" in (pro.note or "")  # the archive's symbol is not stated to be Pro's
    jm = {a.id: a for a in load_broker("justmarkets").account_types}
    f = jm["raw_spread"].spread.typical["EURUSD"]
    assert f.is_unknown and "not found" in (f.note or "")
    assert jm["raw_spread"].spread.typical_pips == {}
    xm_gold = load_broker("xm").account_types[1].spread.typical["XAUUSD"]
    assert xm_gold.is_unknown and "3.5" in (xm_gold.note or "") and "ambiguous" in (xm_gold.note or "")
    for a in load_broker("amarkets").account_types:
        assert a.spread.typical["EURUSD"].is_unknown


def test_price_unit_minimum_and_widening() -> None:
    """XTB gold "from USD 0.3" is a price, not pips; AvaTrade FX spreads widen up to 3x."""
    xtb = load_broker("xtb").account_types[0].spread
    assert xtb.minimum["XAUUSD"].unit == "price" and xtb.minimum["XAUUSD"].value == 0.3
    assert xtb.typical_pips == {}  # minimums are not typical spreads
    w = load_broker("avatrade").account_types[0].spread.widening["volatile"]
    assert (w.value, w.unit, w.up_to) == (3, "times", True) and w.applies_to.matches("EURUSD", "major")
    assert not w.applies_to.matches("XAUUSD", "metal")


def _all_facts(obj: object, path: str = ""):
    if isinstance(obj, Fact):
        yield path, obj
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _all_facts(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _all_facts(v, f"{path}.{i}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _all_facts(v, f"{path}.{k}")


def test_every_cost_figure_has_source_and_confidence() -> None:
    """Also the figures inside mappings (spreads by symbol, triple days by class)."""
    n = 0
    for p in load_all():
        for path, f in _all_facts(p):
            if not f.is_unknown:
                assert f.source and f.confidence, (p.id, path)
                assert p.source_url(f.source).startswith("http"), (p.id, path)
                n += 1
    assert n > 300


def test_commission_on_its_published_basis() -> None:
    """XM Zero: USD 3.5 per USD 100,000 traded, MT4 charges both sides at open, MT5 at open and close."""
    zero = {a.id: a for a in load_broker("xm").account_types}["zero"]
    c = zero.commission
    assert c is not None and (c.basis, c.per, c.per_currency, c.confidence) == ("per_notional", 100000, "USD", "high")
    assert c.charged_by_platform == {"MT4": "open_for_both", "MT5": "both"}
    assert c.per_lot_side() == 3.5 == zero.commission_per_lot_side.value
    assert zero.currencies.value == ["USD", "EUR", "JPY"]
    raw = {a.id: a for a in load_broker("exness").account_types}["raw_spread"].commission
    assert raw is not None and raw.up_to and raw.per_lot_side() == 3.5
    fp = {a.id: a for a in load_broker("fpmarkets").account_types}["pro"]
    assert (fp.commission_per_lot_side.value, fp.commission_per_lot_side.currency) == (3.5, "AUD")
    assert (fp.min_deposit.value, fp.min_deposit.currency) == (1000, "AUD")
    assert {a.id: a for a in load_broker("exness").account_types}["zero"].commission_per_lot_side.is_unknown


def test_swap_rules() -> None:
    """Rollover and triple days come from the swaps section; server_time gets the currency-pair values."""
    ex = load_broker("exness")
    assert (ex.swaps.rollover.value, ex.swaps.rollover.timezone) == ("22:00", "UTC")
    assert [ex.swaps.triple_day(c) for c in ("major", "metal", "energy", "stock")] == \
        ["wednesday", "wednesday", "friday", "unknown"]
    assert (ex.server_time.rollover, ex.server_time.triple_swap_day) == ("22:00", "wednesday")
    xm = load_broker("xm")
    assert xm.server_time.triple_swap_day == "wednesday" and xm.swaps.mode.value == "points"
    assert xm.swaps.is_unknown  # no dated swap-points table was found
    ava = load_broker("avatrade")
    assert ava.swaps.mode.value == "interest" and ava.swaps.triple_day("index") == "friday"
    assert load_broker("pepperstone").swaps.benchmark.value == "tom_next"
    assert load_broker("octa").account_types[0].swap_free.confidence == "medium"


def test_terms_read_the_new_figures() -> None:
    """The term resolver still sees typical spreads (in points) and the rollover / triple day."""
    t = resolve_terms("xm", "standard", "BR")
    assert t.spread_points == {"EURUSD": pytest.approx(16.0)} and t.triple_swap_day == "wednesday"
    e = resolve_terms("exness", "raw_spread", "SC")
    assert e.rollover_time == "22:00" and e.spread_points == {"EURUSD": pytest.approx(0.28)}
    assert not any("triple-swap day not published" in x for x in e.explanation)


def test_broker_command_shows_cost_figures_with_sources() -> None:
    from leverlab.cli import app

    r = CliRunner().invoke(app, ["broker", "xm"])
    assert r.exit_code == 0, r.output
    out = r.output
    assert "account_types[zero].commission: 3.5" in out and "https://www.xm.com/account-types/zero" in out
    assert "account_types[standard].spread.typical.EURUSD: 1.6" in out
    assert "https://fxtraderegister.com/topics/xm-spreads-fees.html" in out
    assert "swaps.triple_days.fx: wednesday" in out and "https://xm.com/au/?p=37764" in out


# ------------------------------------------------------------------ bad input
def test_old_spread_fields_are_rejected_with_the_new_form(tmp_path: Path) -> None:
    text = _with_spread('spread: {model: "floating", typical_pips: {EURUSD: 1.2}, source: site, confidence: high}')
    msg = _error(tmp_path, text, "typical_pips")
    assert "account_types.0.spread.typical_pips" in msg and "found the old field 'typical_pips'" in msg
    assert "expected typical:" in msg


def test_negative_spread(tmp_path: Path) -> None:
    text = _with_spread('spread:\n      model: "floating"\n      source: site\n      confidence: high\n'
                        '      typical:\n        EURUSD: {value: -0.5, source: site, confidence: high}')
    msg = _error(tmp_path, text, "value: -0.5")
    assert "account_types.0.spread.typical.EURUSD.value" in msg
    assert "found -0.5" in msg and "a spread of 0 or more" in msg


def test_spread_not_a_number(tmp_path: Path) -> None:
    text = _with_spread('spread:\n      model: "floating"\n      source: site\n      confidence: high\n'
                        '      typical:\n        EURUSD: {value: wide, source: site, confidence: high}')
    msg = _error(tmp_path, text, "value: wide")
    assert "account_types.0.spread.typical.EURUSD.value" in msg
    assert "found 'wide'" in msg and "valid number" in msg


def test_spread_for_unknown_symbol(tmp_path: Path) -> None:
    text = _with_spread('spread:\n      model: "floating"\n      source: site\n      confidence: high\n'
                        '      typical:\n        EURUSX: {value: 1.0, source: site, confidence: high}')
    msg = _error(tmp_path, text, "EURUSX")
    assert "account_types.0.spread.typical.EURUSX" in msg and "found unknown symbol 'EURUSX'" in msg
    assert "EURUSD" in msg and "asset class" in msg


def test_swap_table_naming_an_unknown_symbol(tmp_path: Path) -> None:
    text = BASE.replace("negative_balance_protection:",
                        "swaps:\n  table:\n    value:\n      EURUSD: {long: -6.1, short: 1.0}\n"
                        "      FOOBAR: {long: -1, short: -1}\n    source: site\n    confidence: high\n"
                        "negative_balance_protection:")
    msg = _error(tmp_path, text, "FOOBAR")
    assert "swaps.table.value.FOOBAR" in msg and "found unknown symbol 'FOOBAR'" in msg
    assert "expected a symbol of the instrument catalog" in msg


def test_swap_table_that_is_valid_reaches_the_terms(tmp_path: Path) -> None:
    text = BASE.replace("negative_balance_protection:",
                        "swaps:\n  table:\n    value: {EURUSD: {long: -6.1, short: 1.0}}\n    source: site\n"
                        "    confidence: high\nnegative_balance_protection:")
    p = _load_text(tmp_path, text, "ok.yaml")
    assert resolve_terms(p, "classic", "BR").swaps["EURUSD"].long == -6.1


def test_commission_in_an_unknown_currency(tmp_path: Path) -> None:
    text = BASE.replace("commission_per_lot_side: {value: 0, source: site, confidence: high}",
                        "commission_per_lot_side: {value: 3, currency: XYZ, source: site, confidence: high}")
    msg = _error(tmp_path, text, "currency: XYZ")
    assert "account_types.0.commission_per_lot_side.currency" in msg and "found unknown currency 'XYZ'" in msg
    assert "expected one of" in msg and "USD" in msg
    text = BASE.replace("commission_per_lot_side: {value: 0, source: site, confidence: high}",
                        "commission_per_lot_side: {value: 3.5, source: site, confidence: high}\n"
                        "    commission: {value: 7, currency: QQQ, basis: per_round_turn, source: site,"
                        " confidence: high}")
    msg = _error(tmp_path, text, "currency: QQQ")
    assert "account_types.0.commission.currency" in msg and "found unknown currency 'QQQ'" in msg


def test_commission_fields_must_agree(tmp_path: Path) -> None:
    text = BASE.replace("commission_per_lot_side: {value: 0, source: site, confidence: high}",
                        "commission_per_lot_side: {value: 7, source: site, confidence: high}\n"
                        "    commission: {value: 7, basis: per_round_turn, source: site, confidence: high}")
    msg = _error(tmp_path, text, "commission_per_lot_side: {value: 7")
    assert "account_types.0.commission_per_lot_side" in msg and "found 7.0 USD per lot per side" in msg
    assert "expected 3.5 USD" in msg
    ok = text.replace("commission_per_lot_side: {value: 7,", "commission_per_lot_side: {value: 3.5,")
    assert _load_text(tmp_path, ok, "ok.yaml").account_types[0].commission.per_lot_side() == 3.5


def test_triple_day_conflict_and_bad_class(tmp_path: Path) -> None:
    st = "server_time: {timezone: UTC, source: site, confidence: high}"
    text = BASE.replace(st, "server_time: {timezone: UTC, triple_swap_day: thursday, source: site, confidence: high}")
    text = text.replace("negative_balance_protection:",
                        "swaps:\n  triple_days:\n    fx: {value: wednesday, source: site, confidence: high}\n"
                        "negative_balance_protection:")
    msg = _error(tmp_path, text, "triple_swap_day: thursday")
    assert "server_time.triple_swap_day" in msg and "found 'thursday'" in msg and "'wednesday'" in msg
    bad = BASE.replace("negative_balance_protection:",
                       "swaps:\n  triple_days:\n    forex: {value: wednesday, source: site, confidence: high}\n"
                       "negative_balance_protection:")
    msg = _error(tmp_path, bad, "forex:")
    assert "swaps.triple_days.forex" in msg and "found 'forex'" in msg and "'fx' or 'all'" in msg


def test_old_swaps_form_is_rejected_with_the_new_form(tmp_path: Path) -> None:
    text = BASE.replace("negative_balance_protection:",
                        "swaps: {value: {EURUSD: {long: -6.1, short: 1.0}}, source: site, confidence: high}\n"
                        "negative_balance_protection:")
    msg = _error(tmp_path, text, "swaps: {value:")
    assert "swaps.value" in msg and "found the old form" in msg and "expected swaps: {table:" in msg
