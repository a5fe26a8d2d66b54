"""Synthetic learners at scale, for benchmarks: `flask demo generate --learners N`.

Learners are spread over new districts and precincts under the demo oblasts (about
12 officials a precinct, 40 precincts a district). Every module is assigned to each
oblast used. Each learner gets a plausible record per module: not started, reading,
failed, or completed after one or two attempts, with the answers of each attempt.
Rows are written with bulk inserts and explicit ids. Each batch of learners (their records,
their `learner_progress` rows and the report summaries) is committed on its own, so that a run
at national scale never holds one huge transaction; on PostgreSQL the tables are analysed as
they grow, so that the planner keeps using the per-learner indexes.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lms import events
from lms.auth.models import User
from lms.auth.passwords import hash_password
from lms.content import kinds
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.demo.data import ACCOUNTS, DEMO_PREFIX, DEMO_SEED, FIRST_NAMES_F, FIRST_NAMES_M, SURNAMES
from lms.demo.seed import seed_units
from lms.extensions import db
from lms.learn.models import Assignment, AttemptItem, LearnerProgress, LessonCompletion, ModuleCompletion, QuizAttempt
from lms.orgs.models import Unit
from lms.timeutil import today, utcnow

PER_PRECINCT = 12
PRECINCTS_PER_DISTRICT = 40
CHUNK = 20_000


class _Ids:
    """Hands out explicit primary keys after the current maximum of each table."""

    def __init__(self, *models: type):
        self.next = {m: (db.session.scalar(sa.select(sa.func.max(m.id))) or 0) + 1 for m in models}

    def take(self, model: type) -> int:
        """Hand out the next primary key of `model`."""
        value = self.next[model]
        self.next[model] = value + 1
        return value


class _Json(str):
    """A value already encoded as JSON text."""


def _bulk(model: type, rows: list[dict[str, Any]]) -> None:
    """Write rows straight through the driver (COPY on PostgreSQL, executemany on SQLite).

    Millions of rows go through here, so this skips SQLAlchemy's per-row processing; values are
    converted the way SQLAlchemy would store them.
    """
    if not rows:
        return
    table = model.__table__
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"

    def convert(row: dict[str, Any]) -> list[Any]:
        """The row's values in column order, as the driver stores them (JSON text, SQLite dates)."""
        out = []
        for name in columns:
            value = row[name]
            if name in json_columns:
                value = value if isinstance(value, _Json) else json.dumps(value)
            elif sqlite and isinstance(value, datetime):
                value = value.strftime("%Y-%m-%d %H:%M:%S.%f")
            elif sqlite and isinstance(value, date):
                value = value.isoformat()
            out.append(value)
        return out

    cursor = connection.connection.driver_connection.cursor()
    names = ", ".join(columns)
    if sqlite:
        cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
                           map(convert, rows))
    else:
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(convert(row))
    rows.clear()


def _learner_units(oblasts: list[Unit], learners: int, ids: _Ids) -> Iterator[int]:
    """Create districts and precincts under `oblasts`; yield a precinct id per learner."""
    precincts_needed = max(1, -(-learners // PER_PRECINCT))
    stamp = ids.next[Unit]  # unique per run, however close two runs are
    rows: list[dict[str, Any]] = []
    precinct_ids: list[int] = []
    last_district: dict[int, int] = {}
    for p in range(precincts_needed):
        oblast = oblasts[p % len(oblasts)]
        k = p // len(oblasts)
        if k % PRECINCTS_PER_DISTRICT == 0:
            dnum = k // PRECINCTS_PER_DISTRICT + 1
            last_district[oblast.id] = ids.take(Unit)
            rows.append({"id": last_district[oblast.id], "code": f"{oblast.code}-G{stamp}-{dnum:03d}", "level": 2,
                         "parent_id": oblast.id, "country_id": oblast.country_id, "oblast_id": oblast.id,
                         "district_id": None, "names": {"en": f"District {dnum}", "ru": f"Район {dnum}"}})
        district_id = last_district[oblast.id]
        unit_id = ids.take(Unit)
        rows.append({"id": unit_id, "code": f"{oblast.code}-G{stamp}-P{p + 1:06d}", "level": 3,
                     "parent_id": district_id, "country_id": oblast.country_id, "oblast_id": oblast.id,
                     "district_id": district_id,
                     "names": {"en": f"Precinct {p + 1}", "ru": f"Участок {p + 1}"}})
        precinct_ids.append(unit_id)
    _bulk(Unit, rows)
    for n in range(learners):
        yield precinct_ids[n // PER_PRECINCT]


def generate_learners(learners: int, seed: int = 1998, oblast_codes: list[str] | None = None,
                      precincts: list[Unit] | None = None, username_prefix: str | None = None) -> dict[str, int]:
    """Generate `learners` synthetic learners with reads, attempts and completions; returns the counts.

    By default they go to new districts and precincts under the oblasts, which get every module;
    with `precincts` they are shared out over those precincts, which get every module instead.
    """
    rng = random.Random(seed)
    units = seed_units()
    oblasts = [u for u in units.values() if u.level == 1 and (not oblast_codes or u.code in oblast_codes)]
    targets = precincts if precincts else oblasts
    modules = db.session.scalars(sa.select(Module).where(Module.active).order_by(Module.position)).all()
    if not modules:
        raise RuntimeError("no modules imported; run 'flask --app wsgi courses import' first")
    lessons = {m.id: db.session.scalars(sa.select(Lesson.id).where(Lesson.module_id == m.id, Lesson.active)).all()
               for m in modules}
    bank = {
        m.id: db.session.scalars(
            sa.select(QuestionVersion)
            .join(Question, QuestionVersion.question_id == Question.id)
            .where(Question.module_id == m.id, Question.active, QuestionVersion.number == Question.version)
        ).all()
        for m in modules
    }
    # Each question's right and wrong answer, graded once: (version id, difficulty, {right?: (layout, answer, credit)})
    variants = {}
    for module_id, versions in bank.items():
        variants[module_id] = []
        for v in versions:
            kind = kinds.get(v.kind)
            layout = kind.part_ids(v.data)
            both = {}
            for right in (True, False):
                answer = kind.sample_answer(v.data, layout, right, rng)
                credit = kind.grade(v.data, answer, layout).credit
                both[right] = (_Json(json.dumps(layout)), _Json(json.dumps(answer)), credit, answer, layout, v.data)
            variants[module_id].append((v.id, rng.uniform(0.55, 0.95), both))
    ids = _Ids(Unit, User, QuizAttempt)
    stats = dict.fromkeys(("learners", "assignments", "lessons read", "attempts", "answers", "completions"), 0)

    now = utcnow()
    for target in targets:
        for m in modules:
            db.session.add(
                Assignment(module_id=m.id, unit_id=target.id, due_date=today() + timedelta(days=rng.randint(-20, 40)))
            )
            stats["assignments"] += 1
    db.session.flush()
    # people already in these units (the demo trainer, an earlier run's learners) get them too
    events.assignments_changed.send(unit_ids=[t.id for t in targets], user_ids=[])

    batch_first = ids.next[User]
    analysed_at = 0
    password = hash_password("synthetic-" + str(seed))  # one hash for all: these accounts are for benchmarks
    users, reads, attempts, items, completions = [], [], [], [], []
    placed = ((precincts[n % len(precincts)].id for n in range(learners)) if precincts
              else _learner_units(oblasts, learners, ids))
    for n, unit_id in enumerate(placed):
        uid = ids.take(User)
        username = f"{username_prefix}{n + 1:04d}" if username_prefix else f"gen{seed}-{uid}"
        full_name = _person_name(rng) if username_prefix else f"Learner {uid}"
        users.append({"id": uid, "username": username, "full_name": full_name, "unit_id": unit_id,
                      "role": "learner", "locale": rng.choice(["ru", "ru", "kk", "ky", "uz", "tg", "tk"]),
                      "active": True, "password_hash": password, "must_change_password": False,
                      "session_token": f"gen-{seed}-{uid}", "created_at": now,
                      # contact details for reminders on two learners in three, a mobile number on one in two
                      "email": f"learner{uid}@example.org" if uid % 3 else None,
                      "phone": f"+7701{uid % 10_000_000:07d}" if uid % 2 == 0 else None})
        for m in modules:
            state = rng.random()
            if state < 0.25:
                continue
            module_lessons = lessons[m.id]
            read = module_lessons if state >= 0.4 else module_lessons[: rng.randint(1, len(module_lessons))]
            start = now - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 1440))
            for i, lesson_id in enumerate(read):
                reads.append(
                    {"user_id": uid, "lesson_id": lesson_id, "completed_at": start + timedelta(minutes=10 * i)}
                )
            if state < 0.4:
                continue
            skill = rng.uniform(-0.25, 0.15)
            passed_at, best = None, None
            for number in (1, 2, 3):
                aid = ids.take(QuizAttempt)
                drawn = rng.sample(variants[m.id], min(m.questions_per_attempt, len(variants[m.id])))
                total = 0.0
                for pos, (vid, ease, both) in enumerate(drawn):
                    layout, answer, credit, raw_answer, raw_layout, data = both[
                        rng.random() < ease + skill + 0.1 * (number - 1)
                    ]
                    total += credit
                    items.append({"attempt_id": aid, "position": pos, "question_version_id": vid,
                                  "layout": layout, "answer": answer, "credit": credit})
                score = round(100 * total / len(drawn), 1)
                submitted = start + timedelta(hours=number, minutes=30)
                passed = score >= m.pass_mark
                attempts.append(
                    {
                        "id": aid,
                        "user_id": uid,
                        "module_id": m.id,
                        "number": number,
                        "module_version": m.version,
                        "pass_mark": m.pass_mark,
                        "started_at": submitted - timedelta(minutes=15),
                        "submitted_at": submitted,
                        "score": score,
                        "passed": passed,
                    }
                )
                best = max(best or 0.0, score)
                if passed:
                    passed_at = submitted
                    break
                if number == 2 and state < 0.5:
                    break
            if passed_at is not None:
                completions.append({"user_id": uid, "module_id": m.id, "completed_at": passed_at, "best_score": best})
        if len(items) > CHUNK * 5 or n == learners - 1:
            stats["learners"] += len(users)
            stats["lessons read"] += len(reads)
            stats["attempts"] += len(attempts)
            stats["answers"] += len(items)
            stats["completions"] += len(completions)
            _bulk(User, users)
            _bulk(LessonCompletion, reads)
            _bulk(QuizAttempt, attempts)
            _bulk(AttemptItem, items)
            _bulk(ModuleCompletion, completions)
            if _postgresql() and stats["learners"] >= 2 * analysed_at:
                _analyse()  # statistics of the tables as they are now: doubling keeps this to a few runs
                analysed_at = stats["learners"]
            # the new learners join the reports (and their first attempts the item analysis) by the event path
            events.learners_changed.send(user_ids=list(range(batch_first, ids.next[User])))
            batch_first = ids.next[User]
            _fix_sequences()
            db.session.commit()
    return stats


def _person_name(rng: random.Random) -> str:
    """A plausible full name for a demo official."""
    if rng.random() < 0.55:
        return f"{rng.choice(FIRST_NAMES_F)} {rng.choice(SURNAMES)}a"
    return f"{rng.choice(FIRST_NAMES_M)} {rng.choice(SURNAMES)}"


def demo_learners(count: int, seed: int = DEMO_SEED) -> dict[str, int]:
    """`count` demo officials with progress in the demo precincts, once: nothing when they exist already.

    The demo learner's own precinct is left out, so that the demo learner keeps exactly the
    modules the demo trainer assigned.
    """
    if count <= 0 or db.session.scalar(sa.select(User.id).where(User.username.like(DEMO_PREFIX + "%")).limit(1)):
        return {}
    own = {code for _u, _n, role, code, _l in ACCOUNTS if role == "learner"}
    precincts = [u for u in seed_units().values() if u.level == 3 and u.code not in own]
    return generate_learners(count, seed, precincts=sorted(precincts, key=lambda u: u.code),
                             username_prefix=DEMO_PREFIX)


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _analyse() -> None:
    for model in (
        User,
        Unit,
        Assignment,
        LessonCompletion,
        QuizAttempt,
        AttemptItem,
        ModuleCompletion,
        LearnerProgress,
    ):
        db.session.execute(sa.text(f"ANALYZE {model.__table__.name}"))


def _fix_sequences() -> None:
    """After explicit ids, move PostgreSQL's sequences past them."""
    if not _postgresql():
        return
    for table in ("units", "users", "quiz_attempts"):
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
