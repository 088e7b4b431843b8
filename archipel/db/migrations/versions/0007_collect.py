"""collect: projects, transactions and their staged units

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 03:10:00
"""

from alembic import op
import sqlalchemy as sa
import archipel.db.base
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('collect_projects',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('settings', JSON, nullable=False),
    sa.Column('created', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_collect_projects'))
    )
    op.create_table('collect_transactions',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('operation_id', sa.String(length=36), nullable=True),
    sa.Column('sender', sa.String(length=200), nullable=True),
    sa.Column('created', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_collect_transactions'))
    )
    with op.batch_alter_table('collect_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_collect_transactions_project', ['tenant_id', 'project_id'], unique=False)

    op.create_table('collect_units',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('transaction_id', sa.String(length=36), nullable=False),
    sa.Column('parent', sa.String(length=36), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content', JSON, nullable=False),
    sa.Column('management', JSON, nullable=False),
    sa.Column('objects', JSON, nullable=False),
    sa.Column('created', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_collect_units'))
    )
    with op.batch_alter_table('collect_units', schema=None) as batch_op:
        batch_op.create_index('ix_collect_units_transaction', ['tenant_id', 'transaction_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('collect_units', schema=None) as batch_op:
        batch_op.drop_index('ix_collect_units_transaction')

    op.drop_table('collect_units')
    with op.batch_alter_table('collect_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_collect_transactions_project')

    op.drop_table('collect_transactions')
    op.drop_table('collect_projects')
