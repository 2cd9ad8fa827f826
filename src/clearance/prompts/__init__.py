"""Prompt checks: which performers, protected names and style or likeness references a
prompt holds (issue 15, item 4).

This package only derives FACTS from prompt text (``PromptFacts``); the ``prompt-checks``
and ``deliverables`` packs decide what they mean. Matching is fuzzy (rapidfuzz, token based,
diacritics and case folded) with exact matches required for short names.
"""
