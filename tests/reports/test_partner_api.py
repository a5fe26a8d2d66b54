"""The partner lists of the JSON API: scope by oblast, names only where allowed, cursor paging, strict
parameters, every answer as the OpenAPI file describes it."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import yaml

from lms import events
from lms.auth.models import ApiToken, Role, User, token_hash
from lms.extensions import db
from lms.learn.models import Certificate
from lms.reports import partner
from tests.reports.test_openapi import SPEC, check, response_validator, token_for
from tests.reports.test_reports import data, take  # noqa: F401  (`data` is a fixture)

LISTS = ["/api/v1/units", "/api/v1/progress", "/api/v1/assignments", "/api/v1/sessions", "/api/v1/attendance",
         "/api/v1/certificates"]
ENDPOINTS = [p for p in SPEC["paths"] if p != "/api/v1/openapi.yaml"]


def _session(admin_id: int, module_id: int, unit_id: int, attendees: list[int], held_on: date) -> int:
    """A training session recorded by the admin through the calendar service, with these attending."""
    from lms.learn.models import TrainingSession
    from lms.train import calendar_service

    admin = db.session.get(User, admin_id)
    session = calendar_service.create_session(admin, module_id, unit_id, held_on, "Hall 1", "Trainer Name")
    eligible = calendar_service.eligible_learners(admin, db.session.get(TrainingSession, session.id))
    calendar_service.save_attendance(admin, session, eligible, set(attendees))
    db.session.commit()
    return session.id


@pytest.fixture
def world(app, make, course, data):  # noqa: F811
    """The report fixture (oblasts KZ-A and KG-A) plus a second oblast of KZ, KZ-B, with a learner assigned
    one by one, who passes; sessions with attendance in KZ-A and KZ-B; a1's certificate revoked."""
    tree, users = data
    tree["KZ-B"] = make.unit("KZ-B", tree["KZ"], names={"en": "Bee oblast", "ru": "Область Б", "kk": ""})
    tree["KZ-B-1"] = make.unit("KZ-B-1", tree["KZ-B"])
    tree["KZ-B-1-1"] = make.unit("KZ-B-1-1", tree["KZ-B-1"])
    users["b1"] = make.user("b1", unit=tree["KZ-B-1-1"], full_name="Bolat Bee")
    users["tb"] = make.user("tb", Role.TRAINER, tree["KZ-B"], full_name="Trainer Bee")
    make.assign(course, user=users["b1"], due_date=date.today() + timedelta(days=10))
    take(app, "b1", right=True)
    with app.app_context():
        sessions = {
            "KZ-A": _session(users["admin"], course, tree["KZ-A-1-1"], [users["a1"], users["a2"]], date(2026, 3, 2)),
            "KZ-B": _session(users["admin"], course, tree["KZ-B-1"], [users["b1"]], date(2026, 4, 6)),
        }
        from lms.learn import certificate_records
        cert = db.session.scalar(sa.select(Certificate).where(Certificate.user_id == users["a1"]))
        certificate_records.revoke(cert, db.session.get(User, users["admin"]), "wrong person")
        db.session.commit()
    return tree, users, sessions


def _all(api, url: str, headers: dict, path: str) -> list[dict]:
    """Every item of a list, following `next` links, each page checked against the spec."""
    items, seen = [], 0
    while url:
        body = check(api.get(url, headers=headers), path)
        items += body["items"]
        url, seen = body["next"], seen + 1
        assert seen < 100
    return items


def _learner_token(app, learner_id: int) -> dict[str, str]:
    with app.app_context():  # learners cannot make a token themselves
        db.session.add(ApiToken(user_id=learner_id, name="x", token_hash=token_hash("lms_learner"),
                                prefix="lms_learne"))
        db.session.commit()
    return {"Authorization": "Bearer lms_learner"}


def test_every_endpoint_refuses_no_token_and_a_learners_token(app, world):
    _, users, _ = world
    api = app.test_client()
    learner = _learner_token(app, users["a1"])
    monitor = token_for(app, "monitor")
    for path in ENDPOINTS:
        query = "?module=sample-module" if path.endswith("knowledge") else ""
        assert check(api.get(path + query), path, 401)["message"]
        assert api.get(path + query).headers["WWW-Authenticate"] == "Bearer"
        check(api.get(path + query, headers={"Authorization": "Bearer lms_nothing"}), path, 401)
        check(api.get(path + query, headers=learner), path, 403)
        check(api.get(path + query, headers=monitor), path, 200)
        # the token comes first: a bad parameter without a token is still a 401
        check(api.get(path + "?unit=", headers={}), path, 401)


def test_a_trainers_unit_outside_the_oblast_is_not_found(app, world):
    trainer = token_for(app, "trainer")
    api = app.test_client()
    for path in ENDPOINTS:
        extra = "&module=sample-module" if path.endswith("knowledge") else ""
        for code in ("KG-A", "KZ-B", "KZ-B-1-1", "KZ", "NOWHERE"):
            body = check(api.get(f"{path}?unit={code}{extra}", headers=trainer), path, 404)
            assert body["parameter"] == "unit" and code in body["message"]
        check(api.get(f"{path}?unit=KZ-A-1{extra}", headers=trainer), path, 200)


def _rows_by_list(api, headers) -> dict[str, list[dict]]:
    return {path: _all(api, path + "?role=all" if path.endswith("progress") else path, headers, path)
            for path in LISTS}


def test_a_trainer_never_sees_rows_of_another_oblast(app, world):
    _, users, sessions = world
    api = app.test_client()
    mine = _rows_by_list(api, token_for(app, "trainer"))
    everything = _rows_by_list(api, token_for(app, "monitor"))
    b1, k1 = partner_id(app, users["b1"]), partner_id(app, users["k1"])
    # the monitor sees both countries and both oblasts of KZ: the lists below are not empty by chance
    assert {u["code"] for u in everything["/api/v1/units"]} >= {"KZ-A-1-1", "KZ-B-1-1", "KG-A-1-1"}
    assert {r["unit"] for r in everything["/api/v1/progress"]} >= {"KZ-A-1-1", "KZ-B-1-1", "KG-A-1-1"}
    assert {r["unit"] for r in everything["/api/v1/assignments"]} == {"KZ-A", "KG-A", "KZ-B-1-1"}
    assert {r["unit"] for r in everything["/api/v1/sessions"]} == {"KZ-A-1-1", "KZ-B-1"}
    assert {r["session"] for r in everything["/api/v1/attendance"]} == set(sessions.values())
    assert {r["unit"] for r in everything["/api/v1/certificates"]} == {"KZ-A-1-1", "KZ-B-1-1", "KG-A-1-1"}
    # the trainer of KZ-A: only KZ-A and below, in every list
    assert {u["code"] for u in mine["/api/v1/units"]} == {"KZ-A", "KZ-A-1", "KZ-A-1-1", "KZ-A-1-2"}
    for path in ("/api/v1/progress", "/api/v1/assignments", "/api/v1/sessions", "/api/v1/certificates"):
        assert mine[path] and all(r["unit"].startswith("KZ-A") for r in mine[path]), path
    assert {r["session"] for r in mine["/api/v1/attendance"]} == {sessions["KZ-A"]}
    people = {r["learner"]["id"] for path in LISTS[1:] for r in mine[path] if r.get("learner")}
    assert people and not people & {b1, k1}
    assert "Bolat" not in str(mine) and "Kanat" not in str(mine)


def partner_id(app, user_id: int) -> str:
    with app.test_request_context():
        return partner.pseudonym(user_id)


def test_names_only_where_the_owner_may_see_them(app, world):
    _, users, _ = world
    api = app.test_client()
    a1 = partner_id(app, users["a1"])
    path = "/api/v1/progress"

    def names(headers) -> dict[str, str | None]:
        rows = _all(api, f"{path}?unit=KZ-A-1-1", headers, path)
        rows += _all(api, "/api/v1/certificates?unit=KZ-A-1-1", headers, "/api/v1/certificates")
        rows += _all(api, "/api/v1/attendance?unit=KZ-A", headers, "/api/v1/attendance")
        return {r["learner"]["id"]: r["learner"]["name"] for r in rows}

    monitor = token_for(app, "monitor")
    assert set(names(monitor).values()) == {None}  # a monitor sees pseudonyms only ...
    assert "Aida One" not in api.get(f"{path}?unit=KZ-A-1-1", headers=monitor).get_data(as_text=True)
    with app.app_context():
        db.session.get(User, users["monitor"]).can_see_names = True  # ... unless an admin allows names
        db.session.commit()
    assert names(monitor)[a1] == "Aida One"
    assert names(token_for(app, "trainer"))[a1] == "Aida One"
    assert names(token_for(app, "admin"))[a1] == "Aida One"
    assert a1 in names(token_for(app, "trainer"))  # the same pseudonymous id for every caller
    assert re.fullmatch(r"[0-9]+", a1) and len(set(names(monitor))) == 2  # a1, a2: one id each
    # a person who moved out of the trainer's oblast is no longer named in the trainer's session list
    with app.app_context():
        db.session.get(User, users["a2"]).unit_id = world[0]["KG-A-1-1"]
        events.learners_changed.send(user_ids=[users["a2"]])  # as the app's account writes do
        db.session.commit()
    attendance = _all(api, "/api/v1/attendance", token_for(app, "trainer"), "/api/v1/attendance")
    by_id = {r["learner"]["id"]: r["learner"]["name"] for r in attendance}
    assert by_id[partner_id(app, users["a2"])] is None and by_id[a1] == "Aida One"


def test_units_tree_with_names_per_language(app, world):
    api = app.test_client()
    units = _all(api, "/api/v1/units", token_for(app, "admin"), "/api/v1/units")
    by_code = {u["code"]: u for u in units}
    assert by_code["KZ"]["parent"] is None and by_code["KZ-B"]["parent"] == "KZ"
    assert by_code["KZ-B"]["names"] == {"en": "Bee oblast", "ru": "Область Б"}  # an empty name is left out
    assert by_code["KZ-B-1-1"]["level"] == 3 and by_code["KZ-B-1-1"]["closed"] is False
    order = [u["code"] for u in units]
    for u in units:  # parents come first
        if u["parent"]:
            assert order.index(u["parent"]) < order.index(u["code"])
    precincts = _all(api, "/api/v1/units?level=3&unit=KZ", token_for(app, "admin"), "/api/v1/units")
    assert {u["code"] for u in precincts} == {"KZ-A-1-1", "KZ-A-1-2", "KZ-B-1-1"}


def test_paging_follows_next_to_the_end_without_repeats(app, world):
    headers = token_for(app, "monitor")
    api = app.test_client()
    for path in LISTS:
        whole = check(api.get(f"{path}?limit=500&role=all", headers=headers), path)
        assert whole["next"] is None and whole["limit"] == 500
        paged = _all(api, f"{path}?limit=1&role=all", headers, path)
        assert paged == whole["items"] and len(paged) >= 2, path
    first = check(api.get("/api/v1/units?limit=2&level=3", headers=headers), "/api/v1/units")
    assert first["next"].startswith("/api/v1/units?level=3&after=3.") and first["next"].endswith("&limit=2")
    for path, cursor in (("/api/v1/units", "7"), ("/api/v1/units", "1.2.3"), ("/api/v1/certificates", "1.2"),
                         ("/api/v1/assignments", "x"), ("/api/v1/sessions", "-1")):
        assert check(api.get(f"{path}?after={cursor}", headers=headers), path, 400)["parameter"] == "after"
    for path, cursor in (("/api/v1/units", "9999999999.9999999999"), ("/api/v1/certificates", "4451995275")):
        assert check(api.get(f"{path}?after={cursor}", headers=headers), path)["items"] == []  # past every row
    for limit in ("0", "501", "ten", "1.5", ""):
        assert check(api.get(f"/api/v1/units?limit={limit}", headers=headers), "/api/v1/units", 400)[
            "parameter"] == "limit"


def test_progress_rows_and_filters(app, world):
    _, users, _ = world
    headers = token_for(app, "admin")
    api = app.test_client()
    path = "/api/v1/progress"
    rows = {(r["learner"]["name"], r["module"]): r for r in _all(api, path, headers, path)}
    a1, a2, a3 = (rows[(n, "sample-module")] for n in ("Aida One", "Asel Two", "Arman Three"))
    assert a1["status"] == "completed" and a1["best_score"] == 100.0 and a1["attempts"] == 1 and a1["passed"]
    assert a1["completed_at"].endswith("Z") and a1["started_at"] <= a1["completed_at"]
    assert a2["status"] in ("overdue", "failed") and a2["best_score"] < 100 and a2["completed_at"] is None
    assert a3["status"] == "overdue" and a3["started_at"] is None and a3["attempts"] == 0  # due yesterday
    assert a3["due_date"] == (date.today() - timedelta(days=1)).isoformat()
    b1 = rows[("Bolat Bee", "sample-module")]
    assert b1["unit"] == "KZ-B-1-1" and b1["due_date"] == (date.today() + timedelta(days=10)).isoformat()
    overdue = _all(api, f"{path}?status=overdue", headers, path)
    assert {r["learner"]["name"] for r in overdue} >= {"Arman Three"} and "Bolat Bee" not in str(overdue)
    assert {r["status"] for r in _all(api, f"{path}?status=completed", headers, path)} == {"completed"}
    assert {r["unit"] for r in _all(api, f"{path}?unit=KZ-B", headers, path)} == {"KZ-B-1-1"}
    trainers = _all(api, f"{path}?role=trainer", headers, path)  # the KZ-A trainer is reached by the KZ-A assignment
    assert [(r["role"], r["unit"]) for r in trainers] == [("trainer", "KZ-A")]
    assert {r["role"] for r in _all(api, f"{path}?role=all", headers, path)} == {"learner", "trainer"}
    assert len(_all(api, f"{path}?module=sample-module", headers, path)) == len(rows)
    assert check(api.get(f"{path}?status=late", headers=headers), path, 400)["parameter"] == "status"
    assert check(api.get(f"{path}?module=nope", headers=headers), path, 404)["parameter"] == "module"


def test_assignments_sessions_attendance_and_certificates(app, world):
    _, users, sessions = world
    headers = token_for(app, "admin")
    api = app.test_client()
    assignments = _all(api, "/api/v1/assignments", headers, "/api/v1/assignments")
    to_b1 = next(a for a in assignments if a["target"] == "learner")
    assert to_b1["learner"]["name"] == "Bolat Bee" and to_b1["unit"] == "KZ-B-1-1" and not to_b1["withdrawn"]
    assert {a["learner"] is None for a in assignments if a["target"] == "unit"} == {True}
    assert _all(api, "/api/v1/assignments?withdrawn=true", headers, "/api/v1/assignments") == []
    assert len(_all(api, "/api/v1/assignments?withdrawn=false", headers, "/api/v1/assignments")) == 3
    assert check(api.get("/api/v1/assignments?withdrawn=yes", headers=headers), "/api/v1/assignments", 400)

    listed = {s["id"]: s for s in _all(api, "/api/v1/sessions", headers, "/api/v1/sessions")}
    assert listed[sessions["KZ-A"]]["attended"] == 2 and listed[sessions["KZ-B"]]["held_on"] == "2026-04-06"
    april = _all(api, "/api/v1/sessions?from=2026-04-01&to=2026-04-30", headers, "/api/v1/sessions")
    assert [s["id"] for s in april] == [sessions["KZ-B"]]
    assert _all(api, "/api/v1/sessions?from=2026-05-01&to=2026-04-01", headers, "/api/v1/sessions") == []
    one = _all(api, f"/api/v1/attendance?session={sessions['KZ-B']}", headers, "/api/v1/attendance")
    assert [r["learner"]["name"] for r in one] == ["Bolat Bee"]
    assert check(api.get("/api/v1/attendance?session=0", headers=headers), "/api/v1/attendance", 400)

    certificates = _all(api, "/api/v1/certificates", headers, "/api/v1/certificates")
    by_name = {c["learner"]["name"]: c for c in certificates}
    assert by_name["Aida One"]["status"] == "revoked" and by_name["Aida One"]["revoked_at"].endswith("Z")
    assert by_name["Bolat Bee"]["status"] == "valid" and by_name["Bolat Bee"]["module"] == "sample-module"
    with app.app_context():
        code = db.session.scalar(sa.select(Certificate.code).where(Certificate.user_id == users["b1"]))
    assert by_name["Bolat Bee"]["code"].replace("-", "") == code
    valid = _all(api, "/api/v1/certificates?status=valid", headers, "/api/v1/certificates")
    assert {c["learner"]["name"] for c in valid} == {"Bolat Bee", "Kanat One"}
    assert _all(api, "/api/v1/certificates?since=2999-01-01", headers, "/api/v1/certificates") == []
    assert len(_all(api, f"/api/v1/certificates?since={date.today()}", headers, "/api/v1/certificates")) == 3


@pytest.mark.parametrize("query, parameter", [
    ("to=", "to"), ("from=", "from"), ("role=", "role"), ("lang=", "lang"), ("unit=", "unit"),
    ("module=", "module"), ("to=2026-01-01&to=2026-02-01", "to"), ("unit=KZ&unit=KG", "unit"),
    ("from=20260101", "from"), ("from=2026-W01-1", "from"), ("role=Learner", "role"), ("role=%20all", "role"),
])
def test_empty_repeated_or_malformed_parameters_are_400(app, world, query, parameter):
    path = "/api/v1/reports/completion"
    body = check(app.test_client().get(f"{path}?{query}", headers=token_for(app, "monitor")), path, 400)
    assert body["parameter"] == parameter


def test_extreme_dates_are_answered(app, world):
    headers = token_for(app, "monitor")
    api = app.test_client()
    path = "/api/v1/reports/completion"
    assert len(check(api.get(f"{path}?to=9999-12-31", headers=headers), path)["trend"]) == 13
    assert check(api.get(f"{path}?to=0001-01-02", headers=headers), path)["trend"] == [
        {"week": "0001-01-01", "completions": 0}]
    assert check(api.get(f"{path}?from=9999-12-31&to=9999-12-31", headers=headers), path)["trend"] == [
        {"week": "9999-12-27", "completions": 0}]
    check(api.get("/api/v1/sessions?from=0001-01-01&to=9999-12-31", headers=headers), "/api/v1/sessions")
    whole = check(api.get(f"{path}?from=0001-01-01&to=9999-12-31", headers=headers), path)["trend"]
    assert len(whole) == 5300 and (whole[0]["week"], whole[-1]["week"]) == ("9898-06-06", "9999-12-27")  # the last
    assert check(api.get(f"{path}?from=1950-01-02", headers=headers), path)["trend"][0]["week"] == "1950-01-02"


def test_a_wrong_method_is_a_json_405_with_allow(app, world):
    headers = token_for(app, "monitor")
    api = app.test_client()
    for path in ENDPOINTS + ["/api/v1/openapi.yaml"]:
        for method in ("post", "put", "delete", "patch"):
            response = getattr(api, method)(path, headers=headers)
            assert response.status_code == 405 and response.mimetype == "application/json"
            assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
            assert response.get_json() == {"error": 405, "message": response.get_json()["message"]}
    page = api.post("/verify")  # a page for people: HTML, with the Allow header too
    assert page.status_code == 405 and page.mimetype == "text/html" and "GET" in page.headers["Allow"]


def test_the_spec_documents_every_list_the_same_way():
    for path in LISTS:
        operation = SPEC["paths"][path]["get"]
        names = {p["$ref"].rsplit("/", 1)[1] if "$ref" in p else p["name"] for p in operation["parameters"]}
        assert {"unit", "limit"} <= names and names & {"after", "afterPair"}, path
        assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
        page = response_validator(path, 200)
        page.validate({"items": [], "limit": 1, "next": None})
        with pytest.raises(Exception):  # noqa: B017  (jsonschema.ValidationError)
            page.validate({"items": [], "limit": 1})
    assert yaml.safe_load(yaml.safe_dump(SPEC)) == SPEC
