"""The Alembic migrations create exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from archipel.db import migrate
from archipel.db.database import Database
from archipel.db.models import Base


def test_migrations_match_the_models_and_rerun_as_a_no_op(database_url: str) -> None:
    database = Database(database_url)
    migrate.upgrade(database)
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision()
    with database.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"include_object": migrate.include_object}),
            Base.metadata,
        )
    database.dispose()
    assert differences == []
