"""The real curriculum in courses/: its size, its languages, and that every module can be passed."""
import functools
import re

import pytest
import sqlalchemy as sa

from lms.config import ROOT
from lms.content.format import LANGUAGES, load_tree
from lms.content.importer import import_modules
from lms.content.models import Module
from lms.extensions import db
from lms.learn.models import ModuleCompletion
from tests.learn.helpers import answers, attempt, start_quiz, submit

COURSES = ROOT / "courses"
MODULES = ["mobile-ballot-box", "complaints-and-appeals", "voter-education", "candidate-registration",
           "campaign-finance", "observers", "polling-and-count", "cascade-training"]


@functools.cache
def curriculum():
    modules, problems = load_tree(COURSES)
    assert problems == [], "\n".join(map(str, problems))
    return {m.id: m for m in modules}


def texts(value, path=""):
    """Every language-keyed text in a YAML structure, with where it is."""
    if isinstance(value, dict):
        if "en" in value and all(k in LANGUAGES for k in value):
            yield path, value
        else:
            for k, v in value.items():
                yield from texts(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from texts(v, f"{path}/{i}")


def test_eight_modules_in_order():
    mods = curriculum()
    assert sorted(mods, key=lambda m: mods[m].data["position"]) == MODULES


@pytest.mark.parametrize("module_id", MODULES)
def test_module_size_and_shape(module_id):
    m = curriculum()[module_id]
    assert 3 <= len(m.lessons) <= 8  # up to seven lessons, plus the "Your law today" worksheet
    assert m.lessons[-1].id == "sources"
    assert len(m.questions) >= 20
    scenarios = sum(1 for q in m.questions if q.get("scenario"))
    assert scenarios * 3 >= len(m.questions), f"{scenarios} scenario questions of {len(m.questions)}"
    assert all(q["explanation"]["en"].strip() and q["explanation"]["ru"].strip() for q in m.questions)
    assert any(q["type"] == "order" for q in m.questions)


@pytest.mark.parametrize("module_id", MODULES)
def test_english_and_russian_everywhere(module_id):
    m = curriculum()[module_id]
    found = list(texts(m.data)) + list(texts(m.questions))
    assert found
    for path, text in found:
        assert text.get("en", "").strip() and text.get("ru", "").strip(), f"{module_id}{path}"
    for lesson in m.lessons:
        assert {"en", "ru"} <= set(lesson.body), lesson.id


def test_module_one_in_kazakh_and_kyrgyz():
    m = curriculum()["mobile-ballot-box"]
    for path, text in list(texts(m.data)) + list(texts(m.questions)):
        assert text.get("kk") and text.get("ky"), path
    for lesson in m.lessons:
        assert {"kk", "ky"} <= set(lesson.body) and {"kk", "ky"} <= set(lesson.title), lesson.id


def test_procedure_exercises_exist_where_the_work_needs_them():
    for module_id in ("mobile-ballot-box", "polling-and-count"):
        kinds = {q["type"] for q in curriculum()[module_id].questions}
        assert {"order", "protocol"} <= kinds


def _import_all(app):
    with app.app_context():
        report = import_modules(list(curriculum().values()))
        db.session.commit()
        return report, {slug: mid for slug, mid in db.session.execute(sa.select(Module.slug, Module.id))}


def test_import_of_the_whole_set_is_idempotent(app, database):
    first, _ = _import_all(app)
    assert len(first.created) == 8
    second, _ = _import_all(app)
    assert second.created == [] and second.updated == [] and len(second.unchanged) == 8
    assert second.new_question_versions == 0


def test_every_module_can_be_passed_and_failed(app, browser, make, database):
    _, ids = _import_all(app)
    good, bad = make.user("good"), make.user("bad")
    for mid in ids.values():
        make.assign(mid, user=good)
        make.assign(mid, user=bad)
    browser.login("good")
    for slug in MODULES:
        page = browser.get(f"/learn/modules/{slug}").get_data(as_text=True)
        for lesson in curriculum()[slug].lessons:
            assert browser.get(f"/learn/modules/{slug}/lessons/{lesson.id}").status_code == 200
        aid = start_quiz(browser, slug)
        submit(browser, aid, answers(browser.client.application, aid, right=True))
        assert attempt(app, aid)["passed"] is True, slug
        assert "Pass mark: 70%" in page
    with app.app_context():
        done = db.session.scalar(sa.select(sa.func.count()).select_from(ModuleCompletion).where(
            ModuleCompletion.user_id == good))
    assert done == 8
    browser.post("/logout", from_page="/learn/")
    browser.login("bad")
    for slug in MODULES:
        aid = start_quiz(browser, slug)
        submit(browser, aid, answers(app, aid, right=False))
        assert attempt(app, aid)["passed"] is False, slug


def test_lesson_pages_are_light_and_self_contained(app, browser, make, database):
    """Every lesson page, with its stylesheet and script, weighs at most 60 KB."""
    _, ids = _import_all(app)
    learner = make.user("ann", locale="ru")
    for mid in ids.values():
        make.assign(mid, user=learner)
    browser.login("ann")
    assets = sum(len(browser.get(path).data) for path in ("/static/app.css", "/static/app.js"))
    heaviest = 0
    for slug in MODULES:
        for lesson in curriculum()[slug].lessons:
            for lang in ("ru", "en"):
                browser.post("/language", {"lang": lang}, from_page="/learn/")
                html = browser.get(f"/learn/modules/{slug}/lessons/{lesson.id}").data
                heaviest = max(heaviest, len(html) + assets)
                loads = re.findall(rb'<(?:script|link|img|iframe)[^>]+(?:src|href)="([^"]+)"', html)
                assert all(ref.startswith((b"/", b"data:")) and not ref.startswith(b"//") for ref in loads), loads
    assert heaviest <= 60 * 1024, heaviest
