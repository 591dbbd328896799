"""A broken profile fails at load with file, line, field path, what was found and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from leverlab.brokers import ProfileError, load_broker

BAD = Path(__file__).resolve().parent / "bad"


def _error(name: str) -> str:
    path = BAD / f"{name}.yaml"
    with pytest.raises(ProfileError) as exc:
        load_broker(str(path))
    msg = str(exc.value)
    assert f"{name}.yaml:" in msg
    return msg


def _line_of(name: str, needle: str) -> int:
    for i, line in enumerate((BAD / f"{name}.yaml").read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_missing_field() -> None:
    msg = _error("missing_field")
    assert "account_types.0.stop_out" in msg and "required field is missing" in msg
    assert f"missing_field.yaml:{_line_of('missing_field', '- id: classic')}:" in msg


def test_wrong_type() -> None:
    msg = _error("wrong_type")
    assert "account_types.0.min_deposit.value" in msg
    assert "found 'fifty'" in msg and "valid number" in msg
    assert f"wrong_type.yaml:{_line_of('wrong_type', 'fifty')}:" in msg


def test_unknown_asset_class() -> None:
    msg = _error("unknown_asset_class")
    assert "leverage.equity_bands.0.applies_to.asset_classes.1" in msg
    assert "found 'minors'" in msg and "'major', 'minor', 'exotic'" in msg


def test_overlapping_bands() -> None:
    msg = _error("overlapping_bands")
    assert "leverage.equity_bands.0.bands.1.min" in msg
    assert "overlap" in msg and "9999.99" in msg and "9000" in msg
    assert f"overlapping_bands.yaml:{_line_of('overlapping_bands', 'min: 9000')}:" in msg


def test_unsorted_bands() -> None:
    msg = _error("unsorted_bands")
    assert "bands.1.min" in msg and "not sorted" in msg and "expected ascending" in msg


def test_stop_out_above_margin_call() -> None:
    msg = _error("stop_out_above_margin_call")
    assert "account_types.0.stop_out" in msg
    assert "120" in msg and "100" in msg and "expected stop_out <= margin_call" in msg


def test_unsourced_figure_and_bad_country(tmp_path: Path) -> None:
    base = (BAD.parent / "eleventh.yaml").read_text()
    f = tmp_path / "nosource.yaml"
    f.write_text(base.replace("max_leverage: {value: 1000, source: site, confidence: high}",
                              "max_leverage: {value: 1000, confidence: high}"))
    with pytest.raises(ProfileError, match=r"entities\.0\.max_leverage.*needs source"):
        load_broker(str(f))
    g = tmp_path / "country.yaml"
    g.write_text(base.replace("countries: [REST]", "countries: [XX]"))
    with pytest.raises(ProfileError, match=r"'XX', which is not a valid ISO-3166 alpha-2 code"):
        load_broker(str(g))
    h = tmp_path / "regulator.yaml"
    h.write_text(base.replace("regulator: svg_fsa", "regulator: sec_mars"))
    with pytest.raises(ProfileError, match=r"entities\.0\.regulator: found unknown regulator 'sec_mars'"):
        load_broker(str(h))
    k = tmp_path / "extra.yaml"
    k.write_text(base.replace("    name: Classic\n", "    name: Classic\n    colour: blue\n"))
    with pytest.raises(ProfileError, match=r"account_types\.0\.colour: found 'blue'; expected: Extra inputs"):
        load_broker(str(k))
