"""Assets (files registered to a use case) and deliverables scans.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column(
            "production_id", sa.String(100), sa.ForeignKey("productions.id"), primary_key=True
        ),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("uc_id", sa.String(100), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("added_by", sa.Text, nullable=False),
        sa.Column("added_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("production_id", sa.String(100), sa.ForeignKey("productions.id"), nullable=False),
        sa.Column("roots", sa.Text, nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_table(
        "scan_files",
        sa.Column("scan_id", sa.String(40), sa.ForeignKey("scans.id"), primary_key=True),
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(40), nullable=False),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("uc_id", sa.String(100)),
    )


def downgrade() -> None:
    op.drop_table("scan_files")
    op.drop_table("scans")
    op.drop_table("assets")
