"""In Chromium: a learner saves a module, loses the connection, reads a saved lesson and takes the
quiz; when the connection is back the attempt is sent and graded once, and sending it again
changes nothing. The service worker costs a first visit nothing but its own script."""
from __future__ import annotations

import re

import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import LessonCompletion, QuizAttempt
from tests.browser.journey import sign_in
from tests.learn.test_offline import _answers

MODULE = "/learn/modules/sample-module"


def _answer(page, app, token):
    for name, value in _answers(app, token).items():
        if re.fullmatch(r"q\d+", name):
            for v in value if isinstance(value, list) else [value]:
                page.check(f"input[name={name}][value={v}]")
        elif page.locator(f"select[name={name}]").count():
            page.select_option(f"select[name={name}]", value)
        else:
            page.fill(f"input[name={name}]", value)


def _until(page, script: str) -> None:
    """Wait until the promise `script` resolves to true in the page (page.wait_for_function does not await)."""
    for _ in range(200):
        if page.evaluate(script):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never true: {script}")


def _reads(count: int) -> str:
    return f"caches.open('lms-reads').then(c => c.keys()).then(k => k.length === {count})"


def _attempts(app):
    with app.app_context():
        return db.session.scalars(sa.select(QuizAttempt)).all()


def _saved(chromium, live_server, username: str):
    """A phone-sized Russian browser where `username` has saved the module for offline reading."""
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="ru-RU")
    page = context.new_page()
    sign_in(page, live_server, username)
    page.goto(live_server + MODULE)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.click("[data-action=save]")
    page.locator(".offline-state").filter(
        has_text=re.compile(r"Сохранено на этом устройстве: \d+ стр\., \d+ кБ")).wait_for()
    return context, page


def test_a_saved_module_is_read_and_its_quiz_taken_offline_then_graded_once(app, make, course, live_server, chromium):
    make.assign(course, user=make.user("ann"))
    context, page = _saved(chromium, live_server, "ann")
    with app.app_context():  # saving read nothing on the learner's behalf
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonCompletion)) == 0
    page.reload()  # the page is now controlled by the worker
    page.locator(".offline-state", has_text="кБ").wait_for()

    context.set_offline(True)
    page.goto(live_server + MODULE + "/lessons/second")
    assert page.locator("article.lesson h1").inner_text() == "Второй урок"  # from the cache
    _until(page, _reads(1))  # noted, to be marked read when the connection is back
    page.goto(live_server + MODULE + "/quiz/offline")
    token = page.locator("input[name=token]").get_attribute("value")
    _answer(page, app, token)
    page.click("form[data-offline-quiz] button[type=submit]")
    page.locator("#offline-quiz-status:not([hidden])").wait_for()
    assert _attempts(app) == []  # nothing reached the server
    page.goto(live_server + "/learn/modules/sample-module/lessons/nowhere")  # not saved: the offline page
    page.locator("#saved-modules a").first.wait_for()
    assert page.locator("#outbox-note").is_visible()

    context.set_offline(False)
    page.goto(live_server + "/learn/")
    page.locator(".flash-success a").wait_for()  # "received and graded", with a link to the result
    attempts = _attempts(app)
    assert len(attempts) == 1 and attempts[0].score == 100.0 and attempts[0].offline_id
    _until(page, _reads(0))
    with app.app_context():  # the lesson read offline is marked read now
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonCompletion)) == 1
    assert page.evaluate("localStorage.getItem('lms-outbox')") == "{}"

    # the same attempt sent again, as a replay from the device would: nothing changes
    status = page.evaluate("""async (token) => {
        const body = new URLSearchParams({token, csrf_token: document.querySelector('input[name=csrf_token]').value});
        const r = await fetch('/learn/offline-attempts', {method: 'POST', body, headers: {Accept: 'application/json'}});
        return [r.status, (await r.json()).created];
    }""", token)
    assert status == [200, False]
    assert len(_attempts(app)) == 1
    context.close()


def test_a_first_visit_fetches_the_service_worker_script_and_caches_nothing(app, live_server, chromium):
    context = chromium.new_context()
    page = context.new_page()
    seen = []
    context.on("request", lambda request: seen.append(request.url))
    page.goto(live_server + "/login")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    worker = [url for url in seen if url.endswith("/sw.js")]
    assert worker, seen
    assert not [url for url in seen if "offline.js" in url]  # the code for offline use is not loaded
    assert page.evaluate("caches.keys()") == []
    context.close()


def test_an_observer_who_opened_the_offline_check_once_can_check_a_qr_code_with_no_connection(app, live_server,
                                                                                            chromium):
    from tests.browser.test_offline_check import CODE, NAME, _statement

    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="ru-RU")
    page = context.new_page()
    page.goto(live_server + "/verify")  # any page of the site registers the worker
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(live_server + "/verify/offline")  # opened once, online
    _until(page, "caches.open('lms-verify').then(c => c.match('/verify/offline')).then(r => !!r)")
    context.set_offline(True)
    page.goto(f"{live_server}/verify/{CODE}#{_statement(app)}")  # the QR code, scanned with no connection
    page.wait_for_selector("#result.good")
    assert NAME in page.inner_text("#result")
    context.close()


def test_a_saved_lesson_shows_its_sample_document_offline(app, make, database, tmp_path, live_server, chromium):
    from lms.content.models import Module
    from tests.content.test_figures import _import, _with_figure

    _import(app, _with_figure(tmp_path))
    with app.app_context():
        module_id = db.session.scalar(sa.select(Module.id).where(Module.slug == "sample-module"))
    make.assign(module_id, user=make.user("ann", locale="ru"))
    context, page = _saved(chromium, live_server, "ann")
    page.reload()
    context.set_offline(True)
    page.goto(live_server + MODULE + "/lessons/first")
    figure = page.locator("figure img")
    figure.wait_for()
    _until(page, "(() => { const i = document.querySelector('figure img'); "
                 "return Promise.resolve(i.complete && i.naturalWidth > 0); })()")
    page.click("figure a")  # small on a phone: a tap opens the drawing at full size, from the cache too
    page.wait_for_url("**/figures/diagram.ru.svg?v=*")
    assert "Схема по-русски" in page.content()
    context.close()
