"""Grading of one answer. Pure functions: a question's data and an answer in, credit out.

Answers as stored: single -> option id; multiple -> list of option ids;
order -> {step id: position}; protocol -> {field id: integer}.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lms.content.format import parse_equation


@dataclass
class Outcome:
    credit: float  # 0..1
    broken_checks: list[int] = field(default_factory=list)  # protocol: indexes of equations the answer breaks
    wrong_fields: list[str] = field(default_factory=list)


def correct_options(data: dict[str, Any]) -> set[str]:
    """The ids of the options marked correct."""
    return {o["id"] for o in data.get("options", []) if o.get("correct")}


def order_from_positions(positions: dict[str, int] | None, layout: list[str]) -> list[str]:
    """The learner's sequence of step ids, from the numbers they gave (ties keep the shown order)."""
    if not positions:
        return []
    numbered = [(positions[s], i, s) for i, s in enumerate(layout) if isinstance(positions.get(s), int)]
    return [s for _, _, s in sorted(numbered)]


def longest_run(sequence: list[str], correct: list[str]) -> int:
    """Length of the longest stretch of `sequence` in which each step is followed by its true successor."""
    if not sequence:
        return 0
    successor = {a: b for a, b in zip(correct, correct[1:])}
    best = run = 1
    for a, b in zip(sequence, sequence[1:]):
        run = run + 1 if successor.get(a) == b else 1
        best = max(best, run)
    return best


def grade(kind: str, data: dict[str, Any], answer: Any, layout: list[str]) -> Outcome:
    """Grade `answer` to a question of `kind` shown in `layout`: credit, broken checks, wrong fields."""
    if kind == "single":
        return Outcome(1.0 if answer in correct_options(data) else 0.0)
    if kind == "multiple":
        right = correct_options(data)
        chosen = set(answer or [])
        return Outcome(max(0.0, (len(chosen & right) - len(chosen - right)) / len(right)))
    if kind == "order":
        correct = [s["id"] for s in data["steps"]]
        sequence = order_from_positions(answer, layout)
        if sequence == correct:
            return Outcome(1.0)
        if len(sequence) != len(correct) or len(set((answer or {}).values())) != len(correct):
            # an incomplete numbering still earns credit for the run it gets right
            sequence = sequence[: len(correct)]
        run = longest_run(sequence, correct)
        return Outcome(max(0.0, (run - 1) / (len(correct) - 1)))
    if kind == "protocol":
        figures = answer or {}
        wrong = [f["id"] for f in data["fields"] if figures.get(f["id"]) != f["answer"]]
        broken = []
        for n, check in enumerate(data["checks"]):
            left, right = parse_equation(check["equation"])
            terms = left + right
            if any(not isinstance(figures.get(t), int) for t in terms):
                broken.append(n)
            elif sum(figures[t] for t in left) != sum(figures[t] for t in right):
                broken.append(n)
        return Outcome((len(data["fields"]) - len(wrong)) / len(data["fields"]), broken, wrong)
    raise ValueError(f"unknown question type {kind!r}")
