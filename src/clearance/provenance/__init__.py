"""Verify: find GenAI provenance in media files (C2PA, XMP, generator metadata) as facts.

Extractors read files and report facts and signals; they never decide. A file's verdict and
the findings of a deliverables scan come from policy packs over those facts.
"""
