"""The local store (atomic, idempotent) and the `data` CLI commands."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from leverlab.cli.data import app
from leverlab.data import CorruptFileError, Store, load
from leverlab.data.readers.lean import read_lean


def _state(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_import_idempotent_and_load(lean, tmp_path):
    st = Store(tmp_path)
    src = lean / "forex/oanda/tick/eurusd"
    r = st.import_file(src)
    assert r.rows == 532_903 and r.symbol == "EURUSD" and r.kind == "ticks" and not r.skipped
    before = _state(tmp_path)
    again = st.import_file(src)
    assert again.skipped and _state(tmp_path) == before
    t = st.load("EURUSD")
    ref = read_lean(src)
    assert np.array_equal(t.time, ref.time) and np.array_equal(t.bid, ref.bid) and np.array_equal(t.ask, ref.ask)
    assert t.time.flags.c_contiguous and t.meta["report"]["issues"][3]["count"] == 4_494
    # same data under another name (hash differs): replaces its own span, no duplicated rows
    copy = tmp_path.parent / "copy"
    shutil.copytree(src, copy)
    (copy / "extra.txt").write_text("x")
    st.import_file(copy, "EURUSD", format="lean")
    assert st.list()[0]["rows"] == 532_903
    part = st.load("EURUSD", start="2014-05-05", end="2014-05-06")
    assert part.time[0] >= np.datetime64("2014-05-05", "ns").astype(np.int64) and len(part) > 1000


def test_overlapping_import_overwrites_same_times(lean, tmp_path):
    st = Store(tmp_path)
    bars = load("sample:eurusd-h1")
    st.write(bars)
    assert st.list()[0]["rows"] == 74_439 and st.list()[0]["kind"] == "bars-H1"
    # an update of one month with changed prices overwrites exactly those times, counted as conflicts
    jan = bars.between(np.datetime64("2010-01-01", "ns").astype(np.int64),
                       np.datetime64("2010-02-01", "ns").astype(np.int64))
    changed = jan.take(np.arange(len(jan)))  # a copy
    changed.bid_close[:] += 0.001
    r = st.write(changed, source="update")
    assert r.conflicts == r.overwritten_rows == len(jan) and r.replaced_rows == 0 and r.added == 0
    back = st.load("EURUSD", timeframe="H1")
    assert len(back) == 74_439
    i = int(np.searchsorted(back.time, jan.time[0]))
    assert back.bid_close[i] == pytest.approx(jan.bid_close[0] + 0.001)
    assert load("EURUSD", store=tmp_path, timeframe="H1").meta["dataset"] == "EURUSD/bars-H1"
    d1 = load("EURUSD", store=tmp_path, timeframe="D1")  # resampled from H1
    assert d1.timeframe == "D1" and 3_000 < len(d1) < 3_800


def test_interrupted_import_leaves_store_as_it_was(lean, tmp_path, monkeypatch):
    st = Store(tmp_path)
    st.import_file(lean / "forex/oanda/daily/eurusd.zip")
    before = _state(tmp_path)

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "_save_catalog", boom)
    with pytest.raises(KeyboardInterrupt):
        st.import_file(lean / "forex/oanda/hour/eurusd.zip")
    monkeypatch.undo()
    assert json.loads((tmp_path / "catalog.json").read_bytes()) == \
        json.loads(before[next(k for k in before if k.name == "catalog.json")])
    assert [d["kind"] for d in st.list()] == ["bars-D1"]
    # the next import sweeps the orphans and succeeds
    st.import_file(lean / "forex/oanda/hour/eurusd.zip")
    files = {p.name for p in (tmp_path / "EURUSD" / "bars-H1").iterdir()}
    cat = json.loads((tmp_path / "catalog.json").read_text())
    assert files == {p["file"] for p in cat["datasets"]["EURUSD/bars-H1"]["partitions"].values()}


def test_bad_file_leaves_store_unchanged(lean, tmp_path):
    st = Store(tmp_path / "store")
    st.import_file(lean / "forex/oanda/daily/eurusd.zip")
    before = _state(tmp_path / "store")
    bad = tmp_path / "gbpusd.zip"
    data = (lean / "forex/oanda/daily/gbpusd.zip").read_bytes()
    bad.write_bytes(data[:-100])
    with pytest.raises(CorruptFileError, match="gbpusd.zip"):
        st.import_file(bad)
    assert _state(tmp_path / "store") == before


def test_cli_import_list_show(lean, tmp_path):
    r = CliRunner()
    store = str(tmp_path / "s")
    out = r.invoke(app, ["import", str(lean / "forex/fxcm/hour/eurusd.zip"), "--store", store, "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["imports"][0]["rows"] == 69_928
    again = json.loads(r.invoke(app, ["import", str(lean / "forex/fxcm/hour/eurusd.zip"), "--store", store,
                                      "--json"]).output)
    assert again["imports"][0]["skipped"] is True
    listing = json.loads(r.invoke(app, ["list", "--store", store, "--json"]).output)
    assert listing["datasets"][0]["symbol"] == "EURUSD" and listing["datasets"][0]["rows"] == 69_928
    shown = json.loads(r.invoke(app, ["show", "eurusd", "--store", store, "--json"]).output)
    crossed = next(i for i in shown["reports"][0]["issues"] if i["check"] == "crossed")
    assert crossed["count"] == 2_613
    human = r.invoke(app, ["show", "EURUSD", "--store", store])
    assert human.exit_code == 0 and "crossed" in human.output
    assert "EURUSD" in r.invoke(app, ["list", "--store", store]).output
    missing = r.invoke(app, ["show", "GBPJPY", "--store", store, "--json"])
    assert missing.exit_code == 2 and json.loads(missing.output)["ok"] is False
    sample = json.loads(r.invoke(app, ["show", "sample:xauusd-h1", "--json"]).output)
    assert sample["reports"][0]["rows_in"] > 70_000
    bad = r.invoke(app, ["import", str(tmp_path / "nope.csv"), "--store", store, "--json"])
    assert bad.exit_code == 2 and "not found" in json.loads(bad.output)["error"]


def test_a_file_given_as_the_store_is_one_json_error(tmp_path):
    """``--store`` naming a file is bad input: exit 2 and the one JSON error document, for every data command."""
    from typer.testing import CliRunner

    from leverlab.cli import app

    f = tmp_path / "not-a-folder"
    f.write_text("x")
    for args in (["data", "list"], ["data", "verify"], ["data", "show", "EURUSD"]):
        r = CliRunner().invoke(app, [*args, "--store", str(f), "--json"])
        assert r.exit_code == 2, (args, r.output)
        doc = json.loads(r.stdout)
        assert doc["ok"] is False and doc["code"] == 2 and "must be a folder" in doc["error"], args
