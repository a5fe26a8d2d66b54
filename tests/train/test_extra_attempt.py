"""A trainer gives one more quiz attempt to an official who has used them all."""
import sqlalchemy as sa

from lms.auth.models import Role
from lms.extensions import db
from lms.learn.models import AttemptGrant, LearnerProgress
from tests.learn.helpers import answers, count_attempts, start_quiz, submit
from tests.train.test_assignments import audit_actions, rows, signed_in
from tests.train.test_progress import setup_oblasts


def fail_quiz(app, learner, times=2):
    for _ in range(times):
        aid = start_quiz(learner)
        submit(learner, aid, answers(app, aid, right=False))


def standing(app, user_id):
    with app.app_context():
        return db.session.scalar(sa.select(LearnerProgress.status).where(LearnerProgress.user_id == user_id))


def grant(browser, learner_id, module_id):
    return browser.post(f"/train/learners/{learner_id}/modules/{module_id}/extra-attempt",
                        from_page=f"/train/learners/{learner_id}")


def test_trainer_gives_one_more_attempt(app, browser, make, course):
    tree, ids = setup_oblasts(app, make, course)
    ann = signed_in(app, "ann")
    fail_quiz(app, ann)
    assert standing(app, ids["ann"]) == "failed"
    refused = ann.post("/learn/modules/sample-module/quiz", from_page="/learn/modules/sample-module")
    assert refused.status_code == 302 and count_attempts(app) == 2  # the limit holds
    assert "no quiz attempts left" in ann.get(refused.headers["Location"]).get_data(as_text=True)

    browser.login("trainer")
    record = browser.get(f"/train/learners/{ids['ann']}").get_data(as_text=True)
    assert "Allow one more attempt" in record
    response = grant(browser, ids["ann"], course)
    assert response.status_code == 303
    assert "may take the quiz once more" in browser.get(response.headers["Location"]).get_data(as_text=True)
    assert standing(app, ids["ann"]) == "in_progress"
    assert audit_actions(app)[-1] == "attempt.grant"
    page = ann.get("/learn/modules/sample-module").get_data(as_text=True)
    assert "1 attempt left" in page and "no quiz attempts left" not in page

    # a replayed grant gives nothing more: she is no longer out of attempts
    again = grant(browser, ids["ann"], course)
    assert again.status_code == 303 and len(rows(app, AttemptGrant)) == 1
    assert "still has quiz attempts left" in browser.get(again.headers["Location"]).get_data(as_text=True)

    fail_quiz(app, ann, times=1)  # the third attempt is the last
    assert count_attempts(app) == 3 and standing(app, ids["ann"]) == "failed"
    assert ann.post("/learn/modules/sample-module/quiz", from_page="/learn/modules/sample-module").status_code == 302
    assert count_attempts(app) == 3
    assert "1 extra attempt given" in browser.get(f"/train/learners/{ids['ann']}").get_data(as_text=True)


def test_no_grant_while_attempts_are_left(app, browser, make, course):
    tree, ids = setup_oblasts(app, make, course)
    fail_quiz(app, signed_in(app, "ann"), times=1)
    browser.login("trainer")
    assert "Allow one more attempt" not in browser.get(f"/train/learners/{ids['ann']}").get_data(as_text=True)
    assert grant(browser, ids["ann"], course).status_code == 303
    assert rows(app, AttemptGrant) == [] and "attempt.grant" not in audit_actions(app)


def test_grant_outside_scope_or_role_is_refused(app, browser, make, course):
    tree, ids = setup_oblasts(app, make, course)
    fail_quiz(app, signed_in(app, "ann"))
    make.user("mona", Role.MONITOR)
    browser.login("other")  # trainer of another oblast
    assert grant(browser, ids["ann"], course).status_code == 404
    monitor = signed_in(app, "mona")
    assert grant(monitor, ids["ann"], course).status_code == 403
    learner = signed_in(app, "bob")
    assert grant(learner, ids["ann"], course).status_code == 403
    trainer = signed_in(app, "trainer")  # the right trainer, but a forged form without the CSRF token
    assert trainer.client.post(f"/train/learners/{ids['ann']}/modules/{course}/extra-attempt").status_code == 400
    assert rows(app, AttemptGrant) == [] and standing(app, ids["ann"]) == "failed"
