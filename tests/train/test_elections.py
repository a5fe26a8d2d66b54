"""The election calendar: due dates counted back from polling day, and training that belongs to an earlier election."""
from datetime import date, timedelta

import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import Assignment, LearnerProgress
from lms.train.models import AuditEvent, Election
from tests.train.test_assignments import assign, audit_actions, complete_module, rows, setup_world, signed_in, snapshot

TODAY = date.today()


def add_election(browser, name="Parliamentary 2030", polling=TODAY + timedelta(days=60), opens=TODAY, **extra):
    response = browser.post("/train/elections/new", {"name": name, "polling_date": polling.isoformat(),
                                                      "training_opens": opens.isoformat(), **extra})
    assert response.status_code == 303, response.get_data(as_text=True)
    with browser.client.application.app_context():
        return db.session.scalar(sa.select(Election.id).where(Election.name == name))


def test_a_trainer_adds_elections_of_their_own_country(app, browser, make, course):
    tree, ids = setup_world(make, course)
    browser.login("trainer")
    page = browser.get("/train/elections/new").get_data(as_text=True)
    assert 'name="country"' not in page and f'value="{TODAY.isoformat()}"' in page  # training opens today by default
    eid = add_election(browser, country=str(tree["KG"]))  # a country field sent anyway is ignored
    [e] = rows(app, Election)
    assert (e.country_id, e.created_by_id, e.training_opens) == (tree["KZ"], ids["trainer"], TODAY)
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent))
        assert (event.action, event.target_id, event.unit_id) == ("election.create", eid, tree["KZ"])
        assert event.details["new"]["polling_date"] == (TODAY + timedelta(days=60)).isoformat()

    assert "Parliamentary 2030" in browser.get("/train/elections").get_data(as_text=True)
    # a trainer of another oblast of the same country shares the calendar; Kyrgyzstan's does not
    assert "Parliamentary 2030" in signed_in(app, "trainer-b").get("/train/elections").get_data(as_text=True)
    kg = signed_in(app, "trainer-kg")
    assert "Parliamentary 2030" not in kg.get("/train/elections").get_data(as_text=True)

    bad = browser.post("/train/elections/new", {"name": "Late", "polling_date": TODAY.isoformat(),
                                                 "training_opens": (TODAY + timedelta(days=1)).isoformat()})
    assert bad.status_code == 200 and "Training must open on or before polling day." in bad.get_data(as_text=True)
    bad = browser.post("/train/elections/new", {"name": "", "polling_date": "31.02.2030"})
    assert bad.status_code == 200 and "Enter the polling day." in bad.get_data(as_text=True)
    assert len(rows(app, Election)) == 1


def test_an_admin_chooses_the_country(app, make, course):
    tree, ids = setup_world(make, course)
    admin = signed_in(app, "admin")
    assert 'name="country"' in admin.get("/train/elections/new").get_data(as_text=True)
    page = admin.post("/train/elections/new", {"name": "X", "polling_date": "2030-01-01",
                                                "training_opens": "2029-01-01", "country": str(tree["KZ-A"])})
    assert page.status_code == 200 and rows(app, Election) == []  # an oblast is not a country
    add_election(admin, "Kyrgyz 2030", country=str(tree["KG"]))
    assert rows(app, Election)[0].country_id == tree["KG"]


def test_moving_polling_day_moves_the_linked_due_dates(app, browser, make, course):
    tree, ids = setup_world(make, course)
    browser.login("trainer")
    polling = TODAY + timedelta(days=60)
    eid = add_election(browser, polling=polling)
    assert assign(browser, modules=[str(course)], units=[str(tree["KZ-A"])], due="election", election=str(eid),
                  days_before="10").status_code == 303
    fixed = make.assign(course, user=ids["ann"], due_date=TODAY + timedelta(days=100))
    withdrawn = make.assign(course, unit=tree["KZ-A-1"], election_id=eid, days_before=3,
                            due_date=polling - timedelta(days=3), withdrawn_at=TODAY)
    linked = rows(app, Assignment, Assignment.days_before == 10)[0]
    assert (linked.election_id, linked.due_date, linked.counts_from) == (eid, polling - timedelta(days=10), TODAY)
    page = browser.get("/train/assignments").get_data(as_text=True)
    assert "10 days before Parliamentary 2030" in page

    later = polling + timedelta(days=7)
    response = browser.post(f"/train/elections/{eid}/edit", {
        "name": "Parliamentary 2030", "polling_date": later.isoformat(), "training_opens": TODAY.isoformat()})
    assert response.status_code == 303
    with app.app_context():
        due = dict(db.session.execute(sa.select(Assignment.id, Assignment.due_date)).all())
    assert due[linked.id] == later - timedelta(days=10)
    assert due[fixed] == TODAY + timedelta(days=100)  # not linked: unchanged
    assert due[withdrawn] == polling - timedelta(days=3)  # withdrawn: unchanged
    # the learner's materialised row keeps the earliest due date of their live assignments
    assert rows(app, LearnerProgress)[0].due_date == later - timedelta(days=10)
    assert audit_actions(app) == ["election.create", "assignment.create", "election.update", "assignment.update"]
    history = browser.get(f"/train/assignments/{linked.id}").get_data(as_text=True)
    assert "followed the new dates of the election" in history

    # a change of name only moves nothing
    browser.post(f"/train/elections/{eid}/edit", {"name": "Parliament", "polling_date": later.isoformat(),
                                                   "training_opens": TODAY.isoformat()})
    assert audit_actions(app)[-1] == "election.update"
    # re-linking through the edit form: days before another election
    other = add_election(browser, "Local 2031", polling=TODAY + timedelta(days=400))
    response = browser.post(f"/train/assignments/{linked.id}/edit", {"due": "election", "election": str(other),
                                                                      "days_before": "0", "earlier_counts": "y"})
    assert response.status_code == 303
    again = rows(app, Assignment, Assignment.id == linked.id)[0]
    assert (again.election_id, again.due_date, again.counts_from) == (other, TODAY + timedelta(days=400), None)


def test_training_before_the_election_does_not_count(app, browser, make, course):
    tree, ids = setup_world(make, course)
    make.assign(course, user=ids["ann"])  # an earlier cycle
    complete_module(app, "ann")
    ann = signed_in(app, "ann")
    assert "Completed" in ann.get("/learn/").get_data(as_text=True)

    browser.login("trainer")
    eid = add_election(browser, opens=TODAY + timedelta(days=1))  # training for this election opens tomorrow
    assert assign(browser, modules=[str(course)], units=[str(tree["KZ-A-1"])], due="election", election=str(eid),
                  days_before="5").status_code == 303
    dash = ann.get("/learn/").get_data(as_text=True)
    assert "Sample module" in dash and "Completed" not in dash and "Not started" in dash
    assert rows(app, LearnerProgress)[0].status == "not_started"

    # the trainer changes their mind: training completed earlier counts
    [a] = rows(app, Assignment, Assignment.election_id == eid)
    browser.post(f"/train/assignments/{a.id}/edit", {"due": "election", "election": str(eid), "days_before": "5",
                                                     "earlier_counts": "y"})
    assert "Completed" in ann.get("/learn/").get_data(as_text=True)
    assert rows(app, LearnerProgress)[0].status == "completed"


def test_earlier_training_counts_when_the_trainer_says_so(app, browser, make, course):
    tree, ids = setup_world(make, course)
    make.assign(course, user=ids["ann"])
    complete_module(app, "ann")
    browser.login("trainer")
    eid = add_election(browser, opens=TODAY + timedelta(days=1))
    assign(browser, modules=[str(course)], usernames="ann", due="election", election=str(eid), days_before="5",
           earlier_counts="y")
    [a] = rows(app, Assignment, Assignment.election_id == eid)
    assert a.counts_from is None
    assert "Completed" in signed_in(app, "ann").get("/learn/").get_data(as_text=True)


def test_foreign_elections_are_not_found(app, browser, make, course):
    tree, ids = setup_world(make, course)
    with app.app_context():
        foreign = Election(country_id=tree["KG"], name="Kyrgyz vote", polling_date=TODAY + timedelta(days=30))
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.id
    browser.login("trainer")
    before = snapshot(app)
    assert browser.get(f"/train/elections/{foreign_id}/edit").status_code == 404
    assert browser.post(f"/train/elections/{foreign_id}/edit", {"name": "Hacked", "polling_date": "2031-01-01",
                                                                 "training_opens": "2030-01-01"},
                        from_page="/train/elections").status_code == 404
    assert "Kyrgyz vote" not in browser.get("/train/elections").get_data(as_text=True)
    page = browser.get("/train/assignments/new").get_data(as_text=True)
    assert "Kyrgyz vote" not in page
    response = assign(browser, modules=[str(course)], usernames="ann", due="election", election=str(foreign_id),
                      days_before="3")
    assert response.status_code == 200 and "There is a problem" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_an_admin_cannot_link_an_election_of_another_country(app, make, course):
    tree, ids = setup_world(make, course)
    admin = signed_in(app, "admin")
    kg = add_election(admin, "Kyrgyz vote", country=str(tree["KG"]))
    before = snapshot(app)
    response = assign(admin, modules=[str(course)], units=[str(tree["KZ-A"])], due="election", election=str(kg),
                      days_before="3")
    assert response.status_code == 200 and "another country" in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert assign(admin, modules=[str(course)], units=[str(tree["KG-A"])], due="election", election=str(kg),
                  days_before="3").status_code == 303


def test_the_calendar_takes_a_fixed_number_of_queries(app, browser, make, course):
    from tests.conftest import count_queries
    setup_world(make, course)
    browser.login("trainer")

    def queries():
        with count_queries(app) as statements:
            assert browser.get("/train/elections").status_code == 200
        return len(statements)

    add_election(browser, "First")
    few = queries()
    for n in range(4):
        add_election(browser, f"Election {n}", polling=TODAY + timedelta(days=10 + n))
    page = browser.get("/train/elections").get_data(as_text=True)
    assert "Election 3" in page
    assert queries() == few
