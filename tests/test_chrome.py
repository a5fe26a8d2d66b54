"""The site header and footer are rendered once and kept (lms.core.chrome): what belongs to one
request (its session's CSRF token, its role's links, its language, its path) is still its own."""
import re

from lms.auth.models import Role
from tests.conftest import Browser

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _tokens(html: str) -> set[str]:
    return {a or b for a, b in TOKEN.findall(html)}


def test_two_sessions_get_their_own_token_links_and_language_from_the_kept_header(app, make):
    make.user("ann")
    make.user("tina", Role.TRAINER)
    ann, tina = Browser(app.test_client()), Browser(app.test_client())
    ann.login("ann")
    tina.login("tina")
    for _ in range(2):  # the second round is served from the kept fragments
        mine, hers = ann.get("/learn/").get_data(as_text=True), tina.get("/learn/").get_data(as_text=True)
        assert 'href="/train/"' in hers and 'href="/train/"' not in mine
        assert len(_tokens(mine)) == 1 and len(_tokens(hers)) == 1  # header and footer: the session's token
        assert _tokens(mine) != _tokens(hers)
    assert ann.post("/language", {"lang": "ru", "next": "/learn/"}, from_page="/learn/").status_code == 303
    assert "Моё обучение" in ann.get("/learn/").get_data(as_text=True)
    assert "My training" in tina.get("/learn/").get_data(as_text=True)

    [token] = _tokens(ann.get("/learn/").get_data(as_text=True))
    assert ann.client.post("/logout", data={"csrf_token": token}).status_code == 302  # the header's sign-out form
    assert ann.get("/learn/").status_code == 302
    assert tina.get("/learn/").status_code == 200


def test_the_language_form_comes_back_to_this_page_and_marks_the_section(app, make, browser):
    make.user("ann")
    browser.login("ann")
    browser.get("/learn/")
    html = browser.get("/account/password?a=1&b=2").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/account/password?a=1&amp;b=2">' in html
    assert html.count('<a href="/account/password" aria-current="page">') == 2  # both menus
    assert 'aria-current' not in html.split('href="/learn/"')[1].split("</a>")[0]
    anonymous = app.test_client().get("/login").get_data(as_text=True)
    assert 'class="nav-links"' not in anonymous and 'name="next" value="/login"' in anonymous
