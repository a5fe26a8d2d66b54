"""Translations of the curriculum: module 7 in Kazakh and Kyrgyz, and the glossaries they follow."""
import collections
import re

import pytest
import yaml

from tests.content.test_curriculum import COURSES, curriculum, texts

TRANSLATED = {"polling-and-count": ("kk", "ky")}
AT_HOME = {"kk": ("үйде дауыс бер",), "ky": ("үйдөн добуш бер", "үйдө добуш бер")}  # any ending: беру, берүү...


def numbers(text):
    """The numbers in a text, with thousands separators removed (1,000 and 1 000 are 1000)."""
    text = re.sub(r"(?<=\d)[ ,\u00a0\u202f](?=\d{3}(?!\d))", "", text)
    return collections.Counter(re.findall(r"\d+", text))


def _translated():
    for module_id, langs in TRANSLATED.items():
        for lang in langs:
            yield module_id, lang


@pytest.mark.parametrize(("module_id", "lang"), list(_translated()))
def test_every_text_and_lesson_is_translated(module_id, lang):
    m = curriculum()[module_id]
    found = list(texts(m.data)) + list(texts(m.questions))
    assert found
    for path, text in found:
        assert text.get(lang, "").strip(), f"{module_id}{path} has no {lang}"
    for lesson in m.lessons:
        assert lesson.body.get(lang, "").strip(), f"{lesson.id}.{lang}.md"
        assert lesson.title.get(lang, "").strip(), f"{lesson.id}.{lang}.md has no title"


@pytest.mark.parametrize(("module_id", "lang"), list(_translated()))
def test_translation_keeps_the_numbers_of_the_english(module_id, lang):
    m = curriculum()[module_id]
    for path, text in list(texts(m.data)) + list(texts(m.questions)):
        assert numbers(text[lang]) == numbers(text["en"]), f"{module_id}{path} ({lang})"
    for lesson in m.lessons:
        assert numbers(lesson.body[lang]) == numbers(lesson.body["en"]), f"{lesson.id}.{lang}.md"


@pytest.mark.parametrize(("module_id", "lang"), list(_translated()))
def test_translation_never_calls_mobile_voting_voting_at_home(module_id, lang):
    m = curriculum()[module_id]
    everything = [t[lang] for _, t in list(texts(m.data)) + list(texts(m.questions))]
    everything += [m_.body[lang] + m_.title[lang] for m_ in m.lessons]
    for text in everything:
        assert not any(term in text.lower() for term in AT_HOME[lang]), text[:80]


@pytest.mark.parametrize(("module_id", "lang"), list(_translated()))
def test_every_text_and_lesson_is_translated(module_id, lang):
    m = curriculum()[module_id]
    found = list(texts(m.data)) + list(texts(m.questions))
    assert found
    for path, text in found:
        assert text.get(lang, "").strip(), f"{module_id}{path} has no {lang}"
    for lesson in m.lessons:
        assert lesson.body.get(lang, "").strip(), f"{lesson.id}.{lang}.md"
        assert lesson.title.get(lang, "").strip(), f"{lesson.id}.{lang}.md has no title"


@pytest.mark.parametrize(("module_id", "lang"), list(_translated()))
def test_translation_keeps_the_numbers_of_the_english(module_id, lang):
    m = curriculum()[module_id]
    for path, text in list(texts(m.data)) + list(texts(m.questions)):
        assert numbers(text[lang]) == numbers(text["en"]), f"{module_id}{path} ({lang})"
    for lesson in m.lessons:
        assert numbers(lesson.body[lang]) == numbers(lesson.body["en"]), f"{lesson.id}.{lang}.md"


@pytest.mark.parametrize(("module_id", "lang"), list(_translated()))
def test_translation_never_calls_mobile_voting_voting_at_home(module_id, lang):
    m = curriculum()[module_id]
    everything = [t[lang] for _, t in list(texts(m.data)) + list(texts(m.questions))]
    everything += [m_.body[lang] + m_.title[lang] for m_ in m.lessons]
    for text in everything:
        assert not any(term in text.lower() for term in AT_HOME[lang]), text[:80]





@pytest.mark.parametrize(("module_id", "lang"), list(_translated()))
def test_translation_does_not_give_away_the_answer_by_length(module_id, lang):
    """As in English: no correct single-answer option is more than 30% longer than every distractor."""
    for q in curriculum()[module_id].questions:
        if q["type"] != "single":
            continue
        right = [len(o["text"][lang]) for o in q["options"] if o.get("correct")]
        wrong = [len(o["text"][lang]) for o in q["options"] if not o.get("correct")]
        assert right[0] <= 1.3 * max(wrong), f"{q['id']} ({lang})"
