"""The statement rules of xAPI 1.0.3 (part 2, section 2) that a test can check, as plain assertions."""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")  # RFC 5646, the common forms
STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority",
                  "version", "attachments"}


def iri(value) -> None:
    assert isinstance(value, str) and value and not re.search(r"\s", value), value
    parts = urlsplit(value)
    assert parts.scheme in ("http", "https") and parts.netloc, value


def timestamp(value) -> None:
    assert isinstance(value, str), value
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", value), value
    assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def language_map(value) -> None:
    assert isinstance(value, dict) and value
    for tag, text in value.items():
        assert LANGUAGE.match(tag), tag
        assert isinstance(text, str) and text


def agent(value) -> None:
    assert value.get("objectType", "Agent") == "Agent"
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in value]
    assert ifis == ["account"], value  # exactly one identifier, and never an e-mail address here
    account = value["account"]
    assert set(account) == {"homePage", "name"}
    iri(account["homePage"])
    assert isinstance(account["name"], str) and account["name"]


def activity(value) -> None:
    assert value.get("objectType", "Activity") == "Activity"
    iri(value["id"])
    definition = value.get("definition", {})
    if "type" in definition:
        iri(definition["type"])
    for key in ("name", "description"):
        if key in definition:
            language_map(definition[key])


def score(value) -> None:
    assert set(value) <= {"scaled", "raw", "min", "max"}
    if "scaled" in value:
        assert -1 <= value["scaled"] <= 1
    if "min" in value and "max" in value:
        assert value["min"] < value["max"]
    if "raw" in value:
        assert value.get("min", value["raw"]) <= value["raw"] <= value.get("max", value["raw"])


def statement(value: dict) -> None:
    """Assert that `value` is a valid xAPI 1.0.3 statement (as an LRS returns it)."""
    assert set(value) <= STATEMENT_KEYS, set(value) - STATEMENT_KEYS
    assert UUID.match(value["id"]), value["id"]
    agent(value["actor"])
    iri(value["verb"]["id"])
    language_map(value["verb"]["display"])
    obj = value["object"]
    if obj.get("objectType") == "StatementRef":
        assert set(obj) == {"objectType", "id"} and UUID.match(obj["id"])
    else:
        activity(obj)
    if value["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided":
        assert obj.get("objectType") == "StatementRef"
    timestamp(value["timestamp"])
    if "stored" in value:
        timestamp(value["stored"])
    if "authority" in value:
        agent(value["authority"])
    assert value.get("version", "1.0.0").startswith("1.0.")
    result = value.get("result")
    if result is not None:
        assert set(result) <= {"score", "success", "completion", "response", "duration", "extensions"}
        if "score" in result:
            score(result["score"])
        for flag in ("success", "completion"):
            assert isinstance(result.get(flag, True), bool)
        if "duration" in result:
            assert DURATION.match(result["duration"]), result["duration"]
    context = value.get("context")
    if context is not None:
        assert set(context) <= {"registration", "instructor", "team", "contextActivities", "revision", "platform",
                                "language", "statement", "extensions"}
        if "registration" in context:
            assert UUID.match(context["registration"])
        if "language" in context:
            assert LANGUAGE.match(context["language"])
        for kind, items in context.get("contextActivities", {}).items():
            assert kind in ("parent", "grouping", "category", "other") and isinstance(items, list)
            for item in items:
                activity(item)
        for key in context.get("extensions", {}):
            iri(key)
