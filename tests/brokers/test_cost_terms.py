"""The cost facts the engine simulates, as profiles state them (issue 9): swap day count and markup,
an account that charges no swaps, a spread markup over a stated reference, the hedge-leg close rule.
Bad values fail at load naming the file, line, field, what was found and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from leverlab.brokers import ProfileError, load_broker, resolve_terms

HERE = Path(__file__).resolve().parent
BASE = (HERE / "eleventh.yaml").read_text()
OLD_SPREAD = 'spread: {model: "floating", typical: {EURUSD: {value: 1.2, source: site, confidence: high}}, ' \
             'source: site, confidence: high}'


def _swaps(block: str) -> str:
    return BASE.replace("negative_balance_protection:", f"swaps:\n{block}\nnegative_balance_protection:")


def _error(tmp_path: Path, text: str, needle: str) -> str:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ProfileError) as exc:
        load_broker(str(f))
    msg = str(exc.value)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if needle in s)
    assert f"bad.yaml:{line}:" in msg, msg
    return msg


def test_published_markup_and_day_count_reach_the_terms(tmp_path: Path) -> None:
    f = tmp_path / "ok.yaml"
    f.write_text(_swaps("  markup: {value: 0.5, source: site, confidence: high}\n"
                        "  day_count: {value: 360, source: site, confidence: medium}"))
    p = load_broker(str(f))
    t = resolve_terms(p, p.account_types[0].id, "SC")
    assert (t.swap_markup, t.swap_day_count) == (0.5, 360.0)
    assert t.swap_markup_source.endswith("high") and t.swap_day_count_source.endswith("medium")


def test_day_count_other_than_360_or_365(tmp_path: Path) -> None:
    msg = _error(tmp_path, _swaps("  day_count: {value: 364, source: site, confidence: high}"), "value: 364")
    assert "swaps.day_count.value" in msg and "364" in msg and "360" in msg and "365" in msg


def test_markup_not_a_number(tmp_path: Path) -> None:
    msg = _error(tmp_path, _swaps("  markup: {value: lots, source: site, confidence: high}"), "value: lots")
    assert "swaps.markup.value" in msg and "'lots'" in msg


def test_spread_markup_negative(tmp_path: Path) -> None:
    assert OLD_SPREAD in BASE
    text = BASE.replace(OLD_SPREAD, 'spread: {model: "floating", source: site, confidence: high, markup: '
                                    '{value: -1, over: "raw", source: site, confidence: high}}')
    msg = _error(tmp_path, text, "markup:")
    assert "spread.markup.value" in msg and "found -1" in msg and "a spread of 0 or more" in msg


def test_bundled_profiles_state_the_engine_facts() -> None:
    """Pepperstone Standard: 1 pip over Razor (official, 2016); Octa MT: no swaps for anyone (2022 press
    release); Exness: no close of a hedge leg it cannot margin (help centre "Hedged orders")."""
    pep = resolve_terms("pepperstone", "standard", "AU")
    assert pep.spread_markup_pips == 1.0 and "Razor" in pep.spread_markup_source
    assert resolve_terms("octa", "mt", "SC").swap_free
    assert resolve_terms("exness", "raw_spread", "SC").hedge_close_needs_margin
    assert not resolve_terms("xm", "standard", "SC").hedge_close_needs_margin
