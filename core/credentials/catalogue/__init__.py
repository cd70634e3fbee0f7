"""The certification schemes the platform starts with, as published by their bodies.

Seed data for `CertificationScheme`: platform staff edit the rows afterwards. Where no
source states a rule it is seeded unknown (None) for staff to complete, never guessed.
Interpretations worth knowing:

- hours that a source calls CPD without saying which count are continuing education
  and conferences; supervision and teaching count only where the source says so;
- "per year" reads as a calendar year, except where the title is renewed each year
  (CMC, Mediate.com), where the year runs from the renewal;
- the CEDR row holds two things: the title (CPD unknown) and the CEDR panel (6 h in the
  last 12 months), seeded as two schemes;
- the cour d'appel lists run in 3-year cycles from 1 January 2024 and Belgian CPD in
  2-year cycles from 1 January of an odd year, proof due by 31 January after.
"""

from __future__ import annotations

from core.credentials.catalogue.elsewhere import ELSEWHERE
from core.credentials.catalogue.europe import BELGIUM_GERMANY, UNITED_KINGDOM
from core.credentials.catalogue.france import FRANCE
from core.credentials.catalogue.seed import SchemeSeed

CATALOGUE: tuple[SchemeSeed, ...] = FRANCE + BELGIUM_GERMANY + UNITED_KINGDOM + ELSEWHERE


def by_code(code: str) -> SchemeSeed:
    for seed in CATALOGUE:
        if seed.code == code:
            return seed
    raise KeyError(code)


__all__ = ["CATALOGUE", "SchemeSeed", "by_code"]
