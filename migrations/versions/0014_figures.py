"""Figures: the SVG drawings of a module (figures)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 10:00:00

`courses import` stores each file of `courses/<module>/figures/` (a sample form drawn as SVG) with
its SHA-256, so that the lesson pages and the briefing book show it without reading course files.
Written on the `svg` branch after 0012; it is re-chained to the head of main when merged.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("svg", sa.LargeBinary(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["module_id"], ["modules.id"], name="fk_figures_module_id_modules",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_figures"),
        sa.UniqueConstraint("module_id", "name", name="uq_figures_module_id_name"),
    )


def downgrade():
    op.drop_table("figures")
