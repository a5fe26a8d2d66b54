"""Assignments in the trainer workspace: making, changing, withdrawing, their history and their scope."""
from datetime import date, timedelta

import sqlalchemy as sa

from lms.auth.models import Role
from lms.extensions import db
from lms.learn.models import Assignment, LearnerProgress, TrainingSession
from lms.train.models import AuditEvent, Election
from tests.conftest import Browser, count_queries
from tests.learn.helpers import answers, start_quiz, submit


def setup_world(make, course):
    """Oblast A (KZ-A) and B (KZ-B) in Kazakhstan, KG-A in Kyrgyzstan; trainers, learners, an admin, a monitor."""
    tree = make.tree()
    tree["KZ-B"] = make.unit("KZ-B", tree["KZ"])
    tree["KZ-B-1"] = make.unit("KZ-B-1", tree["KZ-B"])
    ids = {
        "trainer": make.user("trainer", Role.TRAINER, tree["KZ-A"], full_name="Tanya Trainer"),
        "trainer_b": make.user("trainer-b", Role.TRAINER, tree["KZ-B"]),
        "trainer_kg": make.user("trainer-kg", Role.TRAINER, tree["KG-A"]),
        "admin": make.user("admin", Role.ADMIN),
        "monitor": make.user("monitor", Role.MONITOR),
        "ann": make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann Akhmetova"),
        "bob": make.user("bob", unit=tree["KZ-B-1"], full_name="Bob Bekov"),
        "kim": make.user("kim", unit=tree["KG-A-1-1"], full_name="Kim Kasymova"),
    }
    return tree, ids


def signed_in(app, username):
    b = Browser(app.test_client())
    assert b.login(username).status_code == 302
    return b


def complete_module(app, username):
    """Read both lessons and pass the quiz of the fixture module as `username`."""
    b = signed_in(app, username)
    for lesson in ("first", "second"):
        assert b.get(f"/learn/modules/sample-module/lessons/{lesson}").status_code == 200
    aid = start_quiz(b)
    submit(b, aid, answers(app, aid))
    return b


def rows(app, model, *where):
    with app.app_context():
        return list(db.session.scalars(sa.select(model).where(*where)))


def audit_actions(app, target_type=None):
    with app.app_context():
        query = sa.select(AuditEvent.action).order_by(AuditEvent.id)
        if target_type:
            query = query.where(AuditEvent.target_type == target_type)
        return list(db.session.scalars(query))


def snapshot(app):
    """Everything the trainer workspace writes, to check that a refused request wrote nothing."""
    with app.app_context():
        def dump(model):
            return [tuple(getattr(r, c.key) for c in model.__table__.columns)
                    for r in db.session.scalars(sa.select(model).order_by(model.id))]
        return (dump(Assignment), dump(Election), dump(TrainingSession), dump(AuditEvent),
                sorted(db.session.execute(sa.select(LearnerProgress.user_id, LearnerProgress.module_id,
                                                    LearnerProgress.due_date)).all()))


def assign(browser, **data):
    form = {"due": "none", "days_before": "14", "election": "0", **data}
    return browser.post("/train/assignments/new", form)


def test_assignment_to_a_unit_reaches_learners_added_later(app, browser, make, course):
    tree, ids = setup_world(make, course)
    browser.login("trainer")
    due = date.today() + timedelta(days=20)
    response = assign(browser, modules=[str(course)], units=[str(tree["KZ-A-1"])], due="date", due_date=due.isoformat())
    assert response.status_code == 303
    [a] = rows(app, Assignment)
    assert (a.unit_id, a.user_id, a.assigned_by_id) == (tree["KZ-A-1"], None, ids["trainer"])
    assert (a.due_date, a.counts_from) == (due, None)
    assert audit_actions(app) == ["assignment.create"]
    # the materialised progress row of the learner already there is written in the same transaction
    [lp] = rows(app, LearnerProgress)
    assert (lp.user_id, lp.due_date, lp.status) == (ids["ann"], due, "not_started")

    make.user("carl", unit=tree["KZ-A-1-2"])
    dash = signed_in(app, "carl").get("/learn/").get_data(as_text=True)
    assert "Sample module" in dash
    assert "Sample module" not in signed_in(app, "bob").get("/learn/").get_data(as_text=True)

    listing = browser.get("/train/assignments").get_data(as_text=True)
    assert "KZ-A-1" in listing and "Tanya Trainer" in listing and "Live" in listing


def test_assignment_to_learners_by_username_checks_every_line(app, browser, make, course):
    tree, ids = setup_world(make, course)
    browser.login("trainer")
    before = snapshot(app)
    response = assign(browser, modules=[str(course)], usernames="ann\nbob\n\n  nobody  \nkim")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert "Line 2: “bob”" in page and "Line 4: “nobody”" in page and "Line 5: “kim”" in page
    assert "Line 1" not in page
    assert snapshot(app) == before

    response = assign(browser, modules=[str(course)], usernames="Ann\nann\n")
    assert response.status_code == 303
    [a] = rows(app, Assignment)
    assert a.user_id == ids["ann"] and a.unit_id is None
    # the same module to the same learner again is not duplicated
    assert assign(browser, modules=[str(course)], usernames="ann").status_code == 303
    assert len(rows(app, Assignment)) == 1


def test_a_module_and_a_target_are_required(app, browser, make, course):
    setup_world(make, course)
    browser.login("trainer")
    page = assign(browser).get_data(as_text=True)
    assert "Choose at least one module." in page
    page = assign(browser, modules=[str(course)]).get_data(as_text=True)
    assert "Choose at least one unit, or enter at least one username." in page
    page = assign(browser, modules=[str(course)], usernames="ann", due="date").get_data(as_text=True)
    assert "Enter the due date." in page
    page = assign(browser, modules=[str(course)], usernames="ann", due="election").get_data(as_text=True)
    assert "Choose the election." in page
    assert rows(app, Assignment) == []


def test_cannot_assign_outside_the_oblast(app, browser, make, course):
    tree, ids = setup_world(make, course)
    browser.login("trainer")
    before = snapshot(app)
    for unit in ("KZ-B", "KZ-B-1", "KG-A-1-1", "KZ"):
        response = assign(browser, modules=[str(course)], units=[str(tree[unit])])
        assert response.status_code == 200 and "There is a problem" in response.get_data(as_text=True), unit
    response = assign(browser, modules=[str(course)], units=[str(tree["KZ-A-1"]), str(tree["KZ-B-1"])])
    assert response.status_code == 200
    assert snapshot(app) == before


def test_withdrawing_hides_the_module_and_keeps_the_history(app, browser, make, course):
    tree, ids = setup_world(make, course)
    browser.login("trainer")
    assert assign(browser, modules=[str(course)], units=[str(tree["KZ-A"])]).status_code == 303
    [a] = rows(app, Assignment)
    ann = signed_in(app, "ann")
    assert "Sample module" in ann.get("/learn/").get_data(as_text=True)

    response = browser.post(f"/train/assignments/{a.id}/withdraw", from_page=f"/train/assignments/{a.id}")
    assert response.status_code == 303
    [a] = rows(app, Assignment)
    assert a.withdrawn_at is not None and a.withdrawn_by_id == ids["trainer"]
    assert "Sample module" not in ann.get("/learn/").get_data(as_text=True)
    assert ann.get("/learn/modules/sample-module").status_code == 404
    assert rows(app, LearnerProgress) == []

    page = browser.get(f"/train/assignments/{a.id}").get_data(as_text=True)
    assert "Withdrawn on" in page and "Assigned" in page and "Tanya Trainer" in page
    assert "Withdraw this assignment" not in page
    # a second withdrawal and an edit change nothing
    browser.post(f"/train/assignments/{a.id}/withdraw", from_page="/train/assignments")
    edit = browser.post(f"/train/assignments/{a.id}/edit", {"due": "none"}, from_page="/train/assignments")
    assert edit.status_code == 303
    assert audit_actions(app, "assignment") == ["assignment.create", "assignment.withdraw"]
    listing = browser.get("/train/assignments").get_data(as_text=True)
    assert "Withdrawn" in listing


def test_changing_the_due_date_is_audited_with_old_and_new(app, browser, make, course):
    tree, ids = setup_world(make, course)
    browser.login("trainer")
    first = date.today() + timedelta(days=5)
    assign(browser, modules=[str(course)], usernames="ann", due="date", due_date=first.isoformat())
    [a] = rows(app, Assignment)
    page = browser.get(f"/train/assignments/{a.id}/edit").get_data(as_text=True)
    assert f'value="{first.isoformat()}"' in page

    later = first + timedelta(days=10)
    response = browser.post(f"/train/assignments/{a.id}/edit", {"due": "date", "due_date": later.isoformat(),
                                                                "election": "0", "days_before": "14"})
    assert response.status_code == 303
    assert rows(app, Assignment)[0].due_date == later
    assert rows(app, LearnerProgress)[0].due_date == later
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "assignment.update" and event.actor_id == ids["trainer"]
        assert event.details == {"old": {"due_date": first.isoformat()}, "new": {"due_date": later.isoformat()}}
    history = browser.get(f"/train/assignments/{a.id}").get_data(as_text=True)
    assert "changed the due date of" in history and "→" in history

    # no due date at all
    browser.post(f"/train/assignments/{a.id}/edit", {"due": "none", "election": "0", "days_before": "14"})
    assert rows(app, Assignment)[0].due_date is None


def test_foreign_assignments_are_not_found(app, browser, make, course):
    tree, ids = setup_world(make, course)
    foreign = [make.assign(course, unit=tree["KZ-B"]), make.assign(course, user=ids["bob"]),
               make.assign(course, unit=tree["KG-A-1"]), make.assign(course, unit=tree["KZ"])]
    own = make.assign(course, unit=tree["KZ-A-1-1"])
    browser.login("trainer")
    before = snapshot(app)
    for aid in foreign:
        assert browser.get(f"/train/assignments/{aid}").status_code == 404
        assert browser.get(f"/train/assignments/{aid}/edit").status_code == 404
        assert browser.post(f"/train/assignments/{aid}/edit", {"due": "none", "election": "0"},
                            from_page="/train/assignments").status_code == 404
        assert browser.post(f"/train/assignments/{aid}/withdraw", from_page="/train/assignments").status_code == 404
    assert browser.get("/train/assignments/999999").status_code == 404
    assert browser.get(f"/train/assignments?unit={tree['KZ-B']}").status_code == 404
    assert browser.get("/train/assignments?module=999999").status_code == 404
    listing = browser.get("/train/assignments").get_data(as_text=True)
    assert "1 assignment." in listing and f"/train/assignments/{own}" in listing
    assert all(f"/train/assignments/{aid}\"" not in listing for aid in foreign)
    assert snapshot(app) == before

    admin = signed_in(app, "admin")
    assert "5 assignments." in admin.get("/train/assignments").get_data(as_text=True)
    assert admin.get(f"/train/assignments/{foreign[0]}").status_code == 200


def test_list_filters_and_pages_in_a_fixed_number_of_queries(app, browser, make, course):
    tree, ids = setup_world(make, course)
    for n in range(53):
        make.assign(course, user=ids["ann"], assigned_by_id=ids["trainer"],
                    due_date=date(2030, 1, 1) + timedelta(days=n))
    make.assign(course, unit=tree["KZ-A-1-2"], assigned_by_id=ids["admin"])
    browser.login("trainer")
    with count_queries(app) as statements:
        page = browser.get("/train/assignments").get_data(as_text=True)
    assert "54 assignments." in page and "Page 1 of 2" in page
    assert len(statements) < 15
    assert "Page 2 of 2" in browser.get("/train/assignments?page=2").get_data(as_text=True)
    only_unit = browser.get(f"/train/assignments?unit={tree['KZ-A-1-2']}").get_data(as_text=True)
    assert "1 assignment." in only_unit
    assert "54 assignments." in browser.get(f"/train/assignments?module={course}").get_data(as_text=True)


TRAINER_PAGES = ["/train/assignments", "/train/assignments/new", "/train/assignments/{a}",
                 "/train/assignments/{a}/edit",
                 "/train/elections", "/train/elections/new", "/train/elections/{e}/edit",
                 "/train/sessions", "/train/sessions/new", "/train/sessions/{s}"]
TRAINER_POSTS = ["/train/assignments/new", "/train/assignments/{a}/edit", "/train/assignments/{a}/withdraw",
                 "/train/elections/new", "/train/elections/{e}/edit", "/train/sessions/new", "/train/sessions/{s}"]


def test_learners_and_monitors_are_refused(app, browser, make, course):
    tree, ids = setup_world(make, course)
    a = make.assign(course, user=ids["ann"])
    with app.app_context():
        e = Election(country_id=tree["KZ"], name="E", polling_date=date(2030, 1, 1))
        s = TrainingSession(module_id=course, unit_id=tree["KZ-A"], held_on=date.today(), place="P", trainer_name="T")
        db.session.add_all([e, s])
        db.session.commit()
        ref = {"a": a, "e": e.id, "s": s.id}
    before = snapshot(app)
    for username in ("ann", "monitor"):
        b = signed_in(app, username)
        for url in TRAINER_PAGES:
            assert b.get(url.format(**ref)).status_code == 403, (username, url)
        for url in TRAINER_POSTS:
            assert b.post(url.format(**ref), {"due": "none", "name": "x", "attended": [str(ids["ann"])]},
                          from_page="/learn/").status_code == 403, (username, url)
    assert snapshot(app) == before
    anonymous = app.test_client()
    assert anonymous.get("/train/assignments").status_code == 302
    trainer = signed_in(app, "trainer")
    for url in TRAINER_PAGES:
        assert trainer.get(url.format(**ref)).status_code == 200, url


def test_units_are_chosen_with_checkboxes_in_a_tree_with_whole_names_and_parents(app, make, course):
    import re

    tree, _ids = setup_world(make, course)
    page = signed_in(app, "trainer").get("/train/assignments/new").get_data(as_text=True)
    assert "<select" not in page.split('id="units"')[1].split("</fieldset>")[0]  # no Ctrl-click list
    boxes = re.findall(r'<input type="checkbox" name="units" value="(\d+)"', page)
    assert sorted(map(int, boxes)) == sorted(tree[k] for k in ("KZ-A", "KZ-A-1", "KZ-A-1-1", "KZ-A-1-2"))
    precinct = page.split(f'value="{tree["KZ-A-1-1"]}"')[1].split("</li>")[0]
    assert "KZ-A-1-1" in precinct and "KZ-A-1" in precinct.split("·")[1]  # its district named beside it
    assert 'id="unit-search"' in page
    refused = signed_in(app, "trainer").post(
        "/train/assignments/new", {"modules": [str(course)], "units": [str(tree["KZ-B"])], "due": "none"},
        from_page="/train/assignments/new")
    assert refused.status_code == 200 and "error-summary" in refused.get_data(as_text=True)  # another oblast
    ok = signed_in(app, "trainer").post(
        "/train/assignments/new", {"modules": [str(course)], "units": [str(tree["KZ-A-1-1"]), str(tree["KZ-A-1-2"])],
                                   "due": "none"}, from_page="/train/assignments/new")
    assert ok.status_code == 303
