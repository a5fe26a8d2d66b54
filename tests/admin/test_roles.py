"""Changing a staff member's role, and the last active admin who can be neither demoted nor deactivated."""
import html
import re

import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.learn.models import LearnerProgress
from lms.reports.models import ReportScope
from tests.admin.test_staff import edit, flashed, setup_staff
from tests.conftest import Browser
from tests.test_concurrency import _run_together, _signed_in
from tests.test_i18n import visible_text
from tests.train.test_accounts import events, get_user, snapshot

LAST_ADMIN = "This is the last active administrator account."


def _error(page: str, field: str) -> str:
    found = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def _audit_text(browser) -> str:
    return " ".join(visible_text(browser.get("/admin/audit").get_data(as_text=True)).split())


def test_a_trainer_becomes_an_admin_with_before_and_after_in_the_audit_log(app, browser, make, course):
    tree, ids = setup_staff(make)
    make.assign(course, unit=tree["KZ-A"])
    browser.login("admin")
    page = browser.get(f"/admin/staff/{ids['trainer']}/edit").get_data(as_text=True)
    assert '<option selected value="trainer">' in page and 'value="monitor"' in page and 'value="admin"' in page
    assert "the countries are cleared when a monitor takes another role" in html.unescape(page)

    response = edit(browser, ids["trainer"], full_name="Timur Trenerov", unit=tree["KZ-A"], role="admin")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/staff")
    assert "The role of Timur Trenerov is now: Administrator." in flashed(browser)
    assert get_user(app, "trainer").role == Role.ADMIN
    [(action, target, unit, details, actor)] = events(app)
    assert action == "user.role" and target == ids["trainer"] and actor == ids["admin"]
    assert details["role"] == ["trainer", "admin"] and "unit" not in details and "full_name" not in details
    with app.app_context():  # an admin takes no modules: the progress rows of the trainer are gone
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(LearnerProgress)
                                     .where(LearnerProgress.user_id == ids["trainer"]))
    text = _audit_text(browser)
    assert "Aida Adminova changed the role of Timur Trenerov (trainer)." in text
    assert "Role: Trainer → Administrator" in text
    new_admin = Browser(app.test_client())
    new_admin.login("trainer")
    assert new_admin.get("/admin/staff").status_code == 200


def test_a_monitor_becomes_a_trainer_needs_a_unit_and_loses_the_monitors_countries(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    assert browser.post(f"/admin/monitors/{ids['monitor']}", {"countries": str(tree["KZ"]), "names": "1"},
                        from_page=f"/admin/monitors/{ids['monitor']}").status_code == 303
    before = snapshot(app)
    response = edit(browser, ids["monitor"], full_name="Maria Monitorova", unit="0", role="trainer")
    assert response.status_code == 200
    assert "A trainer needs the unit they train" in _error(response.get_data(as_text=True), "unit")
    assert snapshot(app) == before and get_user(app, "monitor").role == Role.MONITOR

    assert edit(browser, ids["monitor"], full_name="Maria Monitorova", unit=tree["KG-A"],
                role="trainer").status_code == 303
    person = get_user(app, "monitor")
    assert person.role == Role.TRAINER and person.unit_id == tree["KG-A"] and not person.can_see_names
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(ReportScope))
    action, target, unit, details, actor = events(app)[-1]
    assert action == "user.role" and unit == tree["KG-A"]
    assert details["role"] == ["monitor", "trainer"] and details["unit"] == [None, "KG-A"]
    assert details["countries"] == [[tree["KZ"]], []] and details["names"] == [True, False]
    text = _audit_text(browser)
    assert "Role: Monitor → Trainer" in text and "Unit: — → KG-A (KG-A)" in text
    assert "Countries: KZ (KZ) → —" in text and "Sees names at precinct level: Yes → No" in text


def test_a_new_monitor_is_sent_to_choose_countries_and_a_monitor_has_no_unit(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    response = edit(browser, ids["trainer"], full_name="Timur Trenerov", unit=tree["KZ-A"], role="monitor")
    assert response.status_code == 200 and "A monitor has no unit" in _error(response.get_data(as_text=True), "unit")
    response = edit(browser, ids["trainer"], full_name="Timur Trenerov", unit="0", role="monitor")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/monitors/{ids['trainer']}")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "reads the reports of every country until you choose some here" in html.unescape(page)
    assert get_user(app, "trainer").role == Role.MONITOR and get_user(app, "trainer").unit_id is None


@pytest.mark.parametrize("role", ["learner", "root", "ADMIN "])
def test_a_role_not_for_staff_is_refused(app, browser, make, role):
    tree, ids = setup_staff(make)
    browser.login("admin")
    before = snapshot(app)
    response = edit(browser, ids["trainer"], full_name="Timur Trenerov", unit=tree["KZ-A"], role=role)
    assert response.status_code == 200
    assert _error(response.get_data(as_text=True), "role") == "Choose a role from the list."
    assert snapshot(app) == before and get_user(app, "trainer").role == Role.TRAINER


def test_the_last_admin_cannot_demote_themself_and_says_why(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    before = snapshot(app)
    for role, unit in (("trainer", tree["KZ"]), ("monitor", "0")):
        response = edit(browser, ids["admin"], full_name="Aida Adminova", unit=unit, role=role)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "error-summary" in page
        assert _error(page, "role").startswith(LAST_ADMIN) and "Make another account an administrator first" in page
    assert snapshot(app) == before and get_user(app, "admin").role == Role.ADMIN
    response = edit(browser, ids["admin"], full_name="Aida Adminova", unit="0", active="")
    assert "You cannot deactivate your own account." in _error(response.get_data(as_text=True), "active")


def test_an_admin_may_hand_over_and_then_leaves_the_admin_pages(app, browser, make):
    tree, ids = setup_staff(make)
    browser.login("admin")
    assert edit(browser, ids["trainer"], full_name="Timur Trenerov", unit=tree["KZ-A"], role="admin").status_code \
        == 303
    response = edit(browser, ids["admin"], full_name="Aida Adminova", unit=tree["KZ"], role="trainer")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert get_user(app, "admin").role == Role.TRAINER
    assert browser.get("/admin/staff").status_code == 403
    # the one admin left cannot now be demoted by anyone
    timur = Browser(app.test_client())
    timur.login("trainer")
    response = edit(timur, ids["trainer"], full_name="Timur Trenerov", unit=tree["KZ-A"], role="monitor")
    assert _error(response.get_data(as_text=True), "role").startswith(LAST_ADMIN)


def test_the_last_active_admin_cannot_be_deactivated(app, make):
    """Only a race (or an inactive admin's stale session) gets this far: the service refuses it."""
    from lms.admin import staff_service
    from lms.train.accounts_service import AccountError
    tree, ids = setup_staff(make)
    former = make.user("former", Role.ADMIN, active=False)
    with app.test_request_context():
        actor, last = db.session.get(User, former), db.session.get(User, ids["admin"])
        assert staff_service.deactivation_refused(actor, last).startswith(LAST_ADMIN)
        with pytest.raises(AccountError) as refused:
            staff_service.update_staff(actor, last, "Aida Adminova", None, "en", False)
        assert refused.value.field == "active" and refused.value.message.startswith(LAST_ADMIN)
        with pytest.raises(AccountError) as refused:
            staff_service.update_staff(actor, last, "Aida Adminova", None, "en", True, "monitor")
        assert refused.value.field == "role"
        # an inactive admin may be demoted, and a trainer deactivated: no active admin is lost
        assert staff_service.update_staff(last, actor, "Former", tree["KZ"], "en", False, "trainer")
        assert staff_service.deactivation_refused(last, db.session.get(User, ids["trainer"])) is None
        db.session.rollback()


def test_deactivating_one_of_two_admins_with_the_button(app, browser, make):
    tree, ids = setup_staff(make)
    second = make.user("second", Role.ADMIN, full_name="Second Admin")
    browser.login("admin")
    assert browser.post(f"/admin/staff/{second}/deactivate", from_page="/admin/staff").status_code == 303
    assert "Second Admin can no longer sign in." in flashed(browser)
    assert not get_user(app, "second").active
    assert [e[0] for e in events(app)] == ["user.deactivate"]


# --- at the same moment, on PostgreSQL ---------------------------------------------------------------------

def _two_admins(make):
    tree = make.tree()
    a = make.user("alpha", Role.ADMIN, full_name="Alpha Admin")
    b = make.user("beta", Role.ADMIN, full_name="Beta Admin")
    return tree, a, b


def _edit_job(browser: Browser, user_id: int, **fields):
    page = browser.get(f"/admin/staff/{user_id}/edit").get_data(as_text=True)
    from tests.conftest import csrf_from
    data = {"full_name": "x", "language": "en", "active": "y", "unit": "0", "csrf_token": csrf_from(page)} | fields
    return lambda: browser.client.post(f"/admin/staff/{user_id}/edit", data=data)


def _button_job(browser: Browser, user_id: int):
    from tests.conftest import csrf_from
    token = csrf_from(browser.get("/admin/staff").get_data(as_text=True))
    return lambda: browser.client.post(f"/admin/staff/{user_id}/deactivate", data={"csrf_token": token})


def _active_admins(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(User.username).where(User.role == Role.ADMIN, User.active)))


@pytest.mark.parametrize("kind", ["demote", "deactivate", "mixed"])
def test_two_admins_removing_each_other_at_once_leave_one_admin(app, make, postgres_only, kind):  # noqa: F811
    for attempt in range(3):
        tree, a, b = _two_admins(make)
        alpha, beta = _signed_in(app, "alpha"), _signed_in(app, "beta")
        demote = {"role": "trainer", "unit": str(tree["KZ-A"])}
        if kind == "demote":
            jobs = [_edit_job(alpha, b, full_name="Beta Admin", **demote),
                    _edit_job(beta, a, full_name="Alpha Admin", **demote)]
        elif kind == "deactivate":
            jobs = [_button_job(alpha, b), _button_job(beta, a)]
        else:
            jobs = [_edit_job(alpha, b, full_name="Beta Admin", active=""), _button_job(beta, a)]
        responses = _run_together(jobs)
        assert all(r.status_code in (200, 302, 303, 403) for r in responses), [r.status_code for r in responses]
        assert len(_active_admins(app)) == 1, (kind, attempt)
        from tests.conftest import truncate_all
        truncate_all(app)
