"""How a record's territory codes cover a market (manifest-v1.1: US covers every state, EU
every member state)."""

from __future__ import annotations

import pytest

from clearance.manifest.territories import covers


@pytest.mark.parametrize(
    ("place", "market", "covered"),
    [
        ("FR", "FR", True),
        ("fr", "FR", True),
        ("US", "US-NY", True),
        ("US-NY", "US", False),  # a state does not stand for the whole country
        ("US-CA", "US-NY", False),
        ("EU", "FR", True),
        ("EU", "ES-CT", True),
        ("EU", "RE", True),  # an outermost region
        ("EU", "NO", False),  # EEA, not EU (packs-wave2 §1.2)
        ("EU", "GB", False),
        ("EU", "EU", True),
        ("FR", "EU", False),  # one member state does not cover the Union
        ("CN", "CN-HK", True),  # geography; whether a law reaches it is the pack's scope
        ("CA", "US-CA", False),  # CA is Canada
    ],
)
def test_a_record_covers_a_market(place: str, market: str, covered: bool) -> None:
    assert covers(place, market) is covered
