"""secured logbooks: hash chains, lifecycle logbooks, securings; append-only triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00

The triggers make the logbooks append-only in the database itself (docs/adr/0004):
events, lifecycle entries, chain entries and securings refuse UPDATE and DELETE; an
operation refuses them once sealed (it has a chain entry); a chain head may move but not
go away. On PostgreSQL TRUNCATE is refused too (it skips row triggers).

SQLite drops a table's triggers when a batch migration rebuilds the table ("move and
copy"): a later migration that alters one of these tables in batch mode must call
`create_sqlite_triggers` again.

Operations finished before this revision are sealed here, in the order they ended, so
the logbook of an existing instance verifies from its first operation.
"""

from alembic import op
import sqlalchemy as sa
import archipel.db.base
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

APPEND_ONLY = ("logbook_events", "lifecycle_entries", "chain_entries", "logbook_securings")
SEALED = (
    "EXISTS (SELECT 1 FROM chain_entries c WHERE c.tenant_id = OLD.tenant_id "
    "AND c.kind = 'operations' AND c.entry = OLD.id)"
)


def upgrade() -> None:
    op.create_table('chain_entries',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('entry', sa.String(length=36), nullable=False),
    sa.Column('previous', sa.String(length=128), nullable=False),
    sa.Column('hash', sa.String(length=128), nullable=False),
    sa.Column('sealed', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'chain', 'position', name=op.f('pk_chain_entries')),
    sa.UniqueConstraint('tenant_id', 'kind', 'entry', name=op.f('uq_chain_entries_tenant_id_kind_entry'))
    )
    op.create_table('chain_heads',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('chain', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=128), nullable=False),
    sa.Column('updated', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'kind', name=op.f('pk_chain_heads'))
    )
    op.create_table('lifecycle_entries',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('operation_id', sa.String(length=36), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_lifecycle_entries'))
    )
    with op.batch_alter_table('lifecycle_entries', schema=None) as batch_op:
        batch_op.create_index('ix_lifecycle_entries_subject', ['tenant_id', 'subject_id'], unique=False)

    op.create_table('logbook_securings',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('operation_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('sha512', sa.String(length=128), nullable=False),
    sa.Column('root', sa.String(length=128), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('ranges', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'number', name=op.f('pk_logbook_securings'))
    )
    if op.get_bind().dialect.name == "postgresql":
        create_postgresql_triggers()
    else:
        create_sqlite_triggers()
    seal_finished_operations()


def create_sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
            )
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER operations_sealed_no_{action.lower()} BEFORE {action} ON operations "
            f"WHEN {SEALED} "
            f"BEGIN SELECT RAISE(ABORT, 'operations: a sealed operation is append-only: {action} refused'); END"
        )
    op.execute(
        "CREATE TRIGGER chain_heads_no_delete BEFORE DELETE ON chain_heads "
        "BEGIN SELECT RAISE(ABORT, 'chain_heads: a chain head is never deleted'); END"
    )


def create_postgresql_triggers() -> None:
    op.execute(
        "CREATE FUNCTION archipel_append_only() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
    )
    op.execute(
        "CREATE FUNCTION archipel_sealed_operation() RETURNS trigger LANGUAGE plpgsql "
        "SET search_path FROM CURRENT AS $$ "
        f"BEGIN IF {SEALED} THEN "
        "RAISE EXCEPTION 'operations: a sealed operation is append-only: % refused', TG_OP; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION archipel_append_only()"
        )
    for table in (*APPEND_ONLY, "operations", "chain_heads"):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION archipel_append_only()"
        )
    op.execute(
        "CREATE TRIGGER operations_sealed BEFORE UPDATE OR DELETE ON operations "
        "FOR EACH ROW EXECUTE FUNCTION archipel_sealed_operation()"
    )
    op.execute(
        "CREATE TRIGGER chain_heads_no_delete BEFORE DELETE ON chain_heads "
        "FOR EACH ROW EXECUTE FUNCTION archipel_append_only()"
    )


def seal_finished_operations() -> None:
    """Seals, per tenant in the order they ended, the operations finished before this revision."""
    from archipel.core.clock import utc_now
    from archipel.core.ids import new_id
    from archipel.logbook.canonical import GENESIS, operation_entry
    from archipel.logbook.chain import OPERATIONS, link_entries

    when = archipel.db.base.UtcDateTime(timezone=True)
    operations = sa.table(
        "operations",
        *(sa.column(name) for name in ("tenant_id", "id", "type", "status", "outcome", "message", "agent")),
        *(sa.column(name) for name in ("source_name", "units", "objects", "total_bytes", "reply")),
        sa.column("started", when),
        sa.column("ended", when),
    )
    events = sa.table(
        "logbook_events",
        *(sa.column(name) for name in ("tenant_id", "operation_id", "seq", "step", "code", "outcome", "target")),
        sa.column("message"),
        sa.column("created", when),
    )
    entries = sa.table("chain_entries", *(sa.column(name) for name in (
        "tenant_id", "chain", "position", "kind", "entry", "previous", "hash")), sa.column("sealed", when))
    heads = sa.table("chain_heads", *(sa.column(name) for name in (
        "tenant_id", "kind", "chain", "position", "hash")), sa.column("updated", when))
    connection = op.get_bind()
    finished = connection.execute(
        sa.select(operations).where(operations.c.status == "DONE").order_by(
            operations.c.tenant_id, operations.c.ended, operations.c.id)
    ).mappings().all()
    by_tenant: dict[int, list] = {}
    for row in finished:
        by_tenant.setdefault(row["tenant_id"], []).append(row)
    now = utc_now()
    for tenant, rows in by_tenant.items():
        contents = []
        for row in rows:
            logged = connection.execute(
                sa.select(events).where(events.c.tenant_id == tenant, events.c.operation_id == row["id"])
            ).mappings().all()
            contents.append((row["id"], operation_entry(row, logged)))
        chain = new_id()
        links = link_entries(tenant, OPERATIONS, chain, 0, GENESIS, contents)
        for start in range(0, len(links), 500):
            connection.execute(entries.insert(), [
                {"tenant_id": tenant, "chain": chain, "position": link.position, "kind": OPERATIONS,
                 "entry": link.entry, "previous": link.previous, "hash": link.hash, "sealed": now}
                for link in links[start:start + 500]
            ])
        connection.execute(heads.insert().values(
            tenant_id=tenant, kind=OPERATIONS, chain=chain, position=links[-1].position,
            hash=links[-1].hash, updated=now))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*APPEND_ONLY, "operations", "chain_heads"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP TRIGGER IF EXISTS operations_sealed ON operations")
        op.execute("DROP TRIGGER IF EXISTS chain_heads_no_delete ON chain_heads")
        op.execute("DROP FUNCTION IF EXISTS archipel_sealed_operation()")
        op.execute("DROP FUNCTION IF EXISTS archipel_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS operations_sealed_no_update")
        op.execute("DROP TRIGGER IF EXISTS operations_sealed_no_delete")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_table('logbook_securings')
    with op.batch_alter_table('lifecycle_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_lifecycle_entries_subject')

    op.drop_table('lifecycle_entries')
    op.drop_table('chain_heads')
    op.drop_table('chain_entries')
