"""modules.published: an administrator offers a module for new assignments, or stops offering it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:00:00

Every module imported so far stays published, as it was assignable before. An unpublished module
is left out of the trainers' assignment form; learners who already have it keep it.

Plain ADD/DROP COLUMN, not a batch: SQLite (3.35 and later) drops a column in place, whereas a
batch would copy and drop the modules table, and the drop would cascade to lessons and attempts.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("modules", sa.Column("published", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    op.drop_column("modules", "published")
