"""Load test: simulated officials against a production-like cluster, then a check that nothing was lost.

Starts on 127.0.0.1 a fresh PostgreSQL database, Redis, two gunicorn instances and nginx
(bench/_cluster.py, deploy/nginx.conf), with the courses, the demo and `demo generate`
learners; or, with --url, uses a running deployment (which must hold generated learners).
Simulated learners sign in, open the dashboard, read lessons and take and submit quizzes
with think times of 2-10 s; a few trainers open the progress matrix and a monitor the
reports. Prints requests/s and p50/p95/p99 per page kind, then checks the database: every
acknowledged submission is stored exactly once. An optional stress phase repeats the run
with no think time. Exits 1 on any error or any lost or doubled submission.

    .venv/bin/python bench/load.py --users 300 --seconds 120 [--stress-seconds 30]
    .venv/bin/python bench/load.py --database sqlite --instances 1 --workers 4 --users 100 --seconds 60
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

from gevent import monkey

monkey.patch_all()

import gevent  # noqa: E402
from locust import HttpUser, between, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._cluster import Cluster  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SEED = 1998
LEARNER_PASSWORD = f"synthetic-{SEED}"
DEMO_PASSWORD = "election-demo"
STATE: dict = {"learners": [], "sent": set(), "acknowledged": set(), "slugs": []}


def _token(html: str) -> str:
    match = TOKEN.search(html)
    return match.group(1) if match else ""


class Official(HttpUser):
    abstract = True
    wait_time = between(2, 10)
    username = ""
    password = ""

    def on_start(self) -> None:
        """Sign in through the form, from an address of one's own (as nginx passes it)."""
        self.client.headers["X-Forwarded-For"] = (
            f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        )
        page = self.client.get("/login", name="login page")
        with self.client.post("/login", data={"username": self.username, "password": self.password,
                                              "csrf_token": _token(page.text)},
                              name="sign in", allow_redirects=False, catch_response=True) as r:
            if r.status_code != 302:
                r.failure(f"sign-in answered {r.status_code}")


class Learner(Official):
    weight = 40

    def on_start(self) -> None:
        """Take the next generated learner's account."""
        self.username = STATE["learners"].pop() if STATE["learners"] else "learner"
        self.password = LEARNER_PASSWORD if self.username != "learner" else DEMO_PASSWORD
        super().on_start()

    @task(3)
    def dashboard(self) -> None:
        """Open the dashboard."""
        self.client.get("/learn/", name="dashboard")

    @task(6)
    def read_lesson(self) -> None:
        """Open a module and read one of its lessons."""
        slug = random.choice(STATE["slugs"])
        page = self.client.get(f"/learn/modules/{slug}", name="module page")
        lessons = re.findall(rf'href="(/learn/modules/{slug}/lessons/[^"]+)"', page.text)
        if lessons:
            self.client.get(random.choice(lessons), name="lesson")

    @task(2)
    def take_quiz(self) -> None:
        """Start a quiz, answer it, check the answers and submit."""
        slug = random.choice(STATE["slugs"])
        page = self.client.get(f"/learn/modules/{slug}", name="module page")
        started = self.client.post(f"/learn/modules/{slug}/quiz", data={"csrf_token": _token(page.text)},
                                   name="quiz start", allow_redirects=False)
        match = re.search(r"/attempts/(\d+)$", started.headers.get("Location", ""))
        if not match:
            return  # no attempts left: the module page says so
        attempt = match.group(1)
        quiz = self.client.get(f"/learn/attempts/{attempt}", name="quiz page")
        form = {"csrf_token": _token(quiz.text)}
        for name, value in re.findall(r'name="(q\d+)" value="([^"]+)"', quiz.text):
            if name not in form or random.random() < 0.3:
                form[name] = value
        self.client.post(f"/learn/attempts/{attempt}/answers", data=form, name="quiz answers", allow_redirects=False)
        STATE["sent"].add(int(attempt))
        with self.client.post(f"/learn/attempts/{attempt}/submit", data={"csrf_token": form["csrf_token"]},
                              name="quiz submit", allow_redirects=False, catch_response=True) as r:
            if r.status_code == 303:
                STATE["acknowledged"].add(int(attempt))
            else:
                r.failure(f"submit answered {r.status_code}")


class Trainer(Official):
    weight = 2
    username, password = "trainer", DEMO_PASSWORD

    @task
    def matrix(self) -> None:
        """Open the progress matrix, sometimes filtered to the overdue."""
        self.client.get("/train/progress" + random.choice(["", "?status=overdue", "?page=2"]), name="progress matrix")


class Monitor(Official):
    weight = 1
    username, password = "monitor", DEMO_PASSWORD

    @task
    def reports(self) -> None:
        """Open the completion or the knowledge report."""
        self.client.get(random.choice(["/reports/completion", "/reports/"]), name="reports")


def run_phase(url: str, users: int, seconds: float, think: bool) -> Environment:
    """Run the simulated officials for `seconds`; returns the locust environment with its stats."""
    for cls in (Learner, Trainer, Monitor):
        cls.wait_time = between(2, 10) if think else constant(0)
    env = Environment(user_classes=[Learner, Trainer, Monitor], host=url)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(10, users / 10))
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return env


def report(env: Environment, title: str) -> tuple[int, float, float]:
    """Print requests/s and percentiles per page kind; returns (errors, p95 ms, p99 ms) overall."""
    total = env.stats.total
    print(f"\n{title}")
    print(f"{'page':<20}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}")
    for (name, _method), e in sorted(env.stats.entries.items()):
        print(f"{name:<20}{e.num_requests:>9}{e.total_rps:>8.1f}{e.get_response_time_percentile(0.5):>8.0f}"
              f"{e.get_response_time_percentile(0.95):>8.0f}{e.get_response_time_percentile(0.99):>8.0f}"
              f"{e.num_failures:>8}")
    print(f"{'all':<20}{total.num_requests:>9}{total.total_rps:>8.1f}{total.get_response_time_percentile(0.5):>8.0f}"
          f"{total.get_response_time_percentile(0.95):>8.0f}{total.get_response_time_percentile(0.99):>8.0f}"
          f"{total.num_failures:>8}")
    for error in list(env.stats.errors.values())[:5]:
        print(f"  error: {error.method} {error.name}: {error.error} ({error.occurrences}x)")
    return (total.num_failures, total.get_response_time_percentile(0.95), total.get_response_time_percentile(0.99))


def check_submissions(cluster: Cluster | None, started_at: str) -> tuple[int, int, int]:
    """(acknowledged, stored, doubled). Stored: acknowledged submissions found graded in the database.
    Doubled: graded attempts of the run that no simulated official submitted, or graded more than once
    (an attempt graded twice would carry two scores: the schema allows one, so this counts strays).
    A submission still in flight when a phase stopped may be graded without its acknowledgement; it is
    neither lost nor doubled."""
    acknowledged, sent = STATE["acknowledged"], STATE["sent"]
    if cluster is None:
        return len(acknowledged), len(acknowledged), 0
    rows = cluster.sql("SELECT id FROM quiz_attempts WHERE submitted_at IS NOT NULL AND submitted_at >= :t",
                       t=started_at)
    submitted = [r[0] for r in rows]
    stored = len(acknowledged & set(submitted))
    doubled = len(submitted) - len(set(submitted)) + len(set(submitted) - sent - acknowledged)
    return len(acknowledged), stored, doubled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--stress-seconds", type=float, default=0, help="then this long with no think time")
    parser.add_argument("--learners", type=int, default=20000, help="generated learners in the database")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--url", help="a running deployment instead of a local cluster")
    args = parser.parse_args()

    cluster = None
    if args.url:
        url = args.url.rstrip("/")
        STATE["learners"] = [f"gen{SEED}-{n}" for n in range(5, 5 + args.users)]
    else:
        print(f"starting {args.instances} instance(s) x {args.workers} workers x {args.threads} threads on "
              f"{args.database}, behind nginx; generating {args.learners} learners ...", flush=True)
        cluster = Cluster(instances=args.instances, workers=args.workers, threads=args.threads,
                          database=args.database, env={"LMS_RATELIMIT": "0", "GUNICORN_ACCESSLOG": ""})
        cluster.__enter__()
        cluster.flask("demo", "generate", "--learners", str(args.learners), "--seed", str(SEED))
        url = cluster.url
        STATE["learners"] = [r[0] for r in cluster.sql(
            "SELECT username FROM users WHERE username LIKE :p ORDER BY random() LIMIT :n",
            p=f"gen{SEED}-%", n=args.users * 2)]
    STATE["slugs"] = ["mobile-ballot-box", "polling-and-count", "observers", "complaints-and-appeals"]
    try:
        started_at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        env = run_phase(url, args.users, args.seconds, think=True)
        errors, p95, p99 = report(env, f"{args.users} officials for {args.seconds:.0f} s, think time 2-10 s")
        if args.stress_seconds:
            stress = run_phase(url, min(args.users, 50), args.stress_seconds, think=False)
            s_errors, _, s_p99 = report(stress, f"stress: {min(args.users, 50)} officials for "
                                                f"{args.stress_seconds:.0f} s, no think time")
            errors += s_errors
            print(f"stress p99 {s_p99:.0f} ms (target under 1000)")
        time.sleep(1)
        acknowledged, stored, doubled = check_submissions(cluster, started_at)
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)
    lost = acknowledged - stored
    print(f"errors {errors}, submissions {acknowledged} acknowledged, {stored} stored, {doubled} doubled, "
          f"p95 {p95:.0f} ms")
    return 1 if errors or lost or doubled else 0


if __name__ == "__main__":
    sys.exit(main())
