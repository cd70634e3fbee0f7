"""The API's scopes (DESIGN.md section 5): what each allows, and which clients may hold it.

`profile` acts for a person, so it is granted only through the authorization-code
grant, by that person on the consent page; the others are an organisation's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Scope:
    name: str
    description: object  # a lazy translated string, for the consent and client pages
    owner_kinds: frozenset[str]
    user_only: bool = False


BOTH = frozenset({"tenant", "partner"})

SCOPES: dict[str, Scope] = {
    s.name: s
    for s in (
        Scope("referrals:read", _l("Read the referrals and follow their status"), BOTH),
        Scope("referrals:write", _l("Create and update referrals"), BOTH),
        Scope("webhooks:manage", _l("Manage webhook subscriptions"), BOTH),
        Scope("mediators:read", _l("Read the center's mediators"), frozenset({"tenant"})),
        Scope("mediators:write", _l("Manage the center's mediators"), frozenset({"tenant"})),
        Scope("marketplace:read", _l("Search the marketplace"), BOTH),
        Scope(
            "profile",
            _l(
                "Read and edit your mediator profile, training and certifications, and see "
                "the centers and organisations you belong to"
            ),
            BOTH,
            user_only=True,
        ),
    )
}


def scopes_for(owner_kind: str) -> list[str]:
    """Every scope a client of that owner kind may be registered with."""
    return [name for name, s in SCOPES.items() if owner_kind in s.owner_kinds]


def organisation_scopes(owner_kind: str) -> list[str]:
    """The scopes a client may hold without a user (client credentials)."""
    return [name for name in scopes_for(owner_kind) if not SCOPES[name].user_only]


def parse(scope: str | None) -> list[str]:
    return [s for s in (scope or "").split() if s]


def join(scopes: Iterable[str]) -> str:
    """Scopes in the catalogue's order, each once."""
    wanted = set(scopes)
    return " ".join(name for name in SCOPES if name in wanted)
