"""The real curriculum in courses/: its size, its languages, and that every module can be passed."""
import functools
import re
from collections import Counter

import pytest
import sqlalchemy as sa
import yaml

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


def test_procedure_exercises_exist_where_the_work_needs_them():
    for module_id in ("mobile-ballot-box", "polling-and-count"):
        kinds = {q["type"] for q in curriculum()[module_id].questions}
        assert {"order", "protocol"} <= kinds


# ---------------------------------------------------------------- agreement across languages

NATIONAL = ("kk", "ky", "uz", "tg", "tk")
_NUMBER = re.compile(r"(?<!\d)\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?!\d)|\d+")
LONGEST_RATIO = 1.3  # a correct option may be at most 30% longer than the longest distractor


def numbers(text):
    """The numbers in a text, sorted, as digit strings; '1,200' and '1 200' both count as 1200."""
    return sorted(re.sub(r"\D", "", n) for n in _NUMBER.findall(text))


def _where(m, path):
    """'questions.yaml <question-id>/...' for a path into the question bank, else 'module.yaml ...'."""
    parts = path.strip("/").split("/")
    if parts[0] == "questions":
        return f"questions.yaml {m.questions[int(parts[1])]['id']}/" + "/".join(parts[2:])
    return f"module.yaml /{'/'.join(parts)}"


@pytest.mark.parametrize("module_id", MODULES)
def test_numbers_agree_across_languages(module_id):
    """Every language of a text, a lesson and a question carries the same numbers as the English."""
    m = curriculum()[module_id]
    wrong = []
    for path, text in list(texts(m.data)) + list(texts({"questions": m.questions})):
        for lang, value in text.items():
            if numbers(value) != numbers(text["en"]):
                wrong.append(f"{_where(m, path)} [{lang}]: {numbers(value)} != en {numbers(text['en'])}")
    for lesson in m.lessons:
        english = numbers(lesson.title["en"] + "\n" + lesson.body["en"])
        for lang in lesson.body:
            found = numbers(lesson.title.get(lang, "") + "\n" + lesson.body[lang])
            if found != english:
                missing = sorted((Counter(english) - Counter(found)).elements())
                extra = sorted((Counter(found) - Counter(english)).elements())
                wrong.append(f"lessons/{lesson.id}.{lang}.md: missing {missing}, extra {extra}")
    assert not wrong, f"{module_id}: numbers differ from English in\n" + "\n".join(wrong)


@pytest.mark.parametrize("module_id", MODULES)
def test_every_language_of_a_question_is_complete(module_id):
    """A question offered in a language has its prompt, every option, step or field and the explanation in it,
    so the right answer is the same in every language (the `correct` flags and answers are shared)."""
    wrong = []
    for q in curriculum()[module_id].questions:
        langs = set(q["prompt"])
        for path, text in texts(q):
            if set(text) != langs:
                wrong.append(f"{q['id']}{path}: {sorted(text)} != prompt {sorted(langs)}")
    assert not wrong, f"{module_id}:\n" + "\n".join(wrong)


# "Voting at home" for what the law calls voting outside the voting premises: the procedure also
# covers hospitals, detention, pastures and military units (courses/glossary/). Extra stems catch the
# inflected forms in Kazakh and Kyrgyz; every other banned phrase comes from the glossaries' `avoid` lists.
_AT_HOME = {
    "kk": [r"үйде\s+дауыс\s+бер", r"үйдегі\s+дауыс\s+бер", r"үйден\s+дауыс\s+бер"],
    "ky": [r"үйдөн\s+добуш\s+бер", r"үйдө\s+добуш\s+бер", r"үйдөгү\s+добуш\s+бер"],
}
# every national language with a glossary, not only the ones named above
GLOSSARY_LANGUAGES = sorted(p.stem for p in (COURSES / "glossary").glob("*.yaml"))


def glossary(lang):
    return yaml.safe_load((COURSES / "glossary" / f"{lang}.yaml").read_text(encoding="utf-8"))


def _at_home_pattern(lang):
    stems = list(_AT_HOME.get(lang, []))
    for term in glossary(lang)["terms"]:
        for phrase in term.get("avoid", []):
            *head, last = phrase.split()
            stems.append(r"\s+".join(map(re.escape, head + [last[:3]])))
    assert stems, f"glossary/{lang}.yaml bans no term"
    return re.compile(r"\b(?:" + "|".join(stems) + ")", re.IGNORECASE)


def test_every_language_in_use_has_a_glossary():
    used = {lang for m in curriculum().values() for lesson in m.lessons for lang in lesson.body}
    assert used - {"en", "ru"} <= set(GLOSSARY_LANGUAGES) <= set(NATIONAL)
    assert set(_AT_HOME) <= set(GLOSSARY_LANGUAGES)


@pytest.mark.parametrize("lang", GLOSSARY_LANGUAGES)
def test_no_voting_at_home_term_in_any_national_language(lang):
    pattern = _at_home_pattern(lang)
    found = []
    for module_id in MODULES:
        m = curriculum()[module_id]
        for path, text in list(texts(m.data)) + list(texts({"questions": m.questions})):
            if pattern.search(text.get(lang, "")):
                found.append(f"{module_id} {_where(m, path)}: {pattern.search(text[lang])[0]!r}")
        for lesson in m.lessons:
            source = lesson.title.get(lang, "") + "\n" + lesson.body.get(lang, "")
            for hit in pattern.finditer(source):
                found.append(f"{module_id}/lessons/{lesson.id}.{lang}.md: {hit[0]!r}")
    assert not found, "the 'at home' term instead of the official one (see courses/glossary):\n" + "\n".join(found)


@pytest.mark.parametrize("lang", GLOSSARY_LANGUAGES)
def test_glossaries_give_the_official_terms(lang):
    needed = {"mobile-box", "voting-outside-premises", "precinct-election-commission", "protocol", "observer",
              "ballot", "voter-list", "seal", "complaint"}
    g = glossary(lang)
    assert g["language"] == lang
    keys = [t["key"] for t in g["terms"]]
    assert len(keys) == len(set(keys)) and needed <= set(keys), (lang, needed - set(keys))
    assert all(t["en"].strip() and t["term"].strip() for t in g["terms"]), lang
    outside = next(t for t in g["terms"] if t["key"] == "voting-outside-premises")
    assert outside["avoid"] and not _at_home_pattern(lang).search(outside["term"] + " " + outside.get("short", ""))
    m = curriculum()["mobile-ballot-box"]
    assert any(outside["term"].lower() in lesson.body[lang].lower() for lesson in m.lessons), lang


# ---------------------------------------------------------------- option length

@pytest.mark.parametrize("module_id", MODULES)
def test_the_right_option_does_not_stand_out_by_length(module_id):
    """In a single-answer question, the correct option is at most 30% longer than the longest distractor,
    in every language, so the longest option is no clue."""
    wrong = []
    for q in curriculum()[module_id].questions:
        if q["type"] != "single":
            continue
        for lang in q["prompt"]:
            right = [len(o["text"][lang].strip()) for o in q["options"] if o.get("correct")][0]
            longest = max(len(o["text"][lang].strip()) for o in q["options"] if not o.get("correct"))
            if right > LONGEST_RATIO * longest:
                wrong.append(f"{q['id']} [{lang}]: correct {right} chars, longest distractor {longest}")
    assert not wrong, f"{module_id}: the correct option stands out by length in\n" + "\n".join(wrong)


def _import_all(app):
    with app.app_context():
        report = import_modules(list(curriculum().values()))
        db.session.commit()
        return report, dict(db.session.execute(sa.select(Module.slug, Module.id)).all())


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
                # the page's own address, or a figure of its module by a relative address
                figure = rb"\.\./figures/[a-z0-9.-]+\.svg\?v=[0-9a-f]{12}"
                assert all((ref.startswith((b"/", b"data:")) and not ref.startswith(b"//"))
                           or re.fullmatch(figure, ref) for ref in loads), loads
    assert heaviest <= 60 * 1024, heaviest
