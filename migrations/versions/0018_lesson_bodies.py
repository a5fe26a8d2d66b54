"""A lesson's HTML in one row per language (lesson_bodies), in place of lessons.body_html

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:30:00

lessons.body_html held the HTML of all seven languages as one JSON document (about 100 KB for a
lesson, Cyrillic escaped); a lesson page had the database parse all of it to take out one
language. Each language is a row of lesson_bodies now; the rows are copied over, and back on a
downgrade.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lesson_bodies",
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["lesson_id"], ["lessons.id"], name="fk_lesson_bodies_lesson_id_lessons",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lesson_id", "lang", name="pk_lesson_bodies"),
    )
    each = "jsonb_each_text" if op.get_bind().dialect.name == "postgresql" else "json_each"
    op.execute(f"INSERT INTO lesson_bodies (lesson_id, lang, html) "
               f"SELECT lessons.id, body.key, body.value FROM lessons, {each}(lessons.body_html) AS body")
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_column("body_html")


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_html", sa.JSON().with_variant(
            postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True))
    group = "jsonb_object_agg" if postgres else "json_group_object"
    empty = "'{}'::jsonb" if postgres else "'{}'"
    op.execute(f"UPDATE lessons SET body_html = COALESCE((SELECT {group}(lang, html) FROM lesson_bodies "
               f"WHERE lesson_bodies.lesson_id = lessons.id), {empty})")
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.alter_column("body_html", existing_type=sa.JSON().with_variant(
            postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False)
    op.drop_table("lesson_bodies")
