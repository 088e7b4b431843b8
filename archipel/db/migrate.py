"""Schema migrations with Alembic, run from code so `archipel init` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from archipel.db.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


ENGINE_OWN_OBJECTS = ("unit_text_fts", "tsv", "ix_unit_text_tsv")
"""Full-text machinery each engine builds its own way in the migrations (an FTS5 table and
its shadow tables on SQLite, a generated `tsvector` column on PostgreSQL): not in the models."""


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leaves the engine's own full-text objects out of the comparison with the models."""
    return not (reflected and compare_to is None and (name or "").startswith(ENGINE_OWN_OBJECTS))


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; a no-op when it is already there (idempotent init)."""
    config = _config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def autogenerate(database: Database, message: str) -> None:
    """Developer tool: write a new revision from the difference between models and schema."""
    config = _config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
