"""What differed names the orders each account refused and why, for every comparison (not only for the
survivors of a ruinous one): at 1 % risk with a 50-pip stop, a 0.01-lot account cannot size a trade once
1 % of the equity is under 0.01 lot x 50 pips x 10 USD = 5 USD, i.e. below 500 USD of equity; a cent
account's smaller lot keeps trading."""

from leverlab.analysis.compare import compare


def test_refused_orders_are_counted_with_their_reason_for_a_careful_trader():
    c = compare("sample:eurusd-h1", "sma_cross", deposit=1000, sizing={"risk": 1}, brokers=["exness"], workers=1)
    rows = {r.label: r for r in c.ranked}
    line = next(x for x in c.differences() if x.startswith("Orders refused: "))
    std, cent = rows["exness/standard"], rows["exness/standard_cent"]
    assert std.stats.rejects > 0 and cent.stats.rejects == 0
    assert f"exness/standard {std.stats.rejects:,}" in line
    total = sum(r.stats.rejects for r in c.ranked)
    assert f"risk sizing asked for less than the smallest lot: {total:,}" in line
    assert "none by exness/standard_cent" in line
    assert c.to_dict()["differences"] == c.differences()
