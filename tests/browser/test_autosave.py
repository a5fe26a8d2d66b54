"""In Chromium: quiz answers are saved as they are given, and a dropped connection loses none
of those given before it; the ones given while offline are saved when the connection is back."""
import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import AttemptItem, QuizAttempt
from tests.browser.journey import sign_in


def _choice_items(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        return [(i.position, i.version.data) for i in attempt.items if i.version.kind in ("single", "multiple")]


def _saved(app, attempt_id):
    with app.app_context():
        return {row.position: row.answer for row in db.session.execute(
            sa.select(AttemptItem.position, AttemptItem.answer).where(AttemptItem.attempt_id == attempt_id))}


def test_answers_are_saved_as_the_learner_goes_even_across_a_dropped_connection(app, make, course, live_server,
                                                                                  chromium):
    make.assign(course, user=make.user("ann"))
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    sign_in(page, live_server, "ann")
    page.goto(live_server + "/learn/modules/sample-module")
    page.click("button:has-text('Start the quiz')")
    page.wait_for_url("**/attempts/*")
    attempt_id = int(page.url.rstrip("/").split("/")[-1])
    (first, first_data), (second, second_data) = _choice_items(app, attempt_id)[:2]

    page.check(f"input[name=q{first}][value={first_data['options'][0]['id']}]")
    page.locator("#autosave-status", has_text="saved").wait_for()
    assert _saved(app, attempt_id)[first] is not None  # on the server before any button is pressed

    context.set_offline(True)
    page.check(f"input[name=q{second}][value={second_data['options'][0]['id']}]")
    page.locator("#autosave-status", has_text="Not saved").wait_for()
    assert _saved(app, attempt_id)[second] is None
    context.set_offline(False)
    page.locator("#autosave-status", has_text="are saved").wait_for()
    saved = _saved(app, attempt_id)
    assert saved[first] is not None and saved[second] is not None

    page.reload()  # what the server kept is what the page shows
    assert page.is_checked(f"input[name=q{first}][value={first_data['options'][0]['id']}]")
    assert page.is_checked(f"input[name=q{second}][value={second_data['options'][0]['id']}]")
    context.close()
