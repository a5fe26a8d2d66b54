"""Quiz: drawing, secrecy of answers, grading through the app, limits and idempotency."""
import re

import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import AttemptItem, QuizAttempt
from tests.learn.helpers import answers, attempt, attempt_items, count_attempts, start_quiz, submit


def _learner_with_module(make, course, name="ann"):
    learner = make.user(name)
    make.assign(course, user=learner)
    return learner


def test_all_right_scores_100(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=True))
    assert attempt(app, aid) == {"score": 100.0, "passed": True, "submitted": True}


def test_all_wrong_scores_0(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=False))
    result = attempt(app, aid)
    assert result["passed"] is False and result["score"] == 0.0


def test_partially_right_multiple_answer_gets_partial_credit(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=True, partial_multiple=True))
    with app.app_context():
        item = db.session.scalar(sa.select(AttemptItem).join(AttemptItem.version).where(
            AttemptItem.attempt_id == aid).where(sa.text("question_versions.kind = 'multiple'")))
        assert item.credit == 0.5  # one of two right options ticked, no wrong one
    assert attempt(app, aid)["score"] == 87.5  # 3.5 of 4 points


def test_quiz_page_never_contains_the_answers(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    html = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    assert "How many members escort the box?" in html
    for secret in ("correct", "explanation", "Two members, ideally", "100 = 70 + 5 + 25", 'value="25"'):
        assert secret not in html
    # the order question is never served already in order
    for _pos, kind, data, layout in attempt_items(app, aid):
        if kind == "order":
            assert layout != [s["id"] for s in data["steps"]]


def test_check_your_answers_page_flags_missing_answers(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    form = answers(app, aid)
    first_single = next(k for k in form if re.fullmatch(r"q\d+", k) and isinstance(form[k], str))
    del form[first_single]
    browser.post(f"/learn/attempts/{aid}/answers", form, from_page=f"/learn/attempts/{aid}")
    review = browser.get(f"/learn/attempts/{aid}/review").get_data(as_text=True)
    assert "1 question is not fully answered" in review
    # answers are kept: the quiz page shows them again
    quiz = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    assert "checked" in quiz


def test_attempt_limit(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    for _ in range(2):
        aid = start_quiz(browser)
        submit(browser, aid, answers(app, aid, right=False))
    response = browser.post("/learn/modules/sample-module/quiz", from_page="/learn/modules/sample-module")
    assert response.status_code == 302
    assert count_attempts(app) == 2
    page = browser.get("/learn/modules/sample-module").get_data(as_text=True)
    assert "no quiz attempts left" in page
    dash = browser.get("/learn/").get_data(as_text=True)  # the dashboard says so too, and offers no quiz
    assert "Not passed" in dash and "no quiz attempts left" in dash and "Go to the quiz" not in dash


def test_double_start_and_replayed_submit_create_nothing(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    first = start_quiz(browser)
    assert start_quiz(browser) == first  # a double click resumes the open attempt
    submit(browser, first, answers(app, first, right=True))
    score = attempt(app, first)
    # replay the submit and the answers after the fact: no error, no change, no new attempt
    replay = browser.post(f"/learn/attempts/{first}/submit", from_page=f"/learn/attempts/{first}")
    assert replay.status_code == 303
    again = browser.post(f"/learn/attempts/{first}/answers", answers(app, first, right=False),
                         from_page=f"/learn/attempts/{first}")
    assert again.status_code == 303
    assert attempt(app, first) == score
    assert count_attempts(app) == 1


def test_result_shows_right_answer_and_explanation(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=False))
    html = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    assert "Two members, ideally from different parties." in html
    assert "right answer" in html and "your answer" in html
    assert "The right order" in html
    assert "Received = issued + spoiled + unused" in html  # the broken control equation is named


def test_another_learners_attempt_is_not_found(app, browser, make, course):
    _learner_with_module(make, course, "ann")
    _learner_with_module(make, course, "bob")
    browser.login("ann")
    aid = start_quiz(browser)
    browser.post("/logout", from_page="/learn/")
    browser.login("bob")
    assert browser.get(f"/learn/attempts/{aid}").status_code == 404
    assert browser.get(f"/learn/attempts/{aid}/review").status_code == 404
    assert browser.post(f"/learn/attempts/{aid}/answers", {}, from_page="/learn/").status_code == 404
    assert browser.post(f"/learn/attempts/{aid}/submit", {}, from_page="/learn/").status_code == 404
    assert attempt(app, aid)["submitted"] is False


def test_tampered_answers_are_ignored(app, browser, make, course):
    _learner_with_module(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    form = {f"q{pos}": "zzz" for pos, *_ in attempt_items(app, aid)}
    form.update({"q0-received": "-5", "q1-s1": "99"})
    assert browser.post(f"/learn/attempts/{aid}/answers", form, from_page=f"/learn/attempts/{aid}").status_code == 303
    with app.app_context():
        assert all(i.answer is None for i in db.session.get(QuizAttempt, aid).items)


def test_editing_a_question_keeps_old_attempts(app, browser, make, course, tmp_path):
    import shutil

    from lms.content.format import load_tree
    from lms.content.importer import import_modules
    from tests.conftest import FIXTURES
    _learner_with_module(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=True))
    copy = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", copy)
    qfile = copy / "sample-module" / "questions.yaml"
    qfile.write_text(qfile.read_text().replace("How many members escort the box?", "How many escort it?"))
    with app.app_context():
        modules, problems = load_tree(copy)
        assert not problems
        report = import_modules(modules)
        db.session.commit()
        assert report.updated == ["sample-module"] and report.new_question_versions == 1
    html = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    assert "How many members escort the box?" in html and "How many escort it?" not in html
    assert attempt(app, aid)["score"] == 100.0
