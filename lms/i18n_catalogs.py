"""`python -m lms.i18n_catalogs`: make the English catalog say what the source says.

The source strings are English, so the `en` catalog translates each message to itself;
keeping it complete lets the catalog checks treat every language alike.
"""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

EN = Path(__file__).resolve().parent.parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def fill_english(path: Path = EN) -> int:
    """Make each message of the English catalog at `path` its own translation; returns how many changed."""
    with open(path, "rb") as f:
        catalog = read_po(f, locale="en")
    changed = 0
    for message in catalog:
        if message.id and (
            message.fuzzy or not message.string or message.string != message.id
            if not isinstance(message.id, (list, tuple))
            else tuple(message.string) != tuple(message.id)
        ):
            message.string = message.id if not isinstance(message.id, (list, tuple)) else tuple(message.id)
            message.flags.discard("fuzzy")
            changed += 1
    with open(path, "wb") as f:
        write_po(f, catalog, width=100)
    return changed


if __name__ == "__main__":
    print(f"en: {fill_english()} message(s) filled")
