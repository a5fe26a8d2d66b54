"""Find explanations that name an option by a letter ("option b", "варианты c и d", "b нұсқасы").

Options are shuffled for every attempt and shown without letters, so "option b" means nothing to the
learner: an explanation names an option by its text. This module knows only text, no files.
"""
from __future__ import annotations

import re

# A letter that stands alone: Latin a-h (option ids and the usual labels), or a Cyrillic label.
_LATIN = r"(?<![\w'‘’-])[a-h](?![\w'‘’-])"
_QUOTED = r"[«\"“(]\s*[a-hа-г]\s*[»\"”)]"
# а and в are also Russian words ("а", "в"): only a label when nothing but punctuation or another label follows
_CYRILLIC = (r"(?<![\w-])(?:[бг](?![\w-])|[ав](?=\s*(?:[,.;:!?)»]|$|\s+(?:и|или)\s+[а-гa-h](?![\w-]))))")
_JOIN = r"\s*(?:,|/|&|\band\b|\bor\b|\bи\b|\bили\b|\bva\b|\bва\b|\bмен\b|\bжана\b|\bwe\b|\bҳам\b)\s*"

# "option b", "options c and d", "вариант b", "варианты c и d", "вариантҳои c ва d"
_WORD_BEFORE = (r"(?:\boptions?\b|\bchoices?\b|\bвариант\w*|\bнұсқа\w*|\bwariant\w*|\bжооп\w*|\bjoga[pb]\w*)")
# "answer b" but not "answer a question"
_ANSWER = r"(?:\banswers?\b|\bответ\w*|\bжауап\w*|\bjavob\w*|\bҷавоб\w*)"
# "b нұсқасы", "c va d variantlari", "b варианты", "варианти b" is caught by the first form
_WORD_AFTER = (r"(?:нұсқа\w*|вариант\w*|variant(?:i|ni|da|lar\w*)\b|wariant\w*|options?\b|choices?\b"
               r"|жооп\w*|жауап\w*|javob\w*|ҷавоб\w*|joga[pb]\w*)")

_PATTERNS = [
    re.compile(rf"{_WORD_BEFORE}\s+(?:{_LATIN}|{_QUOTED}|{_CYRILLIC})", re.IGNORECASE),
    re.compile(rf"{_ANSWER}(?:\s+(?:is|was|—|–|-)|\s*:)?\s+(?:(?<![\w'‘’-])[b-h](?![\w'‘’-])|{_QUOTED}|{_CYRILLIC}"
               rf"|(?<![\w'‘’-])a(?=\s*(?:[,.;:!?)]|$|\s+(?:and|or)\s+[b-h]\b)))", re.IGNORECASE),
    re.compile(rf"(?:(?<![\w'‘’-])[b-h](?![\w'‘’-])|{_QUOTED})(?:{_JOIN}(?:{_LATIN}|{_QUOTED}))*\s+{_WORD_AFTER}",
               re.IGNORECASE),
    # "a" before the word only in the languages where the letter comes first (never English "a choice")
    re.compile(rf"(?<![\w'‘’-])a(?:{_JOIN}(?:{_LATIN}|{_QUOTED}))*\s+"
               r"(?:нұсқа\w*|вариант\w*|variant(?:i|ni|da|lar\w*)\b|wariant\w*|жооп\w*|жауап\w*|javob\w*|joga[pb]\w*)",
               re.IGNORECASE),
    # a bare letter judged: "so b is wrong", "c and d are right"
    re.compile(rf"{_LATIN}(?:{_JOIN}{_LATIN})*\s+(?:is|are|was|were)\s+(?:not\s+)?"
               r"(?:wrong|right|correct|incorrect|false|true|the\s+(?:right|correct|wrong)\b)\b", re.IGNORECASE),
]


def letter_reference(text: str) -> re.Match[str] | None:
    """The first place where `text` names an option by a letter, or None."""
    found = [m for m in (p.search(text) for p in _PATTERNS) if m]
    return min(found, key=lambda m: m.start()) if found else None
