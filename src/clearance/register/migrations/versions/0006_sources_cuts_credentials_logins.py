"""Where each use case came from (an import of a named manifest, or the web app), cuts
registered per production, each scanned file's C2PA credential state, and failed sign-ins
kept in the database (so every server process counts the same ones).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("use_cases") as batch:
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))
    with op.batch_alter_table("scan_files") as batch:
        batch.add_column(sa.Column("credential", sa.String(80), nullable=True))
    op.create_table(
        "cuts",
        sa.Column(
            "production_id", sa.String(100), sa.ForeignKey("productions.id"), primary_key=True
        ),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("edit", sa.Text(), nullable=False),
        sa.Column("media", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    op.create_index("ix_login_failures_client", "login_failures", ["client", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_client", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("cuts")
    with op.batch_alter_table("scan_files") as batch:
        batch.drop_column("credential")
    with op.batch_alter_table("use_cases") as batch:
        batch.drop_column("source")
