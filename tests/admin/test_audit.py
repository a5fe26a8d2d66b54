"""The audit log in words: every action code has a sentence; the pages show sentences, never codes."""
from __future__ import annotations

import ast
import re
from datetime import date, timedelta

import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.config import ROOT
from lms.extensions import db
from lms.orgs.models import Unit
from lms.train import audit_text
from lms.train.models import AuditEvent
from tests.conftest import Browser
from tests.test_i18n import visible_text

CODE = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in audit_text.LABELS) + r")\b")


def _constants(node: ast.AST, scope: ast.AST) -> set[str] | None:
    """The action codes an argument can hold: a literal, a conditional of literals, or a local name set so."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        a, b = _constants(node.body, scope), _constants(node.orelse, scope)
        return a | b if a is not None and b is not None else None
    if isinstance(node, ast.Name):
        found: set[str] = set()
        for n in ast.walk(scope):
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets):
                values = _constants(n.value, scope)
                if values is None:
                    return None
                found |= values
        return found or None
    return None


def recorded_codes() -> tuple[set[str], list[str]]:
    """Every action code passed to `audit.record(...)` (or `AuditEvent(action=...)`) in lms/, and the calls
    whose code cannot be read from the source."""
    codes: set[str] = set()
    unreadable: list[str] = []
    for path in sorted((ROOT / "lms").rglob("*.py")):
        if path == ROOT / "lms" / "train" / "audit.py":  # `record` itself passes its parameter on
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for call in [n for n in ast.walk(func) if isinstance(n, ast.Call)]:
                f = call.func
                is_record = (isinstance(f, ast.Attribute) and f.attr == "record" and isinstance(f.value, ast.Name)
                             and "audit" in f.value.id)
                is_model = isinstance(f, ast.Name) and f.id == "AuditEvent"
                if not (is_record or is_model):
                    continue
                arg = next((k.value for k in call.keywords if k.arg == "action"), None)
                if arg is None and is_record and len(call.args) > 1:
                    arg = call.args[1]
                if arg is None:
                    continue
                values = _constants(arg, func)
                if values is None:
                    unreadable.append(f"{path.relative_to(ROOT)}:{call.lineno}")
                else:
                    codes |= values
    return codes, unreadable


def test_every_action_code_in_the_code_has_a_sentence_and_a_label():
    codes, unreadable = recorded_codes()
    assert not unreadable, f"write the action code as a literal (or a conditional of literals): {unreadable}"
    assert {"session.attendance", "user.move", "user.deactivate", "user.reactivate", "units.import"} <= codes
    assert len(codes) >= 20
    assert sorted(codes - set(audit_text.SENTENCES)) == [], "add a sentence to lms/train/audit_text.SENTENCES"
    assert sorted(codes - set(audit_text.LABELS)) == [], "add a label to lms/train/audit_text.LABELS"
    base = {key.split(":")[0] for key in audit_text.SENTENCES}
    assert sorted(base - codes) == [], "a sentence for a code nothing records any more"


def test_the_scan_notices_a_new_code(tmp_path, monkeypatch):
    from tests.admin import test_audit
    fake = tmp_path / "lms"
    fake.mkdir()
    (fake / "thing.py").write_text("def f(actor):\n    audit.record(actor, 'thing.explode', 'user', 1)\n"
                                   "def g(actor, x):\n    audit.record(actor, x.code, 'user', 1)\n")
    monkeypatch.setattr(test_audit, "ROOT", tmp_path)
    codes, unreadable = recorded_codes()
    assert codes == {"thing.explode"} and unreadable == ["lms/thing.py:4"]
    assert "thing.explode" not in audit_text.SENTENCES


def _world(app, make, course):
    """Real changes through the services: accounts, assignment, election, session, units, a monitor, a module
    unpublished and published again, the course files imported."""
    from lms.admin import units_service
    from lms.train import accounts_service, assign_service, calendar_service
    tree = make.tree()
    admin = make.user("root", Role.ADMIN, full_name="Aigerim Sadykova", locale="ru")
    trainer = make.user("trainer", Role.TRAINER, tree["KZ-A"], full_name="Nurlan Abenov")
    with app.test_request_context():
        admin_u, trainer_u = db.session.get(User, admin), db.session.get(User, trainer)
        learner = accounts_service.create_learner(trainer_u, "Aliya Nurova", None, tree["KZ-A-1-1"], "ru").user
        accounts_service.update_learner(trainer_u, learner, "Aliya Ospan", tree["KZ-A-1-1"], "kk", True)
        accounts_service.update_learner(trainer_u, learner, "Aliya Ospan", tree["KZ-A-1-2"], "kk", True)
        accounts_service.reset_password(trainer_u, learner)
        accounts_service.set_active(trainer_u, learner, False)
        accounts_service.set_active(trainer_u, learner, True)
        from lms import events
        from lms.timeutil import utcnow
        learner.locked_until = utcnow() + timedelta(minutes=30)
        events.account_locked.send(user_id=learner.id, until=learner.locked_until)  # as lms.auth.lockout does
        accounts_service.unlock(trainer_u, learner)
        monitor = accounts_service.create_staff(admin_u, Role.MONITOR, "Elena Morozova", None, None, "en").user
        from lms.admin import staff_service
        olga = accounts_service.create_staff(admin_u, Role.TRAINER, "Olga Petrova", None, tree["KZ-A"], "en").user
        staff_service.update_staff(admin_u, olga, "Olga Petrova", None, "en", True, "monitor")
        created = assign_service.create(trainer_u, [course], [tree["KZ-A-1"]], [], assign_service.DueRule())
        a = created.assignments[0]
        assign_service.update(trainer_u, a, assign_service.DueRule("date", due_date=date(2030, 9, 30)))
        assign_service.withdraw(trainer_u, a)
        election = calendar_service.create_election(admin_u, tree["KZ"], "Presidential", date(2030, 5, 1),
                                                    date(2030, 1, 1))
        calendar_service.update_election(admin_u, election, "Presidential 2030", date(2030, 5, 1), date(2030, 1, 1))
        session = calendar_service.create_session(trainer_u, course, tree["KZ-A-1"], date.today() - timedelta(days=1),
                                                  "School No. 5", "Nurlan Abenov")
        calendar_service.save_attendance(trainer_u, session, calendar_service.eligible_learners(trainer_u, session),
                                         {learner.id})
        from lms.admin import unit_tree
        district = units_service.create_unit(admin_u, db.session.get(Unit, tree["KZ-A"]), "KZ-A-9",
                                             {"en": "District 9", "ru": "Район 9"})
        units_service.create_unit(admin_u, district, "KZ-A-9-1", {"en": "Precinct 9-1", "ru": "Участок 9-1"})
        unit_tree.move(admin_u, district, db.session.get(Unit, tree["KG-A"]))
        unit_tree.close(admin_u, district)
        unit_tree.reopen(admin_u, district)
        unit = units_service.create_unit(admin_u, db.session.get(Unit, tree["KZ-A-1"]), "KZ-A-1-9",
                                         {"en": "Precinct 9", "ru": "Участок 9"})
        units_service.update_names(admin_u, unit, {"en": "Precinct Nine", "ru": "Участок девять"})
        units_service.set_reminder_days(admin_u, unit, "14,3")
        accounts_service.set_contact(trainer_u, learner, "aliya@example.org", "+77011234567")
        units_service.delete_unit(admin_u, unit)
        from lms.learn import certificate_records
        from lms.learn.models import ModuleCompletion
        from lms.train import certificate_service
        completion = ModuleCompletion(user_id=learner.id, module_id=course, completed_at=utcnow(), best_score=90.0)
        db.session.add(completion)
        db.session.flush()
        cert = certificate_records.issue(completion)
        certificate_service.revoke(trainer_u, learner, cert.id, "Another person took the quiz")
        from lms.admin import people
        from lms.train import audit as audit_log
        gone = accounts_service.create_learner(trainer_u, "Dana Kerimova", None, tree["KZ-A-1-1"], "ru").user
        audit_log.record(admin_u, "person.export", "user", gone.id, gone.unit_id, username=gone.username)
        people.erase(gone, admin_u)
        from lms.admin import courses_service
        from lms.content.models import Module
        from tests.conftest import FIXTURES
        module = db.session.get(Module, course)
        courses_service.set_published(admin_u, module, False)
        courses_service.set_published(admin_u, module, True)
        assert not courses_service.import_courses(admin_u, FIXTURES / "courses").problems
        db.session.add_all([  # the rest as their services write them
            AuditEvent(actor_id=trainer, action="attempt.grant", target_type="user", target_id=learner.id,
                       details={"username": learner.username, "module_id": course, "attempts_used": 3}),
            AuditEvent(actor_id=trainer, action="users.import", target_type="import",
                       details={"count": 12, "source": "officials.csv", "batch": "x"}),
            AuditEvent(actor_id=None, action="units.import", target_type="import",
                       details={"created": 3, "updated": 1, "unchanged": 5, "source": "units.xlsx"}),
        ])
        db.session.commit()
        ids = {"admin": admin, "trainer": trainer, "learner": learner.id, "monitor": monitor.id, "assignment": a.id}
    browser = Browser(app.test_client())
    browser.login("root")
    page = browser.get(f"/admin/monitors/{ids['monitor']}").get_data(as_text=True)
    assert browser.post(f"/admin/monitors/{ids['monitor']}", {"countries": str(tree["KZ"]), "names": "1"},
                        from_page=page).status_code == 303
    return tree, ids, browser


def test_the_russian_audit_log_reads_as_sentences_without_codes(app, make, course, database):
    tree, ids, browser = _world(app, make, course)
    with app.app_context():
        recorded = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert recorded == set(audit_text.LABELS), "the world should exercise every action"
    response = browser.get("/admin/audit?page=1")
    assert response.status_code == 200
    text = " ".join(visible_text(response.get_data(as_text=True)).split())
    assert not CODE.findall(text), CODE.findall(text)
    assert "%(" not in text and "{" not in text
    assert "Nurlan Abenov отметил(а) присутствие 1 слушателя на занятии «Пробный модуль»" in text
    assert "создал(а) учётную запись Aliya Ospan (aliya.nurova) (территория: KZ-A-1-1 (KZ-A-1-1))." in text
    assert "Nurlan Abenov перевёл(а) Aliya Ospan (aliya.nurova) на другую территорию: KZ-A-1-1 (KZ-A-1-1) →" in text
    assert "Nurlan Abenov импортировал(а) из файла 12 учётных записей." in text
    assert "Срок: — → 30 сент. 2030 г." in text and "Язык: Русский → Қазақша" in text
    assert "Aigerim Sadykova переименовал(а) территорию Участок девять (KZ-A-1-9)." in text
    assert "Место: School No. 5" in text
    assert "Nurlan Abenov разблокировал(а) учётную запись Aliya Ospan" in text
    assert "Aigerim Sadykova изменил(а) роль пользователя Olga Petrova (olga.petrova)." in text
    assert "Роль: Тренер → Монитор" in text
    # the filter offers the actions by name, in Russian
    assert "Модуль назначен" in text and "Отмечено присутствие" in text
    narrowed = browser.get("/admin/audit?action=session.attendance").get_data(as_text=True)
    assert "1 событие" in narrowed and 'value="session.attendance" selected' in narrowed


def test_sentences_in_english_and_on_the_assignment_history(app, make, course, database):
    tree, ids, browser = _world(app, make, course)
    with app.app_context():
        db.session.get(User, ids["admin"]).locale = "en"
        db.session.commit()
    text = " ".join(visible_text(browser.get("/admin/audit").get_data(as_text=True)).split())
    assert "Nurlan Abenov recorded attendance for 1 learner at the session “Sample module”" in text
    assert "Aigerim Sadykova created the account of Elena Morozova" in text
    assert "Nurlan Abenov assigned the module “Sample module” to KZ-A-1 (KZ-A-1)." in text
    assert "Nurlan Abenov moved Aliya Ospan" in text and "from KZ-A-1-1 (KZ-A-1-1) to KZ-A-1-2 (KZ-A-1-2)" in text
    assert "Language: Русский → Қазақша" in text and "Full name: Aliya Nurova → Aliya Ospan" in text
    assert "The system or a deleted account imported units from a file: 3 created, 1 renamed, 5 unchanged." in text
    assert "Aigerim Sadykova changed which reports Elena Morozova (" in text and "Countries: — → KZ (KZ)" in text
    assert "Nurlan Abenov revoked the certificate of Aliya Ospan (aliya.nurova) for “Sample module” (code " in text
    assert "Reason: Another person took the quiz" in text
    assert "Aigerim Sadykova changed the role of Olga Petrova (olga.petrova)." in text
    assert "Role: Trainer → Monitor" in text and "Unit: KZ-A (KZ-A) → —" in text
    assert "Aigerim Sadykova moved the unit District 9 (KZ-A-9) from KZ-A (KZ-A) to KG-A (KG-A)." in text
    assert "Aigerim Sadykova closed the unit District 9 (KZ-A-9) and the 1 unit below it." in text
    assert "Aigerim Sadykova reopened the unit District 9 (KZ-A-9) and the 1 unit below it." in text
    assert not CODE.findall(text)
    trainer = Browser(app.test_client())
    trainer.login("trainer")
    history = " ".join(visible_text(trainer.get(f"/train/assignments/{ids['assignment']}")
                                    .get_data(as_text=True)).split())
    assert "Nurlan Abenov changed the due date of “Sample module” for KZ-A-1 (KZ-A-1)." in history
    assert "Nurlan Abenov withdrew the module" in history and not CODE.findall(history)


def test_an_unknown_code_or_odd_details_fall_back_to_a_generic_sentence(app, make, database):
    admin = make.user("root", Role.ADMIN)
    with app.app_context():
        db.session.add_all([
            AuditEvent(actor_id=admin, action="thing.explode", target_type="thing", target_id=7, details={}),
            AuditEvent(actor_id=admin, action="users.import", target_type="import", details={"count": "many"}),
            AuditEvent(actor_id=admin, action="session.attendance", target_type="session", target_id=99,
                       details={"new": 5, "added": None}),
            AuditEvent(actor_id=admin, action="user.update", target_type="user", target_id=12345,
                       details={"full_name": ["A", "B"], "unit": ["NO-SUCH", None]}),
        ])
        db.session.commit()
    browser = Browser(app.test_client())
    browser.login("root")
    response = browser.get("/admin/audit")
    assert response.status_code == 200
    text = " ".join(visible_text(response.get_data(as_text=True)).split())
    assert "User 1 made a change (thing.explode) to record No. 7." in text
    assert "User 1 made a change (users.import) to several records." in text
    assert "User 1 changed the account of B." in text and "Full name: A → B" in text
    assert "User 1 made a change (session.attendance)" in text
