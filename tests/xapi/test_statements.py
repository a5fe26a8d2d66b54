"""xAPI statements: written with the records they describe, valid by the statement rules, listed in the
token owner's scope with the specification's filters and paging, and back-filled for older records."""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import sqlalchemy as sa

from lms.extensions import db
from lms.xapi.backfill import backfill
from lms.xapi.models import XapiStatement
from tests.learn.helpers import answers, start_quiz, submit
from tests.reports.test_openapi import token_for
from tests.train.test_assignments import setup_world, signed_in
from tests.train.test_sessions import new_session, require_attendance
from tests.xapi import rules

URL = "/api/v1/xapi/statements"
ADL = "http://adlnet.gov/expapi/verbs/"
BASE = "http://127.0.0.1:5000"
MODULE = f"{BASE}/xapi/activities/modules/sample-module"


def take_module(app, username, right=True):
    """Open the module twice, read both lessons, and take the quiz (passed, or failed with wrong answers)."""
    b = signed_in(app, username)
    for _ in range(2):
        assert b.get("/learn/modules/sample-module").status_code == 200
    for lesson in ("first", "second"):
        assert b.get(f"/learn/modules/sample-module/lessons/{lesson}").status_code == 200
    attempt = start_quiz(b)
    submit(b, attempt, answers(app, attempt, right=right))
    return attempt


def listed(app, headers, query="", follow=True):
    """Every statement the query lists, following `more`; checks the headers and the StatementResult shape."""
    found, url = [], f"{URL}?{query}" if query else URL
    while url:
        response = app.test_client().get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        body = response.get_json()
        assert set(body) == {"statements", "more"}
        found.extend(body["statements"])
        url = body["more"] if follow else ""
    return found


def verbs(statements):
    return sorted(s["verb"]["id"].removeprefix(ADL) for s in statements)


def test_a_learners_path_is_recorded_as_valid_statements(app, make, course, database):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    attempt = take_module(app, "ann")
    statements = listed(app, token_for(app, "monitor"))
    for s in statements:
        rules.statement(s)
    assert verbs(statements) == ["answered"] * 4 + ["completed", "experienced", "experienced", "launched", "passed"]
    assert len({s["id"] for s in statements}) == len(statements)
    text = json.dumps(statements, ensure_ascii=False)
    assert "Ann" not in text and "ann" not in re.sub(r"https?://\S+", "", text.replace('"ann', ""))  # no name, no login
    for s in statements:
        assert s["actor"]["account"] == {"homePage": BASE + "/", "name": str(ids["ann"])}
        assert s["context"]["extensions"][f"{BASE}/xapi/extensions/unit-path"] == ["KZ", "KZ-A", "KZ-A-1", "KZ-A-1-1"]
        assert s["context"]["language"] and s["authority"]["account"]["homePage"] == BASE + "/"
    passed = next(s for s in statements if s["verb"]["id"] == ADL + "passed")
    assert passed["object"]["id"] == MODULE + "/quiz"
    assert passed["result"]["score"] == {"scaled": 1.0, "raw": 100.0, "min": 0, "max": 100}
    assert passed["result"]["success"] is True and passed["result"]["duration"].startswith("PT")
    answered = [s for s in statements if s["verb"]["id"] == ADL + "answered"]
    assert {s["context"]["registration"] for s in answered} == {passed["context"]["registration"]}
    assert all(s["object"]["id"].startswith(MODULE + "/questions/") for s in answered)
    assert all(s["context"]["contextActivities"]["parent"][0]["id"] == MODULE for s in answered)
    with app.app_context():  # one statement per record, the attempt's in the same rows as the attempt
        assert db.session.scalar(sa.select(sa.func.count()).select_from(XapiStatement)) == len(statements)
    assert attempt


def test_a_failed_attempt_and_a_second_cycle(app, make, course, database):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    take_module(app, "ann", right=False)
    statements = listed(app, token_for(app, "admin"))
    for s in statements:
        rules.statement(s)
    failed = [s for s in statements if s["verb"]["id"] == ADL + "failed"]
    assert len(failed) == 1 and failed[0]["result"]["success"] is False
    assert failed[0]["result"]["score"]["scaled"] < 0.75
    assert ADL + "completed" not in {s["verb"]["id"] for s in statements}


def test_the_list_is_in_the_token_owners_scope(app, make, course, database):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    make.assign(course, unit=tree["KG"])
    take_module(app, "ann")
    take_module(app, "kim")
    everyone = listed(app, token_for(app, "monitor"))
    names = {s["actor"]["account"]["name"] for s in everyone}
    assert names == {str(ids["ann"]), str(ids["kim"])}
    oblast = listed(app, token_for(app, "trainer"))  # Kazakhstan's oblast A
    assert {s["actor"]["account"]["name"] for s in oblast} == {str(ids["ann"])} and oblast
    assert listed(app, token_for(app, "trainer-b")) == []  # another oblast of the same country
    api = app.test_client()
    assert api.get(URL).status_code == 401
    kim = next(s for s in everyone if s["actor"]["account"]["name"] == str(ids["kim"]))
    trainer = token_for(app, "trainer")
    assert api.get(f"{URL}?statementId={kim['id']}", headers=trainer).status_code == 404
    assert api.get(f"{URL}?statementId={kim['id']}", headers=token_for(app, "trainer-kg")).get_json() == kim


def test_a_learner_is_refused(app, make, course, database):
    from lms.auth.models import ApiToken, User, token_hash

    tree, ids = setup_world(make, course)
    with app.app_context():  # a token left from when the account was a trainer's
        user = db.session.get(User, ids["ann"])
        db.session.add(ApiToken(user_id=user.id, name="old", token_hash=token_hash("learner-token"), prefix="learner"))
        db.session.commit()
    response = app.test_client().get(URL, headers={"Authorization": "Bearer learner-token"})
    assert response.status_code == 403


def test_filters_and_paging(app, make, course, database):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    take_module(app, "ann")
    take_module(app, "bob", right=False)
    headers = token_for(app, "monitor")
    everything = listed(app, headers)
    assert len(everything) == 9 + 8
    assert [s["stored"] for s in everything] == sorted((s["stored"] for s in everything), reverse=True)
    pages = listed(app, headers, "limit=3")
    assert [s["id"] for s in pages] == [s["id"] for s in everything]  # the same, three at a time
    first = app.test_client().get(f"{URL}?limit=3", headers=headers).get_json()
    assert len(first["statements"]) == 3 and first["more"].startswith(URL + "?")
    ascending = listed(app, headers, "ascending=true&limit=4")
    assert [s["id"] for s in ascending] == [s["id"] for s in reversed(everything)]

    assert verbs(listed(app, headers, "verb=" + quote(ADL + "passed", safe=""))) == ["passed"]
    assert verbs(listed(app, headers, "activity=" + quote(MODULE + "/quiz", safe=""))) == ["failed", "passed"]
    agent = json.dumps({"objectType": "Agent", "account": {"homePage": BASE + "/", "name": str(ids["bob"])}})
    bob = listed(app, headers, "agent=" + quote(agent))
    assert len(bob) == 8 and {s["actor"]["account"]["name"] for s in bob} == {str(ids["bob"])}
    other = json.dumps({"mbox": "mailto:bob@example.org"})
    assert listed(app, headers, "agent=" + quote(other)) == []
    newest = everything[0]["stored"]
    assert listed(app, headers, "since=" + quote(newest)) == []
    assert len(listed(app, headers, "until=" + quote(newest))) == len(everything)
    one = app.test_client().get(f"{URL}?statementId={everything[5]['id']}", headers=headers)
    assert one.status_code == 200 and one.get_json() == everything[5]

    api = app.test_client()
    for query, parameter in (("since=yesterday", "since"), ("limit=-1", "limit"), ("limit=many", "limit"),
                             ("agent=%7Bnot+json", "agent"), ("agent=%5B%5D", "agent"),
                             ("ascending=maybe", "ascending"),
                             ("verb=", "verb"), ("colour=red", "colour"), ("after=x", "after"),
                             (f"statementId={everything[0]['id']}&verb=x", "verb")):
        response = api.get(f"{URL}?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.get_json()["parameter"] == parameter
    assert api.get(f"{URL}?statementId=00000000-0000-4000-8000-000000000000", headers=headers).status_code == 404
    assert api.get(URL, headers={**headers, "X-Experience-API-Version": "0.9"}).status_code == 400
    assert api.get(URL, headers={**headers, "X-Experience-API-Version": "1.0.3"}).status_code == 200


def test_attendance_taken_back_is_voided(app, browser, make, course, database):
    tree, ids = setup_world(make, course)
    require_attendance(app, course)
    make.assign(course, unit=tree["KZ-A"])
    browser.login("trainer")
    sid = new_session(browser, course, tree["KZ-A-1"])
    headers = token_for(app, "monitor")
    attended = f"verb={quote(ADL + 'attended', safe='')}"

    assert browser.post(f"/train/sessions/{sid}", {"attended": [str(ids["ann"])]}).status_code == 303
    first = listed(app, headers, attended)
    assert len(first) == 1 and first[0]["object"]["id"] == f"{BASE}/xapi/activities/sessions/{sid}"
    rules.statement(first[0])
    assert browser.post(f"/train/sessions/{sid}", {}).status_code == 303  # marked by mistake: taken back
    assert listed(app, headers, attended) == []
    voiding = listed(app, headers, "verb=" + quote(ADL + "voided", safe=""))
    assert [v["object"] for v in voiding] == [{"objectType": "StatementRef", "id": first[0]["id"]}]
    rules.statement(voiding[0])
    api = app.test_client()
    assert api.get(f"{URL}?voidedStatementId={first[0]['id']}", headers=headers).get_json()["id"] == first[0]["id"]
    assert api.get(f"{URL}?statementId={first[0]['id']}", headers=headers).status_code == 404
    assert browser.post(f"/train/sessions/{sid}", {"attended": [str(ids["ann"])]}).status_code == 303
    again = listed(app, headers, attended)
    assert len(again) == 1 and again[0]["id"] != first[0]["id"]


def test_backfill_gives_older_records_the_same_statements_once(app, make, course, database):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    take_module(app, "ann")
    take_module(app, "bob", right=False)
    headers = token_for(app, "monitor")
    before = {s["id"]: s for s in listed(app, headers)}
    with app.app_context():  # a database from before this version: the records, no statements
        db.session.execute(sa.delete(XapiStatement))
        db.session.commit()
        assert backfill() == len(before)
        assert backfill() == 0  # idempotent
        db.session.commit()
    after = {s["id"]: s for s in listed(app, headers)}
    assert set(after) == set(before)  # the same ids: derived from the records
    for sid, s in after.items():
        rules.statement(s)
        if s["verb"]["id"] != ADL + "launched":  # a launch is dated by the first activity now, not the visit
            assert {k: val for k, val in s.items() if k != "stored"} == {
                k: val for k, val in before[sid].items() if k != "stored"}


def test_simultaneous_visits_and_submits_record_each_statement_once(app, make, course, postgres_only):
    from tests.conftest import csrf_from
    from tests.test_concurrency import _run_together

    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    tabs = [signed_in(app, "ann") for _ in range(4)]
    pages = _run_together([lambda t=t: t.get("/learn/modules/sample-module") for t in tabs])
    assert [p.status_code for p in pages] == [200] * 4
    reads = _run_together([lambda t=t: t.get("/learn/modules/sample-module/lessons/first") for t in tabs])
    assert [p.status_code for p in reads] == [200] * 4
    tabs[0].get("/learn/modules/sample-module/lessons/second")
    attempt = start_quiz(tabs[0])
    tokens = [csrf_from(t.get(f"/learn/attempts/{attempt}").get_data(as_text=True)) for t in tabs]
    assert tabs[0].client.post(f"/learn/attempts/{attempt}/answers", data={
        **answers(app, attempt), "csrf_token": tokens[0]}).status_code == 303
    submits = _run_together([lambda i=i: tabs[i].client.post(f"/learn/attempts/{attempt}/submit",
                                                             data={"csrf_token": tokens[i]}) for i in range(4)])
    assert all(r.status_code < 500 for r in submits)
    statements = listed(app, token_for(app, "monitor"))
    assert verbs(statements) == ["answered"] * 4 + ["completed", "experienced", "experienced", "launched", "passed"]


def test_activity_ids_resolve_to_their_definitions(app, make, course, database):
    tree, ids = setup_world(make, course)
    make.assign(course, unit=tree["KZ"])
    take_module(app, "ann")
    client = app.test_client()
    for s in listed(app, token_for(app, "monitor")):
        path = s["object"]["id"].removeprefix(BASE)
        definition = client.get(path)  # no token: activity metadata is public
        assert definition.status_code == 200, path
        assert definition.get_json()["type"] == s["object"]["definition"]["type"]
        rules.activity({"id": s["object"]["id"], "definition": definition.get_json()})
    quiz = client.get("/xapi/activities/modules/sample-module/questions/" + "x" * 5)
    assert quiz.status_code == 404
    assert client.get("/xapi/activities/modules/nope").status_code == 404
    assert client.get("/xapi/activities/sessions/999").status_code == 404
