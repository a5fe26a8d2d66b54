"""Fixtures: the app on a real database (SQLite always, PostgreSQL when reachable; required in CI)."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from lms import create_app, events
from lms.auth.models import Role, User
from lms.auth.passwords import hash_password
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.extensions import db
from lms.orgs.models import Unit

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"
SIGNING_KEY = "Q2gQO1dX3x2U_ugYWEheGEbflRNk6fYGR_Xh59-26ng"  # the tests' certificate signing key, not a secret


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def pytest_generate_tests(metafunc):
    if "database" in metafunc.fixturenames:
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def database(request, tmp_path_factory):
    """The database URL for this run of the data tests."""
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    if not _postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but {PG_URL} does not answer")
        pytest.skip("PostgreSQL is not running")
    engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return PG_URL.replace("postgresql://", "postgresql+psycopg://")


@pytest.fixture(scope="session")
def app(database, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database,
        "SECRET_KEY": "test-secret",
        "LMS_SIGNING_KEY": SIGNING_KEY,
        "LMS_LOGIN_LIMIT": "10000 per minute",
        "LMS_VERIFY_LIMIT": "10000 per minute",
        "LMS_PASSWORD_MEMORY_KIB": 1024,
        "LMS_COURSES_PATH": str(FIXTURES / "courses"),
        "LMS_DEFAULT_LOCALE": "en",
        # a fault test may restart PostgreSQL: a pooled connection is checked before use
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True} if database.startswith("postgresql") else {},
    })
    with app.app_context():
        upgrade()  # the real migrations build the schema
    yield app
    with app.app_context():
        db.engine.dispose()


def truncate_all(app) -> None:
    """Empty every table (a test, or an example of a property test, starts from nothing)."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
            else:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # units refer to units
                for name in tables:
                    conn.execute(sa.text(f"DELETE FROM {name}"))
                conn.commit()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Each data test starts from empty tables (rows deleted after it)."""
    yield
    if "database" not in request.fixturenames:
        return
    truncate_all(request.getfixturevalue("app"))


@pytest.fixture
def postgres_only(database):
    """Skip on SQLite, which serialises every writer: a race test needs PostgreSQL (required in CI)."""
    if not database.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def course(app):
    """The small fixture module, imported; returns its id."""
    with app.app_context():
        modules, problems = load_tree(FIXTURES / "courses")
        assert not problems
        import_modules(modules)
        db.session.commit()
        from lms.content.models import Module
        return db.session.scalar(sa.select(Module.id).where(Module.slug == "sample-module"))


class Factory:
    """Creates units and users, each call in its own app context and transaction; returns ids.

    Requests in the test client must not share an app context with the test (Flask-Login keeps
    the signed-in user in `g`), so nothing here stays open between calls.
    """

    def __init__(self, app):
        self.app = app
        self.n = 0

    def unit(self, code: str, parent: int | None = None, names: dict | None = None) -> int:
        with self.app.app_context():
            unit = Unit(code=code, names=names or {"en": code, "ru": code})
            unit.attach(db.session.get(Unit, parent) if parent else None)
            db.session.add(unit)
            db.session.commit()
            return unit.id

    def tree(self) -> dict[str, int]:
        """Two countries with an oblast, a district and two precincts each."""
        out: dict[str, int] = {}
        for c in ("KZ", "KG"):
            out[c] = self.unit(c)
            out[f"{c}-A"] = self.unit(f"{c}-A", out[c])
            out[f"{c}-A-1"] = self.unit(f"{c}-A-1", out[f"{c}-A"])
            out[f"{c}-A-1-1"] = self.unit(f"{c}-A-1-1", out[f"{c}-A-1"])
            out[f"{c}-A-1-2"] = self.unit(f"{c}-A-1-2", out[f"{c}-A-1"])
        return out

    def user(self, username: str | None = None, role: Role = Role.LEARNER, unit: int | None = None, **kw) -> int:
        self.n += 1
        with self.app.app_context():
            user = User(username=username or f"user{self.n}", full_name=kw.pop("full_name", f"User {self.n}"),
                        role=role, unit_id=unit, password_hash=hash_password(kw.pop("password", PASSWORD)), **kw)
            db.session.add(user)
            db.session.flush()
            events.learners_changed.send(user_ids=[user.id])  # as the app's account writes do
            db.session.commit()
            return user.id

    def assign(self, module_id: int, user: int | None = None, unit: int | None = None, **kw) -> int:
        from lms.learn.models import Assignment
        with self.app.app_context():
            a = Assignment(module_id=module_id, user_id=user, unit_id=unit, **kw)
            db.session.add(a)
            db.session.flush()
            refresh_all()
            db.session.commit()
            return a.id


def refresh_all() -> None:
    """Recompute every learner's progress rows, as the app's own writes do."""
    events.learners_changed.send(user_ids=db.session.scalars(
        sa.select(User.id).where(User.role.in_((Role.LEARNER, Role.TRAINER)))).all())


@contextmanager
def count_queries(app):
    """Collect the SQL statements run inside the block."""
    statements: list[str] = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


@pytest.fixture
def make(app):
    return Factory(app)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


class Browser:
    """Drives the test client like a person: reads the CSRF token from each page it posts from."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, from_page: str | None = None, **kw):
        page = self.client.get(from_page or url)
        form = dict(data or {})
        form.setdefault("csrf_token", csrf_from(page.get_data(as_text=True)))
        return self.client.post(url, data=form, **kw)

    def login(self, username: str, password: str = PASSWORD):
        return self.post("/login", {"username": username, "password": password})


@pytest.fixture
def browser(client):
    return Browser(client)
