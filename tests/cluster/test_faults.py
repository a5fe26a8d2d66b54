"""Faults under a running instance: a worker killed mid-submission, the database going away and
coming back, Redis down. On 127.0.0.1 with nginx, PostgreSQL and Redis (bench/_cluster.py)."""
from __future__ import annotations

import os
import subprocess
import threading
import time

import psycopg
import pytest
import requests

from tests.cluster.test_cluster import open_attempt, running, signed_in


@pytest.fixture(scope="module")
def cluster():
    yield from running(instances=1, workers=2, threads=2, own_redis=True, own_postgres=True)


def test_a_worker_killed_during_a_submission_leaves_no_half_written_attempt(cluster):
    base = cluster.instance_urls[0]
    s = signed_in(base, "learner", ip="10.2.0.1")
    attempt, csrf = open_attempt(base, s, "mobile-ballot-box")
    url = cluster.env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    holder = psycopg.connect(url)
    # hold the learner's row: the submission grades and writes, then waits for the lock mid-transaction
    holder.execute("SELECT id FROM users WHERE username = 'learner' FOR UPDATE")
    result = {}

    def submit():
        try:
            result["status"] = s.post(f"{base}/learn/attempts/{attempt}/submit", data={"csrf_token": csrf},
                                      allow_redirects=False, timeout=20).status_code
        except requests.RequestException as error:
            result["error"] = error

    t = threading.Thread(target=submit)
    t.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until the submission is waiting on the lock
        waiting = holder.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                 "AND datname = current_database()").fetchone()[0]
        if waiting:
            break
        time.sleep(0.05)
    assert waiting, "the submission never reached the lock"
    master = cluster.procs[0].pid
    for pid in subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split():
        os.kill(int(pid), 9)  # every worker, so the one in the middle of the submission dies
    t.join(timeout=30)
    holder.rollback()
    holder.close()
    assert "status" not in result or result["status"] >= 500  # the connection broke; nothing was acknowledged
    time.sleep(1)
    rows = cluster.sql("SELECT submitted_at, score FROM quiz_attempts WHERE id = :id", id=attempt)
    assert rows == [(None, None)], rows  # still open: the half-done transaction was rolled back
    credits = cluster.sql("SELECT count(*) FROM attempt_items WHERE attempt_id = :id AND credit IS NOT NULL",
                          id=attempt)
    assert credits == [(0,)]
    # gunicorn has started new workers: the learner submits again and it counts once
    deadline = time.monotonic() + 20
    while True:
        try:
            r = s.post(f"{base}/learn/attempts/{attempt}/submit", data={"csrf_token": csrf}, allow_redirects=False,
                       timeout=10)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.3)
    assert r.status_code == 303
    assert cluster.sql("SELECT submitted_at IS NOT NULL FROM quiz_attempts WHERE id = :id", id=attempt) == [(True,)]
    assert "match" in cluster.flask("reports", "rebuild", "--check")


def _outage(cluster, seconds: float) -> None:
    """The database server goes away for real: the cluster's own PostgreSQL is stopped (fast
    shutdown, every session cut) and started again after `seconds`."""
    cluster.stop_postgres()
    time.sleep(seconds)
    cluster.start_postgres()


def test_requests_fail_cleanly_while_the_database_is_away_and_recover_without_a_restart(cluster):
    s = signed_in(cluster.url, "learner", ip="10.2.0.2")
    statuses: list[int] = []
    stop = threading.Event()

    def traffic():
        while not stop.is_set():
            try:
                statuses.append(s.get(f"{cluster.url}/learn/", timeout=10).status_code)
            except requests.RequestException:
                statuses.append(-1)
            time.sleep(0.05)

    t = threading.Thread(target=traffic)
    t.start()
    time.sleep(1)
    _outage(cluster, 3)
    time.sleep(3)
    stop.set()
    t.join()
    assert set(statuses) <= {200, 503}, sorted(set(statuses))  # never a 500, never a dropped connection
    assert 503 in statuses
    assert statuses[-5:] == [200] * 5  # back by itself
    page = requests.get(f"{cluster.url}/healthz", timeout=10)
    assert page.status_code == 200


def test_with_redis_down_the_app_keeps_serving(cluster):
    cluster.stop_redis()
    try:
        health = requests.get(f"{cluster.url}/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["redis"] == "unavailable"
        assert health.json()["database"] == "ok"
        s = signed_in(cluster.url, "learner", ip="10.2.0.3")  # the sign-in limit counts in memory meanwhile
        assert s.get(f"{cluster.url}/learn/", timeout=10).status_code == 200
    finally:
        cluster.start_redis()
    assert requests.get(f"{cluster.url}/healthz", timeout=10).status_code == 200
