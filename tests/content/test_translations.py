"""National-language editions: each translated module is complete, and follows its glossary.

Numbers, answers and option lengths are checked for every language by test_curriculum.py."""
import pytest
import yaml

from tests.content.test_curriculum import COURSES, MODULES, NATIONAL, curriculum, texts

# the editions that must exist; any other national language found in a module is checked as well
TRANSLATED = {"mobile-ballot-box": NATIONAL, "polling-and-count": NATIONAL}


def editions():
    """(module, language) for every national language a module carries anywhere (a lesson file or a text),
    and for every edition listed in TRANSLATED: a module is either complete in a language or has none of it."""
    found = set()
    for module_id in MODULES:
        m = curriculum()[module_id]
        langs = {lang for lesson in m.lessons for lang in lesson.body}
        langs |= {lang for _path, text in list(texts(m.data)) + list(texts(m.questions)) for lang in text}
        found |= {(module_id, lang) for lang in langs if lang in NATIONAL}
    found |= {(m, lang) for m, langs in TRANSLATED.items() for lang in langs}
    return sorted(found)


# the mobile box in each glossary, which module 1 must use
MOBILE_BOX = {"kk": "жылжымалы жәшік", "ky": "көчмө куту", "uz": "ko‘chma saylov qutisi", "tg": "қуттии сайёр",
              "tk": "göçme sandyk"}


def glossary(lang):
    return yaml.safe_load((COURSES / "glossary" / f"{lang}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("module_id", "lang"), editions())
def test_every_text_and_lesson_is_translated(module_id, lang):
    m = curriculum()[module_id]
    found = list(texts(m.data)) + list(texts(m.questions))
    assert found
    for path, text in found:
        assert text.get(lang, "").strip(), f"{module_id}{path} has no {lang}"
    for lesson in m.lessons:
        assert lesson.body.get(lang, "").strip(), f"{lesson.id}.{lang}.md"
        assert lesson.title.get(lang, "").strip(), f"{lesson.id}.{lang}.md has no title"


@pytest.mark.parametrize("lang", sorted(MOBILE_BOX))
def test_each_glossary_names_the_core_terms_and_module_one_uses_them(lang):
    g = glossary(lang)
    assert g["language"] == lang
    keys = [t["key"] for t in g["terms"]]
    assert len(keys) == len(set(keys)), "a key twice"
    assert all(t["en"].strip() and t["term"].strip() for t in g["terms"])
    english = " | ".join(t["en"] for t in g["terms"]).lower()
    for concept in ("mobile ballot box", "voting outside the voting premises", "precinct election commission",
                    "protocol", "ballot", "observer", "seal", "complaint"):
        assert concept in english, (lang, concept)
    assert any(MOBILE_BOX[lang] in t["term"] for t in g["terms"]), lang
    module_one = "\n".join(lesson.body[lang] for lesson in curriculum()["mobile-ballot-box"].lessons).lower()
    assert MOBILE_BOX[lang].lower() in module_one
    avoid = [a.lower() for t in g["terms"] for a in t.get("avoid", [])]
    assert not [a for a in avoid if a in " ".join(module_one.split())]


@pytest.mark.parametrize(("module_id", "lang"), editions())
def test_no_edition_uses_a_term_its_glossary_avoids(module_id, lang):
    m = curriculum()[module_id]
    parts = [lesson.title.get(lang, "") + "\n" + lesson.body.get(lang, "") for lesson in m.lessons]
    parts += [text.get(lang, "") for _path, text in list(texts(m.data)) + list(texts(m.questions))]
    edition = " ".join(" ".join(parts).lower().split())
    avoid = [a.lower() for t in glossary(lang)["terms"] for a in t.get("avoid", [])]
    assert not [a for a in avoid if a in edition], (module_id, lang)
