"""The report opened as a trader would: in a real headless Chromium. Every chart must draw, the
page must log no error, and a screenshot is kept with the test run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leverlab.analysis.compare import compare
from leverlab.analysis.report import write_report
from leverlab.data import load

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def test_report_renders_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium binary found (Debian: apt install chromium)")
    bars = load("sample:eurusd-h1").between(1_483_228_800_000_000_000, None)  # 2017-01-01 .. 2018-12-31
    c = compare(bars, "sma_cross", deposit=1_000, sizing={"lots": 0.5}, brokers=["exness", "pepperstone"])
    html, png = tmp_path / "report.html", tmp_path / "report.png"
    write_report(c, html, png)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html.as_uri())
            page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 4",
                                   timeout=20_000)
            drawn = page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(d => ({
                id: d.id, svgs: d.querySelectorAll('svg.main-svg').length,
                marks: d.querySelectorAll('svg.main-svg path.js-line, svg.main-svg .point, '
                                         + 'svg.main-svg .bars path').length,
                w: d.getBoundingClientRect().width, h: d.getBoundingClientRect().height}))""")
            # the margin chart's menu switches account without errors
            page.evaluate("""() => { const gd = document.getElementById('plot-margin');
                const b = gd.layout.updatemenus[0].buttons[1];
                return Plotly.update(gd, b.args[0], b.args[1]); }""")
            shown = page.evaluate("() => document.getElementById('plot-margin').layout.title.text")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            page.screenshot(path=str(tmp_path / "report-screenshot.png"), full_page=True)
        finally:
            browser.close()
    assert [d["id"] for d in drawn] == ["plot-equity", "plot-margin", "plot-costs", "plot-leverage"]
    for d in drawn:
        assert d["svgs"] >= 1 and d["marks"] > 0 and d["w"] > 300 and d["h"] > 200, d
    assert errors == []
    assert shown.startswith("Margin level - #2 ")
    assert overflow <= 0, "the page should not scroll sideways"
    assert (tmp_path / "report-screenshot.png").stat().st_size > 50_000
