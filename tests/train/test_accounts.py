"""Learner accounts in the trainer workspace: list, create, edit and move, reset, deactivate; scope and audit."""
import re

import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.learn.models import LearnerProgress
from lms.train.models import AuditEvent
from lms.train.user_import import USERNAME_RE
from tests.conftest import PASSWORD, Browser


def setup_oblasts(make):
    tree = make.tree()
    ids = {
        "trainer": make.user("trainer", Role.TRAINER, tree["KZ-A"]),
        "ann": make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann Akhmetova"),
        "kim": make.user("kim", unit=tree["KG-A-1-1"], full_name="Kim Kasymova"),
    }
    return tree, ids


def snapshot(app):
    """Every user row and the number of audit events: to prove that nothing changed."""
    with app.app_context():
        users = db.session.execute(sa.select(User.id, User.username, User.full_name, User.unit_id, User.locale,
                                             User.active, User.password_hash, User.must_change_password,
                                             User.session_token).order_by(User.id)).all()
        events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        return users, events


def events(app, action=None):
    with app.app_context():
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [(e.action, e.target_id, e.unit_id, e.details, e.actor_id) for e in db.session.scalars(query)]


def get_user(app, username):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        db.session.expunge_all()
        return user


def shown_password(page: str) -> str:
    found = re.findall(r'<code class="secret">([^<]+)</code>', page)
    assert len(found) == 2, "the page shows the username and the password"
    return found[1]


def test_list_shows_only_the_trainers_oblast_with_filters(app, browser, make):
    tree, ids = setup_oblasts(make)
    make.user("bea", unit=tree["KZ-A-1-2"], full_name="Bea Bekova", active=False)
    for n in range(55):
        make.user(f"p{n:02d}", unit=tree["KZ-A-1-2"], full_name=f"Precinct Person {n:02d}")
    browser.login("trainer")
    page = browser.get("/train/learners").get_data(as_text=True)
    assert "57 accounts" in page and "Ann Akhmetova" in page and "Kim Kasymova" not in page
    assert f'href="/train/learners/{ids["ann"]}"' in page and f'/train/learners/{ids["ann"]}/edit' in page
    assert "Page 1 of 2" in page
    second = browser.get("/train/learners?page=2").get_data(as_text=True)
    assert second.count('class="row-actions"') == 7
    assert "1 account" in browser.get("/train/learners?q=AKHMET").get_data(as_text=True)
    assert "Ann Akhmetova" in browser.get("/train/learners?q=an").get_data(as_text=True)
    assert "0 accounts" in browser.get("/train/learners?q=kim").get_data(as_text=True)
    inactive = browser.get("/train/learners?state=inactive").get_data(as_text=True)
    assert "1 account" in inactive and "Bea Bekova" in inactive
    unit = browser.get(f"/train/learners?unit={tree['KZ-A-1-1']}").get_data(as_text=True)
    assert "1 account" in unit and "Ann Akhmetova" in unit
    district = browser.get(f"/train/learners?unit={tree['KZ-A-1']}").get_data(as_text=True)
    assert "57 accounts" in district  # units below count too


def test_list_needs_a_fixed_number_of_queries(app, browser, make):
    from tests.conftest import count_queries
    tree, ids = setup_oblasts(make)
    browser.login("trainer")
    with count_queries(app) as few:
        browser.get("/train/learners")
    for n in range(30):
        make.user(f"q{n:02d}", unit=tree[("KZ-A-1-1", "KZ-A-1-2")[n % 2]])
    with count_queries(app) as many:
        assert "31 accounts" in browser.get("/train/learners").get_data(as_text=True)
    assert len(many) == len(few)


def test_create_a_learner_shows_the_password_once(app, browser, make, course):
    tree, ids = setup_oblasts(make)
    make.assign(course, unit=tree["KZ-A"])
    browser.login("trainer")
    form = browser.get("/train/learners/new").get_data(as_text=True)
    assert 'value="en" selected' in form and "KZ-A-1-1" in form and "KG-A-1-1" not in form
    response = browser.post("/train/learners/new", {"full_name": "  Гульнара   Исмаилова ", "username": "",
                                                    "unit": tree["KZ-A-1-2"], "language": "kk"})
    assert response.status_code == 303
    page = browser.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    password = shown_password(html)
    assert "gulnara.ismailova" in html and "privately" in html
    assert password not in browser.get(response.headers["Location"]).get_data(as_text=True)  # shown once
    user = get_user(app, "gulnara.ismailova")
    assert user.full_name == "Гульнара Исмаилова" and user.unit_id == tree["KZ-A-1-2"] and user.locale == "kk"
    assert user.must_change_password and user.role == Role.LEARNER and password not in user.password_hash
    with app.app_context():  # the oblast's assignment reaches the new learner at once
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LearnerProgress)
                                 .where(LearnerProgress.user_id == user.id)) == 1
    [(action, target, unit, details, actor)] = events(app, "user.create")
    assert target == user.id and unit == tree["KZ-A-1-2"] and actor == ids["trainer"]
    assert details["username"] == "gulnara.ismailova" and details["unit"] == "KZ-A-1-2"

    again = browser.post("/train/learners/new", {"full_name": "Гульнара Исмаилова", "unit": tree["KZ-A-1-1"],
                                                 "language": "ru"})
    assert again.status_code == 303
    assert get_user(app, "gulnara.ismailova2") is not None
    taken = browser.post("/train/learners/new", {"full_name": "Ann Other", "username": "Ann",
                                                 "unit": tree["KZ-A-1-1"], "language": "ru"})
    assert taken.status_code == 200 and "This username is already taken." in taken.get_data(as_text=True)

    fresh = Browser(app.test_client())
    assert fresh.login("gulnara.ismailova", password).headers["Location"].endswith("/account/password")


def test_create_form_errors(app, browser, make):
    tree, ids = setup_oblasts(make)
    browser.login("trainer")
    before = snapshot(app)
    response = browser.post("/train/learners/new", {"full_name": " ", "username": "x!", "unit": "0", "language": "xx"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "error-summary" in html
    assert "Enter the full name." in html and "Choose the precinct commission." in html
    assert snapshot(app) == before


def test_edit_and_move_a_learner(app, browser, make, course):
    tree, ids = setup_oblasts(make)
    make.assign(course, unit=tree["KZ-A-1-2"])
    browser.login("trainer")
    page = browser.get(f"/train/learners/{ids['ann']}/edit").get_data(as_text=True)
    assert 'value="Ann Akhmetova"' in page
    response = browser.post(
        f"/train/learners/{ids['ann']}/edit",
        {"full_name": "Ann Akhmetova-Nur", "unit": tree["KZ-A-1-1"], "language": "ru", "active": "y"},
    )
    assert response.status_code == 303
    [(action, target, unit, details, actor)] = events(app)
    assert action == "user.update" and details["full_name"] == ["Ann Akhmetova", "Ann Akhmetova-Nur"]
    assert details["locale"] == [None, "ru"] and "unit" not in details

    browser.post(f"/train/learners/{ids['ann']}/edit",
                 {"full_name": "Ann Akhmetova-Nur", "unit": tree["KZ-A-1-2"], "language": "ru", "active": "y"})
    action, target, unit, details, actor = events(app)[-1]
    assert action == "user.move" and details["unit"] == ["KZ-A-1-1", "KZ-A-1-2"] and unit == tree["KZ-A-1-2"]
    with app.app_context():  # the move brings the precinct's module
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LearnerProgress)
                                 .where(LearnerProgress.user_id == ids["ann"])) == 1
    count = len(events(app))
    browser.post(f"/train/learners/{ids['ann']}/edit",
                 {"full_name": "Ann Akhmetova-Nur", "unit": tree["KZ-A-1-2"], "language": "ru", "active": "y"})
    assert len(events(app)) == count  # nothing changed, nothing recorded


def test_a_trainer_cannot_create_a_learner_in_another_oblast(app, browser, make):
    tree, ids = setup_oblasts(make)
    browser.login("trainer")
    before = snapshot(app)
    for unit in (tree["KG-A-1-1"], tree["KG-A"]):
        response = browser.post("/train/learners/new", {"full_name": "Intruder", "unit": unit, "language": "ru"},
                                from_page="/train/learners")
        assert response.status_code == 404
    assert snapshot(app) == before


FOREIGN_ROUTES = [
    ("get", "/train/learners/{kim}/edit"),
    ("post", "/train/learners/{kim}/edit"),
    ("post", "/train/learners/{kim}/reset-password"),
    ("get", "/train/learners/{kim}/temporary-password"),
    ("post", "/train/learners/{kim}/deactivate"),
    ("post", "/train/learners/{kim}/reactivate"),
    ("get", "/train/learners?unit={kg_precinct}"),
]


def test_foreign_learner_is_not_found_on_every_route(app, browser, make):
    tree, ids = setup_oblasts(make)
    make.user("kira", unit=tree["KG-A-1-2"], active=False)
    browser.login("trainer")
    before = snapshot(app)
    for method, template in FOREIGN_ROUTES:
        url = template.format(kim=ids["kim"], kg_precinct=tree["KG-A-1-1"])
        if method == "get":
            response = browser.get(url)
        else:
            response = browser.post(url, {"full_name": "Changed", "unit": tree["KZ-A-1-1"], "language": "ru",
                                          "active": ""}, from_page="/train/learners")
        assert response.status_code == 404, (method, url)
    kira = get_user(app, "kira")
    assert browser.post(f"/train/learners/{kira.id}/reactivate", from_page="/train/learners").status_code == 404
    # the unit of the trainer's own learner may not be set to a foreign one either
    response = browser.post(f"/train/learners/{ids['ann']}/edit",
                            {"full_name": "Ann", "unit": tree["KG-A-1-1"], "language": "ru", "active": "y"})
    assert response.status_code == 404
    assert snapshot(app) == before


def test_admin_sees_every_oblast(app, browser, make):
    tree, ids = setup_oblasts(make)
    make.user("root", Role.ADMIN)
    browser.login("root")
    page = browser.get("/train/learners").get_data(as_text=True)
    assert "Kim Kasymova" in page and "Ann Akhmetova" in page
    assert browser.get(f"/train/learners/{ids['kim']}/edit").status_code == 200


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MONITOR])
def test_learners_and_monitors_are_refused(app, browser, make, role):
    tree, ids = setup_oblasts(make)
    make.user("someone", role, tree["KZ-A"])
    browser.login("someone")
    before = snapshot(app)
    urls = ["/train/learners", "/train/learners/new", "/train/learners/import", f"/train/learners/{ids['ann']}/edit",
            f"/train/learners/{ids['ann']}/temporary-password"]
    for url in urls:
        assert browser.get(url).status_code == 403, url
    posts = urls[1:4] + [f"/train/learners/{ids['ann']}/{a}" for a in ("reset-password", "deactivate", "reactivate")]
    for url in posts:
        response = browser.post(
            url, {"full_name": "X", "unit": tree["KZ-A-1-1"], "language": "ru"}, from_page="/learn/"
        )
        assert response.status_code == 403, url
    assert snapshot(app) == before


def test_reset_password_forces_a_change_and_ends_the_old_session(app, browser, make):
    tree, ids = setup_oblasts(make)
    learner = Browser(app.test_client())
    learner.login("ann")
    assert learner.get("/learn/").status_code == 200
    browser.login("trainer")
    response = browser.post(f"/train/learners/{ids['ann']}/reset-password", from_page="/train/learners")
    assert response.status_code == 303
    password = shown_password(browser.get(response.headers["Location"]).get_data(as_text=True))

    assert learner.get("/learn/").status_code == 302  # the old session has ended
    assert learner.login("ann", PASSWORD).status_code == 200  # the old password no longer works
    signed_in = learner.login("ann", password)
    assert signed_in.headers["Location"].endswith("/account/password")
    assert learner.get("/learn/").headers["Location"].endswith("/account/password")
    [(action, target, unit, details, actor)] = events(app)
    assert action == "user.reset_password" and target == ids["ann"] and actor == ids["trainer"]
    assert password not in str(details)


def test_deactivated_learner_cannot_sign_in(app, browser, make):
    tree, ids = setup_oblasts(make)
    learner = Browser(app.test_client())
    learner.login("ann")
    browser.login("trainer")
    response = browser.post(f"/train/learners/{ids['ann']}/deactivate", {"next": "/train/learners?state=active"},
                            from_page="/train/learners")
    assert response.status_code == 303 and response.headers["Location"] == "/train/learners?state=active"
    assert learner.get("/learn/").status_code == 302  # signed out at once
    assert learner.login("ann").status_code == 200 and learner.get("/learn/").status_code == 302
    assert "0 accounts" in browser.get("/train/learners?state=active&q=ann").get_data(as_text=True)
    # deactivating twice records nothing new
    browser.post(f"/train/learners/{ids['ann']}/deactivate", from_page="/train/learners")
    assert [e[0] for e in events(app)] == ["user.deactivate"]
    assert events(app)[0][3]["active"] == [True, False]

    browser.post(f"/train/learners/{ids['ann']}/reactivate", from_page="/train/learners")
    assert [e[0] for e in events(app)] == ["user.deactivate", "user.reactivate"]
    assert learner.login("ann").status_code == 302


def test_post_without_csrf_token_changes_nothing(app, browser, make):
    tree, ids = setup_oblasts(make)
    browser.login("trainer")
    before = snapshot(app)
    for action in ("reset-password", "deactivate"):
        assert browser.client.post(f"/train/learners/{ids['ann']}/{action}").status_code == 400
    assert snapshot(app) == before


def test_generated_usernames_are_valid_and_unique():
    from lms.train.user_import import generate_username, username_base
    assert username_base("Гульнара Исмаилова") == "gulnara.ismailova"
    assert username_base("Әсел Қожахметова") == "asel.qozhakhmetova"
    assert username_base("Үмүт Өмүрбекова") == "umut.omurbekova"
    assert username_base("Щукин Ёжиков-Юрьев") == "shchukin.ezhikov.yurev"
    assert username_base("Oʻgʻiloy Çaryýew") == "ogiloy.caryyew"
    assert username_base("Ли") == "li.user" and username_base("明") == "user"
    taken = {"gulnara.ismailova", "gulnara.ismailova3"}
    counters: dict = {}
    names = [generate_username("Гульнара Исмаилова", taken, counters) for _ in range(3)]
    assert names == ["gulnara.ismailova2", "gulnara.ismailova4", "gulnara.ismailova5"]
    long = generate_username("Александра " * 20, set())
    for name in names + [long, generate_username("明", set()), generate_username("Ли", set())]:
        assert USERNAME_RE.match(name), name


def test_name_search_ignores_case_in_cyrillic(app, browser, make):
    tree, ids = setup_oblasts(make)
    make.user("gul", unit=tree["KZ-A-1-2"], full_name="Гульнара Әбенова")
    browser.login("trainer")
    for query in ("ГУЛЬНАРА", "әбен", "ӘБЕН"):
        page = browser.get(f"/train/learners?q={query}").get_data(as_text=True)
        assert "1 account" in page and "Гульнара Әбенова" in page, query
    matrix = browser.get("/train/progress?q=ГУЛЬН").get_data(as_text=True)
    assert "Гульнара Әбенова" in matrix
