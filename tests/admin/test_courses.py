"""The courses page: versions, languages and use of each module; publishing; the import from the page;
the preview of a module in any language that records nothing; what a change of content does to attempts."""
from __future__ import annotations

import copy
import html
import re
import shutil

import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.content.models import Module
from lms.extensions import db
from lms.learn.models import Assignment, QuizAttempt
from lms.progress import rebuild
from lms.train import assign_service
from lms.train.models import AuditEvent
from tests.conftest import FIXTURES, count_queries, csrf_from
from tests.learn.helpers import answers, attempt_items, start_quiz, submit
from tests.test_i18n import visible_text
from tests.train.test_assignments import assign, signed_in

SLUG = "sample-module"


def _world(make, course):
    tree = make.tree()
    ids = {"admin": make.user("admin", Role.ADMIN, full_name="Ada Admin"),
           "trainer": make.user("trainer", Role.TRAINER, tree["KZ-A"]),
           "ann": make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann Akhmetova"),
           "bob": make.user("bob", unit=tree["KZ-A-1-2"])}
    return tree, ids


def _text(response) -> str:
    return " ".join(visible_text(response.get_data(as_text=True)).split())


def _post(browser, url, data=None, from_page="/admin/courses"):
    return browser.post(url, data or {}, from_page=from_page)


def _audit(app, action):
    with app.app_context():
        return [(e.actor_id, e.target_type, e.target_id, e.details)
                for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                            .order_by(AuditEvent.id))]


def _consistent(app):
    with app.app_context():
        outcome = rebuild.check(limit=5)
        db.session.rollback()
    assert outcome.count == 0, "\n".join(map(str, outcome.differences))


def _extra_modules(app, n, first=0):
    """`n` more modules, copies of the fixture module named copy-<first>, copy-<first + 1>..."""
    with app.app_context():
        base = load_tree(FIXTURES / "courses")[0][0]
        specs = []
        for i in range(first, first + n):
            spec = copy.deepcopy(base)
            spec.id, spec.data = f"copy-{i}", {**spec.data, "id": f"copy-{i}"}
            specs.append(spec)
        import_modules(specs)
        db.session.commit()
        return [db.session.scalar(sa.select(Module.id).where(Module.slug == s.id)) for s in specs]


# --- the page ----------------------------------------------------------------------------------

def test_the_page_lists_version_languages_and_use_in_a_fixed_number_of_queries(app, make, course, database):
    tree, ids = _world(make, course)
    make.assign(course, unit=tree["KZ-A"])
    admin = signed_in(app, "admin")
    ann = signed_in(app, "ann")
    aid = start_quiz(ann)  # one attempt in progress
    assert aid
    assert "/admin/courses" in admin.get("/admin/").get_data(as_text=True)
    response = admin.get("/admin/courses")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(response)
    with app.app_context():
        module = db.session.get(Module, course)
        version, digest = module.version, module.content_hash
    assert "Sample module" in text and SLUG in text
    assert f"<code title=\"{digest}\">{digest[:10]}</code>" in html and f">{version}<" in html
    # two lessons and four questions: both in English and Russian, one lesson in Kazakh
    assert "English : 2/2, 4/4" in text and "Русский : 2/2, 4/4" in text and "Қазақша : 1/2, 0/4" in text
    assert f'href="/admin/courses/{SLUG}/preview?lang=kk"' in html
    row = re.search(rf'<tr id="module-{SLUG}">(.*?)</tr>', html, re.S).group(1)
    cells = [" ".join(visible_text(c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    # one live assignment, reaching Ann, Bob and their trainer (trainers take modules too); Ann's open attempt
    assert cells[3:6] == ["1", "3 (0)", "1"]
    assert "Published" in cells[6] and "Unpublish" in cells[6]
    assert "What a change in the course files does" in text

    _extra_modules(app, 3)
    with count_queries(app) as few:
        admin.get("/admin/courses")
    _extra_modules(app, 3, first=3)
    with count_queries(app) as more:
        assert admin.get("/admin/courses").get_data(as_text=True).count('<tr id="module-') == 7
    assert len(more) == len(few), "no query per module"


def test_non_admins_are_refused_every_course_page(app, make, course, database):
    _world(make, course)
    for username in ("trainer", "ann"):
        b = signed_in(app, username)
        token = csrf_from(b.get("/account/password").get_data(as_text=True))
        for url in ("/admin/courses", f"/admin/courses/{SLUG}/preview", f"/admin/courses/{SLUG}/preview/quiz",
                    f"/admin/courses/{SLUG}/preview/lessons/first"):
            assert b.get(url).status_code == 403, (username, url)
        for url in (f"/admin/courses/{SLUG}/unpublish", f"/admin/courses/{SLUG}/publish", "/admin/courses/import",
                    f"/admin/courses/{SLUG}/preview/quiz"):
            assert b.client.post(url, data={"csrf_token": token}).status_code == 403, (username, url)
    with app.app_context():
        assert db.session.get(Module, course).published
        assert not db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("module.%"))).all()


# --- publishing ----------------------------------------------------------------------------------

def test_an_unpublished_module_cannot_be_assigned_and_a_learner_who_started_it_can_finish(app, make, course,
                                                                                       database):
    tree, ids = _world(make, course)
    make.assign(course, user=ids["ann"])
    ann = signed_in(app, "ann")
    assert ann.get(f"/learn/modules/{SLUG}/lessons/first").status_code == 200
    aid = start_quiz(ann)

    admin = signed_in(app, "admin")
    assert _post(admin, f"/admin/courses/{SLUG}/unpublish").status_code == 303
    assert "Not published" in _text(admin.get("/admin/courses"))
    assert _audit(app, "module.unpublish") == [(ids["admin"], "module", course,
                                                {"module_id": course, "slug": SLUG, "version": 1})]
    assert _post(admin, f"/admin/courses/{SLUG}/unpublish").status_code == 303  # again: nothing to do
    assert len(_audit(app, "module.unpublish")) == 1

    # the trainer is no longer offered it, and a forged post is a form error, not an assignment
    trainer = signed_in(app, "trainer")
    form_page = trainer.get("/train/assignments/new").get_data(as_text=True)
    assert f'value="{course}"' not in form_page and "Sample module" not in form_page
    response = assign(trainer, modules=[str(course)], units=[str(tree["KZ-A"])])
    assert response.status_code == 200 and "not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 1
        with pytest.raises(assign_service.AssignError, match="unpublished"):  # the service refuses it too
            assign_service.create(db.session.get(User, ids["trainer"]), [course], [tree["KZ-A"]], [],
                                  assign_service.DueRule())
        db.session.rollback()
    # the filters of the trainer's lists keep it
    assert "Sample module" in trainer.get("/train/assignments").get_data(as_text=True)

    # Ann still has it, and finishes it: the other lesson, the quiz, the certificate
    assert "Sample module" in ann.get("/learn/").get_data(as_text=True)
    assert ann.get(f"/learn/modules/{SLUG}").status_code == 200
    assert ann.get(f"/learn/modules/{SLUG}/lessons/second").status_code == 200
    assert submit(ann, aid, answers(app, aid)).status_code == 303
    module_page = _text(ann.get(f"/learn/modules/{SLUG}"))
    assert "Completed" in module_page
    assert ann.get(f"/learn/modules/{SLUG}/certificate").status_code == 200
    # Bob, who never had it, cannot open it
    assert signed_in(app, "bob").get(f"/learn/modules/{SLUG}").status_code == 404
    # the trainer's progress page keeps the module and Ann's completion
    progress = trainer.get("/train/progress").get_data(as_text=True)
    assert "Sample module" in progress
    _consistent(app)

    # published again: offered again
    assert _post(admin, f"/admin/courses/{SLUG}/publish").status_code == 303
    assert len(_audit(app, "module.publish")) == 1
    assert f'value="{course}"' in trainer.get("/train/assignments/new").get_data(as_text=True)
    assert assign(trainer, modules=[str(course)], units=[str(tree["KZ-A"])]).status_code == 303
    _consistent(app)


def test_publishing_refuses_a_post_without_its_token_and_an_unknown_module(app, make, course, database):
    _world(make, course)
    admin = signed_in(app, "admin")
    assert admin.client.post(f"/admin/courses/{SLUG}/unpublish").status_code == 400
    assert _post(admin, "/admin/courses/no-such-module/unpublish").status_code == 404
    assert _post(admin, "/admin/courses/" + "x" * 300 + "/publish").status_code == 404
    with app.app_context():
        assert db.session.get(Module, course).published


# --- the import from the page --------------------------------------------------------------------

def _copy(tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", root)
    return root


def _counts(app):
    from lms.content.models import Lesson, Question, QuestionVersion
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                     for m in (Module, Lesson, Question, QuestionVersion, AuditEvent))


def test_an_import_with_problems_lists_each_as_file_line_message_and_writes_nothing(app, make, course, database,
                                                                                     tmp_path, monkeypatch):
    _world(make, course)
    root = _copy(tmp_path)
    shutil.copytree(root / SLUG, root / "another-module")  # a good new module beside two broken files
    (root / "another-module" / "module.yaml").write_text(
        (root / "another-module" / "module.yaml").read_text().replace(f"id: {SLUG}", "id: another-module"))
    qfile = root / SLUG / "questions.yaml"
    qfile.write_text(qfile.read_text().replace("correct: true", "correct: maybe", 1))
    (root / SLUG / "lessons" / "second.ru.md").unlink()
    monkeypatch.setitem(app.config, "LMS_COURSES_PATH", str(root))
    admin = signed_in(app, "admin")
    assert str(root) in admin.get("/admin/courses").get_data(as_text=True)
    before = _counts(app)
    response = _post(admin, "/admin/courses/import")
    assert response.status_code == 200
    text = _text(response)
    assert "Nothing has been imported" in text
    problems = [html.unescape(p) for p in re.findall(r"<li><code>([^<]+)</code></li>", response.get_data(as_text=True))]
    assert len(problems) >= 2
    assert all(re.match(r"^[\w./-]+:\d+: .+", p) for p in problems), problems
    where = f"{root}/{SLUG}"
    assert f"{where}/questions.yaml:8: questions/0/options/1/correct: 'maybe' is not of type 'boolean'" in problems
    assert f"{where}/module.yaml:17: lesson 'second' has no ru file ({where}/lessons/second.ru.md)" in problems
    assert _counts(app) == before  # no module, lesson, question or audit row


def test_an_import_from_the_page_reports_its_counts_and_is_audited(app, make, course, database, tmp_path,
                                                                     monkeypatch):
    _, ids = _world(make, course)
    root = _copy(tmp_path)
    shutil.copytree(root / SLUG, root / "another-module")
    (root / "another-module" / "module.yaml").write_text(
        (root / "another-module" / "module.yaml").read_text().replace(f"id: {SLUG}", "id: another-module"))
    monkeypatch.setitem(app.config, "LMS_COURSES_PATH", str(root))
    admin = signed_in(app, "admin")
    response = _post(admin, "/admin/courses/import")
    assert response.status_code == 303
    text = _text(admin.get("/admin/courses"))
    assert "Modules created: 1, updated: 0, unchanged: 1. New question versions: 4." in text
    assert "another-module" in text
    [(actor, kind, target, details)] = _audit(app, "courses.import")
    assert (actor, kind, target) == (ids["admin"], "import", None)
    assert details == {"created": 1, "updated": 0, "unchanged": 1, "new_question_versions": 4,
                       "modules": ["another-module"]}
    audit_page = _text(admin.get("/admin/audit"))
    assert "Ada Admin imported the course files. Modules created: 1, updated: 0, unchanged: 1." in audit_page
    assert admin.client.post("/admin/courses/import").status_code == 400  # no token



# --- the preview ---------------------------------------------------------------------------------

def _everything(app) -> dict[str, list]:
    """Every row of every table but the sign-ins (each request marks its session as seen)."""
    with app.app_context():
        return {t.name: sorted((tuple(r) for r in db.session.execute(sa.select(t))), key=repr)
                for t in db.metadata.sorted_tables if t.name != "sign_ins"}


def _preview_answers(app, page: str, right: bool = True) -> dict[str, object]:
    """The preview quiz's token and answers to each drawn question (all right, or all wrong)."""
    from itsdangerous import URLSafeSerializer

    from lms.content.models import QuestionVersion
    token = html.unescape(re.search(r'name="preview_token" value="([^"]+)"', page).group(1))
    drawn = URLSafeSerializer(app.secret_key, salt="lms.course-preview").loads(token)["q"]
    form: dict[str, object] = {"preview_token": token}
    with app.app_context():
        for position, (version_id, _layout) in enumerate(drawn):
            v = db.session.get(QuestionVersion, version_id)
            key = f"q{position}"
            if v.kind in ("single", "multiple"):
                chosen = [o["id"] for o in v.data["options"] if bool(o.get("correct")) == right]
                form[key] = chosen[0] if v.kind == "single" else chosen
            elif v.kind == "order":
                steps = [s["id"] for s in v.data["steps"]]
                for n, sid in enumerate(steps if right else steps[::-1], start=1):
                    form[f"{key}-{sid}"] = str(n)
            else:
                for f in v.data["fields"]:
                    form[f"{key}-{f['id']}"] = str(f["answer"] + (0 if right else 1))
    return form


def test_the_preview_shows_a_module_in_any_language_as_learners_see_it_and_records_nothing(app, make, course,
                                                                                          database):
    from tests.test_i18n import catalog
    tree, ids = _world(make, course)
    make.assign(course, unit=tree["KZ-A"])
    ann = signed_in(app, "ann")
    ann.get(f"/learn/modules/{SLUG}/lessons/first")
    admin = signed_in(app, "admin")  # reads English
    kk = {m.id: m.string for m in catalog("kk") if m.id and isinstance(m.id, str)}
    before = _everything(app)

    page = admin.get(f"/admin/courses/{SLUG}/preview?lang=kk").get_data(as_text=True)
    assert '<html lang="kk">' in page
    assert "Preview of “Sample module” in Қазақша, as a learner sees it." in page  # the banner: the admin's words
    assert kk["Start the quiz"] in page and kk["Lessons"] in page  # the page: the learner's
    assert f'href="/admin/courses/{SLUG}/preview/lessons/first?lang=kk"' in page
    assert f'action="/admin/courses/{SLUG}/preview/quiz?lang=kk"' in page
    assert "/learn/modules/sample-module/lessons" not in page and "/learn/modules/sample-module/quiz" not in page
    assert 'href="/admin/courses/sample-module/preview?lang=tk"' in page  # any language, from the banner
    assert "You are previewing this module" not in page and "data-offline-save" not in page

    first = admin.get(f"/admin/courses/{SLUG}/preview/lessons/first?lang=kk").get_data(as_text=True)
    assert "Көшпелі жәшікті" in first and '<article class="lesson" lang="kk">' in first
    second = admin.get(f"/admin/courses/{SLUG}/preview/lessons/second?lang=kk").get_data(as_text=True)
    assert "Текст второго урока." in second and '<article class="lesson" lang="ru">' in second  # the fallback
    assert f'href="/admin/courses/{SLUG}/preview/lessons/first?lang=kk"' in second  # "Previous"
    assert admin.get(f"/admin/courses/{SLUG}/preview/lessons/third?lang=kk").status_code == 404
    english = admin.get(f"/admin/courses/{SLUG}/preview/lessons/first?lang=en").get_data(as_text=True)
    assert '<article class="lesson" lang="en">' in english and '<html lang="en">' in english

    start = admin.post(f"/admin/courses/{SLUG}/preview/quiz?lang=ru", from_page=f"/admin/courses/{SLUG}/preview")
    assert start.status_code == 303 and start.headers["Location"].endswith("/preview/quiz?lang=ru")
    quiz = admin.get(f"/admin/courses/{SLUG}/preview/quiz?lang=ru").get_data(as_text=True)
    assert "Сколько членов сопровождают ящик?" in quiz and quiz.count('<fieldset class="question"') == 4
    assert 'type="radio" name="q' in quiz and 'type="checkbox" name="q' in quiz  # the learner's inputs
    assert "data-autosave" not in quiz and "correct" not in quiz
    result = admin.post(f"/admin/courses/{SLUG}/preview/quiz?lang=en", _preview_answers(app, quiz),
                        from_page=f"/admin/courses/{SLUG}/preview").get_data(as_text=True)
    assert "Passed." in result and "100%" in result and "Two members, ideally from different parties." in result
    wrong = admin.post(f"/admin/courses/{SLUG}/preview/quiz?lang=en", _preview_answers(app, quiz, right=False),
                       from_page=f"/admin/courses/{SLUG}/preview").get_data(as_text=True)
    assert "Not passed." in wrong and "0%" in wrong
    assert f'action="/admin/courses/{SLUG}/preview/quiz?lang=en"' in wrong  # "Try again": a new draw
    forged = _preview_answers(app, quiz)
    forged["preview_token"] = forged["preview_token"][:-2] + "xx"
    assert admin.post(f"/admin/courses/{SLUG}/preview/quiz", forged,
                      from_page=f"/admin/courses/{SLUG}/preview").status_code == 400
    assert admin.get("/admin/courses/no-such-module/preview").status_code == 404
    assert _everything(app) == before, "the preview wrote something"


# --- what a change of content does ---------------------------------------------------------------

OLD, NEW = "How many members escort the box?", "How many members go with the box?"


def test_a_changed_question_leaves_finished_and_open_attempts_on_the_questions_they_drew(app, make, course, database,
                                                                                       tmp_path, monkeypatch):
    tree, ids = _world(make, course)
    make.assign(course, user=ids["ann"])
    make.assign(course, user=ids["bob"])
    ann, bob = signed_in(app, "ann"), signed_in(app, "bob")
    finished = start_quiz(ann)
    submit(ann, finished, answers(app, finished, right=False))
    in_progress = start_quiz(bob)  # the bank has four questions and an attempt draws four: every attempt has it
    assert OLD in bob.get(f"/learn/attempts/{in_progress}").get_data(as_text=True)

    root = _copy(tmp_path)
    qfile, mfile = root / SLUG / "questions.yaml", root / SLUG / "module.yaml"
    qfile.write_text(qfile.read_text().replace(OLD, NEW))
    mfile.write_text(mfile.read_text().replace("pass_mark: 75", "pass_mark: 100"))
    monkeypatch.setitem(app.config, "LMS_COURSES_PATH", str(root))
    admin = signed_in(app, "admin")
    assert _post(admin, "/admin/courses/import").status_code == 303
    flashed = _text(admin.get("/admin/courses"))
    assert "Modules created: 0, updated: 1, unchanged: 0. New question versions: 1." in flashed
    with app.app_context():
        assert db.session.get(Module, course).version == 2

    # the finished attempt: its result page, the learner's and the trainer's, shows the question it was graded on
    result = ann.get(f"/learn/attempts/{finished}").get_data(as_text=True)
    assert OLD in result and NEW not in result and "Not passed." in result
    trainer = signed_in(app, "trainer")
    seen = trainer.get(f"/train/learners/{ids['ann']}/attempts/{finished}").get_data(as_text=True)
    assert OLD in seen and NEW not in seen
    # the open attempt keeps its questions and its pass mark, and is graded on them
    quiz = bob.get(f"/learn/attempts/{in_progress}").get_data(as_text=True)
    assert OLD in quiz and NEW not in quiz
    submit(bob, in_progress, answers(app, in_progress))
    with app.app_context():
        graded = db.session.get(QuizAttempt, in_progress)
        assert (graded.score, graded.passed, graded.pass_mark, graded.module_version) == (100.0, True, 75, 1)
    # a new attempt draws the new wording and the new pass mark
    again = start_quiz(ann)
    page = ann.get(f"/learn/attempts/{again}").get_data(as_text=True)
    assert NEW in page and OLD not in page
    assert {data["prompt"]["en"] for _, _, data, _ in attempt_items(app, again)} >= {NEW}
    with app.app_context():
        fresh = db.session.get(QuizAttempt, again)
        assert (fresh.pass_mark, fresh.module_version) == (100, 2)
    _consistent(app)
