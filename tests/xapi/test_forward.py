"""Forwarding to a learning record store: a real HTTP server on 127.0.0.1, down for the first tries and then
up, receives every statement exactly once, even from two forwarders at once."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.timeutil import utcnow
from lms.xapi import forward
from lms.xapi.models import XapiOutbox, XapiStatement
from tests.http_stub import JsonStub, free_port
from tests.test_concurrency import _run_together
from tests.train.test_assignments import setup_world
from tests.xapi import rules
from tests.xapi.test_statements import take_module


class Store(JsonStub):
    """A learning record store on 127.0.0.1: keeps every statement POSTed to /xapi/statements (all deliveries,
    so a second delivery of one id shows), answers 503 `failing` times first, and refuses ids in `refuse`."""

    def __init__(self, port: int):
        super().__init__(port, self._answer)
        self.received, self.failing, self.refuse = [], 0, set()

    def _answer(self, path, headers, body):
        auth = base64.b64encode(b"lrs-user:lrs-pass").decode()
        if not (path == "/xapi/statements" and headers["X-Experience-API-Version"] == "1.0.3"
                and headers["Authorization"] == f"Basic {auth}"):
            status = 401
        elif self.failing:
            self.failing -= 1
            status = 503
        elif any(s["id"] in self.refuse for s in body):
            status = 400
        else:
            self.received.extend(body)
            status = 200
        return status, [s["id"] for s in body] if status == 200 else {"error": status}

    def ids(self) -> list[str]:
        with self.lock:
            return [s["id"] for s in self.received]


@pytest.fixture
def store(app, monkeypatch):
    store = Store(free_port())
    monkeypatch.setitem(app.config, "LMS_XAPI_ENDPOINT", f"http://127.0.0.1:{store.port}/xapi/")
    monkeypatch.setitem(app.config, "LMS_XAPI_USERNAME", "lrs-user")
    monkeypatch.setitem(app.config, "LMS_XAPI_PASSWORD", "lrs-pass")
    yield store
    store.stop()


def outbox(app):
    with app.app_context():
        rows = db.session.scalars(sa.select(XapiOutbox).order_by(XapiOutbox.statement_id)).all()
        db.session.expunge_all()
        return rows


def all_ids(app):
    with app.app_context():
        return sorted(db.session.scalars(sa.select(XapiStatement.uuid)))


def make_due(app):
    """Time passes: every waiting row is due again."""
    with app.app_context():
        db.session.execute(sa.update(XapiOutbox).values(next_try_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def run(app, **kw):
    with app.app_context():
        return forward.forward(**kw)


def test_a_store_down_then_up_gets_every_statement_once(app, make, course, store, database):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    take_module(app, "ann")
    statements = all_ids(app)
    assert len(statements) == 9 and len(outbox(app)) == 9  # queued with the records

    first = run(app, batch=4)  # nobody listens on the port yet
    assert first.sent == 0 and first.failed == 4 and "ConnectionError" in first.errors[0]
    rows = outbox(app)
    assert len(rows) == 9 and sum(r.tries for r in rows) == 4
    waited = [r.next_try_at - utcnow() for r in rows if r.tries]
    assert all(timedelta(seconds=8) < w <= timedelta(seconds=10) for w in waited)  # LMS_XAPI_RETRY_SECONDS
    assert run(app, batch=4).failed == 4  # the five that were not tried yet; the four wait their turn
    assert run(app, batch=4).sent == 0 == run(app, batch=4).failed + 0  # the last one, then nothing due
    make_due(app)
    again = run(app, batch=100)
    assert again.failed == 9
    assert {r.tries for r in outbox(app)} == {2}
    later = [r.next_try_at - utcnow() for r in outbox(app)]
    assert all(timedelta(seconds=18) < w <= timedelta(seconds=20) for w in later)  # the delay doubles

    store.start()
    store.failing = 2  # up, but overloaded for two requests
    make_due(app)
    assert run(app, batch=5).failed == 5
    make_due(app)
    assert run(app, batch=5).failed == 5  # the same five again: the earliest due go first
    make_due(app)
    done = run(app, batch=5)
    assert done.sent == 9 and done.failed == 0
    assert outbox(app) == []
    assert sorted(store.ids()) == statements  # every one, once
    make_due(app)
    assert run(app).sent == 0 and sorted(store.ids()) == statements  # never sent again
    for s in store.received:
        rules.statement(s)
        assert "stored" not in s and "authority" not in s  # the store sets those


def test_a_statement_the_store_refuses_does_not_hold_back_the_others(app, make, course, store, database):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    take_module(app, "ann")
    statements = all_ids(app)
    store.start()
    store.refuse = {statements[3]}
    done = run(app)
    assert done.sent == 8 and done.failed == 1 and "HTTP 400" in done.errors[0]
    rows = outbox(app)
    assert len(rows) == 1 and rows[0].last_error.startswith("refused: HTTP 400") and rows[0].tries == 1
    assert sorted(store.ids()) == sorted(set(statements) - {statements[3]})
    runner = app.test_cli_runner()
    status = runner.invoke(args=["xapi", "status"])
    assert "waiting 1, failed at least once 1" in status.output and "HTTP 400" in status.output
    store.refuse = set()  # fixed at the store's end
    make_due(app)
    result = runner.invoke(args=["xapi", "forward"])
    assert result.exit_code == 0 and "sent 1, failed 0, waiting 0" in result.output
    assert sorted(store.ids()) == statements


def test_two_forwarders_at_once_send_each_statement_once(app, make, course, store, postgres_only):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    for name in ("ann", "bob"):
        take_module(app, name)
    statements = all_ids(app)
    store.start()
    results = _run_together([lambda: run(app, batch=2) for _ in range(4)])
    assert sum(r.sent for r in results) == len(statements) and all(r.failed == 0 for r in results)
    assert sorted(store.ids()) == statements and outbox(app) == []


def test_the_command_needs_a_store_and_says_when_it_failed(app, make, course, monkeypatch, database):
    runner = app.test_cli_runner()
    monkeypatch.setitem(app.config, "LMS_XAPI_ENDPOINT", "")
    result = runner.invoke(args=["xapi", "forward"])
    assert result.exit_code != 0 and "LMS_XAPI_ENDPOINT is not set" in result.output
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    take_module(app, "ann")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(XapiOutbox)) == 0  # not forwarding
    monkeypatch.setitem(app.config, "LMS_XAPI_ENDPOINT", f"http://127.0.0.1:{free_port()}/xapi")
    assert "9 statements queued" in runner.invoke(args=["xapi", "queue-all"]).output
    assert "0 statements queued" in runner.invoke(args=["xapi", "queue-all"]).output
    result = runner.invoke(args=["xapi", "forward"])
    assert result.exit_code == 1 and "sent 0, failed 9, waiting 9" in result.output
