"""Every route, walked from the app's URL map: the audit log can only be added to, and every admin
route refuses trainers, monitors and learners (403) and sends anonymous visitors to sign in."""
from __future__ import annotations

import io
import json
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lms.auth.models import Role
from lms.config import ROOT
from lms.extensions import db
from lms.learn.models import TrainingSession
from lms.train.models import AuditEvent, Election
from tests.admin.test_audit import _world
from tests.conftest import Browser, csrf_from
from tests.train.test_accounts import snapshot

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
GARBAGE = {"full_name": "=1+1", "username": "x!", "role": "admin", "unit": "99999999999", "language": "zz",
           "active": "", "names": "1", "countries": ["abc", "-1"], "name_en": "", "code": "../..", "batch": "x",
           "due_date": "not a date", "polling_date": "2030-02-30", "reason": "x" * 3000, "present": "abc",
           "current": "", "new": "a", "confirm": "b", "module": "-1", "rule": "?", "q": "%", "page": "-1",
           "answers": "{", "id": "1 OR 1=1", "action": "user.update", "details": '{"x": 1}'}


def _rules(app, prefix: str = "/"):
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith(prefix)), key=lambda r: r.rule)


def _url(app, rule, values: dict[str, object]) -> str:
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **{name: values.get(name, 1) for name in rule.arguments})


def _audit_rows(app) -> dict[int, tuple]:
    with app.app_context():
        return {e.id: (e.at, e.actor_id, e.action, e.target_type, e.target_id, e.unit_id,
                       json.dumps(e.details, sort_keys=True))
                for e in db.session.scalars(sa.select(AuditEvent).execution_options(populate_existing=True))}


def _unit_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(sa.text("SELECT id FROM units")))


def _values(app, tree, ids, course) -> dict[str, object]:
    with app.app_context():
        first = lambda model: db.session.scalar(sa.select(sa.func.min(model.id))) or 1
        return {"user_id": ids["monitor"], "learner_id": ids["learner"], "unit_id": tree["KG-A-1-2"],
                "assignment_id": ids["assignment"], "module_id": course, "election_id": first(Election),
                "session_id": first(TrainingSession), "slug": "sample-module", "lesson_slug": "first",
                "code": "ABCD-EFGH", "fmt": "csv", "filename": "app.css"}


# --- the audit log is append-only -------------------------------------------------------------------------

def test_no_route_is_meant_to_change_the_audit_log(app):
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule or "audit" in r.endpoint]
    assert {r.endpoint for r in audit_rules} == {"admin.audit", "admin.audit_export"}
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
    assert not [r.rule for r in app.url_map.iter_rules() if r.methods & {"PUT", "PATCH", "DELETE"}]
    # and no code writes to audit rows but to add them, except the erasure of a person, which the law
    # requires: it rewrites their names inside the details to the anonymous label (tests/admin/test_people.py)
    writes = re.compile(r"(?:update|delete)\(\s*AuditEvent\b|\b(?:UPDATE|DELETE\s+FROM)\s+audit_events\b|"
                        r"AuditEvent\.__table__\.(?:update|delete)", re.I)
    found = [f"{p.relative_to(ROOT)}" for p in (ROOT / "lms").rglob("*.py") if writes.search(p.read_text("utf-8"))]
    assert found == ["lms/admin/people.py"]


def test_posting_anything_to_every_route_never_changes_or_removes_an_audit_row(app, make, course, database):
    tree, ids, browser = _world(app, make, course)  # every kind of audit row, written through the services
    values = _values(app, tree, ids, course)
    before, units_before = _audit_rows(app), _unit_ids(app)
    assert len(before) > 25
    token = csrf_from(browser.get("/admin/staff").get_data(as_text=True))
    statuses: dict[str, set[int]] = {}
    for rule in _rules(app):
        url = _url(app, rule, values)
        methods = (rule.methods & WRITES) | {"PUT", "PATCH", "DELETE"}
        for method in sorted(methods):
            bodies = [{}, GARBAGE, {**GARBAGE, "file": (io.BytesIO(b"code,name\n=cmd|' /C calc'!A0,x\n"), "u.csv")}]
            for body in bodies if method in rule.methods else [{}]:
                response = browser.client.open(url, method=method, data={**body, "csrf_token": token},
                                               content_type="multipart/form-data")
                statuses.setdefault(f"{method} {rule.rule}", set()).add(response.status_code)
                assert response.status_code < 500, (method, url, response.status_code)
                if method not in rule.methods:
                    assert response.status_code == 405, (method, url)
                if (response.status_code in (302, 303, 403) or rule.rule == "/logout") \
                        and browser.get("/admin/").status_code != 200:  # signed out (POST /logout) or lost the role
                    browser.login("root")
                    token = csrf_from(browser.get("/admin/staff").get_data(as_text=True))
    after = _audit_rows(app)
    assert set(before) <= set(after), "an audit row was deleted"
    gone_units = units_before - _unit_ids(app)
    for event_id, row in before.items():
        new = after[event_id]
        if new != row and row[5] in gone_units and new[5] is None:  # ON DELETE SET NULL of a deleted unit
            new = new[:5] + (row[5],) + new[6:]
        assert new == row, f"audit row {event_id} changed: {row} -> {after[event_id]}"
    assert len(after) > len(before), "the posts reached the views: some changed things and were audited"
    assert any(s - {400, 403, 404, 405} for s in statuses.values())


# --- admin routes refuse everyone else -----------------------------------------------------------------

def test_every_admin_route_refuses_non_admins_and_sends_visitors_to_sign_in(app, make, course, database):
    tree = make.tree()
    ids = {"trainer": make.user("trainer", Role.TRAINER, tree["KZ-A"]), "monitor": make.user("monitor", Role.MONITOR),
           "learner": make.user("learner", unit=tree["KZ-A-1-1"]), "admin": make.user("admin", Role.ADMIN)}
    values = {"user_id": ids["monitor"], "unit_id": tree["KZ-A-1"], "fmt": "csv", "slug": "sample-module",
              "lesson_slug": "first"}
    rules = _rules(app, "/admin")
    assert len(rules) >= 18 and all(r.endpoint.startswith("admin.") for r in rules)
    before = snapshot(app)
    people = {}
    for username in ("trainer", "monitor", "learner"):
        people[username] = Browser(app.test_client())
        people[username].login(username)
    visitor = Browser(app.test_client())
    tokens = {name: csrf_from(b.get("/account/password").get_data(as_text=True)) for name, b in people.items()}
    visitor_token = csrf_from(visitor.get("/login").get_data(as_text=True))
    checked = 0
    for rule in rules:
        url = _url(app, rule, values)
        for method in sorted(rule.methods & {"GET", "POST"}):
            for name, b in people.items():
                data = {**GARBAGE, "csrf_token": tokens[name]} if method == "POST" else None
                response = b.client.open(url, method=method, data=data)
                assert response.status_code == 403, (name, method, url, response.status_code)
            data = {"csrf_token": visitor_token} if method == "POST" else None
            response = visitor.client.open(url, method=method, data=data)
            assert response.status_code == 302, (method, url)
            assert urlsplit(response.headers["Location"]).path == "/login", (method, url)
            checked += 1
    assert checked >= 25
    assert snapshot(app) == before
    admin = Browser(app.test_client())  # the same URLs exist: an admin reaches them
    admin.login("admin")
    for rule in rules:
        if "GET" in rule.methods and "password" not in rule.rule:
            assert admin.get(_url(app, rule, values)).status_code == 200, rule.rule


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit/export.csv"])
def test_the_audit_pages_answer_405_to_writes(app, make, browser, database, path):
    make.user("root", Role.ADMIN)
    browser.login("root")
    token = csrf_from(browser.get("/admin/staff").get_data(as_text=True))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert browser.client.open(path, method=method, data={"csrf_token": token}).status_code == 405
