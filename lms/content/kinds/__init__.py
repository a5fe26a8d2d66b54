"""The registry of question kinds: one module per kind (single, multiple, order, protocol).

Each module of this package that defines `KIND`, an instance of a QuestionKind subclass, is
registered under `KIND.name`; its template is templates/learn/kinds/<name>.html. A new kind is
one module here, one template and its name in courses/schema/questions.schema.json.
"""
from __future__ import annotations

import importlib
import pkgutil

from lms.content.kinds.base import Outcome, QuestionKind

__all__ = ["REGISTRY", "Outcome", "QuestionKind", "get"]


def _discover() -> dict[str, QuestionKind]:
    found: dict[str, QuestionKind] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        kind = getattr(importlib.import_module(f"{__name__}.{info.name}"), "KIND", None)
        if isinstance(kind, QuestionKind):
            found[kind.name] = kind
    return found


REGISTRY: dict[str, QuestionKind] = _discover()


def get(name: str) -> QuestionKind:
    """The kind called `name`; ValueError for an unknown question type."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown question type {name!r}") from None
