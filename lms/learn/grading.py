"""Grading of one answer: the question kind's own rules (lms.content.kinds), looked up by type name.

Answers as stored: single -> option id; multiple -> list of option ids;
order -> {step id: position}; protocol -> {field id: integer}.
"""
from __future__ import annotations

from typing import Any

from lms.content import kinds
from lms.content.kinds import Outcome
from lms.content.kinds.choice import correct_options
from lms.content.kinds.order import longest_run, order_from_positions

__all__ = ["Outcome", "correct_options", "grade", "longest_run", "order_from_positions"]


def grade(kind: str, data: dict[str, Any], answer: Any, layout: list[str]) -> Outcome:
    """Credit for `answer` to a question of type `kind`; ValueError for an unknown type."""
    return kinds.get(kind).grade(data, answer, layout)
