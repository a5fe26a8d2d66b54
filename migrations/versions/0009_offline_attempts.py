"""Quiz attempts taken offline and sent later (quiz_attempts.offline_id, synced_at)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:30:00

An attempt taken on a device without a connection is stored when the device sends it: its start
and finish times are the device's (`started_at`, `submitted_at`), `synced_at` is when it arrived,
and `offline_id` is the id of the quiz the device was given, unique, so that a second sending of
the same attempt creates nothing.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quiz_attempts") as batch:
        batch.add_column(sa.Column("offline_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("synced_at", sa.DateTime(), nullable=True))
        batch.create_unique_constraint("uq_quiz_attempts_offline_id", ["offline_id"])


def downgrade():
    with op.batch_alter_table("quiz_attempts") as batch:
        batch.drop_constraint("uq_quiz_attempts_offline_id", type_="unique")
        batch.drop_column("synced_at")
        batch.drop_column("offline_id")
