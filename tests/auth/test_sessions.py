"""Sessions that end: idle and absolute limits, Secure cookies over HTTPS, the per-account
lock-out and the password policy."""
from datetime import timedelta

import sqlalchemy as sa

from lms.auth.models import Role, SignIn, User
from lms.extensions import db
from lms.timeutil import utcnow
from lms.train.models import AuditEvent
from tests.conftest import PASSWORD, Browser


def _age_sign_ins(app, username: str, *, started: timedelta | None = None, seen: timedelta | None = None) -> None:
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        values = {}
        if started is not None:
            values["created_at"] = utcnow() - started
        if seen is not None:
            values["last_seen_at"] = utcnow() - seen
        db.session.execute(sa.update(SignIn).where(SignIn.user_id == user_id).values(**values))
        db.session.commit()


def test_a_session_idle_too_long_ends_with_a_message(app, browser, make):
    make.user("ann")
    browser.login("ann")
    idle = app.config["LMS_SESSION_IDLE_MINUTES"]
    _age_sign_ins(app, "ann", started=timedelta(minutes=idle + 5), seen=timedelta(minutes=idle - 1))
    assert browser.get("/learn/").status_code == 200  # still within the idle limit: the request renews it
    with app.app_context():
        seen = db.session.scalar(sa.select(SignIn.last_seen_at))
        assert utcnow() - seen < timedelta(minutes=1)
    _age_sign_ins(app, "ann", seen=timedelta(minutes=idle + 1))
    response = browser.get("/learn/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Your session has ended" in browser.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(SignIn.ended_at)) is not None  # ended for good
    _age_sign_ins(app, "ann", seen=timedelta(0))
    assert browser.get("/learn/").status_code == 302  # activity cannot bring an ended sign-in back


def test_a_session_ends_after_the_absolute_limit_however_active(app, browser, make):
    make.user("ann")
    browser.login("ann")
    hours = app.config["LMS_SESSION_MAX_HOURS"]
    _age_sign_ins(app, "ann", started=timedelta(hours=hours, minutes=-1), seen=timedelta(0))
    assert browser.get("/learn/").status_code == 200
    _age_sign_ins(app, "ann", started=timedelta(hours=hours, minutes=1), seen=timedelta(0))
    assert browser.get("/learn/").status_code == 302
    assert browser.login("ann").status_code == 302  # signing in again starts a new one
    assert browser.get("/learn/").status_code == 200


def test_a_cookie_verified_once_still_expires_and_a_changed_one_is_refused(app, browser, make):
    """The session interface keeps what it verified of a cookie (lms.auth.sessions): the cookie's
    age is checked on every request all the same, and any other cookie is verified anew."""
    make.user("ann")
    browser.login("ann")
    assert browser.get("/learn/").status_code == 200
    assert browser.get("/learn/").status_code == 200  # the second time from what was kept
    cookie = browser.client.get_cookie("session").value
    payload, _dot, signature = cookie.rpartition(".")
    forged = app.test_client()
    forged.set_cookie("session", payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    assert forged.get("/learn/").status_code == 302  # a changed signature is refused
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(0)
    try:
        assert browser.get("/learn/").status_code == 302  # older than the cookie lifetime now
    finally:
        app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    assert browser.get("/learn/").status_code == 200


def test_an_https_request_gets_a_secure_cookie_and_plain_http_does_not(app, make):
    make.user("ann")
    plain = app.test_client().get("/login")
    assert "Secure" not in plain.headers["Set-Cookie"]
    https = app.test_client().get("/login", base_url="https://lms.example")
    assert "Secure" in https.headers["Set-Cookie"] and "HttpOnly" in https.headers["Set-Cookie"]


def test_https_through_the_trusted_proxy_gets_a_secure_cookie(make, tmp_path, database):
    from lms import create_app

    make.user("ann")
    proxied = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "t",
                          "LMS_PROXY_HOPS": 1, "TESTING": True})
    response = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in response.headers["Set-Cookie"]


def _lock(app, user_id: int) -> None:
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == user_id).values(locked_until=utcnow() + timedelta(hours=1)))
        db.session.commit()


def _fail(browser, username: str, times: int) -> list[str]:
    return [browser.login(username, "not the password").get_data(as_text=True) for _ in range(times)]


def test_repeated_failures_lock_the_account_and_a_trainer_lifts_it(app, browser, make):
    tree = make.tree()
    make.user("trainer", role=Role.TRAINER, unit=tree["KZ-A"])
    make.user("ann", unit=tree["KZ-A-1-1"])
    limit = app.config["LMS_LOCKOUT_FAILURES"]
    pages = _fail(browser, "ann", limit)
    assert "locked" not in pages[-2] and "This account is locked" not in pages[-1]
    refused = browser.login("ann").get_data(as_text=True)  # the right password, but locked now
    assert "This account is locked after too many failed sign-ins" in refused
    assert browser.get("/learn/").status_code == 302
    with app.app_context():
        ann = db.session.scalar(sa.select(User).where(User.username == "ann"))
        ann_id = ann.id
        assert ann.locked
        assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.target_id == ann_id)) == "user.locked"

    trainer = Browser(app.test_client())
    trainer.login("trainer")
    detail = trainer.get(f"/train/learners/{ann_id}").get_data(as_text=True)
    assert "Unlock" in detail
    no_token = trainer.client.post(f"/train/learners/{ann_id}/unlock")
    assert no_token.status_code == 400
    lifted = trainer.post(f"/train/learners/{ann_id}/unlock", from_page=f"/train/learners/{ann_id}")
    assert lifted.status_code == 303
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.target_id == ann_id)
                                          .order_by(AuditEvent.id)))
        assert actions == ["user.locked", "user.unlock"]
    assert browser.login("ann").status_code == 302


def test_a_trainer_cannot_unlock_another_oblasts_learner(app, browser, make):
    tree = make.tree()
    make.user("trainer", role=Role.TRAINER, unit=tree["KZ-A"])
    other_id = make.user("bob", unit=tree["KG-A-1-1"])
    _lock(app, other_id)
    browser.login("trainer")
    response = browser.post(f"/train/learners/{other_id}/unlock", from_page="/train/learners")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(User, other_id).locked


def test_a_lock_lapses_by_itself_and_a_success_resets_the_count(app, browser, make):
    make.user("ann")
    limit = app.config["LMS_LOCKOUT_FAILURES"]
    _fail(browser, "ann", limit - 1)
    assert browser.login("ann").status_code == 302  # a success clears the count
    browser.post("/logout", from_page="/learn/")
    _fail(browser, "ann", limit - 1)
    assert browser.login("ann").status_code == 302  # so the earlier failures did not add up
    browser.post("/logout", from_page="/learn/")
    _fail(browser, "ann", limit)
    assert browser.login("ann").status_code == 200  # locked
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == "ann").values(locked_until=utcnow()))
        db.session.commit()
    assert browser.login("ann").status_code == 302


def test_an_admin_unlocks_a_staff_account(app, browser, make):
    make.user("admin", role=Role.ADMIN)
    monitor_id = make.user("mon", role=Role.MONITOR)
    _lock(app, monitor_id)
    browser.login("admin")
    assert "Unlock" in browser.get("/admin/staff").get_data(as_text=True)
    assert browser.post(f"/admin/staff/{monitor_id}/unlock", from_page="/admin/staff").status_code == 303
    with app.app_context():
        assert not db.session.get(User, monitor_id).locked


def test_common_and_name_based_passwords_are_refused(browser, make):
    make.user("ann", full_name="Ann Bekova")
    browser.login("ann")
    for weak in ("password123", "qwertyuiop", "bekova1234", "1234567890"):
        page = browser.post("/account/password", {"current": PASSWORD, "new": weak, "confirm": weak})
        assert page.status_code == 200, weak
        assert "too easy to guess" in page.get_data(as_text=True), weak
    short = browser.post("/account/password", {"current": PASSWORD, "new": "Xk4!pq", "confirm": "Xk4!pq"})
    assert short.status_code == 200 and "error-summary" in short.get_data(as_text=True)
    good = "river lamp seven orchard"
    assert browser.post("/account/password", {"current": PASSWORD, "new": good, "confirm": good}).status_code == 302


def test_the_signed_in_account_is_read_only_and_changes_go_through_the_orm(app, browser, make):
    """current_user is read with one Core query (lms.auth.signed_in): assigning to it raises instead
    of losing the change, and one's own changes (here the language) are saved through the ORM."""
    import pytest
    from flask_login import current_user

    from lms.auth.signed_in import SignedIn

    make.user("ann")
    browser.login("ann")
    cookie = f"session={browser.client.get_cookie('session').value}"
    with app.test_request_context("/learn/", headers={"Cookie": cookie}):
        app.preprocess_request()
        user = current_user._get_current_object()
        assert isinstance(user, SignedIn) and user.username == "ann" and not hasattr(user, "password_hash")
        with pytest.raises(AttributeError, match="read-only"):
            user.locale = "ru"
        db.session.remove()
    assert browser.post("/language", {"lang": "kk", "next": "/learn/"}, from_page="/learn/").status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(User.locale).where(User.username == "ann")) == "kk"
