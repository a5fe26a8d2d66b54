"""`flask users create`: the first admin of a new installation, and other staff accounts."""
import re

import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.train.models import AuditEvent
from tests.conftest import Browser


def accounts(app):
    with app.app_context():
        return {u.username: (u.role, u.unit_id, u.must_change_password)
                for u in db.session.scalars(sa.select(User))}


def test_first_admin_signs_in_and_must_change_the_password(app, make):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Chief", "--role", "admin", "--name", "Aigul  Chief"])
    assert result.exit_code == 0, result.output
    password = re.search(r"one-time password: (\S+)", result.output).group(1)
    assert accounts(app)["chief"] == (Role.ADMIN, None, True)
    browser = Browser(app.test_client())
    response = browser.login("chief", password)
    assert response.status_code == 302
    assert "/account/password" in browser.get("/admin/audit").headers["Location"]  # change it first
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent))
        assert event.action == "user.create" and event.actor_id is None and event.details["role"] == "admin"


def test_trainer_needs_a_unit_and_monitor_has_none(app, make):
    tree = make.tree()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "tina", "--role", "trainer", "--name", "Tina"]).exit_code == 2
    assert runner.invoke(args=["users", "create", "tina", "--role", "trainer", "--name", "Tina",
                               "--unit", "NOWHERE"]).exit_code == 2
    ok = runner.invoke(args=["users", "create", "tina", "--role", "trainer", "--name", "Tina", "--unit", "kz-a"])
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(args=["users", "create", "mona", "--role", "monitor", "--name", "Mona", "--unit", "KZ"])
    assert refused.exit_code == 2 and "monitor has no unit" in refused.output
    assert runner.invoke(args=["users", "create", "mona", "--role", "monitor", "--name", "Mona"]).exit_code == 0
    taken = runner.invoke(args=["users", "create", "TINA", "--role", "admin", "--name", "Other Tina"])
    assert taken.exit_code == 2 and "username" in taken.output
    assert runner.invoke(args=["users", "create", "lea", "--role", "learner", "--name", "Lea"]).exit_code == 2
    got = accounts(app)
    assert got["tina"] == (Role.TRAINER, tree["KZ-A"], True) and got["mona"] == (Role.MONITOR, None, True)
    assert set(got) == {"tina", "mona"}
