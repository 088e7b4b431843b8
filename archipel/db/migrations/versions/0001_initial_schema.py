"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 05:18:20.611683
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import archipel.db.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "object_groups",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("manifest_id", sa.String(length=200), nullable=True),
        sa.Column("created", archipel.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_object_groups")),
    )
    with op.batch_alter_table("object_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_object_groups_operation_id"), ["operation_id"], unique=False)

    op.create_table(
        "operations",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("started", archipel.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended", archipel.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("agent", sa.String(length=200), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("source_name", sa.Text(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("reply", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_operations")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created", archipel.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "pending_writes",
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("operation_id", "key", name=op.f("pk_pending_writes")),
    )
    op.create_table(
        "archive_units",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("manifest_id", sa.String(length=200), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=True),
        sa.Column("originating_agency", sa.String(length=200), nullable=True),
        sa.Column("object_group_id", sa.String(length=36), nullable=True),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "management",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created", archipel.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "object_group_id"],
            ["object_groups.tenant_id", "object_groups.id"],
            name=op.f("fk_archive_units_tenant_id_object_group_id_object_groups"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_archive_units")),
    )
    with op.batch_alter_table("archive_units", schema=None) as batch_op:
        batch_op.create_index("ix_archive_units_operation", ["tenant_id", "operation_id"], unique=False)

    op.create_table(
        "data_objects",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("object_group_id", sa.String(length=36), nullable=False),
        sa.Column("manifest_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("usage", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha512", sa.String(length=128), nullable=True),
        sa.Column("declared_digest_algorithm", sa.String(length=20), nullable=True),
        sa.Column("declared_digest", sa.String(length=128), nullable=True),
        sa.Column("puid", sa.String(length=40), nullable=True),
        sa.Column("format_name", sa.Text(), nullable=True),
        sa.Column("mime", sa.String(length=200), nullable=True),
        sa.Column("physical_id", sa.Text(), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created", archipel.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "object_group_id"],
            ["object_groups.tenant_id", "object_groups.id"],
            name=op.f("fk_data_objects_tenant_id_object_group_id_object_groups"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_data_objects")),
    )
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.create_index("ix_data_objects_group", ["tenant_id", "object_group_id"], unique=False)

    op.create_table(
        "logbook_events",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("step", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created", archipel.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "operation_id"],
            ["operations.tenant_id", "operations.id"],
            name=op.f("fk_logbook_events_tenant_id_operation_id_operations"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "operation_id", "seq", name=op.f("pk_logbook_events")),
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created", archipel.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_tenants_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("name", name=op.f("uq_tenants_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created", archipel.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_api_keys_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "unit_parents",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["archive_units.tenant_id", "archive_units.id"],
            name=op.f("fk_unit_parents_tenant_id_parent_id_archive_units"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_id"],
            ["archive_units.tenant_id", "archive_units.id"],
            name=op.f("fk_unit_parents_tenant_id_unit_id_archive_units"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "unit_id", "parent_id", name=op.f("pk_unit_parents")),
    )
    with op.batch_alter_table("unit_parents", schema=None) as batch_op:
        batch_op.create_index("ix_unit_parents_parent", ["tenant_id", "parent_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("unit_parents", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_parents_parent")

    op.drop_table("unit_parents")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_tenant_id"))

    op.drop_table("api_keys")
    op.drop_table("tenants")
    op.drop_table("logbook_events")
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_data_objects_group")

    op.drop_table("data_objects")
    with op.batch_alter_table("archive_units", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_units_operation")

    op.drop_table("archive_units")
    op.drop_table("pending_writes")
    op.drop_table("organisations")
    op.drop_table("operations")
    with op.batch_alter_table("object_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_object_groups_operation_id"))

    op.drop_table("object_groups")
