"""Fixtures for the client matrix: the private PostgreSQL cluster (tests/server/pg.py) and a served demo broker."""

from __future__ import annotations

from pg import pg_cluster, pg_url  # noqa: F401  (pytest fixtures)
