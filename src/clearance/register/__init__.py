"""The register: evidence that meets obligations, with an append-only, hash-chained audit trail.

SQLite in a workspace (``.clearance/``) by default; PostgreSQL when ``CLEARANCE_DATABASE_URL``
names one. Every write goes through ``Register`` and appends audit events in the same
transaction as the data it describes.
"""
