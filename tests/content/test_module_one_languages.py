"""Module 1 (mobile ballot box) in Uzbek, Tajik and Turkmen, following the glossaries."""
import re

import pytest
import yaml

from tests.content.test_curriculum import COURSES, curriculum, texts

NEW_LANGUAGES = ("uz", "tg", "tk")
GLOSSARY_TERM = {
    "uz": "ko‘chma saylov qutisi",
    "tg": "қуттии сайёр",
    "tk": "göçme sandyk",
}


def module_one():
    return curriculum()["mobile-ballot-box"]


def glossary(lang):
    return yaml.safe_load((COURSES / "glossary" / f"{lang}.yaml").read_text(encoding="utf-8"))


def numbers(text):
    return set(re.findall(r"\d+", text))


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_module_one_has_every_text_and_lesson(lang):
    m = module_one()
    found = list(texts(m.data)) + list(texts(m.questions))
    assert found
    for path, text in found:
        assert text.get(lang, "").strip(), f"{lang}: {path}"
    for lesson in m.lessons:
        assert lesson.body.get(lang, "").strip() and lesson.title.get(lang), f"{lang}: {lesson.id}"


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_numbers_agree_with_english(lang):
    m = module_one()
    for path, text in list(texts(m.data)) + list(texts(m.questions)):
        assert numbers(text[lang]) == numbers(text["en"]), f"{lang}: {path}"
    for lesson in m.lessons:
        assert numbers(lesson.body[lang]) == numbers(lesson.body["en"]), f"{lang}: {lesson.id}"


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_no_voting_at_home_and_the_official_term_is_used(lang):
    """Mobile voting also serves hospitals, detention, remote pastures and military units, so
    the glossary's "avoid" terms ("voting at home" and the like) appear in no text."""
    m = module_one()
    everything = [t[lang] for _, t in list(texts(m.data)) + list(texts(m.questions))]
    everything += [lesson.title[lang] + "\n" + lesson.body[lang] for lesson in m.lessons]
    avoid = [a.lower() for t in glossary(lang)["terms"] for a in t.get("avoid", [])]
    assert avoid
    for text in everything:
        flat = " ".join(text.lower().split())
        assert not [a for a in avoid if a in flat], text[:120]
    assert GLOSSARY_TERM[lang].lower() in "\n".join(everything).lower()


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_glossary(lang):
    data = glossary(lang)
    assert data["language"] == lang
    terms = data["terms"]
    assert len(terms) >= 12
    assert all({"key", "en", "term", "note"} <= set(t) and t["en"] and t["term"] for t in terms)
    assert len({t["key"] for t in terms}) == len(terms)
    english = " | ".join(t["en"] for t in terms)
    for concept in ("mobile ballot box", "voting outside the voting premises", "precinct election commission",
                    "protocol", "ballot", "voter list", "seal", "observer", "complaint", "polling station",
                    "early voting", "register of requests"):
        assert concept in english, concept
    assert any(GLOSSARY_TERM[lang] in t["term"] for t in terms)


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_no_correct_option_stands_out_by_length(lang):
    """As in English: no single-answer question has a correct option more than 30% longer than every distractor."""
    for q in module_one().questions:
        if q["type"] != "single":
            continue
        right = [len(o["text"][lang]) for o in q["options"] if o.get("correct")]
        wrong = [len(o["text"][lang]) for o in q["options"] if not o.get("correct")]
        assert right[0] <= 1.3 * max(wrong), f"{lang}: {q['id']}"
