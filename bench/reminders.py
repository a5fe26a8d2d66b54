"""`reminders send` over a national-scale generated demo: seconds and SQL statements.

Builds a SQLite database (or PostgreSQL), imports the courses, seeds the demo and runs
`demo generate --learners N` (200,000 by default: due dates from 20 days past to 40 days ahead,
contact details on two learners in three). Then it times `reminders send` three times with no
channel configured (the messages are recorded, as the app shows them): the first run writes the
day's reminders, overdue notices and digests, the second and third find them written. Each line
gives the seconds, the SQL statements run (bounded: they depend on the assignments and the unit
settings, not on the learners) and the ratio to a baseline, one full read of learner_progress
(the least any run that looks at every learner must do).

    .venv/bin/python bench/reminders.py [--learners 200000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_reminders"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    import sqlalchemy as sa

    if args.database == "postgresql":
        engine = sa.create_engine(PG_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS bench_reminders WITH (FORCE)"))
            conn.execute(sa.text("CREATE DATABASE bench_reminders"))
        engine.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-reminders-')}/bench.sqlite3"
    from bench._server import demo_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LMS_SMTP_URL": "", "LMS_SMS_URL": ""}
    start = time.perf_counter()
    app, runner = demo_app(config)
    result = runner.invoke(args=["demo", "generate", "--learners", str(args.learners)])
    assert result.exit_code == 0, result.output
    print(f"generated {args.learners} learners in {time.perf_counter() - start:.1f} s")

    from lms.extensions import db
    from lms.remind import cli
    from lms.remind.models import Reminder

    with app.app_context():
        engine = db.engine
        start = time.perf_counter()
        pairs = len(db.session.execute(sa.text("SELECT user_id, module_id, status, due_date FROM learner_progress"))
                    .all())
        baseline = time.perf_counter() - start
        db.session.rollback()
    print(f"baseline: read {pairs} learner_progress rows in {baseline:.2f} s")
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ok = True
    for run in (1, 2, 3):
        statements.clear()
        lines: list[str] = []
        with app.app_context():
            start = time.perf_counter()
            cli.send(echo=lambda text, err=False, out=lines: out.append(text))
            seconds = time.perf_counter() - start
            total = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder))
        print(f"run {run}: {seconds:.2f} s, {len(statements)} SQL statements, {seconds / baseline:.1f}x the "
              f"baseline; {lines[-1]}; {total} messages in the outbox")
        ok = ok and len(statements) < 500
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
