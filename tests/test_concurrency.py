"""One learner's simultaneous requests (two tabs, a double click, a retry on a slow link) while a
trainer assigns a module to the learner's oblast, an administrator's unpublish racing a trainer's
assignment, and more: on PostgreSQL, with real parallel connections.

SQLite serialises every writer, so these races exist only on PostgreSQL; the test is skipped
without it (and required in CI, see conftest)."""
from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.content.models import Module
from lms.extensions import db
from lms.learn.models import Assignment, LessonCompletion, QuizAttempt
from lms.progress import rebuild
from tests.conftest import Browser, csrf_from
from tests.learn.helpers import answers

SLUG = "sample-module"


def _signed_in(app, username: str) -> Browser:
    b = Browser(app.test_client())
    assert b.login(username).status_code in (302, 303)
    return b


def _run_together(jobs):
    """Run the callables at the same moment, each on its own thread (and its own connection)."""
    barrier = threading.Barrier(len(jobs))

    def go(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(go, jobs))


def _second_module(app, course):
    import copy

    from lms.content.format import load_tree
    from lms.content.importer import import_modules
    from lms.content.models import Module
    from tests.conftest import FIXTURES

    with app.app_context():
        spec = copy.deepcopy(load_tree(FIXTURES / "courses")[0][0])
        spec.id, spec.data = "second-module", {**spec.data, "id": "second-module"}
        import_modules([spec])
        db.session.commit()
        return db.session.scalar(sa.select(Module.id).where(Module.slug == "second-module"))


def test_one_learners_parallel_requests_and_a_bulk_assignment(app, make, course, postgres_only):
    units = make.tree()
    second = _second_module(app, course)
    learner = make.user("ann", unit=units["KZ-A-1-1"])
    for n in range(30):  # other learners in the oblast, reached by the trainer's assignment
        make.user(f"other{n}", unit=units["KZ-A-1-2"])
    make.user("trainer", role=Role.TRAINER, unit=units["KZ-A"])
    make.assign(course, user=learner)

    tabs = [_signed_in(app, "ann") for _ in range(8)]
    trainer = _signed_in(app, "trainer")
    form_page = trainer.get("/train/assignments/new").get_data(as_text=True)
    token = csrf_from(form_page)
    lesson_urls = [f"/learn/modules/{SLUG}/lessons/{slug}" for slug in ("first", "second")]
    quiz_tokens = [csrf_from(t.get(f"/learn/modules/{SLUG}").get_data(as_text=True)) for t in tabs]

    def read(i):
        return lambda: tabs[i].get(lesson_urls[i % 2])

    def start(i):
        return lambda: tabs[i].client.post(f"/learn/modules/{SLUG}/quiz", data={"csrf_token": quiz_tokens[i]})

    def assign_oblast():
        return trainer.client.post("/train/assignments/new", data={
            "csrf_token": token, "modules": [str(second)], "units": [str(units["KZ-A"])], "due": "none"})

    # Round 1: two tabs on each lesson, four starts of the quiz, and the trainer's bulk assignment.
    responses = _run_together([read(0), read(1), read(2), read(3), start(4), start(5), start(6), start(7),
                               assign_oblast])
    assert [r.status_code for r in responses if r.status_code >= 500] == []
    started = {re.search(r"/attempts/(\d+)", r.headers["Location"]).group(1) for r in responses[4:8]}
    assert len(started) == 1, "a double-clicked start opens one attempt"
    attempt_id = int(started.pop())
    assert responses[8].status_code == 303, responses[8].get_data(as_text=True)[:500]

    # Round 2: the answers saved from two tabs, then submitted three times at once, while the
    # learner also opens the newly assigned module's lessons.
    form = answers(app, attempt_id, right=True)
    tokens = [csrf_from(t.get(f"/learn/attempts/{attempt_id}").get_data(as_text=True)) for t in tabs]
    saves = _run_together([lambda i=i: tabs[i].client.post(f"/learn/attempts/{attempt_id}/answers",
                                                           data={**form, "csrf_token": tokens[i]}) for i in (0, 1)])
    assert [r.status_code for r in saves] == [303, 303]
    responses = _run_together(
        [lambda i=i: tabs[i].client.post(f"/learn/attempts/{attempt_id}/submit", data={"csrf_token": tokens[i]})
         for i in range(3)]
        + [lambda i=i: tabs[i].get(f"/learn/modules/second-module/lessons/{('first', 'second')[i % 2]}")
           for i in range(3, 7)])
    assert [r.status_code for r in responses if r.status_code >= 500] == []
    assert all(r.status_code == 200 for r in responses[3:]), "the new assignment is visible at once"

    with app.app_context():
        attempts = db.session.execute(sa.select(QuizAttempt.id, QuizAttempt.submitted_at, QuizAttempt.score)
                                      .where(QuizAttempt.user_id == learner)).all()
        assert len(attempts) == 1 and attempts[0].submitted_at is not None and attempts[0].score == 100.0
        reads = db.session.scalar(sa.select(sa.func.count()).select_from(LessonCompletion)
                                  .where(LessonCompletion.user_id == learner))
        assert reads == 4  # two lessons in each module, each recorded once
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 2
        outcome = rebuild.check(limit=5)
        db.session.rollback()
    assert outcome.count == 0, "\n".join(map(str, outcome.differences))


def test_many_learners_reading_at_once_while_the_trainer_withdraws(app, make, course, postgres_only):
    """Several learners of one precinct in parallel, each in two tabs, while their assignment is
    changed: summary rows shared by all of them are updated without deadlock or lost update."""
    units = make.tree()
    names = [f"l{n}" for n in range(6)]
    for name in names:
        make.user(name, unit=units["KZ-A-1-1"])
    make.user("trainer", role=Role.TRAINER, unit=units["KZ-A"])
    unit_assignment = make.assign(course, unit=units["KZ-A-1"])
    tabs = [_signed_in(app, name) for name in names for _ in range(2)]
    trainer = _signed_in(app, "trainer")
    page = trainer.get(f"/train/assignments/{unit_assignment}/edit").get_data(as_text=True)
    token = csrf_from(page)

    jobs = [lambda i=i: tabs[i].get(f"/learn/modules/{SLUG}/lessons/{('first', 'second')[i % 2]}")
            for i in range(len(tabs))]
    jobs.append(lambda: trainer.client.post(f"/train/assignments/{unit_assignment}/edit", data={
        "csrf_token": token, "due": "date", "due_date": "2030-01-31"}))
    responses = _run_together(jobs)
    assert [r.status_code for r in responses if r.status_code >= 500] == []
    with app.app_context():
        outcome = rebuild.check(limit=5)
        db.session.rollback()
    assert outcome.count == 0, "\n".join(map(str, outcome.differences))


class _Conflict(Exception):
    """What psycopg raises on a deadlock: an error carrying SQLSTATE 40P01."""

    sqlstate = "40P01"


def test_a_conflict_is_retried_and_a_lasting_one_is_a_503_not_a_500(tmp_path):
    from sqlalchemy.exc import OperationalError

    from lms import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "LMS_DEFAULT_LOCALE": "en",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/retry.sqlite3"})
    calls = {"flaky": 0, "stuck": 0}

    @app.get("/flaky")
    def flaky():
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise OperationalError("UPDATE ...", {}, _Conflict())
        return "done"

    @app.get("/stuck")
    def stuck():
        calls["stuck"] += 1
        raise OperationalError("UPDATE ...", {}, _Conflict())

    client = app.test_client()
    response = client.get("/flaky")
    assert response.status_code == 200 and response.data == b"done" and calls["flaky"] == 3
    response = client.get("/stuck")
    assert response.status_code == 503 and calls["stuck"] == 4
    assert b"Traceback" not in response.data and b"try again" in response.data.lower()


def test_a_bulk_assignment_works_in_chunks_and_says_how_it_went(app, make, course, database, monkeypatch):
    """An oblast larger than one chunk: the learners' progress is written chunk by chunk, each in its
    own transaction, while learners keep working; the trainer is told how many were updated."""
    from lms.progress import status

    monkeypatch.setattr(status, "CHUNK", 4)
    units = make.tree()
    second = _second_module(app, course)
    names = [f"p{n}" for n in range(17)]
    for n, name in enumerate(names):
        make.user(name, unit=units[("KZ-A-1-1", "KZ-A-1-2")[n % 2]])
    make.user("trainer", role=Role.TRAINER, unit=units["KZ-A"])
    make.assign(course, unit=units["KZ-A"])
    trainer = _signed_in(app, "trainer")
    token = csrf_from(trainer.get("/train/assignments/new").get_data(as_text=True))
    tabs = [_signed_in(app, name) for name in names[:6]]

    def assign():
        return trainer.client.post("/train/assignments/new", follow_redirects=True, data={
            "csrf_token": token, "modules": [str(second)], "units": [str(units["KZ-A"])], "due": "none"})

    jobs = [assign] + [lambda i=i: tabs[i].get(f"/learn/modules/{SLUG}/lessons/first") for i in range(len(tabs))]
    responses = _run_together(jobs) if database.startswith("postgresql") else [job() for job in jobs]
    assert [r.status_code for r in responses] == [200] * len(jobs)
    assert "Progress updated for 18 learners." in responses[0].get_data(as_text=True)  # 17 and the trainer
    with app.app_context():
        outcome = rebuild.check(limit=5)
        db.session.rollback()
    assert outcome.count == 0, "\n".join(map(str, outcome.differences))


def test_a_one_time_password_opened_in_two_tabs_at_once_is_shown_once(app, make, postgres_only):
    from tests.train.test_accounts import shown_password

    units = make.tree()
    make.user("trainer", role=Role.TRAINER, unit=units["KZ-A"])
    trainer = _signed_in(app, "trainer")
    form = trainer.get("/train/learners/new").get_data(as_text=True)
    created = trainer.client.post("/train/learners/new", data={
        "csrf_token": csrf_from(form), "full_name": "Ann Bek", "username": "annb", "unit": units["KZ-A-1-1"],
        "language": "ru"})
    tabs = [app.test_client() for _ in range(3)]
    for tab in tabs:  # the same cookie in three tabs
        tab.set_cookie("session", trainer.client.get_cookie("session").value)
    pages = _run_together([lambda t=t: t.get(created.headers["Location"]) for t in tabs])
    assert [p.status_code for p in pages] == [200, 200, 200]
    shown = [p for p in pages if 'class="secret"' in p.get_data(as_text=True)
             and len(re.findall(r'<code class="secret">', p.get_data(as_text=True))) == 2]
    assert len(shown) == 1 and shown_password(shown[0].get_data(as_text=True))


def test_simultaneous_failed_sign_ins_all_count_towards_the_lock_out(app, make, postgres_only):
    """A password-guessing burst from several connections at once: every failure counts (the row
    is locked while counting), the account locks at the limit, and nobody gets a 500."""
    make.user("ann")
    limit = app.config["LMS_LOCKOUT_FAILURES"]
    guessers = [Browser(app.test_client()) for _ in range(limit)]
    tokens = [csrf_from(g.get("/login").get_data(as_text=True)) for g in guessers]
    pages = _run_together([lambda g=g, t=t: g.client.post("/login", data={
        "csrf_token": t, "username": "ann", "password": "a wrong guess"}) for g, t in zip(guessers, tokens)])
    assert [p.status_code for p in pages] == [200] * limit
    with app.app_context():
        ann = db.session.scalar(sa.select(User).where(User.username == "ann"))
        assert ann.locked and ann.failed_logins == 0  # the tenth failure locked it and cleared the count
    assert "This account is locked" in Browser(app.test_client()).login("ann").get_data(as_text=True)


def test_autosaves_racing_the_submit_never_change_a_graded_attempt(app, make, course, postgres_only):
    """Two tabs: one still autosaving other answers while the other submits. The attempt is
    graded on exactly the answers it keeps, and no save lands after the grading."""
    from lms.content import kinds
    from lms.learn.models import AttemptItem
    from tests.learn.helpers import start_quiz

    make.assign(course, user=make.user("ann"))
    tab = _signed_in(app, "ann")
    attempt_id = start_quiz(tab)
    quiz = f"/learn/attempts/{attempt_id}"
    tab.post(f"{quiz}/answers", answers(app, attempt_id), from_page=quiz)
    token = csrf_from(tab.get(f"{quiz}/review").get_data(as_text=True))
    wrong = answers(app, attempt_id, right=False)
    other = Browser(app.test_client())
    other.client.set_cookie("session", tab.client.get_cookie("session").value)
    saves = [lambda: other.client.post(f"{quiz}/answers", data={"csrf_token": token, **wrong},
                                       headers={"X-Autosave": "1"}) for _ in range(5)]
    submit = [lambda: tab.client.post(f"{quiz}/submit", data={"csrf_token": token})]
    responses = _run_together(saves + submit)
    assert all(r.status_code in (200, 303, 409) for r in responses), [r.status_code for r in responses]
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        items = db.session.scalars(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)).all()
        regraded = [kinds.get(i.version.kind).grade(i.version.data, i.answer, i.layout).credit for i in items]
        assert attempt.submitted_at is not None
        assert [i.credit for i in items] == regraded  # the credits are those of the answers stored
        assert attempt.score == round(100 * sum(regraded) / len(items), 1)


def test_a_completion_raced_from_several_tabs_gets_exactly_one_certificate(app, make, course, postgres_only,
                                                                           monkeypatch):
    """Submits of the passing attempt and certificate pages at the same moment: one certificate. Then, for a
    completion without one (from before the records), pages, PDFs and the old code's check issue it at once."""
    from lms.learn import certificate_records
    from lms.learn.models import Certificate, ModuleCompletion

    units = make.tree()
    learner = make.user("ann", unit=units["KZ-A-1-1"])
    make.assign(course, user=learner)
    tabs = [_signed_in(app, "ann") for _ in range(8)]
    for slug in ("first", "second"):
        tabs[0].get(f"/learn/modules/{SLUG}/lessons/{slug}")
    token = csrf_from(tabs[0].get(f"/learn/modules/{SLUG}").get_data(as_text=True))
    start = tabs[0].client.post(f"/learn/modules/{SLUG}/quiz", data={"csrf_token": token})
    attempt_id = int(re.search(r"/attempts/(\d+)", start.headers["Location"]).group(1))
    tokens = [csrf_from(t.get(f"/learn/attempts/{attempt_id}").get_data(as_text=True)) for t in tabs]
    assert tabs[0].client.post(f"/learn/attempts/{attempt_id}/answers", data={
        **answers(app, attempt_id, right=True), "csrf_token": tokens[0]}).status_code == 303

    def count():
        with app.app_context():
            n = db.session.scalar(sa.select(sa.func.count()).select_from(Certificate))
            db.session.rollback()
            return n

    responses = _run_together(
        [lambda i=i: tabs[i].client.post(f"/learn/attempts/{attempt_id}/submit", data={"csrf_token": tokens[i]})
         for i in range(4)]
        + [lambda i=i: tabs[i].get(f"/learn/modules/{SLUG}/certificate") for i in range(4, 8)])
    assert [r.status_code for r in responses if r.status_code >= 500] == []
    assert count() == 1

    with app.app_context():
        db.session.execute(sa.delete(Certificate))
        db.session.commit()
        old = certificate_records.legacy_code(db.session.scalar(sa.select(ModuleCompletion)))
    public = [app.test_client() for _ in range(2)]
    from lms.core import retry
    monkeypatch.setattr(retry, "ATTEMPTS", 1)  # no second try: the insert itself must tolerate the race
    responses = _run_together(
        [lambda i=i: tabs[i].get(f"/learn/modules/{SLUG}/certificate") for i in range(4)]
        + [lambda i=i: tabs[i].get(f"/learn/modules/{SLUG}/certificate.pdf") for i in range(4, 6)]
        + [lambda c=c: c.get(f"/verify/{old}") for c in public])
    assert [r.status_code for r in responses] == [200] * 8
    assert count() == 1
    codes = {re.search(r"/verify/([\w-]+)", r.get_data(as_text=True)).group(1) for r in responses[:4]}
    with app.app_context():
        cert = db.session.scalar(sa.select(Certificate))
        assert codes == {certificate_records.grouped(cert.code)} and cert.legacy_code == old


def test_an_offline_attempt_sent_from_several_tabs_at_once_is_stored_once(app, make, course, postgres_only):
    """A device back online sends the same waiting attempt from three tabs and a retry, at the same
    moment; with one attempt left, two different offline quizzes race too. Nothing is a 500, the
    first is stored once, and only one of the other two counts."""
    from tests.learn.test_offline import QUIZ, SYNC, _answers, _token

    make.assign(course, user=make.user("ann"))
    tab = _signed_in(app, "ann")
    page = tab.get(QUIZ).get_data(as_text=True)
    token, csrf = _token(page), csrf_from(page)
    form = {"csrf_token": csrf, "token": token, **_answers(app, token)}
    clients = []
    for _ in range(4):
        other = Browser(app.test_client())
        other.client.set_cookie("session", tab.client.get_cookie("session").value)
        clients.append(other)
    headers = {"Accept": "application/json"}
    responses = _run_together([lambda c=c: c.client.post(SYNC, data=form, headers=headers) for c in clients])
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.status_code for r in responses]
    assert len({r.json["url"] for r in responses}) == 1
    # the module allows two attempts: one is used; two more quizzes taken offline race for the last
    tokens = [_token(tab.get(QUIZ).get_data(as_text=True)) for _ in range(2)]
    forms = [{"csrf_token": csrf, "token": t, **_answers(app, t, right=False)} for t in tokens]
    responses = _run_together([lambda c=c, f=f: c.client.post(SYNC, data=f, headers=headers)
                               for c, f in zip(clients, forms, strict=False)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.status_code for r in responses]
    with app.app_context():
        numbers = db.session.scalars(sa.select(QuizAttempt.number).order_by(QuizAttempt.number)).all()
        assert numbers == [1, 2]


def test_a_district_moved_while_its_learners_read_and_trainers_assign_and_create(app, make, course, postgres_only):
    """An admin moves a district to another oblast, and back, at the moment its learners read lessons
    in two tabs each, both oblasts' trainers assign a module to their oblast, and accounts are created
    in one of its precincts: nobody gets a 500, and the derived tables match a rebuild."""
    from lms.orgs.models import Unit

    units = make.tree()
    units["KZ-B"] = make.unit("KZ-B", units["KZ"])
    units["KZ-B-1"] = make.unit("KZ-B-1", units["KZ-B"])
    second = _second_module(app, course)
    names = [f"m{n}" for n in range(5)]
    for n, name in enumerate(names):
        make.user(name, unit=units[("KZ-A-1-1", "KZ-A-1-2")[n % 2]])
    make.user("trainer", role=Role.TRAINER, unit=units["KZ-A"])
    make.user("trainer_b", role=Role.TRAINER, unit=units["KZ-B"])
    make.user("admin", role=Role.ADMIN)
    make.assign(course, unit=units["KZ-A-1"])
    district = units["KZ-A-1"]

    def one_round(n: int, target: int) -> None:
        tabs = [_signed_in(app, name) for name in names for _ in range(2)]
        trainer, trainer_b, admin, other = (_signed_in(app, u) for u in ("trainer", "trainer_b", "admin", "admin"))
        token = {b: csrf_from(b.get(url).get_data(as_text=True)) for b, url in (
            (trainer, "/train/assignments/new"), (trainer_b, "/train/assignments/new"),
            (admin, f"/admin/units/{district}/move"), (other, "/train/learners/new"))}
        due = f"2031-0{n + 1}-15"
        jobs = [lambda i=i: tabs[i].get(f"/learn/modules/{SLUG}/lessons/{('first', 'second')[i % 2]}")
                for i in range(len(tabs))]
        jobs += [lambda b=b, oblast=oblast: b.client.post("/train/assignments/new", data={
                     "csrf_token": token[b], "modules": [str(second)], "units": [str(oblast)], "due": "date",
                     "due_date": due}) for b, oblast in ((trainer, units["KZ-A"]), (trainer_b, units["KZ-B"]))]
        jobs.append(lambda: admin.client.post(f"/admin/units/{district}/move", data={
            "csrf_token": token[admin], "parent": str(target)}))
        jobs.append(lambda: other.client.post("/train/learners/new", data={
            "csrf_token": token[other], "full_name": f"New Official {n}", "unit": units["KZ-A-1-1"],
            "language": "ru"}))
        responses = _run_together(jobs)
        assert [r.status_code for r in responses if r.status_code >= 500] == []
        assert [r.status_code for r in responses[-4:]] == [303, 303, 303, 303], [r.status_code for r in responses]
        with app.app_context():
            precinct = db.session.get(Unit, units["KZ-A-1-2"])
            assert (precinct.oblast_id, precinct.district_id) == (target, district)
            outcome = rebuild.check(limit=5)
            db.session.rollback()
        assert outcome.count == 0, "\n".join(map(str, outcome.differences))

    one_round(0, units["KZ-B"])
    one_round(1, units["KZ-A"])


def test_a_precinct_closed_while_accounts_and_assignments_are_made_there(app, make, course, postgres_only):
    """Closing a precinct at the moment a trainer creates accounts in it and assigns it a module: each
    of those is either done before the close or refused with a form error after it, never a 500."""
    from lms.learn.models import Assignment
    from lms.orgs.models import Unit

    units = make.tree()
    precinct = units["KZ-A-1-1"]
    make.user("trainer", role=Role.TRAINER, unit=units["KZ-A"])
    make.user("admin", role=Role.ADMIN)
    admin = _signed_in(app, "admin")
    close_token = csrf_from(admin.get(f"/admin/units/{precinct}/close").get_data(as_text=True))
    trainers = [_signed_in(app, "trainer") for _ in range(4)]
    tokens = [csrf_from(t.get(url).get_data(as_text=True)) for t, url in zip(trainers, [
        "/train/learners/new", "/train/learners/new", "/train/assignments/new", "/train/assignments/new"])]

    def create(i):
        return lambda: trainers[i].client.post("/train/learners/new", data={
            "csrf_token": tokens[i], "full_name": f"Official {i}", "unit": precinct, "language": "ru"})

    def assign(i):
        return lambda: trainers[i].client.post("/train/assignments/new", data={
            "csrf_token": tokens[i], "modules": [str(course)], "units": [str(precinct)], "due": "none"})

    responses = _run_together([create(0), create(1), assign(2), assign(3),
                               lambda: admin.client.post(f"/admin/units/{precinct}/close",
                                                         data={"csrf_token": close_token})])
    assert [r.status_code for r in responses] == [r.status_code for r in responses if r.status_code < 500]
    assert responses[-1].status_code == 303
    for r in responses[:4]:
        assert r.status_code == 303 or "is closed: it takes no new" in r.get_data(as_text=True), r.status_code
    with app.app_context():
        closed_at = db.session.get(Unit, precinct).closed_at
        assert closed_at is not None
        created = db.session.scalars(sa.select(User.created_at).where(User.unit_id == precinct)).all()
        assigned = db.session.scalars(sa.select(Assignment.created_at).where(Assignment.unit_id == precinct)).all()
        assert all(at <= closed_at for at in created + assigned)
        assert len(created) == sum(r.status_code == 303 for r in responses[:2])


def _after(seconds: float, job):
    """The job, started `seconds` after the others (so that it meets them inside their transaction)."""
    def later():
        time.sleep(seconds)
        return job()
    return later


def test_an_unpublish_racing_a_bulk_assignment_never_leaves_an_assignment_made_after_it(app, make, course,
                                                                                          postgres_only,
                                                                                          monkeypatch):
    """Both paths lock the module's row: an assignment that read the module as published is committed
    before the unpublish writes, and one that comes while an unpublish is under way waits for it and is
    refused on the form. Each side is slowed inside its transaction, so that the other one meets it."""
    from lms.admin import courses_service
    from lms.train import assign_service
    from lms.train.models import AuditEvent

    units = make.tree()
    for n in range(12):
        make.user(f"official{n}", unit=units["KZ-A-1-2"])
    make.user("trainer", role=Role.TRAINER, unit=units["KZ-A"])
    make.user("admin", role=Role.ADMIN)
    trainer, admin = _signed_in(app, "trainer"), _signed_in(app, "admin")
    slow = {"assign": False, "unpublish": False}
    scoped_units, real_audit = assign_service._scoped_units, courses_service.audit

    def slow_units(*args, **kwargs):
        """After the module's check, before the assignments are written."""
        if slow["assign"]:
            time.sleep(0.6)
        return scoped_units(*args, **kwargs)

    class SlowAudit:
        @staticmethod
        def record(*args, **kwargs):
            """After the unpublish is written, before it is committed."""
            real_audit.record(*args, **kwargs)
            db.session.flush()
            if slow["unpublish"]:
                time.sleep(0.6)

    monkeypatch.setattr(assign_service, "_scoped_units", slow_units)
    monkeypatch.setattr(courses_service, "audit", SlowAudit)

    def assign(unit: str):
        token = csrf_from(trainer.get("/train/assignments/new").get_data(as_text=True))
        return lambda: trainer.client.post("/train/assignments/new", data={
            "csrf_token": token, "modules": [str(course)], "units": [str(units[unit])], "due": "none"})

    def action(name: str):
        token = csrf_from(admin.get("/admin/courses").get_data(as_text=True))
        return lambda: admin.client.post(f"/admin/courses/{SLUG}/{name}", data={"csrf_token": token})

    def made_while_unpublished() -> list:
        """The assignments of the module made while it was unpublished (by the audit log's times)."""
        with app.app_context():
            created = db.session.scalars(sa.select(Assignment.created_at).where(Assignment.module_id == course)).all()
            changes = db.session.execute(sa.select(AuditEvent.action, AuditEvent.at).where(
                AuditEvent.action.in_(("module.publish", "module.unpublish"))).order_by(AuditEvent.at)).all()
        windows, start = [], None
        for name, at in changes:
            if name == "module.unpublish":
                start = at
            elif start is not None:
                windows.append((start, at))
                start = None
        if start is not None:
            windows.append((start, None))
        return [at for at in created if any(s < at and (e is None or at < e) for s, e in windows)]

    # 1. The assignment first: the unpublish waits for it, then both are done, in that order.
    slow.update(assign=True, unpublish=False)
    made, unpublished = _run_together([assign("KZ-A"), _after(0.15, action("unpublish"))])
    assert (made.status_code, unpublished.status_code) == (303, 303), made.get_data(as_text=True)[:300]
    assert made_while_unpublished() == []
    assert admin.post(f"/admin/courses/{SLUG}/publish", from_page="/admin/courses").status_code == 303

    # 2. The unpublish first: the assignment waits for it, reads the module as unpublished, and is refused.
    slow.update(assign=False, unpublish=True)
    unpublished, refused = _run_together([action("unpublish"), _after(0.15, assign("KZ-A-1"))])
    assert unpublished.status_code == 303
    assert refused.status_code == 200 and "no longer offered for assignment" in refused.get_data(as_text=True)
    assert made_while_unpublished() == []
    with app.app_context():
        assert db.session.scalars(sa.select(Assignment.unit_id)).all() == [units["KZ-A"]]
        assert db.session.scalar(sa.select(Module.published).where(Module.id == course)) is False
        outcome = rebuild.check(limit=5)
        db.session.rollback()
    assert outcome.count == 0, "\n".join(map(str, outcome.differences))


def test_ones_own_language_contacts_and_password_changed_from_tabs_at_once(app, make, postgres_only):
    """One account's self-service writes (lms.auth.views, through own_account()) from three tabs at
    the same moment: none is a 500, each change is stored whole, and the password change keeps its tab."""
    from tests.conftest import PASSWORD

    make.user("ann")
    tabs = [_signed_in(app, "ann") for _ in range(3)]
    forms = [t.get(page).get_data(as_text=True) for t, page in zip(tabs, ("/learn/", "/account", "/account/password"))]
    pages = _run_together([
        lambda: tabs[0].client.post("/language", data={"csrf_token": csrf_from(forms[0]), "lang": "kk",
                                                      "next": "/learn/"}),
        lambda: tabs[1].client.post("/account", data={"csrf_token": csrf_from(forms[1]), "email": "ann@example.org",
                                                     "phone": "+77011234567"}),
        lambda: tabs[2].client.post("/account/password", data={
            "csrf_token": csrf_from(forms[2]), "current": PASSWORD, "new": "a brand new passphrase 42",
            "confirm": "a brand new passphrase 42"}),
    ])
    assert [p.status_code for p in pages] == [303, 303, 302], [p.get_data(as_text=True)[:300] for p in pages]
    with app.app_context():
        ann = db.session.scalar(sa.select(User).where(User.username == "ann"))
        assert (ann.locale, ann.email, ann.phone, ann.must_change_password) == ("kk", "ann@example.org",
                                                                              "+77011234567", False)
    assert tabs[2].get("/learn/").status_code == 200  # the tab that changed the password stays signed in
    assert Browser(app.test_client()).login("ann", "a brand new passphrase 42").status_code == 302
