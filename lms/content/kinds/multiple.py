"""multiple: at least one option correct and one wrong; (right ticked - wrong ticked) / right, never below 0."""
from __future__ import annotations

import random
from typing import Any

from lms.content.kinds.base import At, Outcome
from lms.content.kinds.choice import ChoiceKind, correct_options


class Multiple(ChoiceKind):
    """Every right answer ticked with checkboxes."""

    name = "multiple"

    def validate(self, q: dict[str, Any], at: At) -> list:
        """Unique option ids, at least one correct and one wrong option."""
        out = super().validate(q, at)
        right = sum(1 for o in q["options"] if o.get("correct"))
        if not (1 <= right < len(q["options"])):
            out.append(at(["options"], "a multiple-answer question needs at least one correct and one wrong option"))
        return out

    def parse(self, form: Any, key: str, layout: list[str]) -> Any:
        """The sorted ids of the ticked options that were offered."""
        chosen = [v for v in form.getlist(key) if v in layout]
        return sorted(set(chosen)) or None

    def grade(self, data: dict[str, Any], answer: Any, layout: list[str]) -> Outcome:
        """Partial credit: right ticks minus wrong ticks over the right options, at least 0."""
        right = correct_options(data)
        chosen = set(answer or [])
        return Outcome(max(0.0, (len(chosen & right) - len(chosen - right)) / len(right)))

    def sample_answer(self, data: dict[str, Any], layout: list[str], right: bool, rng: random.Random) -> Any:
        """Every correct option, or all but one of them plus a wrong one."""
        good = sorted(correct_options(data))
        return good if right else good[:-1] + [o for o in layout if o not in good][:1]


KIND = Multiple()
