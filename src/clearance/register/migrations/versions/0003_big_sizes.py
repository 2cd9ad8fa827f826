"""File sizes as 64-bit integers: deliverables over 2 GiB are ordinary (PostgreSQL's
INTEGER is 32-bit; SQLite did not mind, so a SQLite export must still restore there).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("assets", "attachments"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("size", type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    for table in ("assets", "attachments"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("size", type_=sa.Integer(), existing_nullable=False)
