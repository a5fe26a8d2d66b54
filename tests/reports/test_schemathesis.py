"""schemathesis against the published OpenAPI file, in-process on the seeded app: every operation, every
default check (server errors, documented status codes, content types, response schemas, bad data
refused and good data accepted, auth ignored, unsupported methods with Allow), and no failure.

The app holds the demo (the real curriculum, the four accounts, 24 officials with their progress)
plus in-person sessions with attendance and a revoked certificate, so that every list has rows.
A few examples per operation keep it to seconds; each run draws new ones.
"""
from __future__ import annotations

import os
import time
from datetime import date

import pytest
import schemathesis
import sqlalchemy as sa

from lms.auth.models import ApiToken, User, token_hash
from lms.config import ROOT
from lms.extensions import db
from lms.learn.models import Certificate, TrainingSession
from lms.orgs.models import Unit
from tests.reports.test_openapi import SPEC

TOKEN = "lms_schemathesis-monitor"
# per operation, for the phase that generates at random; LMS_SCHEMATHESIS_EXAMPLES=500 searches harder
MAX_EXAMPLES = int(os.environ.get("LMS_SCHEMATHESIS_EXAMPLES", "8"))
RUN: dict = {"cases": 0, "answered": set()}


def _seed(app) -> None:
    """The demo data, sessions with attendance in two oblasts, a revoked certificate, the monitor's token."""
    from lms.learn import certificate_records
    from lms.train import calendar_service

    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "import", str(ROOT / "courses")]).exit_code == 0
    learners = app.config.get("LMS_DEMO_LEARNERS")
    app.config["LMS_DEMO_LEARNERS"] = "24"
    try:
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    finally:
        app.config["LMS_DEMO_LEARNERS"] = learners
    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        oblasts = db.session.scalars(sa.select(Unit).where(Unit.level == 1).order_by(Unit.code).limit(2)).all()
        for n, oblast in enumerate(oblasts):
            module_id = db.session.scalar(sa.text("SELECT id FROM modules ORDER BY position LIMIT 1"))
            session = calendar_service.create_session(admin, module_id, oblast.id, date(2026, 3, 2 + n),
                                                      "Hall", "Trainer")
            eligible = calendar_service.eligible_learners(admin, db.session.get(TrainingSession, session.id))
            calendar_service.save_attendance(admin, session, eligible, {u.id for u in eligible[:3]})
        cert = db.session.scalar(sa.select(Certificate).order_by(Certificate.id).limit(1))
        certificate_records.revoke(cert, admin, "issued in error")
        monitor = db.session.scalar(sa.select(User.id).where(User.username == "monitor"))
        db.session.add(ApiToken(user_id=monitor, name="schemathesis", token_hash=token_hash(TOKEN),
                                prefix=TOKEN[:10]))
        db.session.commit()


@pytest.fixture
def api_schema(app, database):
    """The OpenAPI file as the seeded app serves it, with the monitor's token on every request."""
    started = time.monotonic()
    _seed(app)
    RUN["seeded_in"] = time.monotonic() - started
    config = schemathesis.Config.from_dict({
        "headers": {"Authorization": f"Bearer {TOKEN}"},
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
        "phases": {"stateful": {"enabled": False}},
        # The one refusal OpenAPI cannot express: the completion report's `from` after its `to` is a 400.
        "operations": [{"include-operation-id": "getCompletionReport",
                        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403",
                                                                                      "404"]}}}],
    })
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.yaml", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id(request):
    """schemathesis 4.32 reads the test's `Node._nodeid`, which pytest 9.2 keeps as `_id`: give it one."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
def test_the_api_keeps_its_published_contract(case):
    """Send one generated request and run every default check on the answer."""
    RUN["cases"] += 1
    response = case.call_and_validate()
    if response.request.method == "GET" and response.status_code == 200:
        body = response.json()
        if body.get("items") or body.get("rows") or body.get("questions") or body.get("statements"):
            RUN["answered"].add(case.operation.path)


@pytest.fixture(autouse=True)
def _report(request):
    """Require that every operation answered with data at least once (so the schemas of full answers were
    checked), and say how many requests schemathesis sent, and in how long."""
    RUN.update(cases=0, answered=set(), seeded_in=0.0)
    started = time.monotonic()
    yield
    print(f"\nschemathesis ({request.node.callspec.id}): {RUN['cases']} requests in "
          f"{time.monotonic() - started - RUN['seeded_in']:.1f} s (and {RUN['seeded_in']:.1f} s to seed)")
    assert RUN["answered"] == {p for p in SPEC["paths"] if p != "/api/v1/openapi.yaml"}
