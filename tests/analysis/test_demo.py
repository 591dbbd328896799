"""`make demo` (= `leverlab demo`): a careful and a high-leverage trader in one run, every account a
Seychelles retail client can open, the printout and the reports leading with what differed and why
(issue 9, item 10)."""

from __future__ import annotations

import math

import pytest
import typer
from typer.testing import CliRunner

from leverlab.analysis.compare import compare
from leverlab.cli.compare import DEMO_TRADERS, demo_cmd

app = typer.Typer(pretty_exceptions_enable=False)
app.command("demo")(demo_cmd)


@app.command("noop")
def _noop() -> None:  # a second command keeps "demo" a named subcommand
    """Unused."""


@pytest.fixture(scope="module")
def high_leverage():
    _, _, kw = next(t for t in DEMO_TRADERS if t[0] == "high-leverage")
    return compare("sample:eurusd-h1", "sma_cross", country="SC", client="retail", workers=1, **kw)


def test_leverage_and_stop_out_decide_survival_for_the_high_leverage_trader(high_leverage):
    """Same signals, same size, same prices: the accounts whose leverage could not carry the order once the
    equity had shrunk (1:200 Pepperstone, 1:400 AvaTrade) had further orders refused and survived; at 1:500
    and above every account was stopped out, and a 0 % stop-out (Exness) took the equity to nothing."""
    ranked = high_leverage.ranked
    alive = [r for r in ranked if not r.stats.ruined]
    ruined = [r for r in ranked if r.stats.ruined]
    assert alive and ruined
    assert {r.label for r in alive} >= {"pepperstone/standard", "pepperstone/razor", "avatrade/retail"}
    assert all(r.stats.rejects > 0 and r.stats.stop_outs == 0 for r in alive)
    assert max(r.leverage for r in alive if r.broker != "fbs") <= 400
    assert min(r.leverage for r in ruined) >= 500 and all(r.stats.stop_outs == 1 for r in ruined)
    exness = [r for r in ruined if r.broker == "exness"]
    assert exness and all(r.stop_out_level == 0 and r.stats.final_equity == 0 for r in exness)
    # a higher stop-out stops the account out earlier, with more left: FP Markets (50 %) > XTB (30 %) > XM (20 %)
    left = {r.label: r.stats.final_equity for r in ruined}
    assert left["fpmarkets/standard"] > left["xtb/standard"] > left["xm/standard"] > left["exness/standard"]
    # survivors rank first: the score is led by what happened to the money
    assert [r.rank for r in alive] == list(range(1, len(alive) + 1))
    assert all(math.isfinite(r.leverage) for r in ranked)


def test_the_differences_lead_with_survival_and_say_why(high_leverage):
    lines = high_leverage.differences()
    assert lines[0].startswith(f"Survival: {sum(r.stats.ruined for r in high_leverage.ranked)} of "
                               f"{len(high_leverage.ranked)} accounts were ruined")
    text = "\n".join(lines)
    assert "stopped out at a 0% stop-out on 1:2000" in text and "a 0% stop-out lets the equity run to nothing" in text
    assert "stopped out at a 50% stop-out on 1:500 (first on 2007-01-23): fpmarkets/standard" in text
    assert "survived (never stopped out" in text and "further orders were refused" in text
    assert "Not ranked: amarkets/standard" in text and "never simulated as 0" in text
    assert high_leverage.to_dict()["differences"] == lines


def test_make_demo_runs_both_traders_and_leads_with_what_differed(tmp_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(app, ["demo", "--out", str(out)], env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    text = r.stdout
    careful, high = text.index("careful trader"), text.index("high-leverage trader")
    assert careful < high
    for start, end in ((careful, high), (high, len(text))):
        part = text[start:end]
        assert part.index("What differed between the brokers, and why") < part.index("Ranking")
    assert "Survival: none of the" in text[careful:high]  # 1 % risk never nears a margin limit
    assert "survived (never stopped out" in text[high:]
    assert "careful: 0 of" in text and "high-leverage: " in text
    for folder in ("careful", "high-leverage"):
        page = (out / folder / "report.html").read_text(encoding="utf-8")
        assert page.index("What differed between the brokers, and why") < page.index("<h2>Ranking</h2>")
        assert (out / folder / "report.png").read_bytes()[:4] == b"\x89PNG"
