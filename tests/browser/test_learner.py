"""A precinct official on a small phone, with and without JavaScript, takes a module end to end."""
import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import QuizAttempt
from tests.conftest import PASSWORD


def _right_answers(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        return [(i.position, i.version.kind, i.version.data) for i in attempt.items]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_learner_completes_a_module_on_a_phone(app, make, course, live_server, chromium, javascript):
    learner = make.user("ann")
    make.assign(course, user=learner)
    context = chromium.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=javascript)
    page = context.new_page()
    outside = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith(live_server) and not r.url.startswith("data:") else None
        ),
    )

    page.goto(live_server + "/login")
    page.fill("#username", "ann")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/learn/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling

    page.click("a.button:has-text('Start')")
    assert "First lesson" in page.inner_text("h1")
    page.click("a[rel=next]")
    assert "Second lesson" in page.inner_text("h1")
    page.click("a.button:has-text('Go to the quiz')")
    page.click("button:has-text('Start the quiz')")
    page.wait_for_url("**/attempts/*")
    attempt_id = int(page.url.rstrip("/").split("/")[-1])

    for pos, kind, data in _right_answers(app, attempt_id):
        key = f"q{pos}"
        if kind == "single":
            right = next(o["id"] for o in data["options"] if o.get("correct"))
            page.check(f"input[name={key}][value={right}]")
        elif kind == "multiple":
            for o in data["options"]:
                if o.get("correct"):
                    page.check(f"input[name={key}][value={o['id']}]")
        elif kind == "order":
            for n, step in enumerate(data["steps"], start=1):
                page.select_option(f"select[name={key}-{step['id']}]", str(n))
        else:
            for field in data["fields"]:
                page.fill(f"input[name={key}-{field['id']}]", str(field["answer"]))
    page.click("button:has-text('Continue to check your answers')")
    assert "Check your answers" in page.inner_text("h1")
    page.click("button:has-text('Submit the quiz')")
    page.wait_for_selector(".score")
    assert page.inner_text(".score").strip() == "100%"

    page.goto(live_server + "/learn/")
    assert "Completed" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert outside == []
    with app.app_context():
        assert db.session.scalar(sa.select(QuizAttempt.passed).where(QuizAttempt.id == attempt_id)) is True
    context.close()
