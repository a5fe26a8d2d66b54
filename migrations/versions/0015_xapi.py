"""xAPI statements and their outbox (xapi)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:30:00

Every statement is written with the record it describes (lms.xapi); `flask xapi backfill`
writes those of the records made before this version. The outbox holds the statements still to
be forwarded to a learning record store.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "xapi_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("verb", sa.String(100), nullable=False),
        sa.Column("activity", sa.String(300), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("stored", sa.DateTime(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_xapi_statements_user_id_users",
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_xapi_statements_unit_id_units",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_xapi_statements"),
        sa.UniqueConstraint("uuid", name="uq_xapi_statements_uuid"),
        sa.UniqueConstraint("key", name="uq_xapi_statements_key"),
    )
    op.create_index("ix_xapi_statements_user_id", "xapi_statements", ["user_id"])
    op.create_index("ix_xapi_statements_activity", "xapi_statements", ["activity"])
    op.create_index("ix_xapi_statements_stored", "xapi_statements", ["stored"])
    op.create_index("ix_xapi_statements_unit_stored", "xapi_statements", ["unit_id", "stored"])
    op.create_table(
        "xapi_outbox",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=False),
        sa.Column("lease", sa.String(36), nullable=True),
        sa.Column("leased_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(["statement_id"], ["xapi_statements.id"], name="fk_xapi_outbox_statement_id_xapi_statements",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("statement_id", name="pk_xapi_outbox"),
    )
    op.create_index("ix_xapi_outbox_next_try_at", "xapi_outbox", ["next_try_at"])


def downgrade():
    op.drop_table("xapi_outbox")
    op.drop_table("xapi_statements")
