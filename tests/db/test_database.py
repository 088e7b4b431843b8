"""How the engines are set up for a multi-tenant index."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from support import postgres_schema

from archipel.db.database import Database


@pytest.mark.postgres
def test_postgresql_plans_each_statement_for_its_own_parameters() -> None:
    """A generic plan of `tenant_id = $1 AND unit_id IN (...)` reads a whole tenant; every
    connection asks for custom plans instead, and keeps the URL's own options (search_path)."""
    schemas = postgres_schema()
    url = next(schemas)
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            mode = connection.execute(text("SHOW plan_cache_mode")).scalar()
            path = connection.execute(text("SHOW search_path")).scalar()
        assert mode == "force_custom_plan"
        assert str(path).startswith("t_")
    finally:
        database.dispose()
        schemas.close()
