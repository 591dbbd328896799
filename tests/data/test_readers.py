"""Every other format, read from the real files as they are, plus the bad-input errors."""

from __future__ import annotations

import lzma

import numpy as np
import pytest

from leverlab.data import Bars, CorruptFileError, DataError, FormatError, ParseError, Ticks, detect, read, validate
from leverlab.data.frames import combine_sides
from leverlab.data.readers import read_raw

from .helpers import utc


def issue(frame, check):
    return next(i for i in frame.meta["report"]["issues"] if i["check"] == check)


def test_dukascopy_ticks_tree(shared):
    root = shared / "dukascopy/dummy-data/EURUSD/2019"
    t = read(root)
    assert isinstance(t, Ticks) and t.symbol == "EURUSD" and len(t) == 266_219
    assert utc(t.time[0]) == "2019-02-04T00:00:00.994000000"  # month folder 01 = February
    assert utc(t.time[-1]) == "2019-02-05T23:59:59.765000000"
    assert t.bid_volume is not None and (t.ask >= t.bid).all()
    assert 1.13 < t.bid[0] < 1.15
    one = read(root / "01/04/10h_ticks.bi5")
    assert len(one) == 8_438 and utc(one.time[0]) == "2019-02-04T10:00:00.043000000"
    assert one.ask[0] == pytest.approx(1.14457) and one.bid[0] == pytest.approx(1.14452)


def test_dukascopy_candles(shared):
    root = shared / "dukascopy/dummy-data/EURUSD/2019"
    h = read(root / "01/BID_candles_hour_1.bi5")
    assert isinstance(h, Bars) and h.timeframe == "H1" and len(h) == 672
    assert utc(h.time[0]) == "2019-02-01T00:00:00.000000000" and h.meta["side"] == "bid"
    assert (h.bid_high >= np.maximum(h.bid_open, h.bid_close)).all()
    d = read(root / "BID_candles_day_1.bi5")
    assert d.timeframe == "D1" and len(d) == 365 and utc(d.time[-1]).startswith("2019-12-31")
    m = read(root / "01/04/BID_candles_min_1.bi5")
    assert m.timeframe == "M1" and len(m) == 1_440 and utc(m.time[0]) == "2019-02-04T00:00:00.000000000"


def test_histdata_m1_fixed_utc_minus_5(shared):
    folder = shared / "histdata-btgym/examples/data"
    files = sorted(folder.glob("DAT_ASCII_EURUSD_M1_2017*.csv"))
    assert detect(files[0]) == "histdata"
    parts = [read(f) for f in files]
    assert sum(len(p) for p in parts) == 186_348
    jan = parts[0]
    assert jan.symbol == "EURUSD" and jan.timeframe == "M1" and jan.meta["side"] == "bid"
    assert utc(jan.time[0]) == "2017-01-02T07:00:00.000000000"  # 20170102 020000 EST
    assert utc(jan.time[-1]) == "2017-02-01T04:58:00.000000000"
    assert "UTC-05:00" in jan.meta["report"]["timezone"]


def test_histdata_ticks(shared):
    t = read(shared / "nautilus/tests/test_data/quote_tick_data.csv")
    assert isinstance(t, Ticks) and len(t) == 9_500
    assert utc(t.time[0]) == "2020-01-01T22:00:00.065000000"  # 20200101 170000065 EST
    assert utc(t.time[-1]) == "2020-01-02T04:00:52.125000000"
    assert t.bid[0] == 1.1212 and t.ask[0] == 1.12172


def test_truefx_both_forms(shared, tmp_path):
    t = read(shared / "nautilus/truefx_AUDUSD_ticks_2020-01-30_31.csv")
    assert detect(shared / "nautilus/truefx_AUDUSD_ticks_2020-01-30_31.csv") == "truefx"
    assert t.symbol == "AUDUSD" and len(t) == 100_000
    assert utc(t.time[0]) == "2020-01-30T15:28:09.820000000"
    assert utc(t.time[-1]) == "2020-01-31T20:59:54.501000000"
    assert issue(t, "duplicates")["count"] == 179
    j = read(shared / "nautilus/tests/test_data/truefx/usdjpy-ticks.csv")
    assert j.symbol == "USDJPY" and len(j) == 1_000 and utc(j.time[0]) == "2013-01-01T22:00:00.295000000"
    # the vendor's own layout, written from the same real ticks
    stamps = [str(np.datetime64(int(x), "ns").astype("datetime64[ms]")).replace("-", "").replace("T", " ")
              for x in j.time[:50]]
    lines = [f"USD/JPY,{s},{b},{a}" for s, b, a in zip(stamps, j.bid[:50], j.ask[:50])]
    p = tmp_path / "USDJPY-2013-01.csv"
    p.write_text("\n".join(lines) + "\n")
    assert detect(p) == "truefx"
    k = read(p)
    assert k.symbol == "USDJPY" and np.array_equal(k.time, j.time[:50]) and np.array_equal(k.bid, j.bid[:50])


def test_fxcm_m1_bid_ask_files_crossed(shared):
    folder = shared / "nautilus/tests/test_data/fxcm"
    for name, n, crossed in (("gbpusd-m1-{}-2012.csv", 30_117, 347), ("usdjpy-m1-{}-2013.csv", 28_761, 683)):
        bid, ask = read(folder / name.format("bid")), read(folder / name.format("ask"))
        assert bid.meta["side"] == "bid" and ask.meta["side"] == "ask" and len(bid) == n
        both = combine_sides(bid, ask)
        assert len(both) == n and both.two_sided
        assert validate(both).issue("crossed").count == crossed
    g = read(folder / "gbpusd-m1-bid-2012.csv")
    assert utc(g.time[0]) == "2012-02-01T00:00:00.000000000" and utc(g.time[-1]) == "2012-03-01T00:00:00.000000000"


def test_generic_csv_files(shared):
    gym = read(shared / "gym-anytrading/gym_anytrading/datasets/data/FOREX_EURUSD_1H_ASK.csv")
    assert gym.timeframe == "H1" and len(gym) == 6_225 and gym.meta["side"] == "ask"
    assert utc(gym.time[0]) == "2017-01-01T22:00:00.000000000" and utc(gym.time[-1]) == "2017-12-29T21:00:00.000000000"
    bt = read(shared / "backtesting-py/backtesting/test/EURUSD.csv")
    assert bt.timeframe == "H1" and len(bt) == 5_000 and utc(bt.time[-1]) == "2018-02-07T15:00:00.000000000"
    assert "assumed UTC" in bt.meta["timezone_reason"]
    # explicit mapping and format
    m = read(shared / "backtesting-py/backtesting/test/EURUSD.csv", format="csv",
             columns={"time": "", "open": "Open", "high": "High", "low": "Low", "close": "Close"},
             time_format="%Y-%m-%d %H:%M:%S", tz="UTC+1")
    assert m.time[0] == bt.time[0] - 3_600_000_000_000


def test_mt5_m15_server_time(shared):
    e = read(shared / "mt5-m15/EURUSD.csv", tz="ny+7")
    assert e.timeframe == "M15" and len(e) == 24_696
    # 2025-06-13 15:30 server time in summer (UTC+3) is 12:30 UTC; 2026-06-12 23:45 -> 20:45 UTC
    assert utc(e.time[0]) == "2025-06-13T12:30:00.000000000" and utc(e.time[-1]) == "2026-06-12T20:45:00.000000000"
    assert len(read(shared / "mt5-m15/XAUUSD.csv", tz="ny+7")) == 23_270


def _mt5_export(src, path, encoding="utf-8"):
    lines = ["<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>"]
    for row in src.read_text().splitlines()[1:201]:
        t, o, h, lo, c = row.split(",")
        d, hm = t.split(" ")
        lines.append(f"{d.replace('-', '.')}\t{hm}\t{o}\t{h}\t{lo}\t{c}\t100\t0\t7")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_mt5_export(shared, tmp_path, encoding):
    p = _mt5_export(shared / "mt5-m15/EURUSD.csv", tmp_path / "EURUSD_M15.csv", encoding)
    assert detect(p) == "mt5"
    with pytest.raises(DataError, match="server time"):
        read(p)
    b = read(p, tz="UTC+3")
    assert b.timeframe == "M15" and len(b) == 200 and b.symbol == "EURUSD"
    assert utc(b.time[0]) == "2025-06-13T12:30:00.000000000"
    assert (b.spread == 7).all() and (b.volume == 100).all() and b.bid_open[0] == 1.15147


def test_mt5_tick_export_forward_fills(tmp_path):
    p = tmp_path / "EURUSD_ticks.csv"
    p.write_text("<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
                 "2025.06.13\t15:30:00.100\t1.15100\t1.15110\t\t\t6\n"
                 "2025.06.13\t15:30:00.250\t1.15102\t\t\t\t2\n"
                 "2025.06.13\t15:30:01.000\t\t1.15115\t\t\t4\n")
    t = read(p, tz="UTC+3")
    assert isinstance(t, Ticks) and t.bid.tolist() == [1.151, 1.15102, 1.15102]
    assert t.ask.tolist() == [1.1511, 1.1511, 1.15115]
    assert utc(t.time[1]) == "2025-06-13T12:30:00.250000000"


def test_parquet_roundtrip(shared, tmp_path):
    from leverlab.data.readers.parquet import write_parquet

    t = read(shared / "nautilus/tests/test_data/truefx/usdjpy-ticks.csv")
    p = write_parquet(t, tmp_path / "usdjpy.parquet")
    assert detect(p) == "parquet"
    u = read(p)
    assert u.symbol == "USDJPY" and np.array_equal(u.time, t.time) and np.array_equal(u.ask, t.ask)
    b = read(shared / "lean/Data/forex/oanda/daily/eurusd.zip")
    c = read(write_parquet(b, tmp_path / "d1.parquet"))
    assert c.timeframe == "D1" and c.two_sided and np.array_equal(c.ask_close, b.ask_close)


# ------------------------------------------------------------------------------------ bad input

def test_truncated_zip(shared, tmp_path):
    src = (shared / "lean/Data/forex/oanda/daily/eurusd.zip").read_bytes()
    p = tmp_path / "oanda" / "daily" / "eurusd.zip"
    p.parent.mkdir(parents=True)
    p.write_bytes(src[: len(src) // 2])
    with pytest.raises(CorruptFileError) as e:
        read(p)
    assert str(p) in str(e.value) and "byte offset" in str(e.value) and "expected" in str(e.value)


def test_wrong_column_count_names_row(shared, tmp_path):
    lines = (shared / "histdata-btgym/examples/data/DAT_ASCII_EURUSD_M1_201701.csv").read_text().splitlines()
    lines[41] = lines[41].rsplit(";", 1)[0]  # drop the last field of line 42
    p = tmp_path / "DAT_ASCII_EURUSD_M1_201701.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ParseError) as e:
        read(p)
    assert e.value.row == 42 and str(p) in str(e.value) and "6 columns" in str(e.value)


def test_bad_date_names_row(shared, tmp_path):
    lines = (shared / "histdata-btgym/examples/data/DAT_ASCII_EURUSD_M1_201701.csv").read_text().splitlines()
    lines[99] = "2017O102 0x4000" + lines[99][15:]
    p = tmp_path / "DAT_ASCII_EURUSD_M1_201701.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ParseError) as e:
        read(p)
    assert e.value.row == 100 and "2017O102" in str(e.value) and "expected" in str(e.value)


def test_bad_number_names_row(shared, tmp_path):
    lines = (shared / "nautilus/tests/test_data/truefx/usdjpy-ticks.csv").read_text().splitlines()
    lines[10] = lines[10].rsplit(",", 1)[0] + ",86.7x"
    p = tmp_path / "usdjpy-ticks.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ParseError) as e:
        read(p)
    assert e.value.row == 11 and "a number" in str(e.value)


def test_bi5_not_lzma(shared, tmp_path):
    d = tmp_path / "EURUSD/2019/01/04"
    d.mkdir(parents=True)
    (d / "10h_ticks.bi5").write_bytes(b"this is not lzma at all" * 10)
    with pytest.raises(CorruptFileError) as e:
        read(d / "10h_ticks.bi5")
    assert "byte offset 0" in str(e.value) and "LZMA" in str(e.value) and "10h_ticks.bi5" in str(e.value)
    raw = lzma.decompress((shared / "dukascopy/dummy-data/EURUSD/2019/01/04/10h_ticks.bi5").read_bytes())
    (d / "11h_ticks.bi5").write_bytes(lzma.compress(raw[:-7], format=lzma.FORMAT_ALONE))
    with pytest.raises(CorruptFileError, match="whole 20-byte records"):
        read(d / "11h_ticks.bi5")


def test_unknown_format(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello\nworld\n")
    with pytest.raises(FormatError, match="not recognised"):
        read(p)
    with pytest.raises(DataError, match="not found"):
        read(tmp_path / "missing.csv")


def test_policies(shared):
    raw = read_raw(shared / "nautilus/truefx_AUDUSD_ticks_2020-01-30_31.csv")
    rep = validate(raw, {"duplicates": "drop"})
    assert rep.issue("duplicates").changed == 179 and rep.rows_out == 100_000 - 179
    assert (np.diff(rep.frame.time) > 0).all()
    shuffled = raw.take(np.r_[1:len(raw), 0])
    r2 = validate(shuffled)
    assert r2.issue("unsorted").count == 1 and r2.issue("unsorted").action == "fix"
    assert (np.diff(r2.frame.time) >= 0).all()
    with pytest.raises(Exception, match="unsorted"):
        validate(shuffled, {"unsorted": "error"})
    bad = raw.take(np.arange(100))
    bad.bid[5] = np.nan
    bad.ask[7] = 0.0
    r3 = validate(bad)
    assert r3.issue("nan").changed == 1 and r3.issue("nonpositive").changed == 1 and r3.rows_out == 98
    d = r3.to_dict()
    assert d["rows_in"] == 100 and d["issues"][0]["examples"][0]["row"] == 5
    assert "nan: 1" in str(r3)
    with pytest.raises(ValueError, match="not allowed"):
        validate(bad, {"gaps": "drop"})


def test_outliers_flagged_not_removed():
    from leverlab.data import load

    b = load("sample:eurusd-h1")
    out = b.meta["report"]["issues"]
    o = next(i for i in out if i["check"] == "outliers")
    assert o["count"] > 0 and o["action"] == "warn" and b.meta["report"]["rows_out"] == len(b) == 74_439
    assert any(ex["time"] == "2016-06-24T02:00:00Z" for ex in o["examples"])  # Brexit night
