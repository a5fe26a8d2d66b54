"""The trainer's progress matrix for a large oblast: SQL queries per page and time per page.

Builds a SQLite database with the demo data, then `demo generate` learners into the demo
trainer's oblast (Almaty, Kazakhstan) in two steps (a small oblast, then a large one). At
each size it renders the matrix (first page, and a filtered page) as the demo trainer and
the learner dashboard as the demo learner, in-process through the test client, counting
SQL statements and timing the median of several renders. The query count must not grow
with the number of learners.

    .venv/bin/python bench/progress.py [--learners 20000] [--small 2000] [--repeat 15]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20000)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="lms-bench-")
    os.environ.update({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "LMS_RATELIMIT": "0"})
    import sqlalchemy as sa

    from bench._server import demo_app, signed_in_client
    from lms.content.models import Module
    from lms.extensions import db

    app, runner = demo_app()
    with app.app_context():
        module_id = db.session.scalar(sa.select(Module.id).where(Module.slug == "mobile-ballot-box"))

    def client_for(username: str):
        return signed_in_client(app, username, app.config["LMS_DEMO_PASSWORD"])

    def measure(client, path: str) -> tuple[int, float]:
        statements: list[str] = []
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        with app.app_context():
            engine = db.engine
        assert client.get(path).status_code == 200  # warm up
        sa.event.listen(engine, "before_cursor_execute", listener)
        assert client.get(path).status_code == 200
        sa.event.remove(engine, "before_cursor_execute", listener)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - start)
        return len(statements), statistics.median(times) * 1000

    pages = {
        "matrix, first page": "/train/progress",
        "matrix, overdue in one module": f"/train/progress?status=overdue&module={module_id}",
        "overdue list, one module": f"/train/overdue?module={module_id}",
        "learner dashboard": "/learn/",
    }
    total = 0
    print(f"{'learners':>9}  {'page':<32}{'queries':>8}{'ms/page':>10}{'vs dashboard':>14}")
    for target in (args.small, args.learners):
        start = time.perf_counter()
        result = runner.invoke(args=["demo", "generate", "--learners", str(target - total), "--oblast", "KZ-ALM",
                                     "--seed", str(target)])
        assert result.exit_code == 0, result.output
        total = target
        print(f"# generated {target} learners in the oblast in {time.perf_counter() - start:.0f} s")
        trainer, learner = client_for("trainer"), client_for("learner")
        results = {name: measure(learner if name == "learner dashboard" else trainer, path)
                   for name, path in pages.items()}
        dash = results["learner dashboard"][1]
        for name, (queries, ms) in results.items():
            print(f"{total:>9}  {name:<32}{queries:>8}{ms:>10.1f}{ms / dash:>13.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
