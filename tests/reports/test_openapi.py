"""The OpenAPI description (lms/static/openapi.yaml) is served and matches what the API really returns."""
import copy
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from lms.auth.models import ApiToken, token_hash
from lms.extensions import db
from tests.reports.test_reports import data, login  # noqa: F401  (`data` is a fixture)

SPEC_PATH = Path(__file__).parents[2] / "lms" / "static" / "openapi.yaml"
SPEC_URI = "urn:lms:openapi"
SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012))


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def validator(pointer: str) -> jsonschema.Draft202012Validator:
    """A validator for the schema at `pointer` in the spec; `#/components/...` refs resolve in the whole document."""
    return jsonschema.Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=REGISTRY,
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def response_validator(path: str, status: int) -> jsonschema.Draft202012Validator:
    """The validator for the JSON body the spec documents for GET `path` answering `status`."""
    response = SPEC["paths"][path]["get"]["responses"][str(status)]
    if "$ref" in response:
        pointer = response["$ref"].removeprefix("#")
    else:
        pointer = f"/paths/{_escape(path)}/get/responses/{status}"
    return validator(pointer + "/content/application~1json/schema")


def check(response, path: str, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    response_validator(path, status).validate(body)
    return body


def token_for(app, username: str) -> dict[str, str]:
    page = login(app, username).post("/account/tokens", {"name": "openapi"}).get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    return {"Authorization": f"Bearer {token}"}


COMPLETION, KNOWLEDGE = "/api/v1/reports/completion", "/api/v1/reports/knowledge"


def test_spec_is_served_and_describes_every_api_route(app):
    response = app.test_client().get("/api/v1/openapi.yaml")  # no token
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert yaml.safe_load(response.get_data(as_text=True)) == SPEC
    assert SPEC["openapi"] == "3.1.0" and SPEC["info"]["version"] == "1"
    for schema in SPEC["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    api_rules = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert api_rules == set(SPEC["paths"])


def test_completion_bodies_match_the_spec(app, data):  # noqa: F811
    headers = token_for(app, "monitor")
    api = app.test_client()
    whole = check(api.get(COMPLETION, headers=headers), COMPLETION)
    assert whole["unit"] is None and whole["total"]["unit"] is None and whole["role"] == "learner"
    assert [r["unit"]["code"] for r in whole["rows"]] == ["KG", "KZ"]
    # every level of the drill-down: country, oblast, district, precinct (no rows below a precinct)
    for code, children in (("KZ", ["KZ-A"]), ("KZ-A", ["KZ-A-1"]), ("KZ-A-1", ["KZ-A-1-1", "KZ-A-1-2"]),
                           ("KZ-A-1-1", [])):
        body = check(api.get(f"{COMPLETION}?unit={code}", headers=headers), COMPLETION)
        assert body["unit"] == code and body["total"]["unit"]["code"] == code
        assert [r["unit"]["code"] for r in body["rows"]] == children
    # the API gives figures, never people, even at precinct level to an admin (who sees names in the HTML report)
    precinct = api.get(f"{COMPLETION}?unit=KZ-A-1-1", headers=token_for(app, "admin")).get_data(as_text=True)
    assert "Aida One" not in precinct
    # with every optional parameter
    body = check(api.get(f"{COMPLETION}?unit=KZ&module=sample-module&from=2020-01-01&to=2099-12-31&role=all&lang=ru",
                         headers=headers), COMPLETION)
    assert (body["module"], body["role"], body["date_from"], body["date_to"]) == \
        ("sample-module", "all", "2020-01-01", "2099-12-31")
    trainers = check(api.get(f"{COMPLETION}?unit=KZ-A-1&role=trainer&to=2026-03-04", headers=headers), COMPLETION)
    assert trainers["date_from"] is None and len(trainers["trend"]) == 13
    # both null and non-null figures occur in what was validated
    row = check(api.get(f"{COMPLETION}?unit=KZ-A-1", headers=headers), COMPLETION)["rows"][1]
    assert row["completion_rate"] == 0.0 and row["average_best_score"] is None


def test_knowledge_bodies_match_the_spec(app, data):  # noqa: F811
    headers = token_for(app, "monitor")
    api = app.test_client()
    body = check(api.get(f"{KNOWLEDGE}?module=sample-module", headers=headers), KNOWLEDGE)
    assert body["unit"] is None and body["questions"] and body["topics"] and body["oblasts"]
    assert any(q["wrong_options"] for q in body["questions"])
    assert {o["code"] for o in body["oblasts"]} == {"KZ-A", "KG-A"}
    assert any(o["average_first_score"].get("sample-module") is not None for o in body["oblasts"])
    for query in ("module=sample-module&unit=KZ-A-1-1&lang=ru", "module=sample-module&unit=KG"):
        body = check(api.get(f"{KNOWLEDGE}?{query}", headers=headers), KNOWLEDGE)
        assert body["module"] == "sample-module" and body["unit"] in ("KZ-A-1-1", "KG")
    assert any(re.search("[а-я]", q["prompt"]) for q in
               check(api.get(f"{KNOWLEDGE}?module=sample-module&lang=ru", headers=headers), KNOWLEDGE)["questions"])


def test_error_bodies_match_the_spec(app, data):  # noqa: F811
    headers = token_for(app, "monitor")
    api = app.test_client()
    check(api.get(COMPLETION), COMPLETION, 401)
    check(api.get(KNOWLEDGE, headers={"Authorization": "Bearer lms_not-a-token"}), KNOWLEDGE, 401)
    check(api.get(COMPLETION, headers={"Authorization": "Basic x"}), COMPLETION, 401)
    with app.app_context():  # a learner's token (learners cannot make one themselves) is refused
        db.session.add(
            ApiToken(user_id=data[1]["a1"], name="x", token_hash=token_hash("lms_learner"), prefix="lms_learne")
        )
        db.session.commit()
    check(api.get(COMPLETION, headers={"Authorization": "Bearer lms_learner"}), COMPLETION, 403)
    lower = {"Authorization": headers["Authorization"].replace("Bearer", "bearer")}
    check(api.get(COMPLETION, headers=lower), COMPLETION)  # the scheme name is case-insensitive
    for query, parameter in (("from=2026-13-01", "from"), ("from=2026-03-02&to=2026-03-01", "from"),
                             ("role=admin", "role"), ("lang=xx", "lang")):
        assert check(api.get(f"{COMPLETION}?{query}", headers=headers), COMPLETION, 400)["parameter"] == parameter
    assert check(api.get(KNOWLEDGE, headers=headers), KNOWLEDGE, 400)["parameter"] == "module"
    assert check(api.get(f"{COMPLETION}?unit=NOWHERE", headers=headers), COMPLETION, 404)["parameter"] == "unit"
    check(api.get(f"{COMPLETION}?module=no-such-module", headers=headers), COMPLETION, 404)
    check(api.get(f"{KNOWLEDGE}?module=no-such-module", headers=headers), KNOWLEDGE, 404)
    trainer = token_for(app, "trainer")
    check(api.get(f"{KNOWLEDGE}?module=sample-module&unit=KG-A", headers=trainer), KNOWLEDGE, 404)
    # the documented status code is part of the contract
    with pytest.raises(jsonschema.ValidationError):
        response_validator(COMPLETION, 404).validate({"error": 400, "message": "x"})


VALID_ROW = {"unit": {"code": "KZ", "name": "Kazakhstan", "level": 0, "closed": False}, "learners": 3, "assigned": 3,
             "started": 2, "completed": 1, "completion_rate": 33.3, "overdue": 2, "average_best_score": 50.0,
             "first_attempt_pass_rate": 50.0, "median_days_to_complete": 0.0}
VALID_REPORT = {"unit": None, "module": None, "role": "learner", "date_from": None, "date_to": None,
                "rows": [VALID_ROW], "total": dict(VALID_ROW, unit=None),
                "trend": [{"week": "2026-03-02", "completions": 1}]}


@pytest.mark.parametrize("change", [
    lambda r: r.update(extra=1),                                         # unknown top-level key
    lambda r: r["rows"][0].update(names=["Aida One"]),                   # unknown key in a row
    lambda r: r["rows"][0]["unit"].update(id=7),                         # unknown key in a nested object
    lambda r: r["rows"][0].update(learners="3"),                         # wrong type
    lambda r: r["rows"][0].update(unit=None),                            # a row always has a unit
    lambda r: r["total"].pop("overdue"),                                 # missing required key
    lambda r: r.update(role="admin"),                                    # outside the enum
    lambda r: r["trend"][0].update(week="2026-13-01"),                   # not a date
], ids=["extra-key", "extra-row-key", "extra-unit-key", "wrong-type", "null-row-unit", "missing-key", "bad-role",
        "bad-date"])
def test_validation_rejects_drift(change):
    schema = response_validator(COMPLETION, 200)
    schema.validate(VALID_REPORT)
    body = copy.deepcopy(VALID_REPORT)
    change(body)
    with pytest.raises(jsonschema.ValidationError):
        schema.validate(body)
