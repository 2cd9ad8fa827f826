"""The initial register: productions, use cases and revisions, decisions, evidence,
attachments and the hash-chained audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "productions",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "use_cases",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("production_id", sa.String(100), sa.ForeignKey("productions.id"), nullable=False),
        sa.Column("uc_id", sa.String(100), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("production_id", "uc_id", name="uq_use_case"),
    )
    op.create_table(
        "revisions",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("use_case_pk", sa.Integer, sa.ForeignKey("use_cases.pk"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.UniqueConstraint("use_case_pk", "revision", name="uq_revision"),
    )
    op.create_table(
        "decisions",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("use_case_pk", sa.Integer, sa.ForeignKey("use_cases.pk"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("packs_key", sa.String(400), nullable=False),
        sa.Column("packs", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("obligations", sa.Text, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("decided_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("use_case_pk", "revision", "packs_key", name="uq_decision"),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("production_id", sa.String(100), sa.ForeignKey("productions.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("performer", sa.String(100)),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("expires", sa.String(10)),
        sa.Column("reference", sa.Text),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("attachment_sha256", sa.String(64)),
        sa.Column("recorded_against", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40)),
        sa.Column("revoked_by", sa.Text),
        sa.Column("revoke_reason", sa.Text),
    )
    op.create_index("ix_evidence_production", "evidence", ["production_id"])
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("stored_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("production_id", sa.String(100)),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("before_digest", sa.String(64)),
        sa.Column("after_digest", sa.String(64)),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_production", "audit_events", ["production_id"])
    op.create_index("ix_audit_subject", "audit_events", ["subject"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")


def downgrade() -> None:
    for table in (
        "audit_head", "audit_events", "attachments", "evidence", "decisions", "revisions",
        "use_cases", "productions",
    ):  # fmt: skip
        op.drop_table(table)
