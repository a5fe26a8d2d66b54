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


def test_completions_before_0008_get_their_certificates_and_keep_their_old_codes(app, database, browser, make,
                                                                                 course):
    """0008 issues a certificate for every completion already there, and stores the old signed code."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from lms.learn import certificate_records
    from lms.learn.models import Certificate, ModuleCompletion
    from tests.learn.test_certificates import complete

    learner = make.user("ann", full_name="Анна Петрова", locale="ru")
    make.assign(course, user=learner)
    browser.login("ann")
    complete(app, browser)
    with app.app_context():
        old = certificate_records.legacy_code(db.session.scalar(sa.select(ModuleCompletion)))
        downgrade(revision="0007")
        upgrade()
        [cert] = db.session.scalars(sa.select(Certificate)).all()
        completion = db.session.scalar(sa.select(ModuleCompletion))
        assert (cert.user_id, cert.module_id, cert.completed_at, cert.score) == (
            learner, course, completion.completed_at, completion.best_score)
        assert cert.full_name == "Анна Петрова" and cert.module_title == "Пробный модуль" and cert.language == "ru"
        assert cert.legacy_code == old and certificate_records.normalise(cert.code) == cert.code
        code = certificate_records.grouped(cert.code)
    page = browser.get("/learn/modules/sample-module/certificate").get_data(as_text=True)
    assert code in page  # the same certificate, not a second one
    public = app.test_client()
    assert public.get(f"/verify/{code}").status_code == 200
    assert public.get(f"/learn/certificates/{old}").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1


def test_migrations_that_rebuild_a_table_keep_every_row_that_refers_to_it(app, database, browser, make, course):
    """On SQLite, 0009 and 0012 rebuild quiz_attempts and users (copy, drop, rename). Answers, lesson
    reads and progress rows refer to them with ON DELETE CASCADE: they must all still be there."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from lms.learn.models import AttemptItem, LearnerProgress, LessonCompletion
    from tests.learn.helpers import answers, start_quiz, submit

    learner = make.user("ann")
    make.assign(course, user=learner)
    browser.login("ann")
    browser.get("/learn/modules/sample-module/lessons/first")
    attempt = start_quiz(browser)
    submit(browser, attempt, answers(app, attempt))

    def counts():
        return [db.session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (AttemptItem, LessonCompletion, LearnerProgress)]

    with app.app_context():
        before = counts()
        assert all(before)
        downgrade(revision="0008")
        upgrade()
        assert counts() == before


def test_lesson_texts_move_to_a_row_per_language_and_back(app, database, browser, make, course):
    """0018 moves each lesson's HTML out of lessons.body_html (every language in one JSON document)
    into a lesson_bodies row per language, and a downgrade puts it back: no text is lost either way."""
    import json

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from lms.content.models import Lesson

    make.assign(course, user=make.user("ann"))
    with app.app_context():
        before = {lesson.slug: dict(lesson.body_html) for lesson in db.session.scalars(sa.select(Lesson))}
        assert before and all(len(bodies) >= 2 for bodies in before.values())
        db.session.rollback()  # the migration's ALTER TABLE waits for no open transaction on PostgreSQL
        downgrade(revision="0017")
        old = {slug: body if isinstance(body, dict) else json.loads(body)
               for slug, body in db.session.execute(sa.text("SELECT slug, body_html FROM lessons"))}
        assert old == before
        db.session.rollback()
        upgrade()
    with app.app_context():
        assert {lesson.slug: dict(lesson.body_html) for lesson in db.session.scalars(sa.select(Lesson))} == before
    browser.login("ann")
    page = browser.get("/learn/modules/sample-module/lessons/first").get_data(as_text=True)
    assert before["first"]["en"] in page
