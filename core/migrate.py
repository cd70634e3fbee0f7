"""Run Alembic programmatically with the app's database URL."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from core.config import PROJECT_ROOT

# Tables the migrations create outside the models: SQLite's FTS5 search table and the
# shadow tables FTS5 keeps beside it (marketplace.search_sqlite).
UNMODELLED_TABLE_PREFIXES = ("marketplace_mediators_fts",)


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Autogenerate's filter: leave the unmodelled tables out of the comparison."""
    return not (type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIXES))


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
