"""protocol: fill in the figures of a count; credit is the share of figures right, broken equations are named."""
from __future__ import annotations

import random
import re
from typing import Any

from lms.content.kinds.base import At, Outcome, QuestionKind

_TERM = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_equation(equation: str) -> tuple[list[str], list[str]]:
    """Split 'a + b = c' into its two sides of field ids; ValueError when malformed."""
    sides = equation.split("=")
    if len(sides) != 2:
        raise ValueError("an equation needs exactly one '='")
    parsed = []
    for side in sides:
        terms = [t.strip() for t in side.split("+")]
        if not all(_TERM.match(t) for t in terms):
            raise ValueError("each side must be field ids joined by '+'")
        parsed.append(terms)
    return parsed[0], parsed[1]


class Protocol(QuestionKind):
    """Fields with their correct figures and control equations (`checks`) over them."""

    name = "protocol"
    parts = "fields"

    def validate(self, q: dict[str, Any], at: At) -> list:
        """Unique field ids; every equation well formed, over known fields, satisfied by the answers."""
        out = []
        answers = {f["id"]: f["answer"] for f in q["fields"]}
        if len(answers) != len(q["fields"]):
            out.append(at(["fields"], "field ids must be unique"))
        for n, check in enumerate(q["checks"]):
            try:
                left, right = parse_equation(check["equation"])
            except ValueError as exc:
                out.append(at(["checks", n, "equation"], str(exc)))
                continue
            unknown = [t for t in left + right if t not in answers]
            if unknown:
                out.append(at(["checks", n, "equation"], f"unknown field(s): {', '.join(unknown)}"))
            elif sum(answers[t] for t in left) != sum(answers[t] for t in right):
                out.append(at(["checks", n, "equation"], "the correct answers do not satisfy this equation"))
        return out

    def layout(self, data: dict[str, Any], rng: random.Random) -> list[str]:
        """The fields in their printed order (a protocol form is not shuffled)."""
        return self.part_ids(data)

    def parse(self, form: Any, key: str, layout: list[str]) -> Any:
        """{field id: figure} for every field filled with a whole number of up to 9 digits (spaces ignored)."""
        figures = {}
        for field_id in layout:
            raw = form.get(f"{key}-{field_id}", "").strip().replace(" ", "")
            if raw.isdigit() and len(raw) <= 9:
                figures[field_id] = int(raw)
        return figures or None

    def incomplete(self, answer: Any, layout: list[str]) -> str | None:
        """'protocol_incomplete' when a line is empty."""
        return "protocol_incomplete" if len(answer) < len(layout) else None

    def grade(self, data: dict[str, Any], answer: Any, layout: list[str]) -> Outcome:
        """The share of figures right, with the wrong fields and the broken equations."""
        figures = answer or {}
        wrong = [f["id"] for f in data["fields"] if figures.get(f["id"]) != f["answer"]]
        broken = []
        for n, check in enumerate(data["checks"]):
            left, right = parse_equation(check["equation"])
            terms = left + right
            if any(not isinstance(figures.get(t), int) for t in terms) or sum(figures[t] for t in left) != sum(
                figures[t] for t in right
            ):
                broken.append(n)
        return Outcome((len(data["fields"]) - len(wrong)) / len(data["fields"]), broken, wrong)

    def describe(self, data: dict[str, Any], answer: Any, layout: list[str]) -> dict[str, Any]:
        """The fields with their right figures and the learner's figures."""
        return {"fields": data["fields"], "figures": answer or {}}

    def sample_answer(self, data: dict[str, Any], layout: list[str], right: bool, rng: random.Random) -> Any:
        """The right figures, or with the first one off by one."""
        figures = {f["id"]: f["answer"] for f in data["fields"]}
        if not right:
            figures[data["fields"][0]["id"]] += 1
        return figures


KIND = Protocol()
