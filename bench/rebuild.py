"""Report figures before and after `reports rebuild`, on a national-scale generated demo.

Builds a database (SQLite file or PostgreSQL), imports the courses, seeds the demo and runs
`demo generate --learners N` (200,000 by default). Then, as the demo admin, it reads every
report figure a monitor sees: the completion report (each module and all modules) for the
whole organisation, every country and every oblast, and the knowledge report of every module
for the whole organisation and every country. It runs `reports rebuild --check`, then
`reports rebuild`, reads the figures again and prints whether they are identical, with the
seconds each step took.

    .venv/bin/python bench/rebuild.py [--learners 200000] [--database sqlite|postgresql]
    .venv/bin/python bench/rebuild.py --existing postgresql://postgres@127.0.0.1/bench_rebuild  # a database made before
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_rebuild"


def figures(app) -> dict[str, object]:
    """Every figure of the completion and knowledge reports, as plain values."""
    import sqlalchemy as sa

    from lms.auth.models import User
    from lms.content.models import Module
    from lms.extensions import db
    from lms.orgs.models import Unit
    from lms.reports import services

    def row(r):
        return [r.learners, r.assigned, r.started, r.completed, r.overdue, r.completion_rate, r.average_best,
                r.first_pass_rate, r.median_days]

    out: dict[str, object] = {}
    with app.app_context():
        viewer = db.session.scalar(sa.select(User).where(User.username == "admin"))
        units = [None, *db.session.scalars(sa.select(Unit).where(Unit.level <= 1).order_by(Unit.code))]
        modules = list(db.session.scalars(sa.select(Module).where(Module.active).order_by(Module.id)))
        for unit in units:
            name = unit.code if unit is not None else "all"
            for module in [None, *modules]:
                report = services.completion(viewer, unit, module.id if module else None)
                out[f"completion {name} {module.slug if module else 'all'}"] = (
                    [row(r) for r in report.rows] + [row(report.total)])
            if unit is None or unit.level == 0:
                for module in modules:
                    k = services.knowledge(viewer, unit, module)
                    out[f"knowledge {name} {module.slug}"] = {
                        "items": [[i.question.slug, i.answered, i.right, i.difficulty, i.discrimination,
                                   i.wrong_options] for i in k.items],
                        "topics": [[t.slug if t else None, a, r] for t, a, r in k.topics],
                        "map": [[u.code, sorted(v.items())] for u, v in k.oblast_map]}
        db.session.rollback()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--existing", help="URL of a database already generated: skip the generation")
    args = parser.parse_args()
    import sqlalchemy as sa

    if args.existing:
        url = args.existing.replace("postgresql://", "postgresql+psycopg://")
    elif args.database == "postgresql":
        engine = sa.create_engine(PG_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS bench_rebuild WITH (FORCE)"))
            conn.execute(sa.text("CREATE DATABASE bench_rebuild"))
        engine.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-rebuild-')}/bench.sqlite3"
    from bench._server import demo_app

    if args.existing:
        from lms import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        runner = app.test_cli_runner()
    else:
        app, runner = demo_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    timings = {}

    def step(name, command):
        start = time.perf_counter()
        result = runner.invoke(args=command)
        timings[name] = time.perf_counter() - start
        return result

    if not args.existing:
        result = step("generate", ["demo", "generate", "--learners", str(args.learners)])
        assert result.exit_code == 0, result.output
    start = time.perf_counter()
    before = figures(app)
    timings["read reports"] = time.perf_counter() - start
    check = step("rebuild --check", ["reports", "rebuild", "--check"])
    rebuilt = step("rebuild", ["reports", "rebuild"])
    assert rebuilt.exit_code == 0, (rebuilt.output, rebuilt.exception)
    after = figures(app)
    same = before == after
    digest = hashlib.sha256(json.dumps(before, sort_keys=True, default=str).encode()).hexdigest()[:16]
    with app.app_context():
        from lms.extensions import db

        learners = db.session.scalar(sa.text("SELECT count(*) FROM users"))
    print(f"{url.split(':')[0]}, {learners} accounts, {len(before)} reports read (digest {digest})")
    for name, seconds in timings.items():
        print(f"  {name:<16}{seconds:>9.1f} s")
    print(f"  check before rebuild: {'no differences' if check.exit_code == 0 else check.output.strip()[-500:]}")
    print(f"  {rebuilt.output.strip()}")
    print(f"figures identical before and after the rebuild: {'yes' if same else 'NO'}")
    if not same:
        for key in before:
            if before[key] != after.get(key):
                print(f"  differs: {key}")
    return 0 if same and check.exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
