"""Copy trading: who copies whom under which rule, and every master fill as its followers saw it.

Revision ID: 0101
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0101"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("copy_subscriptions",
                    sa.Column("follower_id", sa.String(32), sa.ForeignKey("accounts.id"), primary_key=True),
                    sa.Column("master_id", sa.String(32), sa.ForeignKey("accounts.id"), nullable=False),
                    sa.Column("kind", sa.String(8), nullable=False),
                    sa.Column("value", sa.String(32), nullable=False),
                    sa.Column("min_lots", sa.String(32), nullable=False, server_default=""),
                    sa.Column("max_lots", sa.String(32), nullable=False, server_default=""),
                    sa.Column("stop_copy_equity", sa.String(32), nullable=False, server_default=""),
                    sa.Column("created_ns", sa.BigInteger, nullable=False),
                    sa.Column("stopped_ns", sa.BigInteger, nullable=True))
    op.create_table("copies",
                    sa.Column("follower_id", sa.String(32), sa.ForeignKey("accounts.id"), primary_key=True),
                    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("master_id", sa.String(32), nullable=False),
                    sa.Column("body", sa.Text, nullable=False))


def downgrade() -> None:
    op.drop_table("copies")
    op.drop_table("copy_subscriptions")
