"""Copy trading on the demo broker, against a real server on 127.0.0.1 (stepped clock, SQLite file): a
follower under one broker copying a master under another, through ``/leverlab/v1/accounts/{id}/copy``."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

import broker_proc
import httpx
import pytest
from broker_proc import Client, Server

from leverlab.data import load
from leverlab.times import to_ns

server = broker_proc.server  # the fixture (a conftest.py here would shadow tests/engine/conftest.py)


def copy_api(c: Client, method: str = "GET", **body: Any) -> httpx.Response:
    url = f"{c.server.url}/leverlab/v1/accounts/{c.id}/copy"
    return c.http.request(method, url, json=body if method == "PUT" else None)


def stored(db: str, account: str) -> list[str]:
    """The transaction types the database holds for an account (what a crash would leave)."""
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT type FROM transactions WHERE account_id = ? ORDER BY id",
                                           (account,))]


def next_hour(server: Server) -> None:
    """Step the clock an hour: accounts opened between two quotes get their first one (the sample is H1)."""
    server.step(seconds=3600)


def copies(c: Client) -> list[dict[str, Any]]:
    r = copy_api(c)
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["copies"]))  # oldest first


def test_octa_rule_copy_with_hand_computed_volume_survives_a_restart(server: Server) -> None:
    master = server.account("exness", "standard", "SC", deposit=10_000, leverage=500)
    follower = server.account("octa", "mt", "SC", deposit=3_000, leverage=200)
    r = copy_api(follower, "PUT", master=master.id, rule="octa")
    assert r.status_code == 200, r.text
    assert r.json()["subscription"]["masterID"] == master.id
    assert r.json()["subscription"]["state"] == "COPYING"
    fill = master.order(instrument="EUR_USD", units="100000").json()["orderFillTransaction"]
    m_tid = fill["tradeOpened"]["tradeID"]
    # in the record as soon as the master's 201 is out: the copy was in the same batch
    assert stored(server.db, follower.id)[-2:] == ["MARKET_ORDER", "ORDER_FILL"]
    # Octa's rule, by hand: 1 lot x 3,000 / 10,000 (equities before the fill) x 200 / 500 = 0.12 lot
    # = 12,000 units of EUR (both contract sizes 100,000)
    trades = follower.get("/openTrades").json()["trades"]
    assert len(trades) == 1
    f_trade = trades[0]
    assert f_trade["currentUnits"] == "12000"
    assert f_trade["clientExtensions"]["id"] == f"copy:{master.id}:{m_tid}"
    row = copies(follower)[-1]
    assert (row["action"], row["status"], row["units"], row["masterUnits"]) == ("open", "copied", "12000", "100000")
    assert (row["masterEquity"], row["followerEquity"], row["lots"]) == ("10000.00", "3000.00", 0.12)
    # the copy pays the follower's own spread: its own fill price, its own half-spread cost
    f_fill = follower.txns(int(f_trade["id"]) - 1)[0]
    assert f_fill["type"] == "ORDER_FILL" and f_fill["reason"] == "MARKET_ORDER"

    server.kill()  # the copy's link to the master's trade lives in the follower's record, not in memory
    server.start()
    master.http = httpx.Client(base_url=server.url + "/v3", headers={"Authorization": f"Bearer {master.token}"},
                               timeout=60)
    follower.http = httpx.Client(base_url=server.url + "/v3",
                                 headers={"Authorization": f"Bearer {follower.token}"}, timeout=60)
    server.step(steps=2)
    # half the master's trade closed: the same fraction of the copy's 0.12 lot, 0.06 lot = 6,000 units
    r = master.http.put(master.a(f"/trades/{m_tid}/close"), json={"units": "50000"})
    assert r.status_code == 200, r.text
    assert follower.get(f"/trades/{f_trade['id']}").json()["trade"]["currentUnits"] == "6000"
    assert copies(follower)[-1]["units"] == "-6000"
    r = master.http.put(master.a(f"/trades/{m_tid}/close"))
    assert r.status_code == 200, r.text
    t = follower.get(f"/trades/{f_trade['id']}").json()["trade"]
    assert t["state"] == "CLOSED"
    assert [c["status"] for c in copies(follower)] == ["copied", "copied", "copied"]
    # the follower's ledger: balance = deposit + realized P&L of its own fills
    s = follower.get("/summary").json()["account"]
    assert Decimal(s["balance"]) == Decimal("3000") + Decimal(t["realizedPL"])


def test_copy_refused_for_margin_is_recorded_and_shown(server: Server) -> None:
    master = server.account("exness", "standard", "SC", deposit=50_000, leverage=500)
    follower = server.account("octa", "mt", "SC", deposit=100, leverage=100)
    next_hour(server)
    assert copy_api(follower, "PUT", master=master.id, rule="lots", value=1).status_code == 200
    r = master.order(instrument="EUR_USD", units="100000")
    assert r.status_code == 201 and "orderFillTransaction" in r.json(), str(r.json().get("orderCancelTransaction"))
    # 1 lot of EUR/USD at 1:100 needs about 1,230 USD of margin; the follower has 100
    txns = follower.txns(2)
    assert [x["type"] for x in txns] == ["MARKET_ORDER", "ORDER_CANCEL"]
    assert txns[0]["clientExtensions"]["tag"] == "copy" and txns[0]["units"] == "100000"
    assert txns[1]["reason"] == "INSUFFICIENT_MARGIN"
    row = copies(follower)[-1]
    assert (row["status"], row["reason"], row["followerTransactionID"]) == ("rejected", "INSUFFICIENT_MARGIN",
                                                                            txns[1]["id"])
    assert follower.get("/summary").json()["account"]["balance"] == "100.0000"
    assert len(master.get("/openTrades").json()["trades"]) == 1
    # the master closes: the refused open has no copy to close
    tid = master.get("/openTrades").json()["trades"][0]["id"]
    assert master.http.put(master.a(f"/trades/{tid}/close")).status_code == 200
    assert copies(follower)[-1]["reason"] == "its open was not copied"


def test_stop_copy_equity_closes_the_copies(server: Server) -> None:
    master = server.account("exness", "standard", "SC", deposit=10_000, leverage=500)
    follower = server.account("octa", "mt", "SC", deposit=1_000, leverage=500)
    next_hour(server)
    # a stop-copy level just under the deposit: the copy's own spread takes the follower below it
    r = copy_api(follower, "PUT", master=master.id, rule="ratio", value="0.5", stopCopyEquity="999.99")
    assert r.status_code == 200, r.text
    master.order(instrument="EUR_USD", units="100000")
    assert follower.get("/openTrades").json()["trades"] == []
    log = copies(follower)
    assert [(x["action"], x["status"]) for x in log] == [("open", "copied"), ("stop", "stopped"),
                                                         ("close", "copied")]
    assert copy_api(follower).json()["subscription"]["state"] == "STOPPED"
    master.order(instrument="EUR_USD", units="1000")  # no longer copied
    assert len(copies(follower)) == 3


@pytest.mark.parametrize("body, message", [
    ({"rule": "ratio", "value": 0}, "ratio: expected a finite number above 0, got 0"),
    ({"rule": "ratio", "value": -1}, "ratio: expected a finite number above 0, got -1"),
    ({"rule": "ratio", "value": "NaN"}, "ratio: expected a finite number above 0, got 'NaN'"),
    ({"rule": "lots", "value": "abc"}, "lots: expected a finite number above 0, got 'abc'"),
    ({"rule": "mirror", "value": 1}, "copy rule: expected one of octa, ratio, lots, got 'mirror'"),
    ({"rule": "ratio"}, "value: the ratio rule needs a value"),
])
def test_bad_copy_rules_change_nothing(server: Server, body: dict[str, Any], message: str) -> None:
    master = server.account("exness", "standard", "SC")
    follower = server.account("pepperstone", "standard", "AU", client="retail")
    assert copy_api(follower, "PUT", master=master.id, rule="octa").status_code == 200
    r = copy_api(follower, "PUT", master=master.id, **body)
    assert r.status_code == 400
    assert r.json()["errorCode"] == "INVALID_COPY" and message in r.json()["errorMessage"]
    assert copy_api(follower).json()["subscription"]["rule"] == "octa"  # the old subscription stands


def test_copying_itself_a_cycle_or_nobody_is_refused(server: Server) -> None:
    a = server.account("exness", "standard", "SC")
    b = server.account("octa", "mt", "SC", token=a.token)  # one user, two accounts
    c = server.account("xm", "standard", "SC")
    next_hour(server)
    r = copy_api(a, "PUT", master=a.id, rule="octa")
    assert r.status_code == 400 and r.json()["errorMessage"] == f"{a.id} cannot copy itself"
    assert copy_api(b, "PUT", master=a.id, rule="ratio", value=1).status_code == 200
    assert copy_api(c, "PUT", master=b.id, rule="ratio", value=1).status_code == 200
    r = copy_api(a, "PUT", master=c.id, rule="ratio", value=1)
    assert r.status_code == 400
    assert r.json()["errorMessage"] == f"{a.id} cannot copy {c.id}: that makes a cycle of followers " \
                                       f"({a.id} -> {c.id} -> {b.id} -> {a.id})"
    assert copy_api(a).json()["subscription"] is None
    r = copy_api(a, "PUT", master="101-001-9999999-001", rule="octa")
    assert r.status_code == 400 and "no account '101-001-9999999-001'" in r.json()["errorMessage"]
    # a chain copies on: a's fill reaches b, b's copy reaches c
    a.order(instrument="EUR_USD", units="10000")
    assert b.get("/openTrades").json()["trades"][0]["currentUnits"] == "10000"
    assert c.get("/openTrades").json()["trades"][0]["currentUnits"] == "10000"
    # another user's token cannot set a's copying; none at all gets 401
    r = c.http.put(f"{server.url}/leverlab/v1/accounts/{a.id}/copy", json={"master": c.id, "rule": "octa"})
    assert r.status_code == 403
    assert httpx.get(f"{server.url}/leverlab/v1/accounts/{a.id}/copy").status_code == 401


def adverse_move(start_ns: int, bars: int = 400) -> tuple[str, float, float]:
    """The side whose position loses most over the next ``bars`` hours of the sample, its worst
    excursion (price) and the price now: the data decide which way the test trades."""
    f = load("sample:eurusd-h1")
    i = int((f.time > start_ns).argmax())
    px = float(f.bid_close[i - 1])
    low, high = float(f.bid_low[i:i + bars].min()), float(f.bid_high[i:i + bars].max())
    return ("buy", px - low, px) if px - low >= high - px else ("sell", high - px, px)


def test_follower_stopped_out_while_the_master_survives(server: Server) -> None:
    now = to_ns(httpx.get(server.url + "/leverlab/v1/clock", headers={"Authorization": "Bearer admin-test-token"})
                .json()["time"])
    side, move, px = adverse_move(now)
    sign = 1 if side == "buy" else -1
    master = server.account("exness", "standard", "SC", deposit=100_000, leverage=500)
    follower = server.account("octa", "mt", "SC", deposit=1_000, leverage=500)
    next_hour(server)
    # the follower's copy: big enough that 60 % of the coming adverse move takes its 1,000 USD to octa's 15 %
    # stop-out, units U with 1000 - U x 0.6 move = 0.15 x U x price / 500
    units = int(1000 / (0.6 * move + 0.15 * px / 500) // 1000 * 1000)
    assert units * px / 500 < 900  # it can open
    assert copy_api(follower, "PUT", master=master.id, rule="lots", value=units / 100_000).status_code == 200
    fill = master.order(instrument="EUR_USD", units=str(sign * 100_000)).json()["orderFillTransaction"]
    m_tid = fill["tradeOpened"]["tradeID"]
    f_tid = follower.get("/openTrades").json()["trades"][0]["id"]
    ft = server.step_until_closed(follower, f_tid, steps=1, limit=500)
    assert ft["state"] == "CLOSED"
    closing = follower.get(f"/transactions/{ft['closingTransactionIDs'][-1]}").json()["transaction"]
    assert closing["reason"] == "MARKET_ORDER_MARGIN_CLOSEOUT"
    assert "MARGIN_CALL_ENTER" in [x["type"] for x in follower.txns(0)]
    # the master, 100,000 USD at 1:500 with one lot, is still in: its trade is open
    assert master.get(f"/trades/{m_tid}").json()["trade"]["state"] == "OPEN"
    assert float(master.get("/summary").json()["account"]["NAV"]) > 90_000
    assert master.http.put(master.a(f"/trades/{m_tid}/close")).status_code == 200
    row = copies(follower)[-1]
    assert (row["action"], row["status"], row["reason"]) == ("close", "skipped",
                                                             "the follower's stop-out closed it first")
