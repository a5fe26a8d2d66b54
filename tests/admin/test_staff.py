"""Staff accounts for admins: list, create each role, edit and move, reset, deactivate; access, CSRF and audit."""
import html
import re

import pytest
import sqlalchemy as sa

from lms.auth.models import Role
from lms.extensions import db
from lms.learn.models import LearnerProgress
from tests.conftest import PASSWORD, Browser
from tests.train.test_accounts import events, get_user, shown_password, snapshot


def setup_staff(make):
    tree = make.tree()
    ids = {
        "admin": make.user("admin", Role.ADMIN, full_name="Aida Adminova"),
        "trainer": make.user("trainer", Role.TRAINER, tree["KZ-A"], full_name="Timur Trenerov"),
        "monitor": make.user("monitor", Role.MONITOR, full_name="Maria Monitorova"),
        "ann": make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann Akhmetova"),
    }
    return tree, ids


def rows(page: str) -> list[str]:
    """The visible text of each body row of the staff table."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", r)).split()) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def flashed(browser) -> str:
    page = browser.get("/admin/staff").get_data(as_text=True)
    return " ".join(html.unescape(m) for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S))


def new_staff(browser, **fields):
    data = {"full_name": "", "username": "", "role": "trainer", "unit": "0", "language": "en"} | fields
    return browser.post("/admin/staff/new", data)


def edit(browser, user_id, **fields):
    return browser.post(f"/admin/staff/{user_id}/edit", {"language": "en", "active": "y"} | fields)


# --- list --------------------------------------------------------------------------------------------

def test_list_shows_staff_with_role_filter_search_and_pages(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    page = browser.get("/admin/staff").get_data(as_text=True)
    assert "3 accounts" in page and "Ann Akhmetova" not in page  # learners are not staff
    [trainer] = [r for r in rows(page) if "Timur" in r]
    assert "trainer" in trainer and "Trainer" in trainer and "KZ-A" in trainer and "Active" in trainer
    assert "Never" in trainer
    [admin] = [r for r in rows(page) if "Aida" in r]
    assert "Administrator" in admin and "Never" not in admin  # the admin has signed in
    assert f"/admin/staff/{ids['trainer']}/edit" in page

    only = browser.get("/admin/staff?role=monitor").get_data(as_text=True)
    assert "1 account" in only and "Maria Monitorova" in only and "Timur" not in only
    assert "1 account" in browser.get("/admin/staff?q=TRENER").get_data(as_text=True)
    assert "0 accounts" in browser.get("/admin/staff?q=trener&role=admin").get_data(as_text=True)
    assert "0 accounts" in browser.get("/admin/staff?q=ann").get_data(as_text=True)
    assert "3 accounts" in browser.get("/admin/staff?role=learner&page=-4").get_data(as_text=True)  # ignored

    for n in range(50):
        make.user(f"t{n:02d}", Role.TRAINER, tree["KG-A"], full_name=f"Zz Trainer {n:02d}")
    first = browser.get("/admin/staff").get_data(as_text=True)
    assert "53 accounts" in first and "Page 1 of 2" in first and len(rows(first)) == 50
    second = browser.get("/admin/staff?page=2").get_data(as_text=True)
    assert len(rows(second)) == 3 and "Zz Trainer 49" in second
    assert len(rows(browser.get("/admin/staff?page=99").get_data(as_text=True))) == 3


def test_the_admin_workspace_links_to_the_staff_list(app, browser, make):
    setup_staff(make)
    browser.login("admin")
    assert 'href="/admin/staff"' in browser.get("/train/").get_data(as_text=True)
    trainer = Browser(app.test_client())
    trainer.login("trainer")
    assert 'href="/admin/staff"' not in trainer.get("/train/").get_data(as_text=True)


# --- create --------------------------------------------------------------------------------------------

def test_the_unit_select_offers_countries_oblasts_and_districts_by_code(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    page = browser.get("/admin/staff/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="unit".*?</select>', page, re.S).group(0)
    labels = [html.unescape(o) for o in re.findall(r"<option[^>]*>([^<]*)</option>", select)]
    assert labels[1:] == ["KG — KG", "KG-A — KG-A", "KG-A-1 — KG-A-1", "KZ — KZ", "KZ-A — KZ-A", "KZ-A-1 — KZ-A-1"]
    assert 'value="en" selected' in page and 'value="trainer"' in page and 'value="learner"' not in page


@pytest.mark.parametrize("role,unit", [("trainer", "KZ-A-1"), ("monitor", None), ("admin", "KG"), ("admin", None)])
def test_create_each_role_shows_the_password_once(app, browser, make, role, unit):
    tree, ids = setup_staff(make)
    browser.login("admin")
    response = new_staff(browser, full_name="  Гульнара   Исмаилова ", role=role,
                         unit=tree[unit] if unit else "0", language="kk")
    assert response.status_code == 303
    page = browser.get(response.headers["Location"])
    assert page.headers["Cache-Control"] == "no-store"
    password = shown_password(page.get_data(as_text=True))
    assert password not in browser.get(response.headers["Location"]).get_data(as_text=True)  # shown once
    user = get_user(app, "gulnara.ismailova")
    assert user.role == Role(role) and user.unit_id == (tree[unit] if unit else None) and user.locale == "kk"
    assert user.full_name == "Гульнара Исмаилова" and user.must_change_password and user.active
    [(action, target, unit_id, details, actor)] = events(app, "user.create")
    assert target == user.id and actor == ids["admin"] and details["role"] == role and details["unit"] == unit
    assert password not in str(details)
    fresh = Browser(app.test_client())
    assert fresh.login("gulnara.ismailova", password).headers["Location"].endswith("/account/password")


def test_create_with_a_chosen_username(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    assert new_staff(browser, full_name="Ivan Ivanov", username="I.Ivanov", role="monitor").status_code == 303
    assert get_user(app, "i.ivanov").role == Role.MONITOR


@pytest.mark.parametrize("fields,field,message", [
    ({"full_name": "No Unit", "role": "trainer"}, "unit", "A trainer needs the unit they train"),
    ({"full_name": "With Unit", "role": "monitor", "unit": "KZ"}, "unit", "A monitor has no unit"),
    ({"full_name": "Dup", "username": "TRAINER", "role": "admin"}, "username", "This username is already taken."),
    ({"full_name": "Bad", "username": "x!", "role": "admin"}, "username", "Use 3 to 64 Latin letters"),
    ({"full_name": " ", "role": "admin"}, "full_name", "Enter the full name."),
    ({"full_name": "Learner", "role": "learner", "unit": "KZ-A-1-1"}, "role", "Choose a role from the list."),
    ({"full_name": "Lost", "role": "admin", "unit": "99999999999"}, "unit", "Choose a unit from the list."),
    ({"full_name": "Lang", "role": "admin", "language": "xx"}, "language", "Choose a language from the list."),
])
def test_create_refuses_bad_input_on_the_field(app, browser, make, fields, field, message):
    tree, ids = setup_staff(make)
    browser.login("admin")
    if fields.get("unit") in tree:
        fields = fields | {"unit": tree[fields["unit"]]}
    before = snapshot(app)
    response = new_staff(browser, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "error-summary" in page
    assert re.search(rf'<p class="error-message" id="{field}-error">{re.escape(html.escape(message, False))}', page)
    assert snapshot(app) == before


def test_a_new_trainer_changes_the_password_then_works_in_their_unit(app, browser, make):
    tree, ids = setup_staff(make)
    make.user("kim", unit=tree["KG-A-1-1"], full_name="Kim Kasymova")
    browser.login("admin")
    response = new_staff(browser, full_name="Nur Nurlanov", role="trainer", unit=tree["KZ-A-1"])
    password = shown_password(browser.get(response.headers["Location"]).get_data(as_text=True))
    trainer = Browser(app.test_client())
    assert trainer.login("nur.nurlanov", password).headers["Location"].endswith("/account/password")
    assert trainer.get("/train/learners").headers["Location"].endswith("/account/password")
    changed = trainer.post("/account/password", {"current": password, "new": "a new long passphrase",
                                                 "confirm": "a new long passphrase"})
    assert changed.status_code == 302
    page = trainer.get("/train/learners").get_data(as_text=True)
    assert "Ann Akhmetova" in page and "Kim Kasymova" not in page
    assert trainer.get("/admin/staff").status_code == 403


# --- edit, reset, deactivate ---------------------------------------------------------------------------

def test_edit_and_move_a_trainer(app, browser, make, course):
    tree, ids = setup_staff(make)
    make.assign(course, unit=tree["KG-A"])
    browser.login("admin")
    page = browser.get(f"/admin/staff/{ids['trainer']}/edit").get_data(as_text=True)
    assert 'value="Timur Trenerov"' in page and f'<option selected value="{tree["KZ-A"]}">' in page
    assert '<option selected value="trainer">' in page and 'value="learner"' not in page
    assert 'name="username"' not in page

    assert (
        edit(browser, ids["trainer"], full_name="Timur Trenerov-Ali", unit=tree["KZ-A"], language="ru").status_code
        == 303
    )
    [(action, target, unit, details, actor)] = events(app)
    assert action == "user.update" and details["full_name"] == ["Timur Trenerov", "Timur Trenerov-Ali"]
    assert details["locale"] == [None, "ru"] and "unit" not in details and actor == ids["admin"]

    with app.app_context():
        count = sa.select(sa.func.count()).select_from(LearnerProgress).where(LearnerProgress.user_id == ids["trainer"])
        assert db.session.scalar(count) == 0
    edit(browser, ids["trainer"], full_name="Timur Trenerov-Ali", unit=tree["KG-A"], language="ru")
    action, target, unit, details, actor = events(app)[-1]
    assert action == "user.move" and details["unit"] == ["KZ-A", "KG-A"] and unit == tree["KG-A"]
    assert get_user(app, "trainer").unit_id == tree["KG-A"]
    with app.app_context():  # the trainer takes the modules of the new unit
        assert db.session.scalar(count) == 1

    total = len(events(app))
    edit(browser, ids["trainer"], full_name="Timur Trenerov-Ali", unit=tree["KG-A"], language="ru")
    assert len(events(app)) == total  # nothing changed, nothing recorded
    assert "Nothing was changed." in flashed(browser)


def test_edit_keeps_the_rules_of_each_role(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    before = snapshot(app)
    response = edit(browser, ids["trainer"], full_name="Timur", unit="0")
    assert response.status_code == 200 and "A trainer needs the unit they train" in response.get_data(as_text=True)
    response = edit(browser, ids["monitor"], full_name="Maria", unit=tree["KZ"])
    assert response.status_code == 200 and "A monitor has no unit" in response.get_data(as_text=True)
    response = edit(browser, ids["admin"], full_name="Aida", unit="0", active="")
    assert response.status_code == 200 and "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert edit(browser, ids["admin"], full_name="Aida Adminova", unit=tree["KZ"]).status_code == 303
    assert get_user(app, "admin").unit_id == tree["KZ"]  # an admin may have a unit


def test_deactivating_on_the_form_ends_the_session(app, browser, make, course):
    tree, ids = setup_staff(make)
    make.assign(course, unit=tree["KZ-A"])
    trainer = Browser(app.test_client())
    trainer.login("trainer")
    assert trainer.get("/train/").status_code == 200
    browser.login("admin")
    assert edit(browser, ids["trainer"], full_name="Timur Trenerov", unit=tree["KZ-A"], active="").status_code == 303
    assert trainer.get("/train/").status_code == 302  # signed out
    assert trainer.login("trainer").status_code == 200  # and cannot sign in again
    action, target, unit, details, actor = events(app)[-1]
    assert action == "user.update" and details["active"] == [True, False]
    with app.app_context():  # a deactivated trainer leaves the progress rows
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(LearnerProgress)
                                     .where(LearnerProgress.user_id == ids["trainer"]))


def test_deactivate_and_reactivate_buttons(app, browser, make):
    tree, ids = setup_staff(make)
    monitor = Browser(app.test_client())
    monitor.login("monitor")
    assert monitor.get("/reports/completion").status_code == 200
    browser.login("admin")
    response = browser.post(f"/admin/staff/{ids['monitor']}/deactivate", from_page="/admin/staff")
    assert response.status_code == 303
    assert "Maria Monitorova can no longer sign in." in flashed(browser)
    assert monitor.get("/reports/completion").status_code == 302
    assert not get_user(app, "monitor").active
    browser.post(f"/admin/staff/{ids['monitor']}/reactivate", from_page="/admin/staff")
    assert get_user(app, "monitor").active
    assert monitor.login("monitor").status_code == 302
    assert [e[0] for e in events(app)] == ["user.deactivate", "user.reactivate"]


def test_an_admin_cannot_deactivate_themself(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    assert f"/admin/staff/{ids['admin']}/deactivate" not in browser.get("/admin/staff").get_data(as_text=True)
    before = snapshot(app)
    response = browser.post(f"/admin/staff/{ids['admin']}/deactivate", from_page="/admin/staff")
    assert response.status_code == 303
    assert "You cannot deactivate your own account." in flashed(browser)
    assert snapshot(app) == before
    assert browser.get("/admin/staff").status_code == 200  # still signed in


def test_reset_password_of_a_staff_account(app, browser, make):
    tree, ids = setup_staff(make)
    trainer = Browser(app.test_client())
    trainer.login("trainer")
    browser.login("admin")
    response = browser.post(f"/admin/staff/{ids['trainer']}/reset-password", from_page="/admin/staff")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/admin/staff/{ids['trainer']}/temporary-password")
    password = shown_password(browser.get(response.headers["Location"]).get_data(as_text=True))
    assert trainer.get("/train/").status_code == 302  # the old session has ended
    assert trainer.login("trainer", PASSWORD).status_code == 200  # the old password no longer works
    assert trainer.login("trainer", password).headers["Location"].endswith("/account/password")
    [(action, target, unit, details, actor)] = events(app)
    assert action == "user.reset_password" and target == ids["trainer"] and actor == ids["admin"]


# --- not found, access, CSRF ---------------------------------------------------------------------------

STAFF_ROUTES = [("get", "/admin/staff/{id}/edit"), ("post", "/admin/staff/{id}/edit"),
                ("post", "/admin/staff/{id}/reset-password"), ("get", "/admin/staff/{id}/temporary-password"),
                ("post", "/admin/staff/{id}/deactivate"), ("post", "/admin/staff/{id}/reactivate")]


def test_a_learner_or_unknown_id_is_not_found(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    before = snapshot(app)
    for user_id in (ids["ann"], 987654, 2**40):
        for method, template in STAFF_ROUTES:
            url = template.format(id=user_id)
            if method == "get":
                response = browser.get(url)
            else:
                response = browser.post(url, {"full_name": "Changed", "unit": "0", "language": "en"},
                                        from_page="/admin/staff")
            assert response.status_code == 404, (method, url)
    assert snapshot(app) == before


@pytest.mark.parametrize("username", ["trainer", "monitor", "ann"])
def test_non_admins_are_refused_everywhere(app, browser, make, username):
    tree, ids = setup_staff(make)
    browser.login(username)
    before = snapshot(app)
    urls = ["/admin/staff", "/admin/staff/new"] + [t.format(id=ids["monitor"]) for _, t in STAFF_ROUTES]
    for url in urls:
        assert browser.get(url).status_code in (403, 405), url
    assert all(browser.get(u).status_code == 403 for u in urls if not u.endswith(("password", "vate")))
    for url in urls[1:]:
        if url.endswith("temporary-password"):
            continue
        response = browser.post(url, {"full_name": "X", "role": "admin", "unit": "0", "language": "en"},
                                from_page="/account/password")
        assert response.status_code == 403, url
    assert snapshot(app) == before


def test_posts_without_the_csrf_token_are_refused(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    before = snapshot(app)
    for url in ["/admin/staff/new"] + [t.format(id=ids["trainer"]) for m, t in STAFF_ROUTES if m == "post"]:
        response = browser.client.post(url, data={"full_name": "Sneaky", "role": "admin", "unit": "0",
                                                  "language": "en"})
        assert response.status_code == 400, url
    assert snapshot(app) == before
