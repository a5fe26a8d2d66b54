"""A person's data erased (users.erased_at, certificates.holder_erased_at)

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 17:00:00

Erasing a person (`flask people erase`, or an admin's button) replaces their name and username
with an anonymous label and keeps their attempts as anonymous figures; `users.erased_at` says
when. Their certificates keep their code and figures without the name: `holder_erased_at`
makes the check page answer "issued, holder erased".
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("holder_erased_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("holder_erased_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("erased_at")
