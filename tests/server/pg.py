"""A private PostgreSQL cluster for the server's tests: real PostgreSQL, no root service, nothing shared.

The cluster is made with Debian's ``initdb`` in a temporary directory, started with ``pg_ctl`` on a free
127.0.0.1 port with trust authentication, and stopped at the end of the session. Each test gets a fresh
database in it. When ``initdb`` runs as root it is run as the ``postgres`` system user (initdb refuses
root), which Debian's ``postgresql`` package creates.

Use it from a conftest or a test module::

    from tests.server.pg import pg_cluster, pg_url  # noqa: F401  (pytest fixtures)

    def test_x(pg_url):  # "postgresql+psycopg://leverlab@127.0.0.1:PORT/t_..."
        ...

Without PostgreSQL installed the tests that ask for it are skipped, except under ``CI=true``, where they
fail: CI (``.ci/run``) installs Debian's ``postgresql``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "leverlab"


def _pg_bin() -> Path | None:
    """The directory holding initdb/pg_ctl: on PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:  # often a symlink (/usr/local/bin/initdb -> .../bin/initdb): createdb and psql sit beside the target
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """A running private cluster: its binaries, port and data directory."""

    bin: Path
    host: str
    port: int
    datadir: Path

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` in this cluster (psycopg 3 driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh, empty database and return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        subprocess.run([str(self.bin / "createdb"), "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, name],
                       check=True, capture_output=True, text=True, timeout=60)
        return self.url(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run ``cmd`` as the ``postgres`` user when we are root (initdb and postgres refuse to run as root)."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        raise RuntimeError("running as root and no runuser to drop to the postgres user")
    return [runuser, "-u", "postgres", "--", *cmd]


def start_cluster(root: Path) -> Cluster:
    """initdb + pg_ctl start in ``root`` (a fresh directory); raises with PostgreSQL's own output on failure."""
    pg_bin = _pg_bin()
    if pg_bin is None:
        raise FileNotFoundError("PostgreSQL's initdb was not found on PATH nor under /usr/lib/postgresql/*/bin; "
                                "install Debian's postgresql package")
    datadir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
        os.chmod(root, 0o700)
    subprocess.run(_as_postgres([str(pg_bin / "initdb"), "-D", str(datadir), "-U", SUPERUSER, "-A", "trust",
                                 "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True, text=True, timeout=180)
    port = _free_port()
    opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
            "-c fsync=on -c max_connections=200 -c shared_buffers=64MB")
    subprocess.run(_as_postgres([str(pg_bin / "pg_ctl"), "-D", str(datadir), "-o", opts, "-l", str(root / "log"),
                                 "-w", "-t", "60", "start"]),
                   check=True, capture_output=True, text=True, timeout=120)
    return Cluster(pg_bin, "127.0.0.1", port, datadir)


def stop_cluster(cluster: Cluster) -> None:
    """Stop the cluster (fast shutdown); its directory is removed by the caller."""
    subprocess.run(_as_postgres([str(cluster.bin / "pg_ctl"), "-D", str(cluster.datadir), "-m", "fast", "-w",
                                 "stop"]), capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One private PostgreSQL cluster per test session (per xdist worker)."""
    if _pg_bin() is None:
        message = "PostgreSQL is not installed (initdb not found); .ci/run installs Debian's postgresql"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="leverlab-pg-"))
    try:
        cluster = start_cluster(root)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start a private PostgreSQL cluster: {exc.cmd}: {exc.stdout}{exc.stderr}")
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A ``postgresql+psycopg://`` URL to a fresh, empty database in the session's private cluster."""
    return pg_cluster.create_database()
