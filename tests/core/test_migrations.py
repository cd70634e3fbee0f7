"""The migration history and the models agree, and the history is linear and reversible."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from core import migrate
from core.app import import_models
from core.db import Base


def test_models_and_migrations_do_not_drift(owner_engine):
    import_models()
    with owner_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": migrate.include_name}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_history_is_one_linear_line():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    heads = script.get_heads()
    assert len(heads) == 1
    for revision in script.walk_revisions():
        assert not revision.is_merge_point


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'").scalars()
        )
    assert tables <= {"alembic_version"}
    migrate.upgrade(url)
    engine.dispose()
