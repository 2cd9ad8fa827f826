"""What disclosure (disclose-ai) and labelling (ai-label) evidence covers: the markets and the
deliverables, as columns the disclosure plan can query. Existing rows keep NULL (no coverage),
which audit digests leave out, so an upgraded register's trail still verifies.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("territories", sa.Text(), nullable=True))
        batch.add_column(sa.Column("deliverables", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("deliverables")
        batch.drop_column("territories")
