"""Protected reference material and names (issue 15): the reference library (refs, with the
PDQ hashes of each image or sampled video frame in ref_hashes), the protected names prompts
are checked against, and the record that a file was compared with the library
(similarity_checks). New tables only: older rows and their audit digests are untouched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _removal() -> list[sa.Column[str]]:
    return [
        sa.Column("removed_at", sa.String(40), nullable=True),
        sa.Column("removed_by", sa.Text(), nullable=True),
        sa.Column("remove_reason", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "refs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("production_id", sa.String(100), sa.ForeignKey("productions.id"), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", sa.String(40), nullable=False),
        *_removal(),
    )
    op.create_index("ix_refs_production", "refs", ["production_id"])
    op.create_table(
        "ref_hashes",
        sa.Column("ref_id", sa.String(40), sa.ForeignKey("refs.id"), primary_key=True),
        sa.Column("frame", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("crop", sa.String(40), primary_key=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("pdq", sa.String(64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
    )
    op.create_table(
        "protected_names",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("production_id", sa.String(100), sa.ForeignKey("productions.id"), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", sa.String(40), nullable=False),
        *_removal(),
    )
    op.create_index("ix_protected_names_production", "protected_names", ["production_id"])
    op.create_table(
        "similarity_checks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("production_id", sa.String(100), sa.ForeignKey("productions.id"), nullable=False),
        sa.Column("scan_id", sa.String(40), sa.ForeignKey("scans.id"), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("library_version", sa.String(64), nullable=False),
        sa.Column("library_size", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("pack", sa.String(200), nullable=True),
        sa.Column("matches", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.String(40), nullable=False),
        sa.Column("checked_by", sa.Text(), nullable=False),
    )
    op.create_index("ix_similarity_checks_production", "similarity_checks", ["production_id"])
    op.create_index("ix_similarity_checks_scan", "similarity_checks", ["scan_id"])


def downgrade() -> None:
    op.drop_index("ix_similarity_checks_scan", table_name="similarity_checks")
    op.drop_index("ix_similarity_checks_production", table_name="similarity_checks")
    op.drop_table("similarity_checks")
    op.drop_index("ix_protected_names_production", table_name="protected_names")
    op.drop_table("protected_names")
    op.drop_table("ref_hashes")
    op.drop_index("ix_refs_production", table_name="refs")
    op.drop_table("refs")
