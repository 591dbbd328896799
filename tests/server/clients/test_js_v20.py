"""OANDA's JavaScript client (@oanda/v20 from npm), unmodified, run with Debian's nodejs, runs the flow
against a real ``leverlab serve`` (js/flow.js); this test checks what it got back.

One known client bug: its ``pricing.stream`` throws ``ReferenceError: Price is not defined`` on the first
PRICE line (upstream oanda/v20-javascript issues #7, #15, #17), whatever the server. The flow shows that,
then streams through the client's own ``Context.request`` (its line splitting) and parses each line
into its ``ClientPrice``; everything else goes through the client's ordinary calls.

The package is installed at test time into the project's git-ignored ``.cache/npm`` (once; later runs
reuse it). Without node or npm the test is skipped, except under ``CI=true``, where it fails: ``.ci/run``
installs Debian's ``nodejs`` and ``npm``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from . import flow
from .conftest import Served

PACKAGE = "@oanda/v20@3.0.25-0"
ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".cache" / "npm"
FLOW_JS = Path(__file__).with_name("js") / "flow.js"


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} is not installed; .ci/run installs Debian's nodejs and npm"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def install_client() -> Path:
    """@oanda/v20 in .cache/npm/node_modules (installed under a file lock, so parallel workers share it)."""
    node_modules = CACHE / "node_modules"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (node_modules / "@oanda" / "v20" / "context.js").exists():
            out = subprocess.run([_need("npm"), "install", "--prefix", str(CACHE), "--no-audit", "--no-fund",
                                  "--no-save", PACKAGE], capture_output=True, text=True, timeout=600)
            assert out.returncode == 0, f"npm install {PACKAGE} failed:\n{out.stdout}\n{out.stderr}"
    return node_modules


def test_js_v20_flow(served: Served) -> None:
    node = _need("node")
    node_modules = install_client()
    account_id, token = served.create_account()
    out = subprocess.run([node, str(FLOW_JS), served.host, str(served.port), token, account_id, served.admin_token,
                          str(flow.STEP_SECONDS), str(flow.SL_DISTANCE), str(flow.TP_DISTANCE)],
                         capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, NODE_PATH=str(node_modules)))
    assert out.returncode == 0, f"node flow.js failed:\n{out.stderr}\n{out.stdout}"
    got = json.loads(out.stdout)

    assert account_id in [a["id"] for a in got["accounts"]["accounts"]]
    # the client's own pricing.stream is broken upstream (see js/flow.js); the day a fixed release
    # parses our PRICE lines, this says so and the flow can use it
    assert got["clientStreamBug"] == "ReferenceError: Price is not defined", got["clientStreamBug"]
    assert len(got["prices"]) >= 2
    for p in got["prices"]:
        flow.check_price(p)
    sl, tp = got["sl"], got["tp"]
    assert got["create"]["status"] == 201
    trade_id = flow.check_fill(got["create"]["raw"], sl, tp)
    assert got["openTrades"]["status"] == 200
    flow.check_open_trades(got["openTrades"]["raw"]["trades"], trade_id, sl, tp)
    assert got["closedState"] == "CLOSED"
    assert got["since"]["status"] == 200
    fill_id = got["create"]["raw"]["orderFillTransaction"]["id"]
    flow.check_since(got["since"]["raw"]["transactions"], trade_id, fill_id)
    assert got["again"]["status"] == 201
    assert got["close"]["status"] == 200
    flow.check_position_close(got["close"]["raw"])
    assert got["openPositions"]["raw"]["positions"] == []
    flow.check_ledger(served, account_id)
