"""Which territory codes a broader code stands for (manifest-v1.1 "Clarified": ``US`` covers
every US state, ``EU`` every member state).

Geography, not policy: which laws reach a territory is each law pack's own ``scope``. This is
used where a record names the places it covers (a disclosure recorded for ``EU`` covers the
market ``FR``), so that a record and a market are compared the way the spec reads codes.
"""

from __future__ import annotations

#: EU member states (ISO 3166-1), as packs-wave2.md §1.2 lists them.
EU_MEMBER_STATES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()  # noqa: SIM905
)
#: EU outermost regions and parts with their own ISO code (packs-wave2.md §1.2).
EU_OWN_CODES = frozenset("GF GP MQ RE YT MF AX".split())  # noqa: SIM905


def covers(place: str, market: str) -> bool:
    """Does a record naming ``place`` cover ``market``? The same code, its country
    (``US`` covers ``US-NY``) or, for ``EU``, a member state, one of its subdivisions or an
    outermost region. Codes compare without regard to case."""
    place, market = place.upper(), market.upper()
    country = market.split("-", 1)[0]
    if place in (market, country):
        return True
    return place == "EU" and (country in EU_MEMBER_STATES or country in EU_OWN_CODES)
