"""Fixtures of the server tests: a real ``leverlab serve`` per module, and PostgreSQL when there is one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from broker_proc import Server

try:  # the private PostgreSQL cluster fixture (tests/server/pg.py), where it is present
    from pg import pg_cluster, pg_url  # noqa: F401
except ImportError:  # else a database URL from the environment
    @pytest.fixture
    def pg_url() -> Iterator[str]:
        base = os.environ.get("LEVERLAB_TEST_POSTGRES_URL")
        if not base:
            if os.environ.get("CI") == "true":
                pytest.fail("CI must run the PostgreSQL tests: no PostgreSQL fixture and no LEVERLAB_TEST_POSTGRES_URL")
            pytest.skip("no PostgreSQL here (set LEVERLAB_TEST_POSTGRES_URL)")
        from sqlalchemy import create_engine, make_url, text

        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("broker") / "broker.sqlite"
    s = Server(str(db)).start()
    yield s
    s.stop()
