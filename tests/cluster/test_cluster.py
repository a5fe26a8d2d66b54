"""Two gunicorn instances behind a real nginx, sharing PostgreSQL and Redis (bench/_cluster.py).

Needs nginx, PostgreSQL and Redis on 127.0.0.1; skipped without them, required in CI."""
from __future__ import annotations

import os
import re
import shutil
import threading

import pytest
import requests

from bench._cluster import Cluster

PASSWORD = "election-demo"


def _services_missing() -> str | None:
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        return "nginx is not installed"
    try:
        import psycopg
        import redis

        psycopg.connect(os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")).close()
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001
        return f"PostgreSQL or Redis is not running: {error}"
    return None


def running(**settings):
    """A Cluster with these settings, for a module-scoped fixture; skips (fails in CI) without its services."""
    missing = _services_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    with Cluster(**settings) as c:
        yield c


@pytest.fixture(scope="module")
def cluster():
    yield from running(instances=2, workers=2, threads=2, env={"LMS_LOGIN_LIMIT": "6 per minute"})


def token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def signed_in(base: str, username: str, ip: str = "10.1.0.1") -> requests.Session:
    s = requests.Session()
    s.headers["X-Forwarded-For"] = ip  # one official's address, as nginx would pass it
    page = s.get(f"{base}/login", timeout=10)
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token(page.text)},
               allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.status_code
    return s


def test_nginx_serves_compressed_pages_and_long_cached_assets(cluster):
    page = requests.get(f"{cluster.url}/login", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert page.status_code == 200 and page.headers.get("Content-Encoding") == "gzip"
    assert re.fullmatch(r"[0-9a-f]{32}", page.headers["X-Request-ID"])  # nginx's $request_id, passed on
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', page.text).group(1)
    asset = requests.get(cluster.url + css, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    assert "X-Request-ID" not in asset.headers  # served by nginx from disk, not by the app
    with open(cluster.tmp / "access.log") as log:  # the app's access log carries the same id
        assert page.headers["X-Request-ID"] in log.read()


def test_a_session_opened_on_one_instance_works_on_the_other(cluster):
    one, other = cluster.instance_urls
    s = signed_in(one, "learner")
    r = s.get(f"{other}/learn/", allow_redirects=False, timeout=10)
    assert r.status_code == 200 and "mobile-ballot-box" in r.text


def test_the_sign_in_limit_is_counted_across_instances(cluster):
    one, other = cluster.instance_urls
    codes = []
    for n in range(8):
        s = requests.Session()
        s.headers["X-Forwarded-For"] = "10.66.0.1"
        base = (one, other)[n % 2]
        page = s.get(f"{base}/login", timeout=10)
        r = s.post(f"{base}/login", data={"username": "learner", "password": "wrong", "csrf_token": token(page.text)},
                   timeout=10)
        codes.append(r.status_code)
    assert codes[:6] == [200] * 6 and codes[6:] == [429, 429], codes  # 6 per minute over both, not 6 each


def test_an_assignment_made_on_one_instance_is_seen_on_the_other(cluster):
    one, other = cluster.instance_urls
    learner = signed_in(other, "learner", ip="10.1.0.2")
    assert "voter-education" not in learner.get(f"{other}/learn/", timeout=10).text
    trainer = signed_in(one, "trainer", ip="10.1.0.3")
    form = trainer.get(f"{one}/train/assignments/new", timeout=10).text
    ids = dict(cluster.sql("SELECT slug, id FROM modules"))
    r = trainer.post(f"{one}/train/assignments/new", data={
        "csrf_token": token(form), "modules": [str(ids["voter-education"])], "usernames": "learner", "due": "none"},
        allow_redirects=False, timeout=20)
    assert r.status_code == 303, r.text[:500]
    assert "voter-education" in learner.get(f"{other}/learn/", timeout=10).text


def open_attempt(base: str, s: requests.Session, slug: str) -> tuple[int, str]:
    """Start `slug`'s quiz and save an answer to every question; returns (attempt id, CSRF token)."""
    page = s.get(f"{base}/learn/modules/{slug}", timeout=10).text
    r = s.post(f"{base}/learn/modules/{slug}/quiz", data={"csrf_token": token(page)}, allow_redirects=False,
               timeout=10)
    attempt = int(re.search(r"/attempts/(\d+)", r.headers["Location"]).group(1))
    quiz = s.get(f"{base}/learn/attempts/{attempt}", timeout=10).text
    form = {"csrf_token": token(quiz)}
    for name, value in re.findall(r'name="(q\d+)" value="([^"]+)"', quiz):
        form.setdefault(name, value)
    assert s.post(f"{base}/learn/attempts/{attempt}/answers", data=form, allow_redirects=False,
                  timeout=10).status_code == 303
    return attempt, form["csrf_token"]


def test_one_submission_sent_to_both_instances_is_graded_once(cluster):
    one, other = cluster.instance_urls
    s = signed_in(cluster.url, "learner", ip="10.1.0.4")
    attempt, csrf = open_attempt(cluster.url, s, "observers")
    barrier, codes = threading.Barrier(4), []

    def send(base):
        barrier.wait()
        codes.append(s.post(f"{base}/learn/attempts/{attempt}/submit", data={"csrf_token": csrf},
                            allow_redirects=False, timeout=20).status_code)

    threads = [threading.Thread(target=send, args=(base,)) for base in (one, other, one, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [303] * 4, codes
    rows = cluster.sql("SELECT submitted_at IS NOT NULL, score FROM quiz_attempts WHERE id = :id", id=attempt)
    assert len(rows) == 1 and rows[0][0]
    attempts = cluster.sql(
        "SELECT count(*) FROM quiz_attempts a JOIN users u ON u.id = a.user_id "
        "WHERE u.username = 'learner' AND a.module_id = (SELECT id FROM modules WHERE slug = 'observers')"
    )
    assert attempts == [(1,)]
    assert "match" in cluster.flask("reports", "rebuild", "--check")
