"""Time is never guessed silently: day/month order, epoch units, and a zone taken as UTC is carried
into the report, the store's catalog, `data list` and the loaded frame."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from leverlab.cli.data import app
from leverlab.data import ParseError, Store, read

from .helpers import utc


def _csv(tmp_path, name, times, extra=""):
    p = tmp_path / name
    p.write_text("time,bid,ask\n" + "".join(f"{t},1.1{i},1.2{i}\n" for i, t in enumerate(times)) + extra)
    return p


def test_day_month_order_refused_unless_stated(tmp_path):
    """The issue's example: 1-3 Feb 2020 written dd/mm/yyyy was stored as 2 Jan, 2 Feb, 2 Mar."""
    p = _csv(tmp_path, "EURUSD.csv", ["01/02/2020 10:00", "02/02/2020 10:00", "03/02/2020 10:00"])
    with pytest.raises(ParseError) as e:
        read(p)
    assert e.value.row == 2 and "day/month or month/day" in str(e.value) and "DMY" in str(e.value)
    t = read(p, date_format="DMY")
    assert [utc(x)[:10] for x in t.time] == ["2020-02-01", "2020-02-02", "2020-02-03"]
    assert "as stated" in t.meta["report"]["date_order"]
    m = read(p, date_format="mm/dd/yyyy")
    assert [utc(x)[:10] for x in m.time] == ["2020-01-02", "2020-02-02", "2020-03-02"]  # as stated
    out = CliRunner().invoke(app, ["import", str(p), "--store", str(tmp_path / "s"), "--json"])
    assert out.exit_code == 2 and "date-format" in json.loads(out.stdout)["error"]
    out = CliRunner().invoke(app, ["import", str(p), "--store", str(tmp_path / "s"), "--date-format", "DMY", "--json"])
    assert out.exit_code == 0 and utc(Store(tmp_path / "s").load("EURUSD").time[0]) == "2020-02-01T10:00:00.000000000"


def test_day_month_order_inferred_only_when_the_file_shows_it(tmp_path):
    dmy = read(_csv(tmp_path, "EURUSD.csv", ["01/02/2020 10:00", "13/02/2020 10:00:00.5"]))
    assert utc(dmy.time[0]) == "2020-02-01T10:00:00.000000000" and utc(dmy.time[1]) == "2020-02-13T10:00:00.500000000"
    assert dmy.meta["date_order"] == "day/month/year, inferred from row 3 ('13/02/2020 10:00:00.5')"
    mdy = read(_csv(tmp_path, "GBPUSD.csv", ["1.2.2020 10:00", "1.13.2020 10:00"]))
    assert utc(mdy.time[0]) == "2020-01-02T10:00:00.000000000" and "month/day/year, inferred" in mdy.meta["date_order"]
    with pytest.raises(ParseError, match="row 2 .* reads day first, row 3 .* month first"):
        read(_csv(tmp_path, "AUDUSD.csv", ["13/01/2020 10:00", "01/13/2020 10:00"]))
    with pytest.raises(ParseError, match="no valid date") as e:
        read(_csv(tmp_path, "USDJPY.csv", ["13/01/2020 10:00", "30/02/2020 10:00"]))
    assert e.value.row == 3


def test_real_day_first_file_is_inferred(shared):
    gym = read(shared / "gym-anytrading/gym_anytrading/datasets/data/FOREX_EURUSD_1H_ASK.csv")
    assert utc(gym.time[0]) == "2017-01-01T22:00:00.000000000" and len(gym) == 6_225
    assert gym.meta["date_order"].startswith("day/month/year, inferred from row")


@pytest.mark.parametrize("value,unit", [("1580000000", "seconds"), ("1580000000.5", "seconds"),
                                        ("1580000000000", "milliseconds"), ("1580000000000000", "microseconds"),
                                        ("1580000000000000001", "nanoseconds")])
def test_epoch_units_by_magnitude(tmp_path, value, unit):
    t = read(_csv(tmp_path, "EURUSD.csv", [value]))
    assert utc(t.time[0]).startswith("2020-01-26T00:53:20") and t.meta["time_unit"].startswith(f"unix {unit}")
    assert not t.meta["tz_assumed"]
    if unit == "nanoseconds":
        assert int(t.time[0]) == 1580000000000000001  # exact, not through a float


@pytest.mark.parametrize("times,row,words", [
    (["1580000000", "1580000000123"], 3, "is in milliseconds but row 2"),
    (["1580000000", "12345"], 3, "no epoch time"),
    (["20200102", "20200103"], 2, "no epoch time"),
    (["1580000000", "soon"], 3, "cannot read 'soon'"),
])
def test_epoch_refused_with_row(tmp_path, times, row, words):
    with pytest.raises(ParseError, match=words) as e:
        read(_csv(tmp_path, "EURUSD.csv", times))
    assert e.value.row == row and "EURUSD.csv" in str(e.value)


def test_assumed_utc_is_carried_everywhere(shared, tmp_path):
    store = tmp_path / "s"
    r = CliRunner()
    out = r.invoke(app, ["import", str(shared / "mt5-m15/EURUSD.csv"), "--store", str(store)])
    assert out.exit_code == 0 and "ASSUMED" in out.stdout
    st = Store(store)
    assert st.list()[0]["tz_assumed"] is True
    listing = r.invoke(app, ["list", "--store", str(store)])
    assert "UTC (assumed)" in listing.stdout
    frame = st.load("EURUSD")
    assert frame.meta["tz_assumed"] is True and "EURUSD.csv" in frame.meta["tz_note"]
    rep = st.report("EURUSD")[0]
    assert rep["timezone_assumed"] is True and "assumed UTC" in rep["timezone_reason"]
    shown = r.invoke(app, ["show", "EURUSD", "--store", str(store)])
    assert "ASSUMED" in shown.stdout
    stated = Store(tmp_path / "t")
    stated.import_file(shared / "mt5-m15/EURUSD.csv", tz="ny+7")
    assert stated.list()[0]["tz_assumed"] is False and stated.load("EURUSD").meta["tz_assumed"] is False
    assert read(shared / "nautilus/tests/test_data/fxcm/gbpusd-m1-bid-2012.csv").meta["tz_assumed"] is False


def test_load_always_says_whether_the_zone_was_assumed(shared, tmp_path):
    from leverlab.data import load

    assert load("sample:eurusd-h1").meta["tz_assumed"] is False
    assert load(str(shared / "backtesting-py/backtesting/test/EURUSD.csv")).meta["tz_assumed"] is True
    Store(tmp_path).import_file(shared / "backtesting-py/backtesting/test/EURUSD.csv")
    d1 = load("EURUSD", store=tmp_path, timeframe="H4")  # resampled: the note survives
    assert d1.meta["tz_assumed"] is True
    ticks = tmp_path / "EURUSD_ticks.csv"
    ticks.write_text("time,bid,ask\n2024-01-02 10:00:00,1.1,1.2\n2024-01-02 10:00:30,1.1,1.2\n")
    m1 = load(str(ticks), timeframe="M1")
    assert m1.timeframe == "M1" and m1.meta["tz_assumed"] is True
