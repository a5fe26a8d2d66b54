"""The learner's path from sign-in to a completed module."""
import re

import sqlalchemy as sa

from lms.auth.models import Role
from lms.extensions import db
from lms.learn.models import ModuleCompletion
from tests.learn.helpers import answers, start_quiz, submit


def test_whole_learner_path(app, browser, make, course):
    tree = make.tree()
    trainer = make.user("trainer", Role.TRAINER, tree["KZ-A"])
    learner = make.user("ann", unit=tree["KZ-A-1-1"])
    make.assign(course, user=learner, assigned_by_id=trainer)
    browser.login("ann")

    dash = browser.get("/learn/").get_data(as_text=True)
    assert "Sample module" in dash and "Not started" in dash and "0% done" in dash

    module = browser.get("/learn/modules/sample-module").get_data(as_text=True)
    assert "First lesson" in module and "Second lesson" in module and "Pass mark: 75%" in module
    assert "2 attempts left" in module

    lesson = browser.get("/learn/modules/sample-module/lessons/first")
    html = lesson.get_data(as_text=True)
    assert lesson.status_code == 200 and "<strong>two members</strong>" in html
    assert "<script>alert" not in html  # raw HTML in Markdown is not rendered
    assert 'rel="next"' in html
    dash = browser.get("/learn/").get_data(as_text=True)
    assert "In progress" in dash and "33% done" in dash and "Continue" in dash

    attempt_id = start_quiz(browser)
    result = submit(browser, attempt_id, answers(app, attempt_id))
    assert result.status_code == 303
    page = browser.get(result.headers["Location"]).get_data(as_text=True)
    assert "100%" in page and "Passed" in page
    with app.app_context():  # quiz passed but a lesson is unread: not complete yet
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ModuleCompletion)) == 0

    browser.get("/learn/modules/sample-module/lessons/second")
    dash = browser.get("/learn/").get_data(as_text=True)
    assert "Completed" in dash and "100% done" in dash
    with app.app_context():
        completion = db.session.scalar(sa.select(ModuleCompletion))
        assert completion.user_id == learner and completion.best_score == 100


def test_unit_assignment_reaches_learners_below(browser, make, course):
    tree = make.tree()
    make.user("ann", unit=tree["KZ-A-1-2"])
    make.user("bob", unit=tree["KG-A-1-1"])
    make.assign(course, unit=tree["KZ-A-1"])
    browser.login("ann")
    assert "Sample module" in browser.get("/learn/").get_data(as_text=True)
    browser.post("/logout", from_page="/learn/")
    browser.login("bob")
    assert "Sample module" not in browser.get("/learn/").get_data(as_text=True)
    assert browser.get("/learn/modules/sample-module").status_code == 404


def test_unassigned_module_is_not_found(browser, make, course):
    make.user("ann")
    browser.login("ann")
    assert browser.get("/learn/modules/sample-module").status_code == 404
    assert browser.get("/learn/modules/sample-module/lessons/first").status_code == 404
    assert browser.post("/learn/modules/sample-module/quiz", from_page="/learn/").status_code == 404


def test_withdrawn_assignment_hides_the_module(browser, make, course):
    from lms.timeutil import utcnow
    make.user("ann")
    with browser.client.application.app_context():
        pass
    learner_id = make.user("bob")
    make.assign(course, user=learner_id, withdrawn_at=utcnow())
    browser.login("bob")
    assert browser.get("/learn/modules/sample-module").status_code == 404


def test_overdue_status(browser, make, course):
    from datetime import date
    learner = make.user("ann")
    make.assign(course, user=learner, due_date=date(2020, 1, 1))
    browser.login("ann")
    assert "Overdue" in browser.get("/learn/").get_data(as_text=True)


def test_lesson_falls_back_and_says_so(browser, make, course):
    learner = make.user("ann", locale="kk")
    make.assign(course, user=learner)
    browser.login("ann")
    kk = browser.get("/learn/modules/sample-module/lessons/first").get_data(as_text=True)
    assert "Бірінші сабақ" in kk  # written in Kazakh: no fallback note
    second = browser.get("/learn/modules/sample-module/lessons/second").get_data(as_text=True)
    assert "Второй урок" in second and 'lang="ru"' in second  # Kazakh missing: Russian, with a note


def _button(dash: str) -> str:
    return re.search(r'<a class="button primary" href="([^"]+)"', dash).group(1)


def test_continue_leads_to_the_first_unread_lesson(browser, make, course):
    learner = make.user("ann")
    make.assign(course, user=learner)
    browser.login("ann")
    assert _button(browser.get("/learn/").get_data(as_text=True)) == "/learn/modules/sample-module/lessons/first"
    browser.get("/learn/modules/sample-module/lessons/second")  # read out of order
    dash = browser.get("/learn/").get_data(as_text=True)
    assert "Continue" in dash and _button(dash) == "/learn/modules/sample-module/lessons/first"
    browser.get("/learn/modules/sample-module/lessons/first")
    dash = browser.get("/learn/").get_data(as_text=True)
    assert "Go to the quiz" in dash and _button(dash) == "/learn/modules/sample-module#quiz"
    assert "67% done" in dash  # two lessons of two, quiz not passed: 2 of 3 steps


def test_hot_pages_run_two_statements(app, browser, make, course):
    """The dashboard and a lesson already read: the signed-in user (with their unit's place in the
    tree), then one query for the page, which also finds the module assigned to the learner's district."""
    from tests.conftest import count_queries
    tree = make.tree()
    make.user("ann", unit=tree["KZ-A-1-1"])
    make.assign(course, unit=tree["KZ-A-1"])
    browser.login("ann")
    browser.get("/learn/modules/sample-module/lessons/first")  # the first visit marks it read (a write)
    for path in ("/learn/", "/learn/modules/sample-module/lessons/first"):
        with count_queries(app) as statements:
            assert browser.get(path).status_code == 200
        assert len(statements) == 2, statements
