"""Search quality: accents and case, stemming and misspelled names (PostgreSQL), prefixes
(SQLite), and facets whose logic and counts match SQL the test writes itself over the
seeded profiles (not over the public table the search reads)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import db
from marketplace.search import SearchInvalid, checked_query, search
from tests.marketplace.helpers import listed_center, listed_mediator, settle


def _names(result) -> set[str]:
    return {item.display_name for item in result.items}


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def people(app):
    paris = listed_center()
    lyon = listed_center()
    listed_mediator(
        paris,
        display_name="Claire Dupont",
        bio_fr="Médiation familiale et accompagnement des séparations.",
        bio_en="",
        languages=["fr"],
        specialties=["family"],
        regions=["FR-75"],
    )
    listed_mediator(
        paris,
        display_name="Jean Martin",
        bio_fr="Médiateur en droit du travail, conflits en entreprise.",
        bio_en="Workplace mediation.",
        languages=["fr", "en"],
        specialties=["labour", "commercial"],
        regions=["FR-75", "FR-92"],
    )
    listed_mediator(
        lyon,
        display_name="Émilie Lefèvre",
        bio_fr="",
        bio_en="Family mediator for international couples.",
        languages=["en", "de"],
        specialties=["family", "international"],
        regions=["FR-69"],
    )
    listed_mediator(
        lyon,
        display_name="Paul Moreau",
        bio_fr="Litiges de voisinage et de copropriété.",
        bio_en="",
        languages=["fr"],
        specialties=["neighbourhood"],
        regions=["FR-69"],
        modes=["in_person"],
    )
    unlisted = listed_mediator(lyon, display_name="Hidden Person", listed_publicly=False)
    settle(app)
    return {"paris": paris, "lyon": lyon, "unlisted": unlisted}


def test_accents_and_case_are_ignored(people):
    assert _names(search(checked_query(q="mediation familiale"))) >= {"Claire Dupont"}
    assert "Claire Dupont" in _names(search(checked_query(q="MÉDIATION")))
    assert _names(search(checked_query(q="lefevre"))) == {"Émilie Lefèvre"}
    assert _names(search(checked_query(q="ÉMILIE"))) == {"Émilie Lefèvre"}


def test_specialty_labels_in_both_languages_and_center_names_are_searched(people):
    assert "Paul Moreau" in _names(search(checked_query(q="voisinage")))
    assert "Paul Moreau" in _names(search(checked_query(q="neighbourhood")))
    center = people["lyon"].legal_name
    assert _names(search(checked_query(q=center))) >= {"Émilie Lefèvre", "Paul Moreau"}


def test_an_unlisted_mediator_is_never_found(people):
    assert _names(search(checked_query(q="hidden"))) == set()
    assert "Hidden Person" not in _names(search(checked_query(limit=100)))


def test_other_forms_of_a_word_and_of_a_name_are_found(people):
    """Each engine's answer to word forms (DESIGN.md section 6): PostgreSQL stems words
    and matches names by trigrams; SQLite's FTS5 matches prefixes instead. Both suites
    run in CI, so each engine is checked on its own database."""
    if _is_postgres():
        # "séparation" (singular) finds "séparations"; plurals share their stem.
        assert "Claire Dupont" in _names(search(checked_query(q="séparation")))
        assert "Jean Martin" in _names(search(checked_query(q="conflit entreprises")))
        # Misspelled surnames: trigram similarity of names.
        assert "Claire Dupont" in _names(search(checked_query(q="Dupond")))
        assert "Émilie Lefèvre" in _names(search(checked_query(q="Lefebvre")))
    else:
        assert "Claire Dupont" in _names(search(checked_query(q="séparat")))
        assert _names(search(checked_query(q="dup"))) == {"Claire Dupont"}
    # Both: a word's beginning that is also a whole name matches that name.
    assert "Claire Dupont" in _names(search(checked_query(q="dupont")))


# --- facets: logic and counts against the test's own SQL -------------------------------


def _expand(column: str, alias: str) -> str:
    """One row per element of a profile's JSON list column, as `<alias>.value`."""
    if _is_postgres():
        return f"json_array_elements_text(p.{column}) AS {alias}(value)"
    return f"json_each(p.{column}) AS {alias}"


LISTED = (
    "p.listed_publicly AND EXISTS (SELECT 1 FROM affiliations a "
    "WHERE a.profile_id = p.id AND a.published AND a.status = 'active')"
)


def _expected(engine, facet_column: str, where_languages: list[str] | None) -> dict[str, int]:
    """Count listed profiles per value of `facet_column`, among those speaking one of
    `where_languages` (all when None), straight from the seeded profiles."""
    language_filter = ""
    params: dict[str, str] = {}
    if where_languages:
        marks = ", ".join(f":l{i}" for i in range(len(where_languages)))
        params = {f"l{i}": v for i, v in enumerate(where_languages)}
        language_filter = (
            f" AND EXISTS (SELECT 1 FROM {_expand('languages', 'l')} WHERE l.value IN ({marks}))"
        )
    sql = (
        f"SELECT f.value, count(DISTINCT p.id) FROM mediator_profiles p, "
        f"{_expand(facet_column, 'f')} WHERE {LISTED}{language_filter} GROUP BY f.value"
    )
    with engine.connect() as conn:  # as the owner: no row-level security in the way
        return {value: count for value, count in conn.execute(text(sql), params)}


def _counts(result, facet: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[facet] if v.count}


def test_facet_counts_match_the_seeded_data(people, owner_engine):
    everything = search(checked_query(limit=100))
    assert everything.total == 4
    assert _counts(everything, "specialty") == _expected(owner_engine, "specialties", None)
    assert _counts(everything, "language") == _expected(owner_engine, "languages", None)
    assert _counts(everything, "region") == _expected(owner_engine, "regions", None)

    # OR within a facet: French or German speakers.
    either = search(checked_query(filters={"language": ["fr", "de"]}, limit=100))
    assert _names(either) == {"Claire Dupont", "Jean Martin", "Émilie Lefèvre", "Paul Moreau"}
    fr_only = search(checked_query(filters={"language": ["fr"]}, limit=100))
    assert _names(fr_only) == {"Claire Dupont", "Jean Martin", "Paul Moreau"}
    # Other facets are counted within the selection; the language facet itself is
    # counted as if unselected (disjunctive), so it still offers "en" and "de".
    assert _counts(fr_only, "specialty") == _expected(owner_engine, "specialties", ["fr"])
    assert _counts(fr_only, "language") == _expected(owner_engine, "languages", None)
    assert fr_only.total == sum(1 for _ in fr_only.items)

    # AND across facets: French speakers in family mediation.
    both = search(checked_query(filters={"language": ["fr"], "specialty": ["family"]}))
    assert _names(both) == {"Claire Dupont"}
    family = _counts(both, "language")
    assert family == {"fr": 1, "en": 1, "de": 1}  # among family mediators
    for value, count in _counts(both, "specialty").items():
        alone = search(checked_query(filters={"language": ["fr"], "specialty": [value]}))
        assert alone.total == count  # clicking a value gives the count shown beside it


def test_center_and_price_facets(people):
    paris = people["paris"]
    result = search(checked_query(filters={"center": [paris.slug]}))
    assert _names(result) == {"Claire Dupont", "Jean Martin"}
    assert {v.value: v.count for v in result.facets["center"]}[paris.slug] == 2
    assert result.center_names[paris.slug] == paris.legal_name
    # Every center's only offer is 250 EUR excl. VAT = 300 EUR incl.: band 250-500.
    priced = search(checked_query(filters={"price": ["250-500"]}))
    assert priced.total == 4
    assert search(checked_query(price_max="299")).total == 0
    assert search(checked_query(price_min="300", price_max="300")).total == 4


def test_sorting_and_pages(people):
    by_name = search(checked_query(sort="name", limit=2))
    assert [i.display_name for i in by_name.items] == ["Claire Dupont", "Émilie Lefèvre"]
    assert by_name.next_offset == 2
    rest = search(checked_query(sort="name", limit=2, offset=2))
    assert [i.display_name for i in rest.items] == ["Jean Martin", "Paul Moreau"]
    assert rest.next_offset is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"filters": {"language": ["xx"]}}, "language"),
        ({"filters": {"specialty": ["astrology"]}}, "specialty"),
        ({"filters": {"center": ["no-such-center"]}}, "center"),
        ({"filters": {"colour": ["red"]}}, "colour"),
        ({"price_min": "-5"}, "price_min"),
        ({"price_max": "abc"}, "price_max"),
        ({"price_min": "200", "price_max": "100"}, "price_max"),
        ({"limit": 1_000_000}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"sort": "random"}, "sort"),
        ({"q": "x" * 10_000}, "q"),
    ],
)
def test_bad_parameters_are_refused_by_name(app, params, field):
    with pytest.raises(SearchInvalid) as refused:
        checked_query(**params)
    assert field in refused.value.errors
    assert refused.value.status == 400
