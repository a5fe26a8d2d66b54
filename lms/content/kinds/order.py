"""order: number the steps; credit (L - 1) / (N - 1) for the longest correctly ordered run of L steps out of N."""
from __future__ import annotations

import random
from typing import Any

from lms.content.kinds.base import Outcome, QuestionKind


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
    successor = dict(zip(correct, correct[1:]))
    best = run = 1
    for a, b in zip(sequence, sequence[1:]):
        run = run + 1 if successor.get(a) == b else 1
        best = max(best, run)
    return best


class Order(QuestionKind):
    """Steps listed in their correct order in the file, shown shuffled and numbered by the learner."""

    name = "order"
    parts = "steps"

    def layout(self, data: dict[str, Any], rng: random.Random) -> list[str]:
        """The steps shuffled, never already in their correct order."""
        ids = self.part_ids(data)
        correct = list(ids)
        while len(ids) > 1 and ids == correct:
            rng.shuffle(ids)
        return ids

    def parse(self, form: Any, key: str, layout: list[str]) -> Any:
        """{step id: position} for every step given a number from 1 to the number of steps."""
        positions = {}
        for step in layout:
            raw = form.get(f"{key}-{step}", "")
            if raw.isdigit() and 1 <= int(raw) <= len(layout):
                positions[step] = int(raw)
        return positions or None

    def incomplete(self, answer: Any, layout: list[str]) -> str | None:
        """'order_incomplete' when a step has no number or shares one."""
        if len(answer) < len(layout) or len(set(answer.values())) < len(layout):
            return "order_incomplete"
        return None

    def sequence(self, answer: Any, layout: list[str]) -> list[str]:
        """The step ids in the learner's order, for the check and result pages."""
        return order_from_positions(answer, layout)

    def grade(self, data: dict[str, Any], answer: Any, layout: list[str]) -> Outcome:
        """1 for the whole order right, else credit by the longest correctly ordered run."""
        correct = self.part_ids(data)
        sequence = order_from_positions(answer, layout)
        if sequence == correct:
            return Outcome(1.0)
        if len(sequence) != len(correct) or len(set((answer or {}).values())) != len(correct):
            # an incomplete numbering still earns credit for the run it gets right
            sequence = sequence[: len(correct)]
        run = longest_run(sequence, correct)
        return Outcome(max(0.0, (run - 1) / (len(correct) - 1)))

    def describe(self, data: dict[str, Any], answer: Any, layout: list[str]) -> dict[str, Any]:
        """The learner's order and the right one, as lists of steps."""
        steps = {s["id"]: s for s in data["steps"]}
        return {"learner_order": [steps[s] for s in order_from_positions(answer, layout)], "steps": data["steps"]}

    def sample_answer(self, data: dict[str, Any], layout: list[str], right: bool, rng: random.Random) -> Any:
        """The right numbering, or one with the first two steps swapped."""
        steps = self.part_ids(data)
        if not right:
            steps[0], steps[1] = steps[1], steps[0]
        return {s: n for n, s in enumerate(steps, start=1)}


KIND = Order()
