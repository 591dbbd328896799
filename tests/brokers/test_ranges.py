"""Every number of a profile has its range: a real profile with one figure put out of range fails at
load, naming the file, the line, the field, what was found and what was expected."""

from __future__ import annotations

import pytest

from leverlab.brokers import ProfileError, parse_profile
from leverlab.brokers.loader import PROFILES_DIR, read_text, read_yaml
from leverlab.brokers.regulation import REGULATION_FILE, Regulation


def _mutated(broker: str, old: str, new: str) -> tuple[str, int]:
    """The profile text with ``old`` (which must occur) replaced once by ``new``, and the first changed line."""
    text = (PROFILES_DIR / f"{broker}.yaml").read_text(encoding="utf-8")
    assert old in text, f"{broker}.yaml no longer holds {old!r}; pick another figure to mutate"
    start = text[:text.index(old)].count("\n") + 1
    olds, news = old.splitlines(), new.splitlines()
    changed = next(i for i in range(len(news)) if i >= len(olds) or news[i] != olds[i])
    return text.replace(old, new, 1), start + changed


CASES = [
    # (broker, old text, new text, field path, words of the message)
    ("exness", "commission_per_lot_side: {value: 0,", "commission_per_lot_side: {value: -5,",
     "account_types.0.commission_per_lot_side.value", ["found -5", "amount of 0 or more"]),
    ("exness", "stop_out: {value: 0, source: mcso", "stop_out: {value: -10, source: mcso",
     "account_types.0.stop_out.value", ["found -10", "margin level in percent, 0 or more"]),
    ("exness", "margin_call: {value: 60,", "margin_call: {value: .inf,",
     "account_types.0.margin_call.value", ["found inf", "finite"]),
    ("exness", "stop_out: {value: 20, source: mcso", "stop_out: {value: .nan, source: mcso",
     "entities.1.stop_out.value", ["found nan", "margin level"]),
    ("exness", "max_leverage: {value: 400,", "max_leverage: {value: .nan,",
     "entities.1.max_leverage.value", ["found nan", "leverage N of 1 or more", "'unlimited'"]),
    ("exness", "max_leverage: {value: 400,", "max_leverage: {value: 0.5,",
     "entities.1.max_leverage.value", ["found 0.5", "leverage N of 1 or more"]),
    ("exness", "max_leverage: {value: 400,", "max_leverage: {value: yes,",
     "entities.1.max_leverage.value", ["found True", "a number (found true/false)"]),
    ("exness", "min_deposit: {value: 200,", "min_deposit: {value: -200,",
     "account_types.3.min_deposit.value", ["found -200", "amount of 0 or more"]),
    ("exness", "max_lots: {value: 200,", "max_lots: {value: 0,",
     "account_types.0.max_lots.value", ["found 0", "above 0"]),
    ("exness", "{min: 1000, max: 4999.99, leverage: 2000}", "{min: -.inf, max: 4999.99, leverage: 2000}",
     "leverage.equity_bands.0.bands.1.min", ["found -inf", "0 or more"]),
    ("exness", "{min: 1000, max: 4999.99, leverage: 2000}", "{min: 1000, max: .nan, leverage: 2000}",
     "leverage.equity_bands.0.bands.1.max", ["found nan", "0 or more"]),
    ("exness", "{min: 1000, max: 4999.99, leverage: 2000}", "{min: 1000, max: 4999.99, leverage: 0}",
     "leverage.equity_bands.0.bands.1.leverage", ["found 0", "leverage N of 1 or more"]),
    ("exness", "      margin_pct: 2\n", "      margin_pct: .nan\n",
     "leverage.fixed_margin.2.margin_pct", ["found nan", "margin percent above 0, up to 100"]),
    ("exness", "{match: {symbols: [XNGUSD]}, leverage: 5}", "{match: {symbols: [XNGUSD]}, leverage: 0.2}",
     "leverage.hmr.0.caps.2.leverage", ["found 0.2", "leverage N of 1 or more"]),
    ("exness", "      minutes_before: 15\n", "      minutes_before: -15\n",
     "leverage.hmr.0.minutes_before", ["found -15", "minutes, 0 or more"]),
    ("exness", "      minutes_after: 60\n", "      minutes_after: .inf\n",
     "leverage.hmr.1.minutes_after", ["found inf", "minutes"]),
    ("exness", "    max_equity: 1000\n", "    max_equity: -1000\n",
     "leverage.unlimited.max_equity", ["found -1000", "above 0"]),
    ("exness", "hedged_margin: &hedge0 {value: {all: 0}", "hedged_margin: &hedge0 {value: {all: 150}",
     "account_types.0.hedged_margin.value.all", ["found 150", "percent from 0 to 100"]),
    ("exness", "  table: {value: unknown, note:",
     "  table: {value: {EURUSD: {long: .nan, short: -1.2}}, source: margin, confidence: low, note:",
     "swaps.table.value.EURUSD.long", ["found nan", "finite number"]),
    ("exness", "  table: {value: unknown,", "  markup: {value: 250, source: margin, confidence: low}\n"
                                           "  table: {value: unknown,",
     "swaps.markup.value", ["found 250", "percent from 0 to 100"]),
    ("exness", "  table: {value: unknown,", "  swap_free_fee: {value: -3, source: margin, confidence: low}\n"
                                           "  table: {value: unknown,",
     "swaps.swap_free_fee.value", ["found -3", "amount of 0 or more"]),
    ("fbs", "    deposit_pct: 100\n", "    deposit_pct: 5000\n",
     "bonuses.0.deposit_pct", ["found 5000", "bonus percent from 0 to 1000"]),
    ("fbs", "    deposit_pct: 100\n", "    deposit_pct: 100\n    cap: -50\n",
     "bonuses.0.cap", ["found -50", "amount of 0 or more"]),
    ("fbs", "    leverage_cap: 500\n", "    leverage_cap: .inf\n",
     "bonuses.0.leverage_cap", ["found inf", "leverage N of 1 or more"]),
    ("amarkets", "    per_lot: null\n", "    per_lot: -2\n",
     "cashback.0.per_lot", ["found -2", "amount of 0 or more"]),
    ("xm", "basis: per_notional, per: 100000,", "basis: per_notional, per: .inf,",
     "account_types.3.commission.per", ["found inf", "above 0"]),
    ("xm", "commission: {value: 3.5, currency: USD, basis: per_notional",
     "commission: {value: -3.5, currency: USD, basis: per_notional",
     "account_types.3.commission.value", ["found -3.5", "amount of 0 or more"]),
]


@pytest.mark.parametrize(("broker", "old", "new", "field", "words"), CASES,
                         ids=[f"{c[0]}:{c[3]}:{c[2].strip()[:40]}" for c in CASES])
def test_out_of_range_figure_fails_with_file_line_field(broker: str, old: str, new: str, field: str,
                                                        words: list[str]) -> None:
    text, line = _mutated(broker, old, new)
    with pytest.raises(ProfileError) as exc:
        parse_profile(text, "mutated.yaml")
    msg = str(exc.value)
    assert f"mutated.yaml:{line}: {field}: " in msg, msg
    for w in words:
        assert w in msg, msg


def test_pro_stop_out_above_pro_margin_call() -> None:
    text, line = _mutated("avatrade", "pro_stop_out: {value: 10,", "pro_margin_call: {value: 5, source: mc, "
                                                                    "confidence: high}\n    pro_stop_out: {value: 10,")
    with pytest.raises(ProfileError, match=r"entities\.0\.pro_stop_out: stop-out 10\.0% is above the margin call "
                                           r"5\.0%; expected pro_stop_out <= pro_margin_call"):
        parse_profile(text, "mutated.yaml")


def test_unknown_stays_unknown() -> None:
    """A range never turns ``unknown`` into a number: unknown figures load as unknown."""
    text, _ = _mutated("exness", "max_lots: {value: 200, source: exbroker, confidence: low,",
                       "max_lots: {value: unknown,")
    a = parse_profile(text, "mutated.yaml").account_types[0]
    assert a.max_lots.is_unknown and a.max_lots.known() is None


@pytest.mark.parametrize(("path", "value", "words"), [
    (("regimes", 0, "retail_caps", "major_fx"), 0.5, "leverage N of 1 or more"),
    (("regimes", 0, "retail_caps", "major_fx"), float("nan"), "leverage N of 1 or more"),
    (("regimes", 0, "close_out_pct"), 150, "percent from 0 to 100"),
    (("regimes", 0, "close_out_pct"), float("-inf"), "percent from 0 to 100"),
])
def test_regulation_figures_have_ranges(path: tuple[object, ...], value: float, words: str) -> None:
    data, _ = read_yaml(read_text(REGULATION_FILE), REGULATION_FILE.name)
    Regulation.model_validate(data)  # the bundled figures are in range
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=words):
        Regulation.model_validate(data)


@pytest.mark.parametrize(("override", "field", "words"), [
    ("{contract_size: .nan}", "instruments.XAUUSD.contract_size", "found nan; expected: a finite number above 0"),
    ("{margin_rate: -1}", "instruments.XAUUSD.margin_rate", "found -1; expected: a finite number above 0"),
    ("{digits: 40}", "instruments.XAUUSD.digits", "found 40; expected: Input should be less than or equal to 12"),
    ("{lot_step: 0}", "instruments.XAUUSD.lot_step", "found 0; expected: a finite number above 0"),
    ("{min_lot: yes}", "instruments.XAUUSD.min_lot", "found True; expected: a number (found true/false)"),
])
def test_instrument_overrides_have_ranges(override: str, field: str, words: str) -> None:
    text, _ = _mutated("exness", "\nswaps:\n", f"\ninstruments:\n  XAUUSD: {override}\nswaps:\n")
    with pytest.raises(ProfileError) as exc:
        parse_profile(text, "mutated.yaml")
    assert f"{field}: {words}" in str(exc.value), str(exc.value)


def test_instrument_override_in_range_applies() -> None:
    from leverlab.brokers import profile_instrument

    text, _ = _mutated("exness", "\nswaps:\n", "\ninstruments:\n  XAUUSD: {contract_size: 50, max_lot: 20}\nswaps:\n")
    spec = profile_instrument(parse_profile(text, "mutated.yaml"), "XAUUSD")
    assert (spec.contract_size, spec.max_lot, spec.min_lot) == (50, 20, 0.01)
