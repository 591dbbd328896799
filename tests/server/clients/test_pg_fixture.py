"""The private PostgreSQL fixture gives a real, empty, writable database per test."""

from __future__ import annotations

import subprocess

from pg import Cluster


def _psql(cluster: Cluster, url: str, sql: str) -> str:
    database = url.rsplit("/", 1)[1]
    out = subprocess.run([str(cluster.bin / "psql"), "-h", cluster.host, "-p", str(cluster.port), "-U", "leverlab",
                          "-d", database, "-tA", "-c", sql], check=True, capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def test_each_test_gets_a_fresh_database(pg_cluster: Cluster, pg_url: str) -> None:
    assert pg_url.startswith(f"postgresql+psycopg://leverlab@127.0.0.1:{pg_cluster.port}/t_")
    # fresh: no user tables yet
    assert _psql(pg_cluster, pg_url, "select count(*) from pg_tables where schemaname = 'public'") == "0"
    _psql(pg_cluster, pg_url, "create table t (x int); insert into t values (41), (1)")
    assert _psql(pg_cluster, pg_url, "select sum(x) from t") == "42"
    other = pg_cluster.create_database()
    assert other != pg_url
    assert _psql(pg_cluster, other, "select count(*) from pg_tables where schemaname = 'public'") == "0"
