"""Rotating SECRET_KEY (README, "Rotating SECRET_KEY"): every session ends, while API tokens and
certificates stay valid. A second app on the same database plays the instances restarted with the new key."""
from __future__ import annotations

import re

import sqlalchemy as sa

from lms.auth.models import Role
from lms.extensions import db
from lms.learn.models import Certificate, ModuleCompletion
from tests.conftest import Browser
from tests.learn.test_certificates import _second_app


def test_a_new_secret_key_ends_sessions_and_keeps_api_tokens_and_certificates(app, make, course, database):
    tree = make.tree()
    make.user("monitor", Role.MONITOR)
    learner = make.user("ann", unit=tree["KZ-A-1-1"])
    make.assign(course, user=learner)
    with app.app_context():
        db.session.add(ModuleCompletion(user_id=learner, module_id=course, best_score=90.0))
        db.session.commit()
    ann = Browser(app.test_client())
    ann.login("ann")
    code = re.search(r"/verify/([A-Z0-9-]+)", ann.get("/learn/modules/sample-module/certificate")
                     .get_data(as_text=True)).group(1)
    monitor = Browser(app.test_client())
    monitor.login("monitor")
    page = monitor.post("/account/tokens", {"name": "dashboard"}).get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    assert ann.get("/learn/").status_code == 200

    rotated = _second_app(app, SECRET_KEY="the-key-after-rotation")
    try:
        client = rotated.test_client()
        client.set_cookie("session", ann.client.get_cookie("session").value)  # the browser's old cookie
        assert client.get("/learn/").status_code == 302  # signed with the old key: signed out
        api = rotated.test_client().get("/api/v1/reports/completion",
                                        headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200  # tokens are stored as hashes, not signed with the key
        check = rotated.test_client().get(f"/verify/{code}")
        assert check.status_code == 200 and 'flash-success' in check.get_data(as_text=True)
        fresh = Browser(rotated.test_client())
        assert fresh.login("ann").status_code in (302, 303)  # signing in again works at once
        assert fresh.get("/learn/").status_code == 200
        with rotated.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1
    finally:
        with rotated.app_context():
            db.engine.dispose()
