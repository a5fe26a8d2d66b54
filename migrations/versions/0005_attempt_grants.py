"""attempt_grants: one more quiz attempt given by a trainer

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 22:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attempt_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_attempt_grants_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_attempt_grants_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attempt_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_grants'))
    )
    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_grants_user_module', ['user_id', 'module_id'], unique=False)
    with op.batch_alter_table('learner_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra_attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('learner_progress', schema=None) as batch_op:
        batch_op.drop_column('extra_attempts')
    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_grants_user_module')
    op.drop_table('attempt_grants')
