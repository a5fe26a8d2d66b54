"""learner_progress.next_lesson_id: where the dashboard's "Continue" leads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('learner_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_lesson_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_learner_progress_next_lesson_id_lessons'), 'lessons',
                                    ['next_lesson_id'], ['id'], ondelete='SET NULL')
    # Fill the rows that exist: the first active lesson, by position, not read since the row's `since` day.
    op.execute("""
        UPDATE learner_progress SET next_lesson_id = (
            SELECT l.id FROM lessons l
            WHERE l.module_id = learner_progress.module_id AND l.active
              AND NOT EXISTS (
                SELECT 1 FROM lesson_completions c
                WHERE c.lesson_id = l.id AND c.user_id = learner_progress.user_id
                  AND (learner_progress.since IS NULL OR c.completed_at >= learner_progress.since))
            ORDER BY l.position, l.id LIMIT 1)
    """)


def downgrade():
    with op.batch_alter_table('learner_progress', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_learner_progress_next_lesson_id_lessons'), type_='foreignkey')
        batch_op.drop_column('next_lesson_id')
