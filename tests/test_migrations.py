"""The migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.extensions import db


def test_models_and_migrations_agree(app, database):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_next_lesson_is_filled_for_existing_progress_rows(app, database, browser, make, course):
    """0004 adds learner_progress.next_lesson_id and fills it for the rows already there."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from lms.content.models import Lesson
    from lms.learn.models import LearnerProgress

    learner = make.user("ann")
    make.assign(course, user=learner)
    browser.login("ann")
    browser.get("/learn/modules/sample-module/lessons/first")
    with app.app_context():
        downgrade(revision="0003")
        upgrade()
        first, second = db.session.scalars(sa.select(Lesson.id).order_by(Lesson.position)).all()
        assert db.session.scalar(sa.select(LearnerProgress.next_lesson_id)) == second
