"""What single and multiple share: options, some of them marked correct."""
from __future__ import annotations

from typing import Any

from lms.content.kinds.base import QuestionKind


def correct_options(data: dict[str, Any]) -> set[str]:
    """Ids of the options marked correct."""
    return {o["id"] for o in data.get("options", []) if o.get("correct")}


def chosen_options(answer: Any) -> list[str]:
    """The option ids in a stored answer: one id (single) or a list (multiple)."""
    return [answer] if isinstance(answer, str) else list(answer or [])


class ChoiceKind(QuestionKind):
    """A question answered by choosing among options."""

    parts = "options"

    def describe(self, data: dict[str, Any], answer: Any, layout: list[str]) -> dict[str, Any]:
        """The right options, the chosen ones and every option by id."""
        return {"right": correct_options(data), "chosen": set(chosen_options(answer)),
                "options": {o["id"]: o for o in data["options"]}}

    def wrong_choices(self, data: dict[str, Any], answer: Any) -> list[str]:
        """The chosen options that are not correct."""
        correct = correct_options(data)
        return [o for o in chosen_options(answer) if o not in correct]
