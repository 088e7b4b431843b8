"""search vector: PostgreSQL keeps the `_all` words of each unit in a narrow table of its own

`unit_text` holds about nine rows per unit (one per text field), each with its text and its
`tsvector`, so the `_all` row of every unit matched sits on a page of its own: a search
matching 30,000 units of a million read 30,000 pages of a 2 GB table. `unit_text_fts_all`
holds only `(tenant_id, unit_id, tsv)` of the `_all` rows, a fraction of the size, and is
what full-text search on `_all` reads (archipel.access.query.fulltext). Triggers on
`unit_text` keep it in step in the same statement, whichever code writes or deletes texts,
as the FTS5 triggers of revision 0003 do on SQLite. Its name starts with `unit_text_fts`, so
the comparison with the models leaves it out (archipel.db.migrate.ENGINE_OWN_OBJECTS).

Nothing changes on SQLite, whose FTS5 index already holds only the words.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 04:00:00
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

VECTORS = "unit_text_fts_all"

KEEP_IN_STEP = {
    "INSERT": (
        "REFERENCING NEW TABLE AS added",
        f"INSERT INTO {VECTORS} (tenant_id, unit_id, tsv) "
        "SELECT tenant_id, unit_id, tsv FROM added WHERE field = '_all';",
    ),
    "DELETE": (
        "REFERENCING OLD TABLE AS removed",
        f"DELETE FROM {VECTORS} AS vector USING removed "
        "WHERE removed.field = '_all' AND vector.tenant_id = removed.tenant_id "
        "AND vector.unit_id = removed.unit_id;",
    ),
}
"""Statement-level triggers (one statement per bulk insert or delete of texts, not one per
row). `unit_text` rows are never updated: the indexer deletes and inserts them."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE TABLE {VECTORS} (tenant_id integer NOT NULL, unit_id varchar(36) NOT NULL, "
        f"tsv tsvector NOT NULL, CONSTRAINT pk_{VECTORS} PRIMARY KEY (tenant_id, unit_id))"
    )
    op.execute(
        f"INSERT INTO {VECTORS} (tenant_id, unit_id, tsv) "
        "SELECT tenant_id, unit_id, tsv FROM unit_text WHERE field = '_all'"
    )
    op.execute(f"CREATE INDEX ix_{VECTORS}_tsv ON {VECTORS} USING gin (tsv)")
    op.execute("DROP INDEX ix_unit_text_tsv_all")  # the `_all` rows' own index: replaced
    for action, (transition, statement) in KEEP_IN_STEP.items():
        name = f"{VECTORS}_{action.lower()}"
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ "
            f"BEGIN {statement} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {action} ON unit_text {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    op.execute(
        f"CREATE FUNCTION {VECTORS}_truncate() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT "
        f"AS $$ BEGIN TRUNCATE {VECTORS}; RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {VECTORS}_truncate AFTER TRUNCATE ON unit_text "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {VECTORS}_truncate()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for action in (*KEEP_IN_STEP, "TRUNCATE"):
        name = f"{VECTORS}_{action.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON unit_text")
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute(f"DROP TABLE IF EXISTS {VECTORS}")
    op.execute("CREATE INDEX ix_unit_text_tsv_all ON unit_text USING gin (tsv) WHERE field = '_all'")
