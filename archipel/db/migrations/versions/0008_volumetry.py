"""volumetry: one row per change of a tenant's holdings, by month (archipel.admin.volumetry_model)

Written by hand for this table only. An instance upgraded here holds archives the rows do
not count yet: `archipel volumetry recount --tenant N` back-fills them (docs/billing.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 03:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('volumetry_changes',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('object_groups', sa.Integer(), nullable=False),
    sa.Column('objects', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('offer', sa.String(length=63), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('operation_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_volumetry_changes'))
    )
    with op.batch_alter_table('volumetry_changes', schema=None) as batch_op:
        batch_op.create_index('ix_volumetry_changes_tenant_id_month', ['tenant_id', 'month'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('volumetry_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_volumetry_changes_tenant_id_month')

    op.drop_table('volumetry_changes')
