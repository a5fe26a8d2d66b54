"""The learner's write paths (a lesson read, a quiz submit) of this checkout against a baseline revision, in one run.

Checks the baseline revision out into a temporary worktree (default: f4e8deb, the last commit
before progress and reports were derived through events, row locks and upserts), then, for each
tree in turn and alternating rounds, builds the same database (courses, the demo, `demo generate
--learners N`), signs in generated learners who have not started a module, and times through the
test client the request that marks a lesson read (opening it) and the quiz submit. Prints the
median milliseconds of each and the ratio of this checkout to the baseline (target: at most 1.2).

    .venv/bin/python bench/writes.py [--baseline REV] [--learners 2000] [--samples 40] [--database sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.2
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_writes"

# Runs inside one tree (cwd), with only URLs and commands that both versions share.
CHILD = r"""
import json, re, statistics, sys, time
sys.path.insert(0, ".")
import sqlalchemy as sa
from flask_migrate import upgrade
from lms import create_app
from lms.extensions import db

url, learners, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if url.startswith("postgresql"):
    engine = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text("DROP DATABASE IF EXISTS bench_writes WITH (FORCE)"))
        c.execute(sa.text("CREATE DATABASE bench_writes"))
    engine.dispose()
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LMS_LOGIN_LIMIT": "100000 per minute",
                  "LMS_PASSWORD_MEMORY_KIB": 1024, "RATELIMIT_ENABLED": False})
runner = app.test_cli_runner()
with app.app_context():
    upgrade()
for args in (["courses", "import"], ["demo", "seed"], ["demo", "generate", "--learners", str(learners)]):
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
from lms.auth.passwords import hash_password
with app.app_context():
    slug = "mobile-ballot-box"
    mid = db.session.scalar(sa.text("SELECT id FROM modules WHERE slug = :s"), {"s": slug})
    lesson = db.session.scalar(sa.text(
        "SELECT slug FROM lessons WHERE module_id = :m AND active ORDER BY position LIMIT 1"), {"m": mid})
    users = db.session.execute(sa.text(
        "SELECT u.id, u.username FROM learner_progress lp JOIN users u ON u.id = lp.user_id "
        "WHERE lp.module_id = :m AND lp.status = 'not_started' AND u.active ORDER BY u.id LIMIT :n"),
        {"m": mid, "n": samples}).all()
    assert len(users) == samples, f"only {len(users)} learners who have not started"
    db.session.execute(sa.text("UPDATE users SET password_hash = :h, must_change_password = :f WHERE id IN (%s)"
                               % ",".join(str(u.id) for u in users)), {"h": hash_password("bench-pass"), "f": False})
    db.session.commit()

def token(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

read_ms, submit_ms = [], []
for _, username in users:
    client = app.test_client()
    client.post("/login", data={"username": username, "password": "bench-pass",
                                "csrf_token": token(client.get("/login").get_data(as_text=True))})
    start = time.perf_counter()
    r = client.get(f"/learn/modules/{slug}/lessons/{lesson}")
    read_ms.append(1000 * (time.perf_counter() - start))
    assert r.status_code == 200, r.status_code
    page = client.get(f"/learn/modules/{slug}").get_data(as_text=True)
    r = client.post(f"/learn/modules/{slug}/quiz", data={"csrf_token": token(page)})
    attempt = re.search(r"/attempts/(\d+)", r.headers["Location"]).group(1)
    quiz = client.get(f"/learn/attempts/{attempt}").get_data(as_text=True)
    form = {"csrf_token": token(quiz)}
    for name, value in re.findall(r'name="(q\d+)" value="([^"]+)"', quiz):
        form.setdefault(name, value)  # the first option of each single or multiple question
    client.post(f"/learn/attempts/{attempt}/answers", data=form)
    start = time.perf_counter()
    r = client.post(f"/learn/attempts/{attempt}/submit", data={"csrf_token": form["csrf_token"]})
    submit_ms.append(1000 * (time.perf_counter() - start))
    assert r.status_code == 303, r.status_code
print(json.dumps({"read": statistics.median(read_ms), "submit": statistics.median(submit_ms)}))
"""


def measure(tree: Path, url: str, learners: int, samples: int) -> dict[str, float]:
    """One round in one tree: a fresh database, then the medians (ms) of the two write paths."""
    env = {**os.environ, "LMS_INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-writes-")}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", CHILD, url, str(learners), str(samples)], cwd=tree, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{tree}: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="f4e8deb")
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="lms-baseline-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.baseline], check=True)
    try:
        subprocess.run([str(ROOT / ".venv/bin/pybabel"), "-q", "compile", "-d", "translations"], cwd=base, check=True)
        results: dict[str, list[dict[str, float]]] = {"baseline": [], "this checkout": []}
        for n in range(args.rounds):
            for name, tree in (("baseline", base), ("this checkout", ROOT))[:: 1 if n % 2 == 0 else -1]:
                url = (f"sqlite:///{tempfile.mkdtemp(prefix='bench-db-')}/bench.sqlite3"
                       if args.database == "sqlite" else PG_URL)
                results[name].append(measure(tree, url, args.learners, args.samples))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    print(f"{args.database}, {args.learners} generated learners, {args.samples} samples x {args.rounds} rounds")
    print(f"{'path':<14}{'baseline ms':>13}{'this ms':>10}{'ratio':>8}")
    ok = True
    for path in ("read", "submit"):
        before = statistics.median(r[path] for r in results["baseline"])
        after = statistics.median(r[path] for r in results["this checkout"])
        ratio = after / before
        ok &= ratio <= TARGET
        print(f"{'lesson read' if path == 'read' else 'quiz submit':<14}{before:>13.1f}{after:>10.1f}{ratio:>8.2f}")
    print(f"target: every ratio <= {TARGET}: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
