import re


def test_healthz_reports_the_database(client, database):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_pages_load_nothing_from_other_hosts(client, database):
    html = client.get("/login").get_data(as_text=True)
    refs = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert refs and all(ref.startswith(("/", "#", "data:")) and not ref.startswith("//") for ref in refs)


def _app(tmp_path, **config):
    from lms import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "x", "LMS_DEFAULT_LOCALE": "en",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/h.sqlite3", **config})


def test_healthz_names_redis_when_it_is_down_and_pages_keep_working(tmp_path):
    down = "redis://127.0.0.1:1/0"  # nothing listens there
    app = _app(tmp_path, REDIS_URL=down, RATELIMIT_STORAGE_URI=down)
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"] == "unavailable" and response.json["database"] == "ok"
    # the sign-in rate limit falls back to counting in memory: the page still answers
    assert client.get("/login").status_code == 200


def test_healthz_checks_a_running_redis(tmp_path):
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        import pytest

        pytest.skip("Redis is not running")
    response = _app(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0").test_client().get("/healthz")
    assert response.status_code == 200 and response.json["redis"] == "ok"


def test_an_unreachable_database_is_a_clean_503(tmp_path):
    from tests.conftest import csrf_from

    app = _app(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none",
               SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "ann", "password": "x", "csrf_token": token})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert "try again in a minute" in body and "Traceback" not in body


def test_every_response_carries_a_request_id(client, database):
    first = client.get("/healthz")
    assert len(first.headers["X-Request-ID"]) == 32
    passed = client.get("/healthz", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert passed.headers["X-Request-ID"] == "nginx-0123456789abcdef"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert len(forged.headers["X-Request-ID"]) == 32  # replaced, not echoed


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(tmp_path):
    """With LMS_PROXY_HOPS=1 the sign-in limit counts each client, not the proxy."""
    from tests.conftest import csrf_from

    app = _app(tmp_path, LMS_PROXY_HOPS=1, LMS_LOGIN_LIMIT="2 per minute", RATELIMIT_ENABLED=True)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    client = app.test_client()

    def attempt(ip):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        return client.post("/login", data={"username": "nobody", "password": "x", "csrf_token": token},
                           headers={"X-Forwarded-For": ip}).status_code

    assert [attempt("10.0.0.1") for _ in range(3)][-1] == 429
    assert attempt("10.0.0.2") != 429  # another official behind the same proxy is not blocked


def test_assets_are_named_by_their_content(client, database):
    import hashlib

    from lms.config import ROOT

    html = client.get("/login").get_data(as_text=True)
    digest = hashlib.sha256((ROOT / "lms/static/app.css").read_bytes()).hexdigest()[:12]
    assert f'href="/static/app.css?v={digest}"' in html
    asset = client.get(f"/static/app.css?v={digest}")
    assert asset.status_code == 200 and "max-age=31536000" in asset.headers["Cache-Control"]


def test_a_connection_cut_by_the_server_during_a_request_does_not_fail_its_teardown(app, database):
    """PostgreSQL restarting cuts every session; the request's own rollback at the end then fails.
    The page already made must still go out (seen as a 500 in the fault test before)."""
    import psycopg
    import pytest
    import sqlalchemy as sa

    from lms.extensions import db

    if not database.startswith("postgresql"):
        pytest.skip("the server cutting a connection is a PostgreSQL event")
    ctx = app.test_request_context("/")
    ctx.push()
    pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()  # a transaction is open
    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    ctx.pop()  # the teardown rolls back on the dead connection: no exception may escape
    with app.app_context():
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1  # the pool gives a live connection again


def test_healthz_leaves_a_signed_in_session_as_it_was(browser, make, database):
    """The health check reads no session (lms.auth.sessions): it neither rewrites nor clears the cookie."""
    make.user("ann")
    assert browser.login("ann").status_code == 302
    before = browser.client.get_cookie("session").value
    response = browser.get("/healthz")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert browser.client.get_cookie("session").value == before
    assert browser.get("/learn/").status_code == 200  # still signed in
