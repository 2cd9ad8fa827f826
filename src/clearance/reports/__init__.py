"""Rendering of results for people (Rich, Markdown) and machines (JSON). Nothing here decides."""
