"""Derived tables are correct by construction: after any sequence of operations through the
services, `reports rebuild --check` finds nothing to change (SQLite and PostgreSQL)."""
from __future__ import annotations

import copy
import random
from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from lms.auth.models import Role, User
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.content.models import Lesson, Module
from lms.extensions import db
from lms.learn import services
from lms.learn.models import Assignment, QuizAttempt
from lms.progress import rebuild
from lms.train import accounts_service, assign_service, calendar_service
from tests.conftest import FIXTURES, truncate_all

OPS = ("assign_unit", "assign_learner", "withdraw", "due_date", "move", "deactivate", "reactivate",
       "read", "submit", "attendance", "reimport", "grant", "create", "move_unit", "publish")

# the learner's own operations are the most frequent, as in life
WEIGHTED = OPS + ("assign_unit", "read", "read", "read", "submit", "submit", "submit", "move_unit")
operation = st.tuples(st.sampled_from(WEIGHTED), st.integers(0, 1_000_000))


class World:
    """A country with two oblasts, three districts and five precincts, an admin, two modules and
    learners; every operation runs in its own transaction, as a request does."""

    def __init__(self, app):
        self.app = app
        truncate_all(app)
        with app.app_context():
            from lms.orgs.models import Unit

            def unit(code, parent=None):
                u = Unit(code=code, names={"en": code, "ru": code})
                u.attach(parent)
                db.session.add(u)
                db.session.flush()
                return u

            kz = unit("KZ")
            oblast = unit("KZ-A", kz)
            districts = [unit(f"KZ-A-{d}", oblast) for d in (1, 2)]
            precincts = [unit(f"KZ-A-{d}-{p}", districts[d - 1]) for d in (1, 2) for p in (1, 2)]
            other = unit("KZ-B", kz)  # units move between the two oblasts
            districts.append(unit("KZ-B-1", other))
            precincts.append(unit("KZ-B-1-1", districts[-1]))
            self.units = [kz.id, oblast.id, other.id] + [d.id for d in districts]
            self.precincts = [p.id for p in precincts]
            admin = User(username="admin", full_name="Admin", role=Role.ADMIN, password_hash="x")
            db.session.add(admin)
            db.session.flush()
            self.admin = admin.id
            specs, problems = load_tree(FIXTURES / "courses")
            assert not problems
            first = specs[0]
            second = copy.deepcopy(first)
            second.id = "second-module"
            second.data = {**second.data, "id": "second-module", "requires_attendance": True}
            self.specs = [first, second]
            import_modules(self.specs)
            db.session.commit()
            self.modules = list(db.session.scalars(sa.select(Module.id).order_by(Module.id)))
        for n in range(4):
            self.op("create", n)

    def op(self, name: str, n: int) -> None:
        rng = random.Random(n)
        with self.app.app_context():
            admin = db.session.get(User, self.admin)
            getattr(self, "_" + name)(admin, rng)
            db.session.commit()

    # --- helpers
    def _learner(self, rng, active=None) -> User | None:
        query = sa.select(User).where(User.role == Role.LEARNER).order_by(User.id)
        if active is not None:
            query = query.where(User.active.is_(active))
        learners = db.session.scalars(query).all()
        return rng.choice(learners) if learners else None

    def _module(self, rng) -> Module:
        return db.session.get(Module, rng.choice(self.modules))

    def _live(self, rng) -> Assignment | None:
        live = db.session.scalars(sa.select(Assignment).where(Assignment.withdrawn_at.is_(None))
                                  .order_by(Assignment.id)).all()
        return rng.choice(live) if live else None

    def _rule(self, rng) -> assign_service.DueRule:
        if rng.random() < 0.4:
            return assign_service.DueRule()
        return assign_service.DueRule(kind="date", due_date=date.today() + timedelta(days=rng.randint(-20, 20)))

    # --- operations
    def _create(self, admin, rng):
        accounts_service.create_learner(admin, f"Learner {rng.randint(1, 10**9)}", None,
                                        rng.choice(self.precincts), "ru")

    def _assign_unit(self, admin, rng):
        try:
            assign_service.create(admin, [rng.choice(self.modules)], [rng.choice(self.units + self.precincts)], [],
                                  self._rule(rng))
        except assign_service.AssignError:
            pass

    def _assign_learner(self, admin, rng):
        learner = self._learner(rng)
        if learner:
            try:
                assign_service.create(admin, [rng.choice(self.modules)], [], [learner.id], self._rule(rng))
            except assign_service.AssignError:  # an unpublished module
                pass

    def _withdraw(self, admin, rng):
        if a := self._live(rng):
            assign_service.withdraw(admin, a)

    def _due_date(self, admin, rng):
        if a := self._live(rng):
            assign_service.update(admin, a, self._rule(rng))

    def _move(self, admin, rng):
        if learner := self._learner(rng):
            accounts_service.update_learner(admin, learner, learner.full_name, rng.choice(self.precincts),
                                            learner.locale, learner.active)

    def _deactivate(self, admin, rng):
        if learner := self._learner(rng, active=True):
            accounts_service.set_active(admin, learner, False)

    def _reactivate(self, admin, rng):
        if learner := self._learner(rng, active=False):
            accounts_service.set_active(admin, learner, True)

    def _read(self, admin, rng):
        learner, module = self._learner(rng, active=True), self._module(rng)
        if learner and services.can_open(learner, module):
            lessons = db.session.scalars(sa.select(Lesson).where(Lesson.module_id == module.id, Lesson.active)
                                         .order_by(Lesson.position)).all()
            if lessons:
                services.mark_lesson_read(learner, rng.choice(lessons), services.access(learner, module)[1])

    def _submit(self, admin, rng):
        learner, module = self._learner(rng, active=True), self._module(rng)
        if not learner or not services.can_open(learner, module):
            return
        try:
            attempt = services.start_attempt(learner, module, rng)
        except services.QuizError:
            return
        db.session.flush()
        right = rng.random() < 0.6
        form = MultiDict()
        for item in attempt.items:
            kind, data, key = item.version.kind, item.version.data, f"q{item.position}"
            if kind in ("single", "multiple"):
                for o in data["options"]:
                    if bool(o.get("correct")) == right:
                        form.add(key, o["id"])
                        if kind == "single":
                            break
            elif kind == "order":
                steps = [s["id"] for s in data["steps"]]
                for i, sid in enumerate(steps if right else steps[::-1], start=1):
                    form[f"{key}-{sid}"] = str(i)
            else:
                for f in data["fields"]:
                    form[f"{key}-{f['id']}"] = str(f["answer"] + (0 if right else 1))
        services.save_answers(attempt, form)
        services.submit_attempt(attempt, learner)

    def _attendance(self, admin, rng):
        module = self._module(rng)
        session = calendar_service.create_session(admin, module.id, rng.choice(self.units[1:] + self.precincts),
                                                  date.today(), "Hall", "Trainer")
        eligible = calendar_service.eligible_learners(admin, session)
        chosen = {u.id for u in eligible if rng.random() < 0.6}
        calendar_service.save_attendance(admin, session, eligible, chosen)

    def _reimport(self, admin, rng):
        specs = copy.deepcopy(self.specs)
        spec = rng.choice(specs)
        change = rng.choice(("pass_mark", "lessons", "attendance", "same"))
        if change == "pass_mark":
            spec.data["pass_mark"] = rng.choice((50, 75, 100))
        elif change == "lessons":
            spec.lessons = spec.lessons[:1]
        elif change == "attendance":
            spec.data["requires_attendance"] = not spec.data.get("requires_attendance", False)
        import_modules(specs)

    def _move_unit(self, admin, rng):
        from lms.admin import unit_tree
        from lms.orgs.models import Unit

        unit = db.session.get(Unit, rng.choice(self.units[3:] + self.precincts))  # a district or a precinct
        parents = [u for u in db.session.scalars(sa.select(Unit).where(Unit.level == unit.level - 1)
                                                 .order_by(Unit.id)) if u.id != unit.parent_id]
        unit_tree.move(admin, unit, rng.choice(parents))

    def _publish(self, admin, rng):
        """Publish again a module unpublished before, else unpublish one: its learners keep it, so their
        progress stays (one module at most is unpublished at a time, so that new assignments still happen)."""
        from lms.admin import courses_service
        hidden = db.session.scalars(sa.select(Module).where(Module.id.in_(self.modules), Module.published.is_(False))
                                    .order_by(Module.id)).all()
        if hidden:
            courses_service.set_published(admin, hidden[0], True)
        else:
            courses_service.set_published(admin, self._module(rng), False)

    def _grant(self, admin, rng):
        learner, module = self._learner(rng), self._module(rng)
        if learner:
            accounts_service.grant_attempt(admin, learner, module.id)


def _assert_consistent(app):
    with app.app_context():
        outcome = rebuild.check(limit=5)
        db.session.rollback()
    assert outcome.count == 0, "\n".join(map(str, outcome.differences))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_any_sequence_of_operations_leaves_the_derived_tables_as_a_rebuild_would(app, database, ops):
    world = World(app)
    for name, n in ops:
        world.op(name, n)
    _assert_consistent(app)


def test_a_busy_history_matches_a_rebuild(app, database):
    """A long deterministic run that reaches every operation many times."""
    world = World(app)
    rng = random.Random(1998)
    for _ in range(150):
        world.op(rng.choice(WEIGHTED), rng.randint(0, 10**6))
    with app.app_context():
        submitted = db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)
                                      .where(QuizAttempt.submitted_at.is_not(None)))
    assert submitted >= 5  # the run did reach the quiz
    _assert_consistent(app)


def test_check_finds_a_tampered_row_and_rebuild_repairs_it(app, database):
    world = World(app)
    for name, n in [("assign_unit", 3), ("assign_learner", 1), ("read", 2), ("submit", 5), ("read", 7)]:
        world.op(name, n)
    world.op("assign_learner", 4)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["reports", "rebuild", "--check"]).exit_code == 0
    with app.app_context():
        db.session.execute(sa.text("UPDATE learner_progress SET lessons_read = lessons_read + 7"))
        db.session.execute(sa.text("UPDATE report_units SET learners = learners + 1"))
        db.session.commit()
    result = runner.invoke(args=["reports", "rebuild", "--check"])
    assert result.exit_code == 1
    assert "learner_progress" in result.output and "report_units" in result.output
    assert "differences" in result.output
    fixed = runner.invoke(args=["reports", "rebuild"])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(args=["reports", "rebuild", "--check"]).exit_code == 0


def test_rebuild_locks_learners_in_ordered_chunks(app, database, monkeypatch):
    """A national rebuild locks more learners than one statement can name (65,535 parameters)."""
    from lms.core import locks

    monkeypatch.setattr(locks, "LOCK_CHUNK", 2)
    world = World(app)
    for name, n in [("assign_unit", 3), ("read", 2), ("submit", 5)]:
        world.op(name, n)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["reports", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["reports", "rebuild", "--check"]).exit_code == 0
