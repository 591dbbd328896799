"""The dashboard's doors, over real HTTP: a cookie sees only its own user's accounts, actions need the
dashboard's header (another site's form cannot post them), and a wrong token gets no data."""

from __future__ import annotations

import broker_proc
import httpx
from broker_proc import Server

server = broker_proc.server  # the fixture (a conftest.py here would shadow tests/engine/conftest.py)
HEADER = {"X-Leverlab-Dashboard": "1"}


def browser(s: Server, token: str) -> httpx.Client:
    return httpx.Client(base_url=s.url, cookies={"leverlab_token": token}, timeout=60)


def test_a_cookie_sees_and_trades_only_its_own_accounts(server: Server) -> None:
    alice = server.account("exness", "standard", "SC")
    bob = server.account("octa", "mt", "SC")
    a = browser(server, alice.token)
    assert a.get(f"/dashboard/api/accounts/{alice.id}").json()["account"]["id"] == alice.id
    for path in (f"/dashboard/api/accounts/{bob.id}", f"/accounts/{bob.id}"):
        r = a.get(path)
        assert r.status_code == 403 and bob.id not in r.text.replace(f"/accounts/{bob.id}", "")
    r = a.post(f"/dashboard/api/accounts/{bob.id}/orders", json={"instrument": "EUR_USD", "units": "1000"},
               headers=HEADER)
    assert r.status_code == 403
    assert bob.get("/openTrades").json()["trades"] == []
    # no header: refused before anything is read, even on the own account
    r = a.post(f"/dashboard/api/accounts/{alice.id}/orders", json={"instrument": "EUR_USD", "units": "1000"})
    assert r.status_code == 403 and "X-Leverlab-Dashboard".lower() in r.json()["errorMessage"]
    assert alice.get("/openTrades").json()["trades"] == []
    r = a.post(f"/dashboard/api/accounts/{alice.id}/orders", json={"instrument": "EUR_USD", "units": "1000"},
               headers=HEADER)
    assert r.status_code == 201, r.text
    assert alice.get("/openTrades").json()["trades"][0]["currentUnits"] == "1000"  # the same account v20 reads
    # a wrong token or none: 401, no data; the stream too
    for client in (browser(server, "nope"), httpx.Client(base_url=server.url, timeout=60)):
        assert client.get(f"/dashboard/api/accounts/{alice.id}").status_code == 401
        assert client.get(f"/dashboard/api/accounts/{alice.id}/stream").status_code == 401
        page = client.get(f"/accounts/{alice.id}")
        assert page.status_code == 401 and alice.id not in page.text and "Log in" in page.text
    r = httpx.post(server.url + "/login", data={"token": "nope"})
    assert r.status_code == 401 and "That token is not known on this server." in r.text
    assert "leverlab_token" not in r.headers.get("set-cookie", "")


def test_opening_an_account_with_bad_input_changes_nothing(server: Server) -> None:
    anon = httpx.Client(base_url=server.url, timeout=60)
    before = anon.get("/").text
    bad = [(dict(broker="nosuch", account_type="standard", deposit="100"), "nosuch"),
           (dict(broker="exness", account_type="standard", deposit="-5"), "--deposit -5.0"),
           (dict(broker="exness", account_type="standard", deposit="lots"), "deposit: expected an amount")]
    for form, message in bad:
        r = anon.post("/open", data={"country": "SC", "client": "retail", "currency": "USD", **form})
        assert r.status_code == 400 and message in r.text, r.text[:2000]
        assert "leverlab_token" not in r.headers.get("set-cookie", "")
    assert anon.get("/").text == before
