"""Monitoring reports at national scale, on SQLite and on PostgreSQL.

For each database: migrate, import the courses, seed the demo, `demo generate --learners N`
(default 200,000, spread over the five countries), then time, as the demo monitor, the
completion report for a country and for an oblast and the knowledge report for a module,
each beside `SELECT count(*) FROM module_completions` measured in the same run, and count
the SQL statements each report runs (they must not depend on N). Target: each report
within 20 times the count.

    .venv/bin/python bench/reports.py [--learners 200000] [--db sqlite,postgresql] [--repeat 7]

PostgreSQL is used through BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/lms_bench,
created if missing and emptied first).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET = 20.0


def postgres_url() -> str:
    import sqlalchemy as sa

    url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench")
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def run(database_url: str, learners: int, repeat: int) -> None:
    import sqlalchemy as sa

    from bench._server import demo_app, signed_in_client
    from lms.content.models import Module
    from lms.extensions import db
    from lms.orgs.models import Unit

    app, runner = demo_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    start = time.perf_counter()
    result = runner.invoke(args=["demo", "generate", "--learners", str(learners)])
    assert result.exit_code == 0, result.output
    print(f"# {db_name(database_url)}: {result.output.strip()} in {time.perf_counter() - start:.0f} s")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execute(sa.text("ANALYZE"))
                conn.commit()
        ids = {code: db.session.scalar(sa.select(Unit.id).where(Unit.code == code)) for code in ("KZ", "KZ-ALM")}
        module_id = db.session.scalar(sa.select(Module.id).where(Module.slug == "mobile-ballot-box"))
        engine = db.engine

    client = signed_in_client(app, "monitor", app.config["LMS_DEMO_PASSWORD"])

    def timed(fn) -> float:
        fn()
        samples = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return statistics.median(samples) * 1000

    def count_completions():
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT count(*) FROM module_completions")).scalar()

    baseline = timed(count_completions)
    reports = {
        "completion, country (KZ)": f"/reports/completion.csv?unit={ids['KZ']}",
        "completion, oblast (KZ-ALM)": f"/reports/completion.csv?unit={ids['KZ-ALM']}",
        "knowledge, one module": f"/reports/knowledge.csv?module={module_id}",
    }
    print(f"{'report':<30}{'queries':>8}{'ms':>9}{'x count(*)':>12}")
    print(f"{'SELECT count(*) completions':<30}{1:>8}{baseline:>9.1f}{1:>12.1f}")
    for name, path in reports.items():
        statements: list[str] = []
        listener = lambda *a, seen=statements: seen.append(a[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        assert client.get(path).status_code == 200
        sa.event.remove(engine, "before_cursor_execute", listener)
        ms = timed(lambda path=path: client.get(path).data)
        ratio = ms / baseline
        print(f"{name:<30}{len(statements):>8}{ms:>9.1f}{ratio:>12.1f}  {'ok' if ratio <= TARGET else 'OVER TARGET'}")
    with app.app_context():
        db.engine.dispose()


def db_name(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench")
    for name in args.db.split(","):
        url = (f"sqlite:///{tempfile.mkdtemp(prefix='lms-bench-')}/reports.sqlite3" if name == "sqlite"
               else postgres_url())
        run(url, args.learners, args.repeat)
    print(f"target: each report within {TARGET:g} x the count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
