"""Quizzes taken without a connection and sent later, through the app on a real database
(the browser journey, with the network switched off, is tests/browser/test_offline.py)."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from lms.content.models import QuestionVersion
from lms.extensions import db
from lms.learn.models import ModuleCompletion, QuizAttempt
from tests.conftest import Browser, csrf_from
from tests.learn.helpers import count_attempts

QUIZ = "/learn/modules/sample-module/quiz/offline"
SYNC = "/learn/offline-attempts"
JSON = {"Accept": "application/json"}


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _contents(app, token: str) -> dict:
    return URLSafeTimedSerializer(app.secret_key, salt="lms.offline-quiz").loads(token)


def _answers(app, token: str, right: bool = True) -> dict:
    """Form fields answering the offline quiz in `token` all right (or all wrong), as the page would post."""
    form: dict = {}
    with app.app_context():
        for pos, (version_id, _layout) in enumerate(_contents(app, token)["q"]):
            v = db.session.get(QuestionVersion, version_id)
            key, data = f"q{pos}", v.data
            if v.kind == "single":
                form[key] = next(o["id"] for o in data["options"] if bool(o.get("correct")) == right)
            elif v.kind == "multiple":
                form[key] = [o["id"] for o in data["options"] if bool(o.get("correct")) == right]
            elif v.kind == "order":
                steps = [s["id"] for s in data["steps"]]
                for n, sid in enumerate(steps if right else steps[::-1], start=1):
                    form[f"{key}-{sid}"] = str(n)
            else:
                for f in data["fields"]:
                    form[f"{key}-{f['id']}"] = str(f["answer"] if right else f["answer"] + 1)
    return form


def _millis(moment: datetime) -> str:
    return str(int((moment - datetime(1970, 1, 1)).total_seconds() * 1000))


def _send(browser: Browser, token: str, form: dict, started: str = "", finished: str = "", page: str = QUIZ):
    csrf = csrf_from(browser.get(page).get_data(as_text=True))
    return browser.client.post(SYNC, data={"csrf_token": csrf, "token": token, "started": started,
                                           "finished": finished, **form}, headers=JSON)


@pytest.fixture
def ann(app, make, course):
    make.assign(course, user=make.user("ann"))
    b = Browser(app.test_client())
    assert b.login("ann").status_code in (302, 303)
    return b


def test_giving_out_a_quiz_stores_nothing_and_shows_no_answer_key(app, ann):
    page = ann.get(QUIZ)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert count_attempts(app) == 0
    contents = _contents(app, _token(html))
    assert set(contents) == {"u", "m", "id", "v", "p", "q"}  # who, which quiz, the layouts: no key
    assert '"correct"' not in html and "correct" not in str(contents)
    assert page.headers["Cache-Control"] == "private, no-store"


def test_an_attempt_sent_later_is_graded_once_with_the_devices_times(app, ann):
    token = _token(ann.get(QUIZ).get_data(as_text=True))
    started = datetime.utcnow()  # opened on the device just after it was saved
    time.sleep(1.1)
    finished = datetime.utcnow() - timedelta(milliseconds=300)
    response = _send(ann, token, _answers(app, token), _millis(started), _millis(finished))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["stored"] and response.json["created"] and response.json["score"] == 100.0
    again = _send(ann, token, _answers(app, token, right=False), _millis(started), _millis(finished))
    assert again.status_code == 200 and again.json["created"] is False  # a replay changes nothing
    assert again.json["url"] == response.json["url"]
    with app.app_context():
        attempt = db.session.scalar(sa.select(QuizAttempt))
        assert count_attempts(app) == 1
        assert attempt.score == 100.0 and attempt.passed and attempt.offline_id
        assert abs((attempt.started_at - started).total_seconds()) < 0.01
        assert abs((attempt.submitted_at - finished).total_seconds()) < 0.01
        assert attempt.synced_at >= attempt.submitted_at
    assert ann.get(response.json["url"]).status_code == 200  # its result page


def test_a_completion_by_an_offline_attempt_is_dated_when_the_learner_finished(app, ann, course):
    for lesson in ("first", "second"):
        ann.get(f"/learn/modules/sample-module/lessons/{lesson}")
    token = _token(ann.get(QUIZ).get_data(as_text=True))
    time.sleep(1.1)  # the finish must be after the lessons were read, and before it is sent
    finished = datetime.utcnow() - timedelta(milliseconds=500)
    assert _send(ann, token, _answers(app, token), "", _millis(finished)).status_code == 201
    with app.app_context():
        completion = db.session.scalar(sa.select(ModuleCompletion))
        assert abs((completion.completed_at - finished).total_seconds()) < 0.01


def test_saving_a_lesson_for_offline_reading_does_not_mark_it_read(app, ann):
    ann.get("/learn/modules/sample-module/lessons/first", headers={"X-Offline-Save": "1"})
    with app.app_context():
        from lms.learn.models import LessonCompletion
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonCompletion)) == 0
    ann.get("/learn/modules/sample-module/lessons/first")  # read for real: marked
    with app.app_context():
        from lms.learn.models import LessonCompletion
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonCompletion)) == 1


def test_a_tampered_quiz_is_refused_and_stores_nothing(app, ann):
    token = _token(ann.get(QUIZ).get_data(as_text=True))
    data = _contents(app, token)
    forged = URLSafeTimedSerializer("not-the-key", salt="lms.offline-quiz").dumps(data)
    for bad in (forged, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"), "", "x.y.z"):
        response = _send(ann, bad, _answers(app, token))
        assert response.status_code == 400 and response.json["reason"] == "invalid", bad
    assert count_attempts(app) == 0


def test_another_persons_quiz_is_refused(app, ann, make, course):
    token = _token(ann.get(QUIZ).get_data(as_text=True))
    make.assign(course, user=make.user("bob"))
    bob = Browser(app.test_client())
    bob.login("bob")
    response = _send(bob, token, _answers(app, token))
    assert response.status_code == 403 and response.json["reason"] == "not_yours"
    assert count_attempts(app) == 0


def test_a_quiz_older_than_the_limit_is_refused(app, ann):
    token = _token(ann.get(QUIZ).get_data(as_text=True))
    app.config["LMS_OFFLINE_QUIZ_DAYS"] = 0
    try:
        time.sleep(1.1)  # itsdangerous counts whole seconds: older than 0 days
        response = _send(ann, token, _answers(app, token))
    finally:
        app.config["LMS_OFFLINE_QUIZ_DAYS"] = 14
    assert response.status_code == 410 and response.json["reason"] == "stale"
    assert count_attempts(app) == 0


def test_the_attempt_limit_applies_to_attempts_sent_later(app, ann):
    tokens = [_token(ann.get(QUIZ).get_data(as_text=True)) for _ in range(3)]  # the module allows 2
    codes = [_send(ann, t, _answers(app, t, right=False)).status_code for t in tokens]
    assert codes == [201, 201, 409]
    assert count_attempts(app) == 2
    page = ann.get(QUIZ).get_data(as_text=True)  # none left: no quiz is given out
    assert 'name="token"' not in page


def test_a_device_clock_far_off_is_kept_within_what_is_possible(app, ann):
    token = _token(ann.get(QUIZ).get_data(as_text=True))
    response = _send(ann, token, _answers(app, token), started="0", finished=_millis(datetime(2100, 1, 1)))
    assert response.status_code == 201
    with app.app_context():
        attempt = db.session.scalar(sa.select(QuizAttempt))
        assert attempt.submitted_at <= attempt.synced_at  # not in the future
        assert attempt.started_at <= attempt.submitted_at
        assert attempt.started_at >= attempt.synced_at - timedelta(minutes=1)  # not before it was given out


def test_a_plain_form_post_without_script_shows_the_result(app, ann):
    page = ann.get(QUIZ).get_data(as_text=True)
    token = _token(page)
    response = ann.client.post(SYNC, data={"csrf_token": csrf_from(page), "token": token, **_answers(app, token)})
    assert response.status_code == 303 and "/learn/attempts/" in response.headers["Location"]
    assert count_attempts(app) == 1


def test_an_offline_attempt_without_the_csrf_token_is_refused(app, ann):
    token = _token(ann.get(QUIZ).get_data(as_text=True))
    response = ann.client.post(SYNC, data={"token": token, **_answers(app, token)}, headers=JSON)
    assert response.status_code == 400
    assert count_attempts(app) == 0


def test_the_service_worker_and_manifest_are_served(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert "javascript" in worker.headers["Content-Type"] and len(worker.data) < 10 * 1024
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["Content-Type"] == "application/manifest+json"
    assert manifest.json["start_url"] == "/learn/" and {i["sizes"] for i in manifest.json["icons"]} == {
        "192x192", "512x512"}
    for icon in manifest.json["icons"]:
        assert client.get(icon["src"]).status_code == 200
