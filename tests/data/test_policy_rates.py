"""The bundled central-bank policy rates: hand-checked values, coverage, and clear errors for bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from leverlab.data.policy_rates import POLICY_RATES_FILE, NoPolicyRateError, PolicyRateError, policy_rates, rate_on

HEADER = "currency,effective_date,rate_percent,source_id\n"


def test_hand_checked_rates() -> None:
    """USD and EUR on 2008-03-05 and 2016-03-09, read by hand from policy_rates.csv:
    USD 3.00 (FOMC cut of 2008-01-30; next change 2008-03-18) and 0.50 (upper bound since 2015-12-17);
    EUR (ECB deposit facility) 3.00 (since 2007-06-13) and -0.30 (since 2015-12-09; -0.40 from 2016-03-16);
    EUR_MRO 0.05 on 2016-03-09."""
    assert rate_on("USD", "2008-03-05") == 3.0
    assert rate_on("EUR", "2008-03-05") == 3.0
    assert rate_on("USD", dt.date(2016, 3, 9)) == 0.5
    assert rate_on("eur", np.datetime64("2016-03-09")) == -0.3
    assert rate_on("EUR_MRO", "2016-03-09") == 0.05
    assert rate_on("EUR", "2016-03-16") == -0.4  # the effective day itself has the new rate
    assert rate_on("EUR", "2016-03-15") == -0.3


def test_series_are_sorted_arrays_covering_2006() -> None:
    rates = policy_rates()
    assert sorted(rates) == ["AUD", "CAD", "CHF", "EUR", "EUR_MRO", "GBP", "JPY", "MXN", "NZD", "TRY", "USD", "ZAR"]
    assert sum(len(s.dates) for s in rates.values()) == 579
    for ccy, s in rates.items():
        assert s.dates.dtype == np.dtype("datetime64[D]") and s.rates.dtype == np.float64
        assert np.all(np.diff(s.dates).astype(int) > 0) and len(s.dates) == len(s.rates) == len(s.sources)
        if ccy not in ("JPY", "MXN"):
            assert s.dates[0] <= np.datetime64("2006-01-01")
    assert rates["USD"].sources[0] == "fed-fundsrate-archive"


def test_coverage_limits_are_errors_not_guesses() -> None:
    with pytest.raises(NoPolicyRateError, match=r"no JPY policy rate on 2006-02-01: the series starts 2006-03-09 "
                                                r"\(quantitative easing"):
        rate_on("JPY", "2006-02-01")
    with pytest.raises(NoPolicyRateError, match=r"MXN .* 2008-01-21"):
        rate_on("MXN", "2007-06-01")
    with pytest.raises(NoPolicyRateError, match=r"verified through 2026-06-17"):
        rate_on("USD", "2026-11-01")
    with pytest.raises(NoPolicyRateError, match=r"no policy-rate series for 'SEK'; expected one of AUD, CAD"):
        rate_on("SEK", "2010-01-01")


def test_bundled_file_ships_with_its_notice() -> None:
    notice = POLICY_RATES_FILE.with_name("policy_rates.md").read_text(encoding="utf-8")
    assert "bis.org" in notice and "`fed-fundsrate-archive`" in notice and "gap" in notice


# ------------------------------------------------------------------ bad files
def _bundled_rows() -> list[str]:
    return POLICY_RATES_FILE.read_text(encoding="utf-8").splitlines(keepends=True)[1:]


def _bad(tmp_path: Path, rows: list[str], header: str = HEADER) -> str:
    f = tmp_path / "rates.csv"
    f.write_text(header + "".join(rows))
    with pytest.raises(PolicyRateError) as exc:
        policy_rates(f)
    return str(exc.value)


def _line_of(rows: list[str], start: str) -> int:
    return next(i for i, r in enumerate(rows, start=2) if r.startswith(start))


def test_unknown_currency(tmp_path: Path) -> None:
    rows = _bundled_rows()
    rows.insert(3, "XXX,2010-01-01,1.00,made-up\n")
    msg = _bad(tmp_path, rows)
    assert msg.startswith("rates.csv:5: currency: found 'XXX'; expected one of AUD, CAD, CHF")


def test_rate_that_is_not_a_number(tmp_path: Path) -> None:
    rows = [r.replace("USD,2008-03-18,2.25,", "USD,2008-03-18,2.25%,") for r in _bundled_rows()]
    msg = _bad(tmp_path, rows)
    line = _line_of(rows, "USD,2008-03-18")
    assert msg == (f"rates.csv:{line}: rate_percent: found '2.25%'; expected a number, the rate in percent per "
                   f"year (e.g. 4.25)")
    rows = [r.replace("USD,2008-03-18,2.25,", "USD,2008-03-18,nan,") for r in _bundled_rows()]
    assert "rate_percent: found 'nan'" in _bad(tmp_path, rows)


def test_bad_date(tmp_path: Path) -> None:
    rows = [r.replace("GBP,2009-03-05,", "GBP,2009-03-32,") for r in _bundled_rows()]
    msg = _bad(tmp_path, rows)
    assert f"rates.csv:{_line_of(rows, 'GBP,2009-03-32')}: effective_date: found '2009-03-32'; expected a date " \
           f"YYYY-MM-DD" == msg


def test_unsorted_dates(tmp_path: Path) -> None:
    rows = _bundled_rows()
    i, j = _line_of(rows, "USD,2008-01-30") - 2, _line_of(rows, "USD,2008-03-18") - 2
    rows[i], rows[j] = rows[j], rows[i]
    msg = _bad(tmp_path, rows)
    assert msg.startswith(f"rates.csv:{j + 2}: effective_date: found '2008-01-30'; expected a USD date after "
                          f"2008-03-18 (line {i + 2}; this one is earlier than it)")


def test_duplicate_dates(tmp_path: Path) -> None:
    rows = _bundled_rows()
    i = _line_of(rows, "EUR,2016-03-16") - 2
    rows.insert(i + 1, "EUR,2016-03-16,-0.45,bsi-ecb-rates\n")
    msg = _bad(tmp_path, rows)
    assert msg.startswith(f"rates.csv:{i + 3}: effective_date: found '2016-03-16'; expected a EUR date after "
                          f"2016-03-16 (line {i + 2}; this one is a duplicate of it)")


def test_gap_at_the_start_of_a_series(tmp_path: Path) -> None:
    """A series that starts after 2006-01-01 (JPY and MXN excepted) leaves a span with no rate."""
    rows = [r for r in _bundled_rows() if not r.startswith("GBP,2005-08-04")]
    msg = _bad(tmp_path, rows)
    line = _line_of(rows, "GBP,2006-08-03")
    assert msg == (f"rates.csv:{line}: effective_date: found '2006-08-03'; expected the GBP rate in force on "
                   f"2006-01-01 (a date on or before it); the series starts later, leaving a gap 2006-01-01 .. "
                   f"2006-08-02 with no rate")


def test_missing_series_row_shape_and_header(tmp_path: Path) -> None:
    rows = [r for r in _bundled_rows() if not r.startswith("ZAR,")]
    assert _bad(tmp_path, rows) == ("rates.csv: currency: found no ZAR rows; expected the ZAR series "
                                    "(from 2006-01-01)")
    rows = _bundled_rows()
    rows[0] = "AUD,2005-03-02,5.50\n"
    assert _bad(tmp_path, rows).startswith("rates.csv:2: row: found 'AUD,2005-03-02,5.50'; expected 4 fields")
    assert _bad(tmp_path, _bundled_rows(), header="ccy,date,rate,src\n") == (
        "rates.csv:1: header: found 'ccy,date,rate,src'; expected currency,effective_date,rate_percent,source_id")


def test_docstring_example() -> None:
    import doctest

    import leverlab.data.policy_rates as mod

    result = doctest.testmod(mod)
    assert result.failed == 0 and result.attempted > 0
