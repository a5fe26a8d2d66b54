"""Idle and absolute session limits (sign_ins.last_seen_at) and the per-account lock-out (users.failed_logins, users.locked_until)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN in place: recreating `users` on SQLite would cascade-delete its rows' dependants
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
    with op.batch_alter_table('sign_ins', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('last_seen_at')
