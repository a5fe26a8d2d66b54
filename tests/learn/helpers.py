"""Answering the fixture quiz through the app, as a learner would."""
import re

import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import QuizAttempt


def start_quiz(browser, slug="sample-module"):
    response = browser.post(f"/learn/modules/{slug}/quiz", from_page=f"/learn/modules/{slug}")
    assert response.status_code == 303, response.status_code
    return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))


def attempt_items(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        return [(i.position, i.version.kind, i.version.data, i.layout) for i in attempt.items]


def answers(app, attempt_id, right=True, partial_multiple=False):
    """Form data answering every item right (or wrong)."""
    form = {}
    for pos, kind, data, _layout in attempt_items(app, attempt_id):
        key = f"q{pos}"
        if kind == "single":
            good = [
                o["id"] for o in data["options"] if o.get("correct") == right or (not right and not o.get("correct"))
            ]
            form[key] = good[0]
        elif kind == "multiple":
            good = [o["id"] for o in data["options"] if o.get("correct")]
            bad = [o["id"] for o in data["options"] if not o.get("correct")]
            form[key] = good[:1] if partial_multiple else (good if right else bad)
        elif kind == "order":
            steps = [s["id"] for s in data["steps"]]
            if not right:
                steps = steps[::-1]
            for n, sid in enumerate(steps, start=1):
                form[f"{key}-{sid}"] = str(n)
        else:
            for f in data["fields"]:
                form[f"{key}-{f['id']}"] = str(f["answer"] if right else f["answer"] + 1)
    return form


def submit(browser, attempt_id, form):
    saved = browser.post(f"/learn/attempts/{attempt_id}/answers", form, from_page=f"/learn/attempts/{attempt_id}")
    assert saved.status_code == 303
    return browser.post(f"/learn/attempts/{attempt_id}/submit", from_page=f"/learn/attempts/{attempt_id}/review")


def attempt(app, attempt_id):
    with app.app_context():
        a = db.session.get(QuizAttempt, attempt_id)
        return {"score": a.score, "passed": a.passed, "submitted": a.submitted_at is not None}


def count_attempts(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt))
