"""The texts of reminders, in the recipient's language: an e-mail (plain text and HTML, from one
template) and an SMS short enough for one part where the module title allows, with its part count."""
from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from flask import current_app, g
from flask_babel import force_locale

from lms.config import LANGUAGES
from lms.i18n import gettext as _
from lms.i18n import ngettext

# the GSM 03.38 basic alphabet (one 7-bit unit each) and its extension table (two units each)
GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
                "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")
UCS2_SINGLE, UCS2_PART = 70, 67  # characters in one part, and per part of a longer message
GSM_SINGLE, GSM_PART = 160, 153


def sms_parts(text: str) -> int:
    """How many SMS parts `text` takes: GSM 7-bit when every character allows it (160, then 153 per part),
    else UCS-2, as for Cyrillic (70, then 67 per part)."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        return 1 if units <= GSM_SINGLE else math.ceil(units / GSM_PART)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= UCS2_SINGLE else math.ceil(units / UCS2_PART)


@contextmanager
def in_locale(lang: str | None) -> Iterator[str]:
    """Translate in `lang` (else the default language) inside the block, outside any request too."""
    chosen = lang if lang in LANGUAGES else current_app.config["LMS_DEFAULT_LOCALE"]
    g.pop("_lms_translations", None)  # lms.i18n keeps the catalog of the context: look it up again
    try:
        with force_locale(chosen):
            yield chosen
    finally:
        g.pop("_lms_translations", None)


@dataclass
class Message:
    """One message, ready for both channels."""

    subject: str
    text: str
    html: str
    sms: str

    @property
    def sms_parts(self) -> int:
        """SMS parts the short text takes."""
        return sms_parts(self.sms)


def short_date(day: date) -> str:
    """A due date as SMS and subjects write it: 09.12."""
    return day.strftime("%d.%m")


def sms_text(kind: str, title: str, day: date, count: int = 0) -> str:
    """The SMS of a reminder (translated in the current locale): short, the module title last."""
    if kind == "overdue":
        return _("Overdue since %(date)s: %(title)s", date=short_date(day), title=title)
    if kind == "digest":
        return ngettext("%(num)d learner is overdue; see the trainer workspace.",
                        "%(num)d learners are overdue; see the trainer workspace.", count)
    return _("Due %(date)s: %(title)s", date=short_date(day), title=title)


def learner_message(kind: str, name: str, title: str, due: date, days_left: int) -> Message:
    """A due-soon reminder or an overdue notice to a learner, in the current locale."""
    if kind == "overdue":
        subject = _("Overdue: %(title)s", title=title)
        lines = [_("The module “%(title)s” was due on %(date)s and is not completed yet.",
                   title=title, date=due.isoformat()),
                 _("Please complete it as soon as you can.")]
    else:
        subject = _("Reminder: %(title)s", title=title)
        lines = [ngettext("The module “%(title)s” is due in %(num)d day, on %(date)s.",
                          "The module “%(title)s” is due in %(num)d days, on %(date)s.",
                          max(days_left, 0), title=title, date=due.isoformat())]
    return _message(subject, name, lines, [], sms_text(kind, title, due))


def digest_message(name: str, count: int, groups: list[tuple[str, list[tuple[str, str, str]]]]) -> Message:
    """A trainer's weekly digest: `count` overdue learners, grouped by precinct
    (precinct, [(learner, module title, due date)]), in the current locale."""
    subject = ngettext("%(num)d overdue learner", "%(num)d overdue learners", count)
    lines = [_("These learners have not completed a module by its due date:")]
    return _message(subject, name, lines, groups, sms_text("digest", "", date.min, count))


def _message(subject: str, name: str, lines: list[str], groups: list, sms: str) -> Message:
    values = {"subject": subject, "greeting": _("Hello, %(name)s.", name=name), "lines": lines, "groups": groups,
              "footer": _("You can stop these reminders on your account page: %(url)s",
                          url=current_app.config["LMS_BASE_URL"].rstrip("/") + "/account")}
    template = current_app.jinja_env.get_template("remind/message.jinja")  # no request: no context processors
    text, html = template.render(html=False, **values), template.render(html=True, **values)
    return Message(subject, text.strip() + "\n", html, sms)
