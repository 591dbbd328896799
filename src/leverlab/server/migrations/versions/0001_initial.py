"""The first schema: users, accounts, commands, transactions, settings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("users",
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
                    sa.Column("created", sa.String(40), nullable=False))
    op.create_table("accounts",
                    sa.Column("id", sa.String(32), primary_key=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
                    sa.Column("alias", sa.String(128), nullable=False),
                    sa.Column("broker", sa.String(64), nullable=False),
                    sa.Column("account_type", sa.String(64), nullable=False),
                    sa.Column("country", sa.String(8), nullable=False),
                    sa.Column("client", sa.String(16), nullable=False),
                    sa.Column("currency", sa.String(8), nullable=False),
                    sa.Column("deposit", sa.String(32), nullable=False),
                    sa.Column("leverage", sa.String(16), nullable=False, server_default=""),
                    sa.Column("created_ns", sa.BigInteger, nullable=False))
    op.create_table("commands",
                    sa.Column("account_id", sa.String(32), sa.ForeignKey("accounts.id"), primary_key=True),
                    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("market_ns", sa.BigInteger, nullable=False),
                    sa.Column("body", sa.Text, nullable=False))
    op.create_table("transactions",
                    sa.Column("account_id", sa.String(32), sa.ForeignKey("accounts.id"), primary_key=True),
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("type", sa.String(48), nullable=False),
                    sa.Column("body", sa.Text, nullable=False))
    op.create_index("ix_transactions_type", "transactions", ["account_id", "type"])
    op.create_table("settings",
                    sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))


def downgrade() -> None:
    for name in ("settings", "transactions", "commands", "accounts", "users"):
        op.drop_table(name)
