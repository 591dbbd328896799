"""``leverlab serve`` with no options and ``leverlab accounts create``'s errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from broker_proc import free_port


def test_serve_with_no_options_runs_on_the_sample_in_the_user_data_folder(tmp_path: Path) -> None:
    env = {**os.environ, "LEVERLAB_DATA_DIR": str(tmp_path)}
    port = free_port()
    # no options but the port (8080 may be taken on a shared machine)
    proc = subprocess.Popen([sys.executable, "-m", "leverlab.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/v3/accounts", timeout=2).status_code
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert status == 401
        assert (tmp_path / "demo-broker.sqlite").exists()
        out = subprocess.run([sys.executable, "-m", "leverlab.cli", "accounts", "create", "--broker", "exness",
                              "--account-type", "standard", "--country", "SC", "--deposit", "500", "--json"],
                             env=env, capture_output=True, text=True, timeout=120)
        doc = json.loads(out.stdout)
        r = httpx.get(f"http://127.0.0.1:{port}/v3/accounts/{doc['account_id']}/instruments",
                      headers={"Authorization": f"Bearer {doc['token']}"}, timeout=30)
        assert r.status_code == 200
        assert {i["name"] for i in r.json()["instruments"]} == {"EUR_USD", "XAU_USD"}
    finally:
        proc.terminate()
        proc.wait(30)


def test_accounts_create_refuses_bad_input(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.sqlite'}"
    base = [sys.executable, "-m", "leverlab.cli", "accounts", "create", "--db", db, "--json"]
    cases = [(["--broker", "nosuch", "--account-type", "standard", "--country", "SC"], "nosuch"),
             (["--broker", "exness", "--account-type", "standard", "--country", "SC", "--deposit", "-5"], "deposit"),
             (["--broker", "exness", "--account-type", "standard", "--country", "SC", "--token", "x-y"], "token"),
             (["--broker", "exness", "--account-type", "standard", "--country", "SC", "--client", "vip"], "client")]
    for args, word in cases:
        out = subprocess.run(base + args, capture_output=True, text=True, timeout=120)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        doc = json.loads(out.stdout)
        assert doc["ok"] is False and word in doc["error"].lower()
