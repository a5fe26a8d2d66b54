"""Reminders: contact details, reminder days, and the outbox of messages (reminders)

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-04 18:40:00

Users get an optional e-mail address and mobile number (E.164) and may opt out of reminders;
units and assignments may set the days before a due date when reminders go out. `reminders`
holds every message written by `flask reminders send` (lms.remind), one per (user, assignment,
kind, day), with its delivery by e-mail and SMS.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("reminders_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("units") as batch_op:
        batch_op.add_column(sa.Column("reminder_days", sa.String(40), nullable=True))
    with op.batch_alter_table("assignments") as batch_op:
        batch_op.add_column(sa.Column("reminder_days", sa.String(40), nullable=True))
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("email_status", sa.String(10), nullable=False),
        sa.Column("sms_status", sa.String(10), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=True),
        sa.Column("lease", sa.String(36), nullable=True),
        sa.Column("leased_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sms_parts", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_reminders_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"], name="fk_reminders_assignment_id_assignments",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["module_id"], ["modules.id"], name="fk_reminders_module_id_modules",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.UniqueConstraint("user_id", "ref", "kind", "on_date", name="uq_reminders_user_id_ref_kind_on_date"),
    )
    op.create_index("ix_reminders_user_created", "reminders", ["user_id", "created_at"])
    op.create_index("ix_reminders_assignment_id", "reminders", ["assignment_id"])
    op.create_index("ix_reminders_next_try_at", "reminders", ["next_try_at"])


def downgrade():
    op.drop_table("reminders")
    with op.batch_alter_table("assignments") as batch_op:
        batch_op.drop_column("reminder_days")
    with op.batch_alter_table("units") as batch_op:
        batch_op.drop_column("reminder_days")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("reminders_opt_out")
        batch_op.drop_column("phone")
        batch_op.drop_column("email")
