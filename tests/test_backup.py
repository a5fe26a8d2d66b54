"""Backup and restore as the README describes them: pg_dump/pg_restore, and SQLite's online backup."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.extensions import db
from lms.progress import rebuild
from tests.learn.helpers import answers, start_quiz, submit

TABLES = ("users", "units", "assignments", "lesson_completions", "quiz_attempts", "attempt_items",
          "learner_progress", "report_cells", "audit_events")


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    finally:
        engine.dispose()


def _check(url: str) -> int:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        outcome = rebuild.check(limit=3)
        db.session.rollback()
        db.engine.dispose()
    return outcome.count


def test_backup_and_restore_round_trip(app, database, browser, make, course, tmp_path):
    units = make.tree()
    make.user("ann", unit=units["KZ-A-1-1"])
    make.assign(course, unit=units["KZ-A"])
    browser.login("ann")
    browser.get("/learn/modules/sample-module/lessons/first")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=True))
    before = _counts(database)
    assert before["quiz_attempts"] == 1 and before["learner_progress"] == 1

    if database.startswith("sqlite"):
        source = database.removeprefix("sqlite:///")
        copy = tmp_path / "backup.sqlite3"
        if shutil.which("sqlite3") is None:
            pytest.skip("the sqlite3 command is not installed")
        subprocess.run(["sqlite3", source, f".backup '{copy}'"], check=True)  # while the app holds it open
        restored = f"sqlite:///{copy}"
    else:
        plain = database.replace("postgresql+psycopg://", "postgresql://")
        dump = tmp_path / "lms.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", plain], check=True)
        target = "test_restored"
        admin = sa.create_engine(database.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {target}"))
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={plain.rsplit('/', 1)[0]}/{target}", str(dump)],
                       check=True)
        restored = database.rsplit("/", 1)[0] + "/" + target
    try:
        assert _counts(restored) == before
        assert _check(restored) == 0
    finally:
        if not database.startswith("sqlite"):
            with admin.connect() as conn:
                conn.execute(sa.text("DROP DATABASE IF EXISTS test_restored WITH (FORCE)"))
            admin.dispose()
