"""The scheme catalogue reaches the database with `flask migrate`, once, and staff edits
survive the next release's seeding."""

from __future__ import annotations

from sqlalchemy import func, select

from core.credentials.catalogue import CATALOGUE
from core.credentials.models import CertificationScheme
from core.credentials.schemes import rules_of, seed_catalogue
from core.db import db


def test_migrate_seeds_every_scheme_once_and_keeps_staff_edits(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert f"certification schemes added: {len(CATALOGUE)}" in result.output
    count = db.session.scalar(select(func.count()).select_from(CertificationScheme))
    assert count == len(CATALOGUE) >= 17

    ffcm = db.session.scalar(
        select(CertificationScheme).where(CertificationScheme.code == "fr-ffcm")
    )
    ffcm.name = "Médiateur agréé FFCM (corrected by staff)"
    db.session.commit()
    again = runner.invoke(args=["migrate"])
    assert "certification schemes added: 0" in again.output
    db.session.expire_all()
    assert db.session.get(CertificationScheme, ffcm.id).name.endswith("(corrected by staff)")
    assert seed_catalogue() == []


def test_every_seeded_scheme_reads_back_through_the_rules_codec(app):
    seed_catalogue()
    db.session.commit()
    for scheme in db.session.scalars(select(CertificationScheme)):
        rules = rules_of(scheme)
        assert rules.to_dict() == scheme.rules, scheme.code
        assert scheme.sources, f"{scheme.code} cites no source"
