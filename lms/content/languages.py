"""In which language a module is shown to a reader: theirs where every lesson has it, else the fallback.

A lesson has a language when its file in that language exists (its title and body come together;
courses check requires English and Russian). The module page and the dashboard say so when the
reader's language is missing, as the lesson page does for one lesson.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lms.i18n import FALLBACK


@dataclass(frozen=True)
class LanguageNotice:
    """The module is shown in `shown` because (some of) its lessons have no `missing` version."""

    shown: str
    missing: str
    partly: bool  # some lessons have the reader's language, others do not


def language_notice(lesson_languages: Iterable[Iterable[str]], lang: str) -> LanguageNotice | None:
    """The notice for a module whose lessons have these languages, read in `lang`; None when every
    lesson has `lang` (or the module has no lessons)."""
    per_lesson = [set(langs) for langs in lesson_languages]
    if not per_lesson or all(lang in langs for langs in per_lesson):
        return None
    missing_everywhere = [langs for langs in per_lesson if lang not in langs]
    shown = next((code for code in FALLBACK if all(code in langs for langs in missing_everywhere)), FALLBACK[-1])
    return LanguageNotice(shown, lang, partly=len(missing_everywhere) < len(per_lesson))


def notice_from_counts(lang: str, lessons: int, missing: int) -> LanguageNotice | None:
    """The notice for a module of `lessons` active lessons of which `missing` have no `lang` text
    (the dashboard counts them in SQL); they are shown in the first fallback, which courses check requires."""
    if not lessons or not missing:
        return None
    shown = next((code for code in FALLBACK if code != lang), FALLBACK[-1])
    return LanguageNotice(shown, lang, partly=missing < lessons)
