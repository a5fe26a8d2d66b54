"""Localisation: every catalog complete and consistent; pages in every language free of untranslated English."""
from __future__ import annotations

import functools
import html
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from lms.auth.models import Role
from lms.config import LANGUAGES, ROOT
from tests.conftest import Browser

TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"trimmed": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "_nl": (1, 2), "pgettext": ((1, "c"), 2)}


@functools.cache
def source_messages() -> frozenset:
    """Every message id in the code and templates, as extraction finds it."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "lms"), METHOD_MAP, OPTIONS, KEYWORDS, strip_comment_tags=True):
        found.add(message if isinstance(message, str) else tuple(message))
    return frozenset(found)


@functools.cache
def catalog(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def _key(message) -> str | tuple:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id


def catalog_problems(cat, lang: str, messages) -> list[str]:
    """What is wrong with a catalog: missing, empty, fuzzy, wrong plural count, placeholder mismatch."""
    out = []
    present = {_key(m) for m in cat if m.id}
    out += [f"missing: {m!r}" for m in sorted(messages - present, key=str)]
    forms = get_plural(lang).num_plurals  # gettext's plural rules, as pybabel writes them
    if cat.num_plurals != forms:
        out.append(f"Plural-Forms says {cat.num_plurals} forms, {lang} has {forms}")
    for message in cat:
        if not message.id:
            continue
        plural = isinstance(message.id, (list, tuple))
        strings = list(message.string) if plural else [message.string]
        if message.fuzzy:
            out.append(f"fuzzy: {message.id!r}")
        if plural and len(strings) != forms:
            out.append(f"{len(strings)} plural forms instead of {forms}: {message.id!r}")
        if not all((s or "").strip() for s in strings):
            out.append(f"empty: {message.id!r}")
            continue
        ids = list(message.id) if plural else [message.id]
        allowed = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for s in strings:
            used = set(PLACEHOLDER.findall(s))
            if not used <= allowed or (not plural and used != allowed):
                out.append(f"placeholders differ: {message.id!r} -> {s!r}")
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_and_consistent(lang):
    problems = catalog_problems(catalog(lang), lang, source_messages())
    assert not problems, f"{lang}: {len(problems)} problem(s):\n" + "\n".join(problems[:15])


def test_catalog_check_fails_on_a_new_or_broken_message():
    from babel.messages.catalog import Catalog
    assert any("missing" in p for p in catalog_problems(
        catalog("ru"), "ru", source_messages() | {"A message nobody has translated yet"}))
    broken = Catalog(locale="ru")
    broken.add("Hello %(name)s", "Привет")
    broken.add("Empty", "")
    broken.add("Fuzzy", "Нечётко", flags=["fuzzy"])
    found = catalog_problems(broken, "ru", frozenset())
    assert any("placeholders differ" in p for p in found)
    assert any("empty" in p for p in found) and any("fuzzy" in p for p in found)


# --- rendered pages -------------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Compile .mo files if make did not (they are build products, not committed)."""
    for lang in LANGUAGES:
        po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(mo, "wb") as f:
                write_mo(f, catalog(lang))


def english_fragments(lang: str) -> set[str]:
    """English texts that must not appear in a page shown in `lang` (their translation differs)."""
    out = set()
    for message in catalog(lang):
        if not message.id or isinstance(message.id, (list, tuple)):
            continue
        if message.string == message.id:
            continue
        for part in PLACEHOLDER.split(message.id):
            part = (part or "").strip(" .,:;()%")
            if len(part) >= 6 and re.search(r"[A-Za-z]{3}", part) and " " in part:
                out.add(part)
    return out


def english_labels(lang: str) -> set[str]:
    """Whole short messages (button and column labels) whose translation differs."""
    return {m.id for m in catalog(lang) if m.id and not isinstance(m.id, (list, tuple)) and m.string != m.id
            and not PLACEHOLDER.search(m.id) and re.search(r"[A-Za-z]{3}", m.id)}


def text_nodes(page: str) -> set[str]:
    return {" ".join(t.split()) for t in visible_text(page).split("\n") if t.strip()}


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", "\n", page)
    return html.unescape(page)


def role_pages(app, make, course) -> dict[str, list[str]]:
    tree = make.tree()
    make.user("learner", unit=tree["KZ-A-1-1"])
    trainer = make.user("trainer", Role.TRAINER, tree["KZ-A"])
    make.user("admin", Role.ADMIN)
    make.user("monitor", Role.MONITOR)
    make.assign(course, unit=tree["KZ-A"])
    learner_pages = ["/learn/", "/learn/modules/sample-module", "/learn/modules/sample-module/lessons/first",
                     "/account/password", "/learn/no-such-page"]
    trainer_pages = [rule.rule for rule in app.url_map.iter_rules()
                     if rule.rule.startswith(("/train", "/admin", "/reports", "/account")) and "GET" in rule.methods
                     and "<" not in rule.rule and "export" not in rule.rule]
    return {"learner": learner_pages, "trainer": [p for p in trainer_pages if not p.startswith("/admin")],
            "admin": trainer_pages + [f"/admin/units?unit={tree['KZ-A-1']}", f"/admin/units?unit={tree['KZ-A-1-1']}",
                                      f"/admin/units/{tree['KZ-A']}/edit", f"/admin/units/{tree['KZ-A']}/new",
                                      f"/admin/units/{tree['KZ-A-1']}/move", f"/admin/units/{tree['KZ-A-1']}/close",
                                      f"/admin/staff/{trainer}/edit"],
            "monitor": ["/reports/completion", "/reports/knowledge", "/account/tokens", "/account/password"]}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_main_pages_have_no_untranslated_english(app, make, course, lang, database):
    pages = role_pages(app, make, course)
    fragments = english_fragments(lang)
    anonymous = Browser(app.test_client())
    anonymous.post("/language", {"lang": lang, "next": "/login"}, from_page="/login")
    checked = {"/login": anonymous.get("/login").get_data(as_text=True)}
    for username, urls in pages.items():
        browser = Browser(app.test_client())
        browser.login(username)
        browser.post("/language", {"lang": lang}, from_page="/learn/")
        for url in urls:
            checked[f"{username} {url}"] = browser.get(url, follow_redirects=True).get_data(as_text=True)
        if username == "learner":
            from tests.learn.helpers import answers, start_quiz, submit
            aid = start_quiz(browser)
            checked["quiz"] = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
            browser.post(f"/learn/attempts/{aid}/answers", answers(app, aid), from_page=f"/learn/attempts/{aid}")
            checked["review"] = browser.get(f"/learn/attempts/{aid}/review").get_data(as_text=True)
            submit(browser, aid, answers(app, aid))
            checked["result"] = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
            browser.get("/learn/modules/sample-module/lessons/second")  # now complete: the certificate
            checked["certificate"] = browser.get("/learn/modules/sample-module/certificate").get_data(as_text=True)
            code = re.search(r"/verify/([\w-]+)", checked["certificate"]).group(1)
            checked["certificate check"] = browser.get(f"/verify/{code}").get_data(as_text=True)
            checked["unknown certificate"] = browser.get("/verify/AAAA-BBBB-CCCC-DDDD").get_data(as_text=True)
            checked["certificate lookup"] = browser.get("/verify").get_data(as_text=True)
            checked["offline check"] = browser.get("/verify/offline").get_data(as_text=True)
    problems = []
    labels = english_labels(lang)
    for name, page in checked.items():
        assert f'lang="{lang}"' in page, name
        text = visible_text(page)
        problems += [f"{name}: {frag!r}" for frag in fragments if frag in text]
        problems += [f"{name}: label {node!r}" for node in text_nodes(page) & labels]
    assert not problems, "\n".join(problems[:20])


def test_language_choice_order(app, make, database):
    """The user's setting, then the sign-in page's choice, then the browser's, then the site default."""
    client = app.test_client()
    assert 'lang="ky"' in client.get("/login", headers={"Accept-Language": "ky,ru;q=0.5"}).get_data(as_text=True)
    assert f'lang="{app.config["LMS_DEFAULT_LOCALE"]}"' in client.get(
        "/login", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    browser = Browser(client)
    browser.post("/language", {"lang": "tg", "next": "/login"}, from_page="/login")
    assert 'lang="tg"' in client.get("/login", headers={"Accept-Language": "ky"}).get_data(as_text=True)
    make.user("ann", locale="uz")
    browser.login("ann")
    assert 'lang="uz"' in client.get("/learn/", headers={"Accept-Language": "ky"}).get_data(as_text=True)
