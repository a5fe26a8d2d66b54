"""The SCORM 1.2 export of a module: a manifest valid against the ADL SCORM 1.2 schemas, every file it names in
the zip and nothing from outside, the lessons, figures and quiz of the module; `flask courses export-scorm` and
the admins' download, with clear refusals (tests/browser/test_scorm.py runs the package under a SCORM runtime)."""
from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from posixpath import dirname, join, normpath
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from lms.auth.models import Role
from lms.content import kinds, scorm
from lms.content.models import Figure, Lesson, Module, Question, QuestionVersion
from lms.extensions import db
from tests.content.scorm_helpers import files_of, import_real_courses, manifest_schema

NS = {"cp": scorm.CP, "adlcp": scorm.ADLCP, "imsmd": scorm.IMSMD}
SCORMTYPE = f"{{{scorm.ADLCP}}}scormtype"


class _Addresses(HTMLParser):
    """The addresses a page loads (img, script, link) and links to (a)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.loaded: list[str] = []
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        """Keep the address of each element that loads or links to something."""
        values = dict(attrs)
        if tag in ("img", "script", "iframe", "source") and values.get("src"):
            self.loaded.append(values["src"])
        elif tag == "link" and values.get("href"):
            self.loaded.append(values["href"])
        elif tag == "a" and values.get("href"):
            self.links.append(values["href"])


def structure_problems(files: dict[str, bytes], pass_mark: int) -> list[str]:
    """What the schemas cannot see: every reference resolves, every file is declared and is there, one SCO
    (the quiz, with the pass mark as mastery score), and no page loads anything from outside the zip."""
    out = []
    manifest = ET.fromstring(files["imsmanifest.xml"])
    metadata = manifest.find("cp:metadata", NS)
    if metadata is None or [metadata.findtext("cp:schema", None, NS), metadata.findtext("cp:schemaversion", None, NS)] \
            != ["ADL SCORM", "1.2"]:
        out.append("metadata must say ADL SCORM 1.2")
    resources = {r.get("identifier"): r for r in manifest.iterfind("cp:resources/cp:resource", NS)}
    default = manifest.find("cp:organizations", NS).get("default")
    organizations = {o.get("identifier") for o in manifest.iterfind("cp:organizations/cp:organization", NS)}
    if default not in organizations:
        out.append(f"default organization {default!r} is not there")
    declared: set[str] = set()
    for identifier, resource in resources.items():
        if resource.get(SCORMTYPE) not in ("asset", "sco"):
            out.append(f"resource {identifier} has no adlcp:scormtype")
        hrefs = [f.get("href") for f in resource.iterfind("cp:file", NS)]
        declared.update(hrefs)
        if resource.get("href") is not None and resource.get("href") not in hrefs:
            out.append(f"resource {identifier}: its href is not among its files")
        for dependency in resource.iterfind("cp:dependency", NS):
            if dependency.get("identifierref") not in resources:
                out.append(f"resource {identifier}: dependency {dependency.get('identifierref')} is not a resource")
    for item in manifest.iter(f"{{{scorm.CP}}}item"):
        if item.get("identifierref") not in resources:
            out.append(f"item {item.get('identifier')} points at no resource")
    out += [f"declared but not in the zip: {name}" for name in sorted(declared - set(files))]
    out += [f"in the zip but not declared: {name}" for name in sorted(set(files) - declared - {"imsmanifest.xml"})]
    scos = [r for r in resources.values() if r.get(SCORMTYPE) == "sco"]
    if [r.get("href") for r in scos] != ["quiz.html"]:
        out.append("the quiz must be the only SCO")
    mastery = [m.text for m in manifest.iter(f"{{{scorm.ADLCP}}}masteryscore")]
    if mastery != [str(pass_mark)]:
        out.append(f"mastery score {mastery} is not the pass mark {pass_mark}")
    for name, data in files.items():
        if not name.endswith(".html"):
            continue
        page = _Addresses(data.decode())
        for address in page.loaded:
            if re.match(r"^[a-z][a-z0-9+.-]*:|^//", address, re.I):
                out.append(f"{name} loads {address} from outside the package")
            elif normpath(join(dirname(name), address)) not in files:
                out.append(f"{name} loads {address}, which is not in the package")
        out += [f"{name} links to {a}" for a in page.links if not a.startswith(("http://", "https://", "mailto:"))]
    return out


def _package(app, slug: str, lang: str) -> bytes:
    with app.app_context():
        return scorm.build_package(scorm.exportable_module(slug), lang)


@pytest.fixture
def schema(tmp_path_factory):
    return manifest_schema(tmp_path_factory.mktemp("xsd"))


def test_every_module_exports_a_valid_package_in_each_of_its_languages(app, database, schema):
    ids = import_real_courses(app)
    sizes = {}
    with app.app_context():
        for slug in ids:
            module = scorm.exportable_module(slug)
            languages = scorm.export_languages(module)
            assert {"en", "ru"} <= set(languages)
            for lang in languages:
                data = scorm.build_package(module, lang)
                files = files_of(data)
                errors = [str(e.reason) for e in schema.iter_errors(files["imsmanifest.xml"].decode())]
                assert errors == [], (slug, lang, errors[:3])
                assert structure_problems(files, module.pass_mark) == [], (slug, lang)
                sizes[slug, lang] = len(data)
    assert len(sizes) >= 16
    assert {lang for slug, lang in sizes if slug == "mobile-ballot-box"} == {"en", "ru", "kk", "ky", "uz", "tg", "tk"}
    assert sizes["mobile-ballot-box", "ru"] < 200_000  # a few pages and two drawings


def test_the_checks_fail_on_broken_packages(app, database, course, schema):
    files = files_of(_package(app, "sample-module", "en"))
    manifest = files["imsmanifest.xml"].decode()
    assert list(schema.iter_errors(manifest)) == [] and structure_problems(files, 75) == []
    broken = {
        "a scormtype that SCORM 1.2 does not know": manifest.replace('adlcp:scormtype="sco"', 'adlcp:scormtype="SCO"'),
        "two resources with one identifier": manifest.replace('identifier="lesson-2"', 'identifier="lesson-1"'),
        "an element adlcp does not define": manifest.replace("adlcp:masteryscore", "adlcp:mastery"),
        "a title longer than 200 characters": manifest.replace("<title>", "<title>" + "x" * 200, 1),
        "an element out of its place": manifest.replace("<schema>ADL SCORM</schema>", "", 1).replace(
            "</schemaversion>", "</schemaversion><schema>ADL SCORM</schema>", 1),
        "a metadata element IMS MD does not define": manifest.replace("imsmd:language", "imsmd:tongue"),
        "a malformed xml:lang": manifest.replace('xml:lang="en"', 'xml:lang="e n"', 1),
    }
    for what, text in broken.items():
        assert text != manifest, what
        assert list(schema.iter_errors(text)), what
    dangling = manifest.replace('identifierref="quiz"', 'identifierref="nowhere"').encode()
    assert any("points at no resource" in p for p in structure_problems({**files, "imsmanifest.xml": dangling}, 75))
    no_style = {k: v for k, v in files.items() if k != "style.css"}
    assert any("not in the zip" in p for p in structure_problems(no_style, 75))
    assert any("not declared" in p for p in structure_problems({**files, "extra.js": b""}, 75))
    outside = {**files, "quiz.html": files["quiz.html"].replace(b'src="quiz.js"', b'src="https://cdn.example/q.js"')}
    assert any("from outside the package" in p for p in structure_problems(outside, 75))
    assert any("mastery score" in p for p in structure_problems(files, 70))


def test_the_package_holds_the_lessons_figures_and_quiz_of_the_module(app, database):
    import_real_courses(app, only=("mobile-ballot-box",))
    files = files_of(_package(app, "mobile-ballot-box", "ru"))
    manifest = ET.fromstring(files["imsmanifest.xml"])
    with app.app_context():
        module = scorm.exportable_module("mobile-ballot-box")
        lessons = db.session.scalars(sa.select(Lesson).where(Lesson.module_id == module.id, Lesson.active)
                                     .order_by(Lesson.position)).all()
        svg = dict(db.session.execute(sa.select(Figure.name, Figure.svg).where(Figure.module_id == module.id)).all())
        bank = db.session.execute(sa.select(QuestionVersion.kind, QuestionVersion.data).join(
            Question, sa.and_(Question.id == QuestionVersion.question_id, Question.version == QuestionVersion.number))
            .where(Question.module_id == module.id, Question.active).order_by(Question.id)).all()
        items = [(i.get("identifier"), i.findtext("cp:title", None, NS)) for i in manifest.iter(f"{{{scorm.CP}}}item")]
        assert items == [(f"item-lesson-{n}", lesson.title["ru"]) for n, lesson in enumerate(lessons, 1)] + [
            ("item-quiz", "Тест")]
        shown_figures = set()
        for n, lesson in enumerate(lessons, start=1):
            page = files[f"lessons/{lesson.slug}.html"].decode()
            body = re.sub(r"\?v=[0-9a-f]{12}", "", lesson.body_html["ru"])
            assert body in page and '<html lang="ru">' in page and f"Урок {n} из {len(lessons)}" in page
            assert "?v=" not in page and "не переведён" not in page.lower()
            shown_figures |= set(re.findall(r'src="\.\./figures/([^"]+)"', page))
    assert shown_figures == {"mobile-voting-register.ru.svg", "seal-record.ru.svg"}
    assert {n for n in files if n.startswith("figures/")} == {f"figures/{name}" for name in shown_figures}
    for name in shown_figures:
        assert files[f"figures/{name}"] == svg[name]
    quiz = files["quiz.html"].decode()
    key = json.loads(re.search(r'<script type="application/json" id="quiz-key">(.*?)</script>', quiz, re.S).group(1))
    assert (key["passMark"], key["perAttempt"]) == (70, 10)
    assert [q["id"] for q in key["questions"]] == [data["id"] for _kind, data in bank]
    assert set(re.findall(r'data-question="([^"]+)"', quiz)) == {data["id"] for _kind, data in bank}
    for (kind, data), q in zip(bank, key["questions"]):
        assert q["kind"] == kind and q["parts"] == kinds.get(kind).part_ids(data)
        if kind in ("single", "multiple"):
            assert q["correct"] == sorted(o["id"] for o in data["options"] if o.get("correct"))
        if kind == "protocol":
            assert q["answers"] == {f["id"]: f["answer"] for f in data["fields"]}
    assert {q["kind"] for q in key["questions"]} == {"single", "multiple", "order", "protocol"}
    assert "Проходной балл: 70" in quiz and '<html lang="ru">' in quiz and "Отправить" in quiz
    assert "<\\/script" not in quiz and quiz.count("</script>") == 2  # the key cannot close its script early


def test_a_lesson_missing_in_the_language_is_shown_in_russian_with_a_note(app, database, course):
    files = files_of(_package(app, "sample-module", "kk"))
    first, second = files["lessons/first.html"].decode(), files["lessons/second.html"].decode()
    assert '<article class="lesson" lang="kk">' in first and "flash" not in first
    assert '<article class="lesson" lang="ru">' in second and '<p class="flash">' in second
    assert "Русский" in second and '<html lang="kk">' in second
    with app.app_context(), pytest.raises(scorm.ExportError, match="not available in 'tg'"):
        scorm.build_package(scorm.exportable_module("sample-module"), "tg")


def test_the_same_content_gives_the_same_bytes(app, database, course):
    first = _package(app, "sample-module", "en")
    ET.register_namespace("cp", scorm.CP)  # another prefix in ElementTree's global table changes nothing
    assert _package(app, "sample-module", "en") == first
    assert files_of(first)["imsmanifest.xml"].split(b"\n")[1].startswith(
        b'<manifest xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp=')
    assert _package(app, "sample-module", "ru") != first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist()[0] == "imsmanifest.xml"


def test_every_question_kind_is_graded_by_the_package():
    assert set(kinds.REGISTRY) == scorm.SUPPORTED_KINDS  # a new kind needs its parse and grade in quiz.js


def test_a_question_kind_the_package_cannot_grade_stops_the_export(app, browser, make, database, course, tmp_path):
    with app.app_context():
        question = Question(module_id=course, slug="essay", topic="first", version=1)
        db.session.add(question)
        db.session.flush()
        db.session.add(QuestionVersion(question_id=question.id, number=1, kind="essay", content_hash="x",
                                       data={"id": "essay", "type": "essay", "prompt": {"en": "Why?"}}))
        db.session.commit()
        with pytest.raises(scorm.ExportError, match="essay"):
            scorm.build_package(scorm.exportable_module("sample-module"), "en")
    result = app.test_cli_runner().invoke(args=["courses", "export-scorm", "sample-module", "--lang", "en",
                                                "-o", str(tmp_path / "x.zip")])
    assert result.exit_code == 1 and "cannot grade: essay" in result.output
    assert list(tmp_path.iterdir()) == []
    make.user("root", Role.ADMIN)
    browser.login("root")
    assert browser.get("/admin/courses/sample-module/scorm.zip?lang=en").status_code == 404


def test_a_module_without_questions_is_not_exported(app, browser, make, database, course):
    with app.app_context():
        db.session.execute(sa.update(Question).where(Question.module_id == course).values(active=False))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["courses", "export-scorm", "sample-module", "--lang", "en",
                                                "-o", "/nonexistent/never.zip"])
    assert result.exit_code == 1 and "has no active question" in result.output
    make.user("root", Role.ADMIN)
    browser.login("root")
    assert browser.get("/admin/courses/sample-module/scorm.zip?lang=en").status_code == 404


# --- flask courses export-scorm -------------------------------------------------------------------------

def _export(app, *args):
    return app.test_cli_runner().invoke(args=["courses", "export-scorm", *args])


def test_export_scorm_writes_the_package(app, database, course, tmp_path, monkeypatch):
    target = tmp_path / "out" / "sample.zip"
    target.parent.mkdir()
    target.write_bytes(b"an older file")
    result = _export(app, "sample-module", "--lang", "ru", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert f"Wrote {target}" in result.output and "2 lesson(s), pass mark 75%" in result.output
    assert target.read_bytes() == _package(app, "sample-module", "ru")
    assert [p.name for p in target.parent.iterdir()] == ["sample.zip"]  # no temporary file left
    monkeypatch.chdir(tmp_path)
    result = _export(app, "sample-module", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert files_of((tmp_path / "sample-module-en-scorm12.zip").read_bytes())["imsmanifest.xml"].startswith(b"<?xml")


def test_export_scorm_refuses_clearly_and_leaves_no_half_written_file(app, database, course, tmp_path):
    kept = tmp_path / "kept.zip"
    kept.write_bytes(b"keep me")
    cases = {
        ("no-such-module", "--lang", "en", "-o", str(kept)): "No module 'no-such-module'",
        ("sample-module", "--lang", "zz", "-o", str(kept)): "Unknown language 'zz'",
        ("sample-module", "--lang", "tg", "-o", str(kept)): "not available in 'tg'; it is in: ru, kk, en",
        ("sample-module", "--lang", "en", "-o", str(tmp_path / "missing" / "x.zip")): "Cannot write",
        ("sample-module", "--lang", "en", "-o", str(kept / "x.zip")): "Cannot write",  # under a file
    }
    for args, message in cases.items():
        result = _export(app, *args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    assert kept.read_bytes() == b"keep me"
    folder = tmp_path / "a-folder.zip"
    folder.mkdir()
    result = _export(app, "sample-module", "--lang", "en", "-o", str(folder))
    assert result.exit_code != 0
    assert list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder.zip", "kept.zip"]  # no .part file anywhere
    assert _export(app, "sample-module").exit_code == 2  # --lang is required


def test_a_failed_write_removes_its_temporary_file(app, tmp_path):
    target = tmp_path / "existing-folder"
    target.mkdir()
    (target / "inside").write_text("x")
    with pytest.raises(OSError):
        scorm.write_atomically(b"data", target)  # the rename fails after the data is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing-folder"]
    scorm.write_atomically(b"data", tmp_path / "ok.zip")
    assert (tmp_path / "ok.zip").read_bytes() == b"data"


# --- the admins' download ---------------------------------------------------------------------------------

def test_admin_downloads_a_package_per_language_from_the_courses_page(app, browser, make, database, course):
    make.user("root", Role.ADMIN)
    browser.login("root")
    page = browser.get("/admin/courses").get_data(as_text=True)
    links = re.findall(r'href="(/admin/courses/sample-module/scorm\.zip\?lang=(\w+))" download>', page)
    assert [lang for _href, lang in links] == ["ru", "kk", "en"]  # in the order of the language names
    assert "grades the answers in the learner's browser" in page  # the warning, next to the links
    for href, lang in links:
        response = browser.get(href)
        assert response.status_code == 200 and response.mimetype == "application/zip"
        assert response.headers["Content-Disposition"] == f"attachment; filename=sample-module-{lang}-scorm12.zip"
        assert response.get_data() == _package(app, "sample-module", lang)
    default = browser.get("/admin/courses/sample-module/scorm.zip")  # the admin's own language
    assert default.status_code == 200 and "sample-module-en-scorm12.zip" in default.headers["Content-Disposition"]


def test_only_admins_get_packages_and_an_unknown_one_is_404(app, browser, make, database, course):
    tree = make.tree()
    make.user("root", Role.ADMIN)
    make.user("trainer", Role.TRAINER, tree["KZ-A"])
    make.user("monitor", Role.MONITOR)
    make.user("learner", unit=tree["KZ-A-1-1"])
    url = "/admin/courses/sample-module/scorm.zip?lang=en"
    assert browser.get(url).status_code == 302  # to sign in
    for name in ("trainer", "monitor", "learner"):
        other = type(browser)(app.test_client())
        other.login(name)
        assert other.get(url).status_code == 403, name
    browser.login("root")
    for bad in ("/admin/courses/no-such-module/scorm.zip?lang=en", "/admin/courses/sample-module/scorm.zip?lang=zz",
                "/admin/courses/sample-module/scorm.zip?lang=tg", "/admin/courses/" + "x" * 300 + "/scorm.zip",
                "/admin/courses/sample-module/scorm.zip?lang=" + "e" * 1000):
        assert browser.get(bad).status_code == 404, bad
    with app.app_context():  # a module no longer in the course files is not offered, nor served
        db.session.execute(sa.update(Module).where(Module.id == course).values(active=False))
        db.session.commit()
    assert browser.get(url).status_code == 404
    assert "scorm.zip" not in browser.get("/admin/courses").get_data(as_text=True)
