"""Closed organisation units (units.closed_at)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00

A unit closed when commissions are merged or re-cut keeps its history and its officials'
records; `closed_at` is when it was closed (empty: open). A closed unit takes no new officials,
assignments or sub-units.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("units") as batch:
        batch.drop_column("closed_at")
