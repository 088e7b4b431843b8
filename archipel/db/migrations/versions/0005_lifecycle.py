"""lifecycle: elimination analyses and requests (holds need no table: they are effective rules)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 11:05:05
"""

from alembic import op
import sqlalchemy as sa
import archipel.db.base
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('elimination_analyses',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.String(length=36), nullable=False),
    sa.Column('reference_date', sa.Date(), nullable=False),
    sa.Column('query', JSON, nullable=False),
    sa.Column('destroyable', JSON, nullable=False),
    sa.Column('kept', JSON, nullable=False),
    sa.Column('created', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'operation_id', name=op.f('pk_elimination_analyses'))
    )
    op.create_table('elimination_requests',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('analysis_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reference_date', sa.Date(), nullable=False),
    sa.Column('units', JSON, nullable=False),
    sa.Column('unit_count', sa.Integer(), nullable=False),
    sa.Column('total_bytes', sa.BigInteger(), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('requested_agent', sa.String(length=200), nullable=True),
    sa.Column('requested_at', archipel.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_agent', sa.String(length=200), nullable=True),
    sa.Column('decided_at', archipel.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decision_operation_id', sa.String(length=36), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('units_operation_id', sa.String(length=36), nullable=True),
    sa.Column('action_operation_id', sa.String(length=36), nullable=True),
    sa.Column('trace', JSON, nullable=False),
    sa.Column('objects_pending', JSON, nullable=False),
    sa.Column('eliminated', sa.Integer(), nullable=False),
    sa.Column('objects_deleted', sa.Integer(), nullable=False),
    sa.Column('ended_at', archipel.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_elimination_requests'))
    )
    with op.batch_alter_table('elimination_requests', schema=None) as batch_op:
        batch_op.create_index('ix_elimination_requests_analysis', ['tenant_id', 'analysis_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('elimination_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_elimination_requests_analysis')

    op.drop_table('elimination_requests')
    op.drop_table('elimination_analyses')
