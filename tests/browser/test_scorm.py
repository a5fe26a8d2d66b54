"""A module's SCORM 1.2 package in Chromium under a real SCORM 1.2 runtime: scorm-again from the npm registry
(`make test` fetches it into .cache/), which a small page of the test sets up as `window.API` before it opens the
package in an iframe, both served from 127.0.0.1 by a threaded http.server started here.

Taking the quiz with right answers sets lesson_status "passed" and score.raw 100 in the runtime; with wrong
answers "failed" and the score the platform itself gives them; session_time is set in HHHH:MM:SS.SS and
LMSFinish ends the session when the quiz is left; in a review it records nothing. The lessons load with their
figures and nothing from outside; every page passes the Nu HTML Checker and axe-core and fits a 360-pixel phone.
quiz.js grades every answer exactly as lms.content.kinds does, for every question of every module."""
from __future__ import annotations

import functools
import random
import re
import shutil
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from lms.content import kinds, scorm
from lms.content.models import Question, QuestionVersion
from lms.extensions import db
from lms.learn.services import score_of
from tests.browser.journey import axe_script, nu_check
from tests.content.scorm_helpers import import_real_courses, scorm_again_script

TIMEOUT_MS = 10_000
# The runtime: scorm-again's SCORM 1.2 API as window.API, every call and its answer kept in window.calls;
# the SCO or asset named by ?open= opens in the iframe, as a player opens it.
RUNTIME = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SCORM 1.2 runtime</title><link rel="icon" href="data:,">
<script src="scorm12.min.js"></script>
<script>
window.API = new Scorm12API({logLevel: 4});
var mode = new URLSearchParams(location.search).get("mode");
if (mode) window.API.cmi.core.lesson_mode = mode;  // as the player sets it before the SCO starts
window.calls = [];
["LMSInitialize", "LMSGetValue", "LMSSetValue", "LMSCommit", "LMSFinish"].forEach(function (name) {
  var original = window.API[name].bind(window.API);
  window.API[name] = function () {
    var result = original.apply(null, arguments);
    window.calls.push([name, Array.prototype.slice.call(arguments), String(result),
                       String(window.API.LMSGetLastError())]);
    return result;
  };
});
</script></head>
<body><iframe id="sco" title="SCO" style="width:100%;height:95vh;border:0"></iframe>
<script>document.getElementById("sco").src = "package/" + new URLSearchParams(location.search).get("open");</script>
</body></html>"""
STATE = """() => ({status: API.LMSGetValue("cmi.core.lesson_status"), raw: API.LMSGetValue("cmi.core.score.raw"),
  min: API.LMSGetValue("cmi.core.score.min"), max: API.LMSGetValue("cmi.core.score.max"),
  session: JSON.parse(JSON.stringify(API.cmi)).core.session_time, calls: window.calls})"""
TIMESPAN = re.compile(r"^\d{4}:[0-5]\d:[0-5]\d\.\d\d$")


def _seconds(timespan: str) -> float:
    hours, minutes, seconds = timespan.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        """Say nothing for each request."""


@pytest.fixture
def site(tmp_path):
    """A folder served on 127.0.0.1 with the runtime page and scorm-again; the test unpacks a package into it."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(scorm_again_script(), root / "scorm12.min.js")
    (root / "runtime.html").write_text(RUNTIME, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _unpack(app, root, slug: str, lang: str) -> dict[str, tuple[str, dict]]:
    """Build the package, unpack it under the site's package/, and return its question bank: id -> (kind, data)."""
    with app.app_context():
        module = scorm.exportable_module(slug)
        data = scorm.build_package(module, lang)
        rows = db.session.execute(sa.select(QuestionVersion.kind, QuestionVersion.data).join(
            Question, sa.and_(Question.id == QuestionVersion.question_id, Question.version == QuestionVersion.number))
            .where(Question.module_id == module.id, Question.active)).all()
    path = root / "package.zip"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(root / "package")
    return {d["id"]: (kind, d) for kind, d in rows}


def _page(chromium, base):
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((base, "about:", "data:")) else problems.append(r.url))
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: problems.append(f"console: {m.text} {m.location}")
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
    return context, page, problems


def _fill(fieldset, kind: str, qid: str, answer) -> None:
    if kind == "single":
        fieldset.locator(f"input[value='{answer}']").check()
    elif kind == "multiple":
        for option in answer:
            fieldset.locator(f"input[value='{option}']").check()
    elif kind == "order":
        for step, position in answer.items():
            fieldset.locator(f"select[name='q-{qid}-{step}']").select_option(str(position))
    else:
        for field, figure in answer.items():
            fieldset.locator(f"input[name='q-{qid}-{field}']").fill(f"{figure:,}".replace(",", " "))  # "1 250"


def _take_quiz(page, base, bank, right: bool, rng, mode: str = "") -> float:
    """Open the quiz in the runtime, answer every drawn question right or slightly wrong, submit it, and
    return the score the platform gives those answers."""
    page.goto(f"{base}/runtime.html?open=quiz.html" + (f"&mode={mode}" if mode else ""))
    frame = page.frame_locator("#sco")
    frame.locator("#quiz").wait_for()
    shown = frame.locator("fieldset.question:not([hidden])")
    credits = []
    for i in range(shown.count()):
        fieldset = shown.nth(i)
        qid = fieldset.get_attribute("data-question")
        kind, data = bank[qid]
        layout = [p.get_attribute("data-part") for p in fieldset.locator("[data-part]").all()]
        assert sorted(layout) == sorted(kinds.get(kind).part_ids(data))
        if kind == "order":
            assert layout != kinds.get(kind).part_ids(data)  # never shown in the right order
        answer = kinds.get(kind).sample_answer(data, layout, right, rng)
        _fill(fieldset, kind, qid, answer)
        credits.append(kinds.get(kind).grade(data, answer, layout).credit)
    assert len(credits) == len({fieldset.get_attribute("data-question") for fieldset in shown.all()})
    frame.locator("button[type=submit]").click()
    frame.locator("#outcome").wait_for()
    return score_of(credits)


def _leave(page) -> None:
    page.evaluate("document.getElementById('sco').src = 'about:blank'")
    page.wait_for_function("window.calls.some(c => c[0] === 'LMSFinish')")


def test_the_quiz_reports_passed_or_failed_and_its_score_to_a_scorm_12_runtime(app, course, chromium, site):
    root, base = site
    bank = _unpack(app, root, "sample-module", "en")  # one question of each kind, all drawn
    rng = random.Random(15)
    context, page, problems = _page(chromium, base)
    for right in (True, False):
        expected = _take_quiz(page, base, bank, right, rng)
        state = page.evaluate(STATE)
        frame = page.frame_locator("#sco")
        if right:
            assert expected == 100.0
            assert (state["status"], float(state["raw"])) == ("passed", 100.0)
            assert frame.locator("#outcome").inner_text().count("Passed.") == 1
        else:
            assert 0 < expected < 75  # the sample module's pass mark
            assert (state["status"], float(state["raw"])) == ("failed", expected)
            assert "Not passed." in frame.locator("#outcome").inner_text()
        assert (state["min"], state["max"]) == ("0", "100")
        assert "The result has been sent to your learning platform." in frame.locator("#outcome").inner_text()
        calls = state["calls"]
        assert calls[0][:3] == ["LMSInitialize", [""], "true"]
        assert all(c[3] == "0" for c in calls), [c for c in calls if c[3] != "0"]  # no call refused
        sets = {c[1][0]: c[1][1] for c in calls if c[0] == "LMSSetValue"}
        assert sets["cmi.core.lesson_status"] == state["status"] and sets["cmi.core.score.raw"] == state["raw"]
        assert TIMESPAN.match(sets["cmi.core.session_time"])  # as the package sends it: HHHH:MM:SS.SS
        assert 0 < _seconds(state["session"]) == _seconds(sets["cmi.core.session_time"]) < 60  # as the runtime keeps it
        assert ["LMSCommit", [""], "true", "0"] in calls
        _leave(page)
        finish = [c for c in page.evaluate("window.calls") if c[0] == "LMSFinish"]
        assert finish == [["LMSFinish", [""], "true", "0"]]
    assert problems == []
    context.close()


def test_a_review_records_nothing_and_says_so(app, course, chromium, site):
    root, base = site
    bank = _unpack(app, root, "sample-module", "en")
    context, page, problems = _page(chromium, base)
    _take_quiz(page, base, bank, True, random.Random(3), mode="review")
    assert "did not record this result" in page.frame_locator("#sco").locator("#outcome").inner_text()
    assert page.evaluate("API.LMSGetValue('cmi.core.lesson_status')") == "not attempted"
    _leave(page)
    assert [c[0] for c in page.evaluate("window.calls") if c[0] != "LMSGetValue"] == ["LMSInitialize", "LMSFinish"]
    assert problems == []
    context.close()


def test_the_lessons_show_their_figures_and_the_real_quiz_passes(app, chromium, site, database):
    import_real_courses(app, only=("mobile-ballot-box",))
    root, base = site
    bank = _unpack(app, root, "mobile-ballot-box", "ru")
    context, page, problems = _page(chromium, base)
    lessons = sorted(p.name for p in (root / "package" / "lessons").iterdir())
    assert len(lessons) == 7
    figures = 0
    for name in lessons:
        page.goto(f"{base}/runtime.html?open=lessons/{name}")
        frame = page.frame_locator("#sco")
        frame.locator("article.lesson h1").wait_for()
        images = frame.locator("figure img")
        for i in range(images.count()):
            images.nth(i).evaluate("img => img.complete || new Promise(r => img.onload = img.onerror = r)")
            assert images.nth(i).evaluate("img => img.naturalWidth") > 0, name
            figures += 1
        assert frame.locator("main").evaluate("m => getComputedStyle(m).maxWidth") == f"{46 * 16}px"  # style.css
    assert figures == 2
    assert page.evaluate("window.calls") == []  # an asset says nothing to the runtime
    expected = _take_quiz(page, base, bank, True, random.Random(7))
    state = page.evaluate(STATE)
    assert expected == 100.0 and (state["status"], state["raw"]) == ("passed", "100")
    assert "Результат отправлен" in page.frame_locator("#sco").locator("#outcome").inner_text()
    assert problems == []
    context.close()


AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; ")})`);
}"""


def test_the_package_pages_are_valid_html_accessible_and_fit_a_phone(app, chromium, site, database):
    import_real_courses(app, only=("mobile-ballot-box",))
    root, base = site
    _unpack(app, root, "mobile-ballot-box", "ru")
    assert nu_check(sorted((root / "package").rglob("*.html"))) == []
    shutil.copy(axe_script(), root / "axe.min.js")
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def check(label: str) -> None:
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, label
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=f"{base}/axe.min.js")
        assert page.evaluate(AXE) == [], label

    for path in ("lessons/who-may-vote.html", "lessons/your-law-today.html", "quiz.html"):
        page.goto(f"{base}/package/{path}")
        check(path)
    page.locator("fieldset.question:not([hidden]) input, fieldset.question:not([hidden]) select").first.focus()
    page.click("button[type=submit]")
    page.locator("#outcome").wait_for()
    assert page.evaluate("document.activeElement.id") == "outcome"  # the result is read out first
    check("the quiz's result")
    context.close()


def _random_answers(kind: str, data: dict, layout: list[str], rng: random.Random) -> list:
    """Answers of every shape the form can give: none, right, slightly wrong, and random ones."""
    kind_ = kinds.get(kind)
    out = [None, kind_.sample_answer(data, layout, True, rng), kind_.sample_answer(data, layout, False, rng)]
    for _ in range(6):
        if kind == "single":
            out.append(rng.choice(layout))
        elif kind == "multiple":
            out.append(sorted(rng.sample(layout, rng.randint(1, len(layout)))))
        elif kind == "order":  # some steps numbered, numbers shared or missing
            steps = rng.sample(layout, rng.randint(1, len(layout)))
            out.append({s: rng.randint(1, len(layout)) for s in steps})
        else:
            fields = rng.sample(layout, rng.randint(1, len(layout)))
            out.append({f["id"]: f["answer"] + rng.choice((0, 0, 1)) for f in data["fields"] if f["id"] in fields})
    return out


def test_the_package_grades_every_answer_as_the_platform_does(app, chromium, site, database):
    import_real_courses(app)
    root, base = site
    rng = random.Random(2024)
    with app.app_context():
        rows = db.session.execute(sa.select(QuestionVersion.kind, QuestionVersion.data).join(
            Question, sa.and_(Question.id == QuestionVersion.question_id, Question.version == QuestionVersion.number))
            .where(Question.active)).all()
    cases, expected = [], []
    for kind, data in rows:
        layout = kinds.get(kind).layout(data, rng)
        for answer in _random_answers(kind, data, layout, rng):
            cases.append({"q": scorm.quiz_key(kind, data), "answer": answer, "layout": layout})
            expected.append(kinds.get(kind).grade(data, answer, layout).credit)
    assert {kind for kind, _data in rows} == set(kinds.REGISTRY) and len(cases) > 1500
    _unpack(app, root, "mobile-ballot-box", "en")
    context, page, problems = _page(chromium, base)
    page.goto(f"{base}/package/quiz.html")  # no runtime above it: the quiz still works, and says so
    page.locator("#quiz").wait_for()
    got = page.evaluate("cases => cases.map(c => lmsQuiz.grade(c.q, c.answer, c.layout))", cases)
    assert got == expected
    credit_lists = [[rng.choice(expected) for _ in range(rng.randint(1, 12))] for _ in range(400)]
    credit_lists += [[0.125] + [0.0] * 9, [0.375] + [0.0] * 9, [1 / 3] * 3, []]  # ties: 1.25 -> 1.2, 3.75 -> 3.8
    assert page.evaluate("lists => lists.map(l => lmsQuiz.score(l))", credit_lists) == [
        score_of(c) for c in credit_lists]
    assert page.evaluate("[0, 61234, 43200005, 3600000 * 10000].map(lmsQuiz.timespan)") == [
        "0000:00:00.00", "0000:01:01.23", "0012:00:00.01", "9999:59:59.99"]
    page.locator("fieldset.question:not([hidden]) button, button[type=submit]").first.click()
    assert "No learning platform was found" in page.locator("#outcome").inner_text()
    assert problems == []
    context.close()
