"""Scoring rules of each question type (pure functions)."""
from lms.learn.grading import grade, longest_run

ORDER = {"steps": [{"id": s} for s in "abcde"]}
PROTOCOL = {
    "fields": [{"id": "received", "answer": 100}, {"id": "issued", "answer": 70},
               {"id": "spoiled", "answer": 5}, {"id": "unused", "answer": 25}],
    "checks": [{"equation": "received = issued + spoiled + unused"}],
}


def positions(seq):
    return {s: n for n, s in enumerate(seq, start=1)}


def test_order_full_credit_only_in_the_right_order():
    assert grade("order", ORDER, positions("abcde"), list("edcba")).credit == 1.0


def test_order_partial_credit_by_longest_run():
    assert longest_run(list("bcdea"), list("abcde")) == 4
    assert grade("order", ORDER, positions("bcdea"), list("abcde")).credit == 0.75
    assert grade("order", ORDER, positions("edcba"), list("abcde")).credit == 0.0


def test_order_unanswered_scores_nothing():
    assert grade("order", ORDER, None, list("abcde")).credit == 0.0


def test_protocol_names_the_broken_equation():
    right = {"received": 100, "issued": 70, "spoiled": 5, "unused": 25}
    assert grade("protocol", PROTOCOL, right, []).credit == 1.0
    wrong = dict(right, unused=30)
    outcome = grade("protocol", PROTOCOL, wrong, [])
    assert outcome.credit == 0.75 and outcome.broken_checks == [0] and outcome.wrong_fields == ["unused"]


def test_multiple_answer_wrong_ticks_cost_credit():
    data = {"options": [{"id": "a", "correct": True}, {"id": "b", "correct": True}, {"id": "c"}]}
    assert grade("multiple", data, ["a", "b"], []).credit == 1.0
    assert grade("multiple", data, ["a"], []).credit == 0.5
    assert grade("multiple", data, ["a", "c"], []).credit == 0.0
    assert grade("multiple", data, ["a", "b", "c"], []).credit == 0.5
