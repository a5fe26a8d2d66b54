"""The contract every question kind fulfils: validate, lay out, parse, grade, describe, render.

A kind only sees plain data (the question dict from questions.yaml, the stored answer and the
attempt's layout), so this package imports nothing of the app and every layer can use it.
"""
from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from lms.content.format import Problem

# at(route, message): a Problem naming the file and the line of `route` inside the question
At = Callable[[list[Any], str], "Problem"]


@dataclass
class Outcome:
    """The grade of one answer: credit 0..1 and what the result page points out."""

    credit: float  # 0..1
    broken_checks: list[int] = field(default_factory=list)  # protocol: indexes of equations the answer breaks
    wrong_fields: list[str] = field(default_factory=list)


class QuestionKind(ABC):
    """One question type. Subclasses set `name` and `parts` and implement parse, grade and describe."""

    name: ClassVar[str] = ""
    parts: ClassVar[str] = ""  # the list in the question data that the learner answers: options, steps, fields

    @property
    def template(self) -> str:
        """The partial with this kind's macros: question (quiz), check (before submitting), result."""
        return f"learn/kinds/{self.name}.html"

    def validate(self, q: dict[str, Any], at: At) -> list[Problem]:
        """Problems the schema cannot see in question `q` from questions.yaml (ids unique by default)."""
        ids = self.part_ids(q)
        if len(set(ids)) != len(ids):
            return [at([self.parts], f"{self.part_label} ids must be unique")]
        return []

    @property
    def part_label(self) -> str:
        """How error messages call one part: option, step, field."""
        return self.parts.removesuffix("s")

    def part_ids(self, data: dict[str, Any]) -> list[str]:
        """Ids of the options, steps or fields in their order in the file."""
        return [p["id"] for p in data[self.parts]]

    def layout(self, data: dict[str, Any], rng: random.Random) -> list[str]:
        """The part ids in the order this attempt shows them (shuffled by default)."""
        ids = self.part_ids(data)
        rng.shuffle(ids)
        return ids

    @abstractmethod
    def parse(self, form: Any, key: str, layout: list[str]) -> Any:
        """The answer to store from the submitted form, keeping only values that were offered; None if blank."""

    def incomplete(self, answer: Any, layout: list[str]) -> str | None:
        """Why a given answer is incomplete, for the check-your-answers page (None when complete)."""
        return None

    @abstractmethod
    def grade(self, data: dict[str, Any], answer: Any, layout: list[str]) -> Outcome:
        """Credit 0..1 for `answer` (None when unanswered), as courses/README.md documents."""

    @abstractmethod
    def describe(self, data: dict[str, Any], answer: Any, layout: list[str]) -> dict[str, Any]:
        """What the result page shows besides the outcome: the learner's answer and the right one."""

    def wrong_choices(self, data: dict[str, Any], answer: Any) -> list[str]:
        """Option ids the answer chose wrongly, for the item analysis (none for kinds without options)."""
        return []

    @abstractmethod
    def sample_answer(self, data: dict[str, Any], layout: list[str], right: bool, rng: random.Random) -> Any:
        """A right answer, or a slightly wrong one, for demo data and tests."""
