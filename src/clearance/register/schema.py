"""Tables of the register (SQLAlchemy Core). Alembic migrations create them.

Identifiers are natural where people see them (production id, use case id, evidence id);
JSON columns hold the structured parts (scope, details, decision rules) as canonical text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData()

productions = Table(
    "productions",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("title", Text),
    Column("created_at", String(40), nullable=False),
)

use_cases = Table(
    "use_cases",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("production_id", String(100), ForeignKey("productions.id"), nullable=False),
    Column("uc_id", String(100), nullable=False),
    Column("title", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    # Left out of the latest manifest: history kept, no longer in status or findings.
    Column("withdrawn", Boolean, nullable=False, server_default=false()),
    # Where it was declared: "manifest:<name>" (an import of that manifest; only a later
    # import of the same manifest withdraws it), "web" (the web app), or NULL (before 0006).
    Column("source", Text),
    UniqueConstraint("production_id", "uc_id", name="uq_use_case"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("use_case_pk", Integer, ForeignKey("use_cases.pk"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", Text, nullable=False),
    UniqueConstraint("use_case_pk", "revision", name="uq_revision"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("use_case_pk", Integer, ForeignKey("use_cases.pk"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("packs_key", String(400), nullable=False),
    Column("packs", Text, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("obligations", Text, nullable=False),
    Column("rules", Text, nullable=False),
    Column("decided_at", String(40), nullable=False),
    UniqueConstraint("use_case_pk", "revision", "packs_key", name="uq_decision"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("production_id", String(100), ForeignKey("productions.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("scope", Text, nullable=False),
    Column("performer", String(100)),
    Column("date", String(10), nullable=False),
    Column("expires", String(10)),
    Column("reference", Text),
    Column("details", Text, nullable=False),
    Column("attachment_sha256", String(64)),
    Column("recorded_against", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("revoked_by", Text),
    Column("revoke_reason", Text),
    # What a disclosure (disclose-ai) or labelling (ai-label) record covers, as canonical JSON
    # lists the disclosure plan queries: markets (territory codes) and deliverables, versions
    # or files. NULL for every other kind (and for rows from before 0007).
    Column("territories", Text),
    Column("deliverables", Text),
)
Index("ix_evidence_production", evidence.c.production_id)

attachments = Table(
    "attachments",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("stored_at", String(40), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(60), nullable=False),
    Column("production_id", String(100)),
    Column("subject", Text, nullable=False),
    Column("before_digest", String(64)),
    Column("after_digest", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_production", audit_events.c.production_id)
Index("ix_audit_subject", audit_events.c.subject)

# One row: the last event of the chain. Writers lock it, which serialises appends.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# A file registered as the output of a use case (clearance asset add), by content hash.
assets = Table(
    "assets",
    metadata,
    Column("production_id", String(100), ForeignKey("productions.id"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("uc_id", String(100), nullable=False),
    Column("path", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("added_by", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
)

# A deliverables scan: its summary, and every file that carried a GenAI signal or a finding.
scans = Table(
    "scans",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("production_id", String(100), ForeignKey("productions.id"), nullable=False),
    Column("roots", Text, nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("summary", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
)

scan_files = Table(
    "scan_files",
    metadata,
    Column("scan_id", String(40), ForeignKey("scans.id"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("verdict", String(40), nullable=False),
    Column("findings", Text, nullable=False),
    Column("uc_id", String(100)),
    # The file's C2PA credential state (valid, valid-untrusted, invalid: CODE, expired, …).
    Column("credential", String(80)),
)

# A locked cut registered to a production (clearance cut add): the edit, its media roots and
# how to read it (rate, drop-frame, start, naming rules, sequence) as canonical JSON.
cuts = Table(
    "cuts",
    metadata,
    Column("production_id", String(100), ForeignKey("productions.id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("edit", Text, nullable=False),
    Column("media", Text, nullable=False),
    Column("settings", Text, nullable=False),
    Column("added_by", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
)

# -- people and reviews (the web app) ----------------------------------------------------------

# A local account. Passwords are stored only as argon2 hashes.
users = Table(
    "users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    # A site administrator: may create accounts and grant roles in any production.
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("created_at", String(40), nullable=False),
)

# A user's role in one production: contributor (declares use), reviewer (approves) or admin.
memberships = Table(
    "memberships",
    metadata,
    Column("user_id", String(40), ForeignKey("users.id"), primary_key=True),
    Column("production_id", String(100), ForeignKey("productions.id"), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("granted_by", Text, nullable=False),
    Column("granted_at", String(40), nullable=False),
)

# A bearer token for a pipeline, acting as its user; only the token's SHA-256 is stored.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
)

# A signed-in browser session; only the cookie value's SHA-256 is stored. Not audited: it
# changes nothing in the register, and sign-ins would flood the trail.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
)

# A reviewer's decision on a use case revision: approved (with conditions and expiry; the
# written approval is recorded as evidence too), changes-requested or denied.
reviews = Table(
    "reviews",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("production_id", String(100), ForeignKey("productions.id"), nullable=False),
    Column("uc_id", String(100), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("decision", String(30), nullable=False),
    Column("comment", Text, nullable=False),
    Column("conditions", Text, nullable=False),
    Column("expires", String(10)),
    Column("evidence_id", String(40)),
    Column("reviewer", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)
Index("ix_reviews_use_case", reviews.c.production_id, reviews.c.uc_id)

# A failed sign-in (client address, username, time.time()): the login limit reads these, so
# every server process counts the same ones. Not audited; pruned as it is read.
login_failures = Table(
    "login_failures",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("client", String(100), nullable=False),
    Column("username", String(100), nullable=False),
    Column("at", Float, nullable=False),
)
Index("ix_login_failures_client", login_failures.c.client, login_failures.c.at)

# -- protected reference material (issue 15) ---------------------------------------------------

# A protected reference (key art, a still, a logo, a clip) that outputs must not resemble:
# production_id NULL puts it in the library shared by every production. Removal is soft
# (removed_at/by/reason) so the trail, and checks that named it, stay readable.
refs = Table(
    "refs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("production_id", String(100), ForeignKey("productions.id")),
    Column("label", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("kind", String(10), nullable=False),  # image | video
    Column("path", Text, nullable=False),  # where it was added from (for people; not read)
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("frames", Integer, nullable=False),  # hashes kept (1 for an image)
    Column("duration", Float),  # seconds, for a video
    Column("added_by", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("removed_at", String(40)),
    Column("removed_by", Text),
    Column("remove_reason", Text),
)
Index("ix_refs_production", refs.c.production_id)

# The PDQ hashes of a reference: an image's whole picture and crops of it (``crop`` names
# the margins cut, e.g. "l5 t10" = 5 % off the left, 10 % off the top; "" = the whole
# picture: PDQ is fragile to cropping, so the crops are hashed up front), or one per sampled
# frame of a video (its timecode in seconds). Audited as one subject per reference
# (ref-hashes:<id>), not per row.
ref_hashes = Table(
    "ref_hashes",
    metadata,
    Column("ref_id", String(40), ForeignKey("refs.id"), primary_key=True),
    Column("frame", Integer, primary_key=True, autoincrement=False),
    Column("crop", String(40), primary_key=True),
    Column("seconds", Float, nullable=False),
    Column("pdq", String(64), nullable=False),  # 256 bits as 64 hex characters
    Column("quality", Integer, nullable=False),  # PDQ's own quality, 0-100
)

# Names a prompt must not invoke without clearance (performers, public figures, works, brands);
# production_id NULL = shared by every production. Aliases: a canonical JSON list.
protected_names = Table(
    "protected_names",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("production_id", String(100), ForeignKey("productions.id")),
    Column("name", Text, nullable=False),
    Column("kind", String(20), nullable=False),  # performer|public-figure|work|brand|other
    Column("aliases", Text, nullable=False),
    Column("notes", Text),
    Column("added_by", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("removed_at", String(40)),
    Column("removed_by", Text),
    Column("remove_reason", Text),
)
Index("ix_protected_names_production", protected_names.c.production_id)

# The record that a file was compared with the reference library (clearance similar, or a
# scan: scan_id), match or not: library version (digest of the live references' hashes) and
# size, the threshold and the pack it came from, the matches found (canonical JSON), and why
# a file could not be compared (problem; e.g. frames too flat for PDQ), never a silent pass.
similarity_checks = Table(
    "similarity_checks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("production_id", String(100), ForeignKey("productions.id"), nullable=False),
    Column("scan_id", String(40), ForeignKey("scans.id")),
    Column("sha256", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("frames", Integer, nullable=False),  # hashes of the file compared
    Column("library_version", String(64), nullable=False),
    Column("library_size", Integer, nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("pack", String(200)),  # id@version whose condition set the threshold
    Column("matches", Text, nullable=False),
    Column("problem", Text),
    Column("checked_at", String(40), nullable=False),
    Column("checked_by", Text, nullable=False),
)
Index("ix_similarity_checks_production", similarity_checks.c.production_id)
Index("ix_similarity_checks_scan", similarity_checks.c.scan_id)
