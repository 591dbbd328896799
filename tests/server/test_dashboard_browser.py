"""The dashboard as a trader uses it: a real ``leverlab serve`` on 127.0.0.1 with the clock running, driven
in Debian's Chromium through Playwright. Log in (a wrong token first), see the account, trade, watch the
position and the equity chart move with the stream, close it; open a second account under another broker
in the page, make it copy the first, trade the master and see both move. No console errors; screenshots
at desktop and phone widths are kept in ``out/dashboard/`` (gitignored)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from broker_proc import Client, Server

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "out" / "dashboard"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Client]]:
    """A server whose clock runs at 600x (an H1 bar every 6 s, a quote every 1.5 s: the engine's four quotes
    a bar; Monday 01:00 to the weekend in 11 minutes, boot included, on a loaded machine) and one account
    opened before it starts."""
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium binary found (Debian: apt install chromium)")
    s = Server(str(tmp_path_factory.mktemp("dash") / "broker.sqlite"), speed="600", start="2018-03-05T01:00:00Z")
    master = s.account("exness", "standard", "SC", deposit=10_000, leverage=500, alias="master")
    s.start()
    yield s, master
    s.stop()


@pytest.fixture
def page(live: tuple[Server, Client]) -> Iterator[Any]:
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pg = browser.new_page(viewport=DESKTOP)
            pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.errors = errors
            yield pg
        finally:
            browser.close()


def login(pg: Any, server: Server, token: str) -> None:
    pg.goto(server.url + "/")
    pg.fill("#token", token)
    pg.click("#login-form button")


def equity_points(pg: Any) -> list[float]:
    return list(pg.evaluate("window.leverlabEquity.slice()"))


def test_log_in_trade_watch_the_stream_and_close(live: tuple[Server, Client], page: Any) -> None:
    server, master = live
    SHOTS.mkdir(parents=True, exist_ok=True)
    # a wrong token: the login page says so and shows no account
    login(page, server, "0" * 32 + "-" + "0" * 32)
    assert page.text_content("#login-error") == "That token is not known on this server."
    assert page.query_selector("#account-id") is None and page.query_selector("#balance") is None
    assert master.id not in page.content()
    page.goto(f"{server.url}/accounts/{master.id}")  # no cookie: still no data
    assert page.query_selector("#balance") is None and page.text_content("#login-error")
    # the browser logs each refused page as a failed load (the login page answers 401): those only
    assert page.errors and all("status of 401" in e for e in page.errors), page.errors
    page.errors.clear()

    login(page, server, master.token)
    page.wait_for_selector("#equity-chart canvas")
    assert page.text_content("#account-id") == master.id
    assert page.text_content("#balance") == "10,000.00 USD"
    assert page.text_content("#so-level") == "0 %" and page.text_content("#mc-level") == "60 %"  # exness SC
    page.wait_for_function("document.querySelector('#live').classList.contains('on')")  # the stream is on
    assert page.locator("#prices tbody tr").count() == 2

    page.fill("#o-units", "100000")
    status = status_after(page, "#buy")
    assert status.startswith("Filled 100000 EUR_USD"), status
    row = page.locator("#trades tbody tr[data-trade]")
    row.wait_for()
    assert row.locator("td").nth(2).text_content() == "100000"
    assert page.text_content("#margin-level") != "– (no margin used)"
    # the equity chart moves with the stream: new points, equity off the balance as the price moves
    n0 = len(equity_points(page))
    page.wait_for_function(f"new Set(window.leverlabEquity.slice({n0})).size >= 2", timeout=60_000)
    assert page.evaluate("document.querySelector('#equity-chart canvas').width") > 300
    page.screenshot(path=str(SHOTS / "account-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, "sideways scroll"
    page.screenshot(path=str(SHOTS / "account-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    tid = row.get_attribute("data-trade")
    page.click(f"button[data-close='{tid}']")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('Closed -100000 EUR_USD')")
    page.wait_for_selector("#trades tbody td.muted")
    assert page.text_content("#trades tbody") == "no open trades"
    types = page.locator("#txns tbody tr td:nth-child(3)").all_text_contents()
    assert types[:2] == ["ORDER_FILL", "MARKET_ORDER"]
    # the page and the v20 API read the same account
    balance = master.get("/summary").json()["account"]["balance"]
    page.wait_for_function(f"document.querySelector('#balance').textContent.startsWith("
                           f"'{float(balance):,.2f}')")
    assert page.errors == []
    assert (SHOTS / "account-desktop.png").stat().st_size > 50_000


def open_account(pg: Any, broker: str, account_type: str, deposit: str, leverage: str, alias: str) -> str:
    """Fill the page's "Open a demo account" form; the new account's id."""
    pg.select_option("#open-broker", broker)
    pg.select_option("#open-type", account_type)
    pg.fill("#open-form input[name=deposit]", deposit)
    pg.fill("#open-form input[name=leverage]", leverage)
    pg.fill("#open-form input[name=alias]", alias)
    pg.click("#open-form button")
    pg.click("#go-account")
    pg.wait_for_selector("#equity-chart canvas")
    return str(pg.text_content("#account-id"))


def status_after(pg: Any, button: str) -> str:
    """Click an order button; the order's outcome as the page states it."""
    pg.click(button)
    pg.wait_for_function("!['', 'Sending…'].includes(document.querySelector('#status').textContent)")
    return str(pg.text_content("#status"))


def test_new_user_opens_two_accounts_copies_one_and_sees_both_move(live: tuple[Server, Client], page: Any) -> None:
    """The README's walk-through: nothing but the page, from a browser that has never logged in."""
    server, _ = live
    page.goto(server.url + "/")
    page.select_option("#open-broker", "exness")
    page.select_option("#open-type", "standard")
    page.fill("#open-form input[name=deposit]", "10000")
    page.fill("#open-form input[name=leverage]", "500")
    page.fill("#open-form input[name=alias]", "master")
    page.click("#open-form button")
    token = page.text_content("#new-token") or ""
    assert re.fullmatch(r"[0-9a-f]{32}-[0-9a-f]{32}", token)  # shown once; the cookie logs this browser in
    page.click("#go-account")
    page.wait_for_selector("#equity-chart canvas")
    master_id = str(page.text_content("#account-id"))
    assert "exness standard" in (page.text_content(".head") or "")
    page.goto(server.url + "/?list=1")
    follower_id = open_account(page, "octa", "mt", "3000", "200", "follower")
    assert follower_id != master_id and "octa mt" in (page.text_content(".head") or "")
    assert page.query_selector("#new-token") is None  # the second account joins the same login

    # bad input first: a ratio of zero, then copying itself; nothing changes
    page.fill("#c-master", master_id)
    page.select_option("#c-rule", "ratio")
    page.fill("#c-value", "0")
    page.click("#copy-start")
    page.wait_for_function("document.querySelector('#copy-status').className === 'error'")
    assert page.text_content("#copy-status") == "ratio: expected a finite number above 0, got '0'"
    page.fill("#c-master", follower_id)
    page.fill("#c-value", "0.5")
    page.click("#copy-start")
    page.wait_for_function("document.querySelector('#copy-status').textContent.includes('cannot copy itself')")
    assert (page.text_content("#copy-state") or "").startswith("Not copying anyone.")
    assert len(page.errors) == 2 and all("status of 400" in e for e in page.errors), page.errors  # the two refusals
    page.errors.clear()

    page.fill("#c-master", master_id)
    page.select_option("#c-rule", "octa")
    page.fill("#c-value", "")
    page.click("#copy-start")
    page.wait_for_function("document.querySelector('#copy-state').textContent.startsWith('Copying')")
    assert master_id in (page.text_content("#copy-state") or "")

    page.goto(f"{server.url}/accounts/{master_id}")
    page.wait_for_selector("#equity-chart canvas")
    page.wait_for_function(f"document.querySelector('#copy-state').textContent.includes('Copied by {follower_id}')")
    page.fill("#o-units", "100000")
    status = status_after(page, "#sell")
    assert status.startswith("Filled -100000 EUR_USD"), status

    page.goto(f"{server.url}/accounts/{follower_id}")
    page.wait_for_selector("#copies tbody tr td:nth-child(7)")
    log = page.locator("#copies tbody tr").first.locator("td").all_text_contents()
    assert log[6] == "copied", log  # else the reason is in log[7]
    row = page.locator("#trades tbody tr[data-trade]")
    row.wait_for()
    # Octa's rule by hand: 1 lot x 3,000 / 10,000 x 200 / 500 = 0.12 lot = 12,000 units, sold as the master sold
    assert row.locator("td").nth(2).text_content() == "-12000"
    assert "copy" in (row.locator("td").nth(0).text_content() or "")
    assert log[1:3] == ["open", "EUR_USD"] and log[4:7] == ["-100000", "-12000", "copied"]
    # both accounts move with the price: the follower's equity chart leaves its balance
    n0 = len(equity_points(page))
    page.wait_for_function(f"new Set(window.leverlabEquity.slice({n0})).size >= 2", timeout=60_000)
    assert re.match(r"^[\d,]+\.\d\d USD$", page.text_content("#equity") or "")
    page.screenshot(path=str(SHOTS / "follower-desktop.png"), full_page=True)
    page.goto(f"{server.url}/accounts/{master_id}")
    page.wait_for_selector("#trades tbody tr[data-trade]")
    n0 = len(equity_points(page))
    page.wait_for_function(f"new Set(window.leverlabEquity.slice({n0})).size >= 2", timeout=60_000)
    assert page.errors == []
