import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from tests.conftest import PASSWORD, Browser
from tests.train.test_accounts import shown_password


def test_login_page_is_a_form_with_the_contract_fields(client, database):
    html = client.get("/login").get_data(as_text=True)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in html


def test_login_without_csrf_token_is_refused(client, make):
    make.user("ann")
    response = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/learn/").status_code == 302  # still signed out


def test_unknown_user_and_wrong_password_get_the_same_message(browser, make):
    make.user("ann")
    unknown = browser.login("nobody", PASSWORD).get_data(as_text=True)
    wrong = browser.login("ann", "not the password").get_data(as_text=True)
    message = "The username or password is not correct."
    assert message in unknown and message in wrong


def test_sign_in_and_out(browser, make):
    make.user("ann")
    response = browser.login("ann")
    assert response.status_code == 302
    assert browser.get("/learn/").status_code == 200
    browser.post("/logout", from_page="/learn/")
    assert browser.get("/learn/").status_code == 302


def test_inactive_user_cannot_sign_in(browser, make):
    make.user("ann", active=False)
    assert browser.login("ann").status_code == 200
    assert browser.get("/learn/").status_code == 302


def test_open_redirect_is_ignored(browser, make):
    make.user("ann")
    response = browser.post("/login?next=https://evil.example/", {"username": "ann", "password": PASSWORD},
                            from_page="/login")
    assert response.headers["Location"] == "/"


def test_temporary_password_forces_a_change(app, browser, make):
    make.user("ann", must_change_password=True)
    response = browser.login("ann")
    assert response.headers["Location"].endswith("/account/password")
    assert browser.get("/learn/").headers["Location"].endswith("/account/password")
    bad = browser.post("/account/password", {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert bad.status_code == 200 and "error-summary" in bad.get_data(as_text=True)
    new = "a much longer passphrase"
    ok = browser.post("/account/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert ok.status_code == 302
    assert browser.get("/learn/").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "ann"))
        assert not user.must_change_password
    browser.post("/logout", from_page="/learn/")
    assert browser.login("ann", new).status_code == 302


def test_password_change_signs_out_other_sessions(app, make):
    make.user("ann")
    from tests.conftest import Browser
    first, second = Browser(app.test_client()), Browser(app.test_client())
    first.login("ann")
    second.login("ann")
    new = "another long passphrase"
    first.post("/account/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert first.get("/learn/").status_code == 200
    assert second.get("/learn/").status_code == 302


def test_login_is_rate_limited(app, browser, make):
    from lms.extensions import limiter
    make.user("ann")
    app.config["LMS_LOGIN_LIMIT"] = "5 per minute"
    try:
        codes = [browser.login("ann", "wrong").status_code for _ in range(7)]
    finally:
        app.config["LMS_LOGIN_LIMIT"] = "10000 per minute"
        limiter.reset()
    assert codes[:5] == [200] * 5 and codes[-1] == 429


def test_language_choice_is_kept(browser, make):
    browser.post("/language", {"lang": "ru", "next": "/login"}, from_page="/login")
    assert 'lang="ru"' in browser.get("/login").get_data(as_text=True)
    browser.post("/language", {"lang": "xx"}, from_page="/login")
    assert 'lang="ru"' in browser.get("/login").get_data(as_text=True)


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def test_signing_out_ends_the_session_on_the_server(app, browser, make):
    """A copied session cookie stops working once its owner signs out; another device stays signed in."""
    make.user("ann")
    browser.login("ann")
    copied = _cookie(browser.client)
    phone = Browser(app.test_client())
    phone.login("ann")
    assert _replay(app, copied).get("/learn/").status_code == 200
    browser.post("/logout", from_page="/learn/")
    assert _replay(app, copied).get("/learn/").status_code == 302  # to the sign-in page
    assert phone.get("/learn/").status_code == 200  # only that sign-in ended


def test_a_one_time_password_never_travels_in_the_cookie_and_a_replay_shows_nothing(app, browser, make):
    import base64
    import zlib

    tree = make.tree()
    make.user("trainer", role=Role.TRAINER, unit=tree["KZ-A"])
    browser.login("trainer")
    created = browser.post("/train/learners/new", {"full_name": "Ann Bek", "username": "annb",
                                                   "unit": tree["KZ-A-1-1"], "language": "ru"})
    assert created.status_code == 303
    cookie = _cookie(browser.client)
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    session_text = zlib.decompress(raw) if cookie.startswith(".") else raw
    page = browser.get(created.headers["Location"]).get_data(as_text=True)
    password = shown_password(page)
    assert password and password.encode() not in session_text  # only a random id is in the cookie
    replayed = _replay(app, cookie).get(created.headers["Location"]).get_data(as_text=True)
    assert password not in replayed  # the cookie from before the page was seen shows nothing now


def test_a_form_token_from_an_earlier_page_still_works_and_a_forged_one_does_not(browser, make):
    """Pages reuse each session's signed CSRF token (lms.core.templating.csrf_token); it must
    validate like a freshly signed one, and a token of another session or a forged one must not."""
    from tests.conftest import csrf_from

    make.user("ann")
    make.user("bob")
    other = Browser(browser.client.application.test_client())
    assert other.login("bob").status_code == 302
    bobs = csrf_from(other.get("/learn/").get_data(as_text=True))
    assert browser.login("ann").status_code == 302
    first = csrf_from(browser.get("/learn/").get_data(as_text=True))
    assert csrf_from(browser.get("/account/password").get_data(as_text=True)) == first
    for token in (bobs, first[:-2] + ("AA" if not first.endswith("AA") else "BB")):
        response = browser.client.post("/language", data={"lang": "en", "csrf_token": token})
        assert response.status_code == 400
    response = browser.client.post("/language", data={"lang": "en", "csrf_token": first, "next": "/learn/"})
    assert response.status_code == 303
    assert browser.get("/learn/").get_data(as_text=True).count("My training") >= 1
