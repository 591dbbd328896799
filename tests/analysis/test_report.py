"""The report file: self-contained, the same bytes for the same comparison, written atomically."""

from __future__ import annotations

import pytest

from leverlab.analysis.compare import compare
from leverlab.analysis.report import MAX_POINTS, _thin, render_html, write_report
from leverlab.data import load


@pytest.fixture(scope="module")
def comparison():
    bars = load("sample:eurusd-h1").between(1_538_352_000_000_000_000, None)  # 2018-10-01 ..
    return compare(bars, "sma_cross", deposit=1_000, sizing={"lots": 1.0}, brokers=["exness", "pepperstone"],
                   workers=1)


def test_self_contained_and_deterministic(tmp_path, comparison):
    a, b = tmp_path / "a" / "r.html", tmp_path / "b" / "r.html"
    write_report(comparison, a, a.with_suffix(".png"))
    write_report(comparison, b, b.with_suffix(".png"))
    assert a.read_bytes() == b.read_bytes()
    assert a.with_suffix(".png").read_bytes() == b.with_suffix(".png").read_bytes()
    text = a.read_text()
    assert text.count("Plotly.newPlot") == 4 and text.count("plotly.js v") <= 2  # the library inlined once
    for div in ("plot-equity", "plot-margin", "plot-costs", "plot-leverage"):
        assert f'id="{div}"' in text
    from plotly.offline import get_plotlyjs

    page = text.replace(get_plotlyjs(), "")
    assert len(page) < len(text) and "<script src=" not in page and "http" not in page  # nothing fetched
    for r in comparison.ranked:
        assert r.label.split("/")[1] in text
    assert "stop-out" in text and "Pepperstone" in text
    assert sorted(p.name for p in a.parent.iterdir()) == ["r.html", "r.png"]  # no temporary files


def test_a_failed_render_leaves_the_old_report(tmp_path, comparison, monkeypatch):
    path = tmp_path / "r.html"
    path.write_text("previous")
    import leverlab.analysis.report as rep

    monkeypatch.setattr(rep, "render_png", lambda c, p: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        write_report(comparison, path, tmp_path / "r.png")
    assert path.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_thinning_keeps_every_extreme():
    import numpy as np

    t = np.arange(100_000, dtype=np.int64)
    y = np.sin(t / 500.0)
    y[77_777] = -5.0  # a stop-out spike must survive thinning
    tt, yy = _thin(t, y)
    assert len(tt) <= MAX_POINTS + 1 and yy.min() == -5.0 and yy.max() == y.max() and tt[-1] == t[-1]
    assert (np.diff(tt) > 0).all()


def test_nothing_simulated_is_refused(comparison):
    import copy

    empty = copy.copy(comparison)
    empty.rows = [r for r in comparison.rows if not r.simulated]
    with pytest.raises(ValueError, match="nothing to report"):
        render_html(empty)


def test_the_score_formula_is_written_once(comparison):
    import html

    from leverlab.analysis import score

    lines = score.FORMULA.splitlines()
    assert [line.split(" = ")[0] for line in lines] == [*score.COMPONENTS, "total"]
    assert comparison.to_dict()["score_formula"] == score.FORMULA
    page, doc = render_html(comparison), " ".join((score.__doc__ or "").split())
    for line in lines:
        assert f"<li>{html.escape(line)}</li>" in page and " ".join(line.split()) in doc
