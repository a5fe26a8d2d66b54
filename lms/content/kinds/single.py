"""single: exactly one option is correct. 1 point or 0."""
from __future__ import annotations

import random
from typing import Any

from lms.content.kinds.base import At, Outcome
from lms.content.kinds.choice import ChoiceKind, correct_options


class Single(ChoiceKind):
    """One answer chosen with radio buttons."""

    name = "single"

    def validate(self, q: dict[str, Any], at: At) -> list:
        """Unique option ids and exactly one correct option."""
        out = super().validate(q, at)
        right = sum(1 for o in q["options"] if o.get("correct"))
        if right != 1:
            out.append(at(["options"], f"a single-answer question needs exactly one correct option, found {right}"))
        return out

    def parse(self, form: Any, key: str, layout: list[str]) -> Any:
        """The chosen option id, if it was offered."""
        value = form.get(key)
        return value if value in layout else None

    def grade(self, data: dict[str, Any], answer: Any, layout: list[str]) -> Outcome:
        """1 if the chosen option is the correct one, else 0."""
        return Outcome(1.0 if answer in correct_options(data) else 0.0)

    def sample_answer(self, data: dict[str, Any], layout: list[str], right: bool, rng: random.Random) -> Any:
        """The correct option, or a random wrong one."""
        good = sorted(correct_options(data))
        return good[0] if right else rng.choice([o for o in layout if o not in good])


KIND = Single()
