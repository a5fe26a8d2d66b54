"""In-person sessions and attendance: a module that requires attendance completes only after it."""
from datetime import date, timedelta

import sqlalchemy as sa

from lms.content.models import Module
from lms.extensions import db
from lms.learn.models import Attendance, LearnerProgress, ModuleCompletion, TrainingSession
from lms.train.models import AuditEvent
from tests.train.test_assignments import audit_actions, complete_module, rows, setup_world, signed_in, snapshot

TODAY = date.today()


def new_session(browser, module, unit, held_on=TODAY, place="District akimat, hall 2"):
    response = browser.post("/train/sessions/new", {"module": str(module), "unit": str(unit), "place": place,
                                                     "held_on": held_on.isoformat(), "trainer_name": "Tanya Trainer"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def require_attendance(app, module_id):
    with app.app_context():
        db.session.get(Module, module_id).requires_attendance = True
        db.session.commit()


def test_a_module_requiring_attendance_completes_after_attendance(app, browser, make, course):
    tree, ids = setup_world(make, course)
    require_attendance(app, course)
    make.assign(course, unit=tree["KZ-A"])
    complete_module(app, "ann")
    ann = signed_in(app, "ann")
    assert "Completed" not in ann.get("/learn/").get_data(as_text=True)
    assert rows(app, ModuleCompletion) == []

    browser.login("trainer")
    assert "Tanya Trainer" in browser.get("/train/sessions/new").get_data(as_text=True)  # the trainer's own name
    sid = new_session(browser, course, tree["KZ-A-1"])
    page = browser.get(f"/train/sessions/{sid}").get_data(as_text=True)
    assert "Ann Akhmetova" in page and "Bob Bekov" not in page and "requires attendance" in page
    response = browser.post(f"/train/sessions/{sid}", {"attended": [str(ids["ann"])]})
    assert response.status_code == 303
    assert [a.user_id for a in rows(app, Attendance)] == [ids["ann"]]
    assert "Completed" in ann.get("/learn/").get_data(as_text=True)
    assert next(r for r in rows(app, LearnerProgress) if r.user_id == ids["ann"]).status == "completed"
    assert audit_actions(app) == ["session.create", "session.attendance"]
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.details["added"] == [ids["ann"]] and event.details["removed"] == []
    listing = browser.get("/train/sessions").get_data(as_text=True)
    assert "District akimat, hall 2" in listing

    # saving replaces the set: unticking removes the attendance (the completion already earned stays)
    assert browser.post(f"/train/sessions/{sid}", {}).status_code == 303
    assert rows(app, Attendance) == []
    assert audit_actions(app)[-1] == "session.attendance"
    # saving the same set again writes nothing
    browser.post(f"/train/sessions/{sid}", {})
    assert audit_actions(app).count("session.attendance") == 2


def test_attendance_before_the_counting_day_does_not_count(app, browser, make, course):
    tree, ids = setup_world(make, course)
    require_attendance(app, course)
    make.assign(course, user=ids["ann"], counts_from=TODAY)
    complete_module(app, "ann")
    browser.login("trainer")
    old = new_session(browser, course, tree["KZ-A-1-1"], held_on=TODAY - timedelta(days=30))
    browser.post(f"/train/sessions/{old}", {"attended": [str(ids["ann"])]})
    assert rows(app, ModuleCompletion) == []
    assert rows(app, LearnerProgress)[0].status != "completed"
    fresh = new_session(browser, course, tree["KZ-A-1-1"])
    browser.post(f"/train/sessions/{fresh}", {"attended": [str(ids["ann"])]})
    assert next(r for r in rows(app, LearnerProgress) if r.user_id == ids["ann"]).status == "completed"


def test_foreign_sessions_are_not_found(app, browser, make, course):
    tree, ids = setup_world(make, course)
    with app.app_context():
        foreign = [TrainingSession(module_id=course, unit_id=tree[u], held_on=TODAY, place=f"Place {u}",
                                   trainer_name="X") for u in ("KZ-B", "KZ-B-1", "KG-A", "KZ")]
        db.session.add_all(foreign)
        db.session.commit()
        foreign_ids = [s.id for s in foreign]
    browser.login("trainer")
    before = snapshot(app)
    for sid in foreign_ids:
        assert browser.get(f"/train/sessions/{sid}").status_code == 404
        assert browser.post(f"/train/sessions/{sid}", {"attended": [str(ids["bob"])]},
                            from_page="/train/sessions").status_code == 404
    listing = browser.get("/train/sessions").get_data(as_text=True)
    assert "Place KZ-B" not in listing and "Place KG-A" not in listing
    # a session for a unit of another oblast cannot be recorded
    for unit in ("KZ-B", "KG-A-1-1", "KZ"):
        response = browser.post("/train/sessions/new", {"module": str(course), "unit": str(tree[unit]),
                                                         "held_on": TODAY.isoformat(), "place": "P",
                                                         "trainer_name": "T"})
        assert response.status_code == 200 and "There is a problem" in response.get_data(as_text=True)
    assert browser.get("/train/sessions?module=999999").status_code == 404
    assert snapshot(app) == before
    assert signed_in(app, "admin").get(f"/train/sessions/{foreign_ids[0]}").status_code == 200


def test_attendance_for_someone_outside_the_session_is_refused(app, browser, make, course):
    tree, ids = setup_world(make, course)
    make.user("cat", unit=tree["KZ-A-1-2"], full_name="Cat Chernova")
    make.user("dan", unit=tree["KZ-A-1-1"], full_name="Dan Inactive", active=False)
    browser.login("trainer")
    sid = new_session(browser, course, tree["KZ-A-1-1"])
    page = browser.get(f"/train/sessions/{sid}").get_data(as_text=True)
    assert "Ann Akhmetova" in page and "Cat Chernova" not in page and "Dan Inactive" not in page
    before = snapshot(app)
    with app.app_context():
        from lms.auth.models import User
        outsiders = [ids["bob"], ids["kim"], ids["trainer"],
                     db.session.scalar(sa.select(User.id).where(User.username == "cat")), 999999]
    for outsider in outsiders:
        response = browser.post(f"/train/sessions/{sid}", {"attended": [str(ids["ann"]), str(outsider)]})
        assert response.status_code == 400, outsider
    assert browser.post(f"/train/sessions/{sid}", {"attended": ["not-a-number"]}).status_code == 400
    assert snapshot(app) == before and rows(app, Attendance) == []


def test_session_form_checks_its_fields(app, browser, make, course):
    tree, ids = setup_world(make, course)
    browser.login("trainer")
    response = browser.post("/train/sessions/new", {"module": str(course), "unit": str(tree["KZ-A"]), "held_on": "",
                                                     "place": "", "trainer_name": "T"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enter the date." in page and 'href="#place"' in page
    assert rows(app, TrainingSession) == []


def test_the_list_takes_a_fixed_number_of_queries(app, browser, make, course):
    from tests.conftest import count_queries
    tree, ids = setup_world(make, course)
    browser.login("trainer")

    def queries():
        with count_queries(app) as statements:
            assert browser.get("/train/sessions").status_code == 200
        return len(statements)

    new_session(browser, course, tree["KZ-A-1"], place="First")
    few = queries()
    for n, unit in enumerate(("KZ-A", "KZ-A-1-1", "KZ-A-1-2")):
        sid = new_session(browser, course, tree[unit], place=f"Place {n}")
        browser.post(f"/train/sessions/{sid}", {"attended": [str(ids["ann"])]} if unit != "KZ-A-1-2" else {})
    assert queries() == few
