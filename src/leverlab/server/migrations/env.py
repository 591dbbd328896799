"""Alembic environment: runs on the connection the server hands it (``config.attributes["connection"]``)."""

from alembic import context

from leverlab.server.db import metadata

conn = context.config.attributes["connection"]
context.configure(connection=conn, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
