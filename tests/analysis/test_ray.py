"""`--executor ray`: compare, sweep and ruin on a real local Ray (2 CPUs, started here) give the local run's results."""

from __future__ import annotations

import json
import textwrap

import pytest
import ray
from typer.testing import CliRunner

from leverlab.analysis.compare import compare
from leverlab.analysis.executor import ExecutorError, check_executor
from leverlab.analysis.ruin import risk_of_ruin
from leverlab.analysis.sweep import sweep
from leverlab.cli import app
from leverlab.data import load

H2_2018 = 1_527_811_200_000_000_000  # 2018-06-01


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def bars():
    return load("sample:eurusd-h1").between(H2_2018, None)


def _rows(c):
    return [(r.broker, r.account_type, r.error, r.stats.to_dict() if r.stats else None, r.score) for r in c.rows]


def test_compare_on_ray_equals_local(local_ray, bars):
    kw = dict(deposit=1_000, sizing={"lots": 0.1}, brokers=["xm", "exness", "fbs"], workers=2)
    here = compare(bars, "sma_cross", **kw)
    there = compare(bars, "sma_cross", executor="ray", **kw)
    assert len(here.rows) > 3 and _rows(there) == _rows(here)
    # the Results themselves travelled back whole: every deal, to the cent
    for a, b in zip(here.rows, there.rows):
        if a.result is not None:
            assert [d.amount for d in b.result.deals] == [d.amount for d in a.result.deals]


def test_sweep_on_ray_equals_local_across_brokers(local_ray, bars):
    kw = dict(leverages=[30, 500, "unlimited"], params_grid={"fast": [5, 10], "slow": [30, 40]}, deposit=1_000,
              sizing={"lots": 0.5}, workers=2)
    here = sweep(bars, "sma_cross", "xm,exness", "standard", **kw)
    there = sweep(bars, "sma_cross", "xm,exness", "standard", executor="ray", **kw)
    assert len(here.points) == 2 * 3 * 4
    assert [(p.broker, p.leverage_requested, p.params) for p in there.points] == \
        [(p.broker, p.leverage_requested, p.params) for p in here.points]
    assert [p.to_dict() for p in there.points] == [p.to_dict() for p in here.points]
    assert there.executor == "ray" and there.timing["backtests"] == 24 and there.timing["backtests_per_second"] > 0
    # figures only (what `leverlab sweep` keeps): the same figures, and no Result shipped back
    lean = sweep(bars, "sma_cross", "xm,exness", "standard", executor="ray", keep_results=False, **kw)
    assert [p.to_dict() for p in lean.points] == [p.to_dict() for p in here.points]
    assert all(p.result is None for p in lean.points) and all(p.result is not None for p in there.points)


def test_user_strategy_file_travels_by_value(local_ray, bars, tmp_path):
    """A strategy from the user's own file: the Ray workers cannot import it, so its class is shipped."""
    f = tmp_path / "mine.py"
    f.write_text(textwrap.dedent("""
        from leverlab.strategies import SmaCross

        class Slow(SmaCross):
            fast = 12
            slow = 48
    """))
    kw = dict(deposit=1_000, sizing={"lots": 0.1}, brokers=["xm"], workers=2)
    here = compare(bars, f"{f}:Slow", **kw)
    there = compare(bars, f"{f}:Slow", executor="ray", **kw)
    assert _rows(there) == _rows(here)


def test_ruin_on_ray_equals_local(local_ray):
    kw = dict(deposit=1_000, leverage=500, stop_out_level=50, win_rate=0.45, reward_risk=1.5, risk_pct=3,
              n_trades=300, n_paths=5_000, seed=11)
    here = risk_of_ruin(**kw)
    there = risk_of_ruin(executor="ray", **kw)
    assert there == here and 0 < here.p_loss < 1


def test_cli_executor_ray(local_ray):
    r = CliRunner().invoke(app, ["ruin", "--win-rate", "0.5", "--reward-risk", "1", "--paths", "2000", "--trades",
                                 "200", "--executor", "ray", "--json"])
    assert r.exit_code == 0, r.output
    local = CliRunner().invoke(app, ["ruin", "--win-rate", "0.5", "--reward-risk", "1", "--paths", "2000", "--trades",
                                     "200", "--json"])
    assert json.loads(r.output) == json.loads(local.output)
    r = CliRunner().invoke(app, ["sweep", "--broker", "xm,exness/pro", "--account-type", "standard", "--leverages",
                                 "100,1000", "--start", "2018-11-01", "--lots", "0.1", "--executor", "ray", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    accounts = [(p["broker"], p["account_type"]) for p in doc["points"]]
    assert accounts == [("xm", "standard")] * 2 + [("exness", "pro")] * 2
    assert doc["executor"] == "ray" and doc["timing"]["backtests"] == 4


def test_bad_executor_is_a_clear_error():
    with pytest.raises(ExecutorError, match="expected one of local, ray"):
        check_executor("dask")
    with pytest.raises(ExecutorError, match="--executor ray"):
        check_executor("local", "ray://head:10001")
    r = CliRunner().invoke(app, ["compare", "--executor", "dask", "--json"])
    assert r.exit_code == 2 and json.loads(r.output)["error"].startswith("--executor: executor 'dask'")


def test_sweep_accounts_each_need_an_account_type():
    from leverlab.analysis.compare import CompareError
    from leverlab.analysis.sweep import parse_accounts

    assert parse_accounts(["xm/micro", " exness "], "pro") == [("xm", "micro"), ("exness", "pro")]
    with pytest.raises(CompareError, match="broker 'exness': no account type"):
        parse_accounts("xm/micro,exness", None)
    r = CliRunner().invoke(app, ["sweep", "--broker", "xm", "--json"])
    assert r.exit_code == 2 and "no account type" in json.loads(r.output)["error"]


HEAD = """
import sys, ray
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()  # holds the cluster until the test closes stdin
ray.shutdown()
"""


def test_address_joins_an_existing_cluster():
    """--address: the command joins a Ray cluster started elsewhere (a separate process holding a 2-CPU
    Ray, token authentication off for both) and gives the local run's figures."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    head = subprocess.Popen([sys.executable, "-c", HEAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        address = head.stdout.readline().strip()
        assert address, "the Ray head did not start"
        cmd = [sys.executable, "-m", "leverlab.cli", "sweep", "--broker", "xm", "--account-type", "standard",
               "--leverages", "100,1000", "--start", "2018-11-01", "--lots", "0.1", "--json"]
        there = subprocess.run([*cmd, "--executor", "ray", "--address", address], capture_output=True, text=True,
                               env=env, timeout=300)
        assert there.returncode == 0, there.stdout + there.stderr
        here = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        a, b = json.loads(there.stdout), json.loads(here.stdout)
        assert a["executor"] == "ray" and a["points"] == b["points"] and len(a["points"]) == 2
    finally:
        head.stdin.close()
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
