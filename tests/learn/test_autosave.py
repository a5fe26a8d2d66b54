"""Quiz answers are saved as the learner goes: the script posts each change with X-Autosave."""
import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import AttemptItem
from tests.conftest import csrf_from
from tests.learn.helpers import answers, attempt_items, start_quiz

AUTOSAVE = {"X-Autosave": "1"}


def _stored(app, attempt_id):
    with app.app_context():
        return {i.position: i.answer for i in db.session.scalars(
            sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))}


def test_an_autosave_stores_the_answers_and_answers_json(app, browser, make, course):
    make.assign(course, user=make.user("ann"))
    browser.login("ann")
    attempt_id = start_quiz(browser)
    page = browser.get(f"/learn/attempts/{attempt_id}").get_data(as_text=True)
    assert "data-autosave" in page and 'id="autosave-status"' in page
    form = answers(app, attempt_id)
    pos = next(p for p, kind, _data, _layout in attempt_items(app, attempt_id) if kind in ("single", "multiple"))
    first = {"csrf_token": csrf_from(page), f"q{pos}": form[f"q{pos}"]}
    response = browser.client.post(f"/learn/attempts/{attempt_id}/answers", data=first, headers=AUTOSAVE)
    assert response.status_code == 200 and response.get_json() == {"saved": True}
    stored = _stored(app, attempt_id)
    assert stored[pos] is not None and all(v is None for k, v in stored.items() if k != pos)
    # the reloaded quiz shows the saved answer chosen
    chosen = form[f"q{pos}"][0] if isinstance(form[f"q{pos}"], list) else form[f"q{pos}"]
    assert f'value="{chosen}" checked' in browser.get(f"/learn/attempts/{attempt_id}").get_data(as_text=True)


def test_an_autosave_without_a_token_or_for_another_learner_is_refused(app, browser, make, course):
    make.assign(course, user=make.user("ann"))
    make.assign(course, user=make.user("bob"))
    browser.login("ann")
    attempt_id = start_quiz(browser)
    no_token = browser.client.post(f"/learn/attempts/{attempt_id}/answers", data={"q1": "a"}, headers=AUTOSAVE)
    assert no_token.status_code == 400
    from tests.conftest import Browser
    bob = Browser(app.test_client())
    bob.login("bob")
    token = csrf_from(bob.get("/learn/").get_data(as_text=True))
    foreign = bob.client.post(f"/learn/attempts/{attempt_id}/answers", data={"csrf_token": token, "q1": "a"},
                              headers=AUTOSAVE)
    assert foreign.status_code == 404
    assert all(v is None for v in _stored(app, attempt_id).values())


def test_an_autosave_after_the_submit_changes_nothing(app, browser, make, course):
    make.assign(course, user=make.user("ann"))
    browser.login("ann")
    attempt_id = start_quiz(browser)
    right = answers(app, attempt_id)
    quiz = f"/learn/attempts/{attempt_id}"
    browser.post(f"{quiz}/answers", right, from_page=quiz)
    browser.post(f"{quiz}/submit", from_page=f"{quiz}/review")
    graded = _stored(app, attempt_id)
    wrong = answers(app, attempt_id, right=False)
    late = browser.client.post(f"{quiz}/answers", data={"csrf_token": csrf_from(browser.get("/learn/").get_data(
        as_text=True)), **wrong}, headers=AUTOSAVE)
    assert late.status_code == 409 and late.get_json()["saved"] is False
    assert _stored(app, attempt_id) == graded
