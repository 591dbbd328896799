"""The store never loses rows: the merge rule, explicit replace, honest skipping, delete, verify,
safe symbol names, per-file outcomes, and clear errors for a damaged catalog or partition."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from leverlab.cli.data import app
from leverlab.data import DataError, Store, StoreError, Ticks

M15 = "mt5-m15/EURUSD.csv"
FOUR = ("time,open,high,low,close\n2025-01-02 10:00:00,1.1,1.2,1.0,1.1\n2026-06-15 10:00:00,1.1,1.2,1.0,1.1\n"
        "2026-06-15 10:15:00,1.1,1.2,1.0,1.1\n2026-06-15 10:30:00,1.1,1.2,1.0,1.1\n")


def _ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def _cli(*args: str) -> tuple[int, dict]:
    out = CliRunner().invoke(app, [*args, "--json"])
    return out.exit_code, json.loads(out.stdout)


def _ticks(symbol: str, start: str, n: int, bid: float = 1.1) -> Ticks:
    t = _ns(start) + np.arange(n, dtype=np.int64) * 1_000_000_000
    return Ticks(symbol, t, np.full(n, bid), np.full(n, bid + 0.0002))


def test_four_row_import_keeps_the_stored_rows(shared, tmp_path):
    """The issue's example: 24,696 stored M15 bars survive a 4-row file spanning 2025-01..2026-06."""
    store = str(tmp_path / "s")
    four = tmp_path / "EURUSD_update.csv"
    four.write_text(FOUR)
    code, doc = _cli("import", str(shared / M15), "--store", store)
    assert code == 0 and Store(store).list()[0]["rows"] == 24_696
    code, doc = _cli("import", str(four), "--store", store)
    assert code == 0 and Store(store).list()[0]["rows"] == 24_700
    imp = doc["imports"][0]
    assert imp["added"] == 4 and imp["replaced_rows"] == 0 and imp["conflicts"] == 0
    code, doc = _cli("import", str(shared / M15), "--store", store)
    assert doc["imports"][0]["status"] == "skipped" and "all its 24,696 rows" in doc["imports"][0]["reason"]


def test_explicit_replace_then_reimport_restores(shared, tmp_path):
    store = str(tmp_path / "s")
    four = tmp_path / "EURUSD_update.csv"
    four.write_text(FOUR)
    _cli("import", str(shared / M15), "--store", store)
    code, doc = _cli("import", str(four), "--store", store, "--replace")
    assert code == 0 and doc["imports"][0]["replaced_rows"] == 24_696 and Store(store).list()[0]["rows"] == 4
    # the original's rows are no longer all there: it must not be skipped
    code, doc = _cli("import", str(shared / M15), "--store", store)
    assert doc["imports"][0]["status"] == "imported" and doc["imports"][0]["added"] == 24_696
    assert "imported again" in doc["imports"][0]["notes"][0]
    assert Store(store).list()[0]["rows"] == 24_700


def test_replace_range_removes_only_that_range(tmp_path):
    st = Store(tmp_path)
    st.write(_ticks("GBPUSD", "2024-03-01T00:00", 100))
    new = _ticks("GBPUSD", "2024-03-01T00:00:50", 5, bid=1.3)
    r = st.write(new, replace=(_ns("2024-03-01T00:00:40"), _ns("2024-03-01T00:01:00")))
    assert r.replaced_rows == 20 and r.added == 5 and r.conflicts == 0
    back = st.load("GBPUSD")
    assert len(back) == 100 - 20 + 5
    assert back.bid[40:45].tolist() == [1.3] * 5 and back.bid[39] == 1.1 and back.bid[45] == 1.1


def test_conflicts_counted_new_rows_win(tmp_path):
    st = Store(tmp_path)
    st.write(_ticks("AUDUSD", "2024-01-31T23:59:50", 20))  # spans two months
    upd = _ticks("AUDUSD", "2024-01-31T23:59:55", 10)
    upd.bid[[2, 7]] = 0.7  # two times with other values
    r = st.write(upd, source="update")
    assert (r.added, r.unchanged, r.conflicts, r.overwritten_rows, r.replaced_rows) == (0, 8, 2, 2, 0)
    back = st.load("AUDUSD")
    assert len(back) == 20 and (back.bid == 0.7).sum() == 2
    # ticks with several rows at one time: the stored group is compared as a whole
    dup = Ticks("AUDUSD", np.r_[back.time[:1], back.time[:1]], np.array([1.1, 1.2]), np.array([1.2, 1.3]))
    r2 = st.write(dup)
    assert r2.conflicts == 1 and r2.overwritten_rows == 1 and len(st.load("AUDUSD")) == 21


def test_changed_tz_is_a_new_import(shared, tmp_path):
    st = Store(tmp_path)
    st.import_file(shared / M15)
    again = st.import_file(shared / M15, tz="UTC+2")
    assert again.status == "imported" and "other options (tz)" in again.notes[0]
    assert st.import_file(shared / M15, tz="UTC+2").status == "skipped"


@pytest.mark.parametrize("bad", ["../../X", "..", "a/b", "EUR USD", ".hidden", "x" * 65, "EUR\\USD"])
def test_symbol_cannot_leave_the_store(tmp_path, bad):
    src = tmp_path / "EURUSD_update.csv"
    src.write_text(FOUR)
    root = tmp_path / "deep" / "s"
    code, doc = _cli("import", str(src), "--store", str(root), "--symbol", bad)
    assert code == 2 and doc["imports"][0]["status"] == "failed" and "is not allowed" in doc["error"]
    assert str(src) in doc["error"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["EURUSD_update.csv"] or not any(
        p.suffix == ".parquet" for p in tmp_path.rglob("*"))
    with pytest.raises(StoreError, match="letters, digits"):
        Store(root).write(_ticks(bad, "2024-01-01", 3))


def test_multi_file_import_reports_each_and_keeps_the_good(shared, tmp_path):
    store = tmp_path / "s"
    good = tmp_path / "EURUSD_update.csv"
    good.write_text(FOUR)
    bad = tmp_path / "GBPUSD_bad.csv"
    bad.write_text("time,bid,ask\n2024-01-01 00:00:00,1.1,1.2\n2024-01-01 00:00:01,oops,1.2\n")
    out = CliRunner().invoke(app, ["import", str(good), str(bad), str(shared / M15), "--store", str(store), "--json"])
    doc = json.loads(out.stdout)
    assert out.exit_code == 2 and doc["ok"] is False
    assert [i["status"] for i in doc["imports"]] == ["imported", "failed", "imported"]
    assert "GBPUSD_bad.csv" in doc["imports"][1]["error"] and "row 3" in doc["imports"][1]["error"]
    assert Store(store).list()[0]["rows"] == 24_700 and Store(store).symbols() == ["EURUSD"]
    human = CliRunner().invoke(app, ["import", str(good), str(bad), "--store", str(store)])
    assert human.exit_code == 2 and "skipped" in human.stdout and "1 of 2 file(s) failed" in human.output


def test_delete_and_verify_and_repair(shared, tmp_path):
    store = str(tmp_path / "s")
    _cli("import", str(shared / M15), "--store", store)
    code, doc = _cli("verify", "--store", store)
    assert code == 0 and doc["ok"] and doc["datasets"][0]["partitions"] == 13
    st = Store(store)
    part = sorted((tmp_path / "s/EURUSD/bars-M15").glob("2025-07.*.parquet"))[0]
    part.write_bytes(part.read_bytes()[:300])
    code, doc = _cli("verify", "--store", store)
    assert code == 1 and not doc["ok"]
    assert doc["datasets"][0]["damaged"][0]["file"] == str(part)
    with pytest.raises(StoreError, match=part.name):
        st.load("EURUSD")
    code, doc = _cli("import", str(shared / M15), "--store", store)  # a re-import repairs it
    assert doc["imports"][0]["status"] == "imported" and doc["imports"][0]["added"] == 2_148
    assert part.name in doc["imports"][0]["repaired"][0]
    assert _cli("verify", "--store", store)[0] == 0 and len(st.load("EURUSD")) == 24_696
    code, doc = _cli("delete", "EURUSD", "--store", store, "--range", "2025-07-01..2025-08-01")
    assert code == 0 and doc["rows_removed"] == 2_148 and st.list()[0]["rows"] == 24_696 - 2_148
    assert st.import_file(shared / M15).added == 2_148  # no longer all there: not skipped
    code, doc = _cli("delete", "EURUSD", "--store", store)
    assert code == 0 and doc["rows_removed"] == 24_696 and st.list() == []
    code, doc = _cli("delete", "EURUSD", "--store", store)
    assert code == 2 and "not in the store" in doc["error"]


@pytest.mark.parametrize("text,found", [
    ("[1,2,3]", "catalog: found [1, 2, 3]"),
    ('{"datasets": {"EURUSD/ticks": {"symbol": "EURUSD", "partitions": {}, "imports": [], "rows": 0}}}',
     "dataset 'EURUSD/ticks' has no field 'kind'"),
    ('{"datasets": []}', "'datasets': found []"),
    ('{"datasets": {"X/ticks": {"symbol": "../x", "kind": "ticks", "partitions": {}, "imports": [], "rows": 0}}}',
     "symbol '../x' is not allowed"),
    ("\x00\x01", "not valid JSON"),
])
def test_damaged_catalog_named(tmp_path, text, found):
    (tmp_path / "catalog.json").write_text(text)
    for call in (lambda: Store(tmp_path).list(), lambda: Store(tmp_path).write(_ticks("EURUSD", "2024-01-01", 2)),
                 lambda: Store(tmp_path).load("EURUSD")):
        with pytest.raises(StoreError) as e:
            call()
        assert str(tmp_path / "catalog.json") in str(e.value) and found in str(e.value) and "expected" in str(e.value)
    code, doc = _cli("list", "--store", str(tmp_path))
    assert code == 2 and "catalog.json" in doc["error"]


def test_bad_range_and_time_are_clear(tmp_path):
    code, doc = _cli("delete", "EURUSD", "--store", str(tmp_path), "--range", "2025-02-01..2025-01-01")
    assert code == 2 and "is empty" in doc["error"]
    with pytest.raises(DataError, match="START..END"):
        Store(tmp_path).import_file(tmp_path, replace="yesterday")
