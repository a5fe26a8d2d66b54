"""The question kinds registry: each kind grades as courses/README.md documents, and course files
with a type the registry does not know fail `courses check` with file:line: message."""
import json
import random
import re
import shutil

import pytest
from werkzeug.datastructures import MultiDict

from lms.content import kinds
from lms.content.format import SCHEMA_DIR
from tests.conftest import FIXTURES

OPTIONS = {"options": [{"id": "a", "correct": True}, {"id": "b", "correct": True}, {"id": "c"}, {"id": "d"}]}
SINGLE = {"options": [{"id": "a"}, {"id": "b", "correct": True}, {"id": "c"}]}
ORDER = {"steps": [{"id": s} for s in "abcde"]}
PROTOCOL = {
    "fields": [{"id": "received", "answer": 100}, {"id": "issued", "answer": 70},
               {"id": "spoiled", "answer": 5}, {"id": "unused", "answer": 25}],
    "checks": [{"equation": "received = issued + spoiled + unused"}],
}
RIGHT_FIGURES = {"received": 100, "issued": 70, "spoiled": 5, "unused": 25}


def credit(name, data, answer, layout=()):
    """The credit the registry's kind `name` gives `answer`."""
    return kinds.get(name).grade(data, answer, list(layout)).credit


def positions(seq):
    """An order answer numbering the steps of `seq` 1, 2, 3..."""
    return {s: n for n, s in enumerate(seq, start=1)}


def test_the_registry_holds_the_four_kinds_named_in_the_schema():
    schema = json.loads((SCHEMA_DIR / "questions.schema.json").read_text(encoding="utf-8"))
    assert set(kinds.REGISTRY) == set(schema["$defs"]["question"]["properties"]["type"]["enum"])
    assert set(kinds.REGISTRY) == {"single", "multiple", "order", "protocol"}
    for name, kind in kinds.REGISTRY.items():
        assert kind.name == name and kinds.get(name) is kind
        assert kind.template == f"learn/kinds/{name}.html"


def test_an_unknown_type_is_a_value_error():
    with pytest.raises(ValueError, match="unknown question type 'essay'"):
        kinds.get("essay")


def test_every_kind_has_a_template_with_its_three_macros(app):
    for kind in kinds.REGISTRY.values():
        module = app.jinja_env.get_template(kind.template).module
        assert all(callable(getattr(module, m, None)) for m in ("question", "check", "result")), kind.name


def test_single_one_point_or_nothing():
    assert credit("single", SINGLE, "b") == 1.0
    assert credit("single", SINGLE, "a") == 0.0
    assert credit("single", SINGLE, None) == 0.0


def test_multiple_right_ticks_minus_wrong_ticks_over_right_options():
    assert credit("multiple", OPTIONS, ["a", "b"]) == 1.0
    assert credit("multiple", OPTIONS, ["a"]) == 0.5
    assert credit("multiple", OPTIONS, ["a", "b", "c"]) == 0.5
    assert credit("multiple", OPTIONS, ["a", "c"]) == 0.0
    assert credit("multiple", OPTIONS, ["c", "d"]) == 0.0  # never below 0
    assert credit("multiple", OPTIONS, None) == 0.0


def test_order_credit_by_the_longest_correctly_ordered_run():
    shown = list("edcba")
    assert credit("order", ORDER, positions("abcde"), shown) == 1.0
    assert credit("order", ORDER, positions("bcdea"), shown) == 0.75  # run b-c-d-e: (4 - 1) / (5 - 1)
    assert credit("order", ORDER, positions("abdce"), shown) == 0.25  # longest run a-b: (2 - 1) / (5 - 1)
    assert credit("order", ORDER, positions("edcba"), shown) == 0.0
    assert credit("order", ORDER, None, shown) == 0.0


def test_protocol_credit_is_the_share_of_figures_right_and_names_broken_equations():
    outcome = kinds.get("protocol").grade(PROTOCOL, RIGHT_FIGURES, [])
    assert outcome.credit == 1.0 and outcome.broken_checks == [] and outcome.wrong_fields == []
    outcome = kinds.get("protocol").grade(PROTOCOL, dict(RIGHT_FIGURES, unused=30), [])
    assert outcome.credit == 0.75 and outcome.broken_checks == [0] and outcome.wrong_fields == ["unused"]
    outcome = kinds.get("protocol").grade(PROTOCOL, None, [])
    assert outcome.credit == 0.0 and outcome.broken_checks == [0]


def test_parse_keeps_only_what_was_offered():
    form = MultiDict([("q1", "b"), ("q1", "zz"), ("q1-a", "2"), ("q1-b", "9"), ("q1-received", " 1 00"),
                      ("q1-issued", "x")])
    assert kinds.get("single").parse(form, "q1", ["a", "b"]) == "b"
    assert kinds.get("single").parse(form, "q1", ["a", "c"]) is None
    assert kinds.get("multiple").parse(form, "q1", ["a", "b"]) == ["b"]
    assert kinds.get("order").parse(form, "q1", ["a", "b", "c"]) == {"a": 2}
    assert kinds.get("protocol").parse(form, "q1", ["received", "issued"]) == {"received": 100}
    assert kinds.get("order").incomplete({"a": 1, "b": 1, "c": 2}, ["a", "b", "c"]) == "order_incomplete"
    assert kinds.get("protocol").incomplete({"received": 100}, ["received", "issued"]) == "protocol_incomplete"
    assert kinds.get("single").incomplete("b", ["a", "b"]) is None


def test_layout_shuffles_options_and_steps_but_not_protocol_fields():
    rng = random.Random(3)
    assert sorted(kinds.get("multiple").layout(OPTIONS, rng)) == list("abcd")
    for _ in range(20):
        assert kinds.get("order").layout(ORDER, rng) != list("abcde")
    assert kinds.get("protocol").layout(PROTOCOL, rng) == ["received", "issued", "spoiled", "unused"]


@pytest.mark.parametrize("name, data", [("single", SINGLE), ("multiple", OPTIONS), ("order", ORDER),
                                        ("protocol", PROTOCOL)])
def test_sample_answers_grade_right_and_wrong(name, data):
    kind = kinds.get(name)
    layout = kind.part_ids(data)
    assert kind.grade(data, kind.sample_answer(data, layout, True, random.Random(1)), layout).credit == 1.0
    assert kind.grade(data, kind.sample_answer(data, layout, False, random.Random(1)), layout).credit < 1.0


def _courses_with(tmp_path, old, new):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", root)
    qfile = root / "sample-module" / "questions.yaml"
    text = qfile.read_text()
    line = text[: text.index(old)].count("\n") + 1
    qfile.write_text(text.replace(old, new, 1))
    return root, line


def _problem_lines(output):
    return [ln for ln in output.splitlines() if re.match(r"^\S+questions\.yaml:\d+: ", ln)]


def test_courses_check_names_the_line_of_an_unknown_type(app, database, tmp_path):
    root, line = _courses_with(tmp_path, "type: order", "type: essay")
    result = app.test_cli_runner().invoke(args=["courses", "check", str(root)])
    assert result.exit_code != 0
    problems = _problem_lines(result.output)
    assert len(problems) == 1, result.output
    assert problems[0].split("sample-module/", 1)[1].startswith(f"questions.yaml:{line}: questions/2/type: 'essay'")


def test_courses_check_names_the_line_of_a_type_the_registry_lacks(app, database, tmp_path, monkeypatch):
    # a schema ahead of the code: the schema accepts the type, the registry has no kind for it
    monkeypatch.delitem(kinds.REGISTRY, "order")
    root, line = _courses_with(tmp_path, "type: order", "type: order")
    result = app.test_cli_runner().invoke(args=["courses", "check", str(root)])
    assert result.exit_code != 0
    assert f"sample-module/questions.yaml:{line}: unknown question type 'order'" in result.output
