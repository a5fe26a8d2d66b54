"""The audit log in words: one translated sentence per action code, filled from the actor, target and details.

`SENTENCES` maps every action code that `lms.train.audit.record` is called with to a sentence with
named placeholders (a test scans the code for calls and fails on a code missing here); a variant
`code:variant` words a special case. `LABELS` names each code in the log's filter. `describe(events)`
loads what the events refer to in a few queries and returns, per event, the sentence and the changed
fields as short translated lines. An unknown code, or details a sentence cannot be filled from,
falls back to a generic sentence.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from lms.auth.models import User
from lms.content.models import Module
from lms.core.templating import current_lang, format_date_cached
from lms.extensions import db
from lms.i18n import LANGUAGE_NAMES, pick
from lms.learn.models import Assignment, TrainingSession
from lms.orgs.models import Unit
from lms.train.models import AuditEvent, Election

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plural:
    """A sentence with a singular and a plural form, chosen by the number in placeholder `num`."""

    singular: str
    plural: str
    count: str  # the detail that gives the number

    def format(self, values: dict[str, Any]) -> str:
        """The sentence in the reader's language for `values` (which hold the count)."""
        return ngettext(self.singular, self.plural, int(values[self.count]), **values)


def _nl(singular: str, plural: str, count: str) -> Plural:
    """Mark a plural sentence for extraction (keyword `_nl:1,2`); translated when shown."""
    return Plural(singular, plural, count)


SENTENCES: dict[str, Any] = {
    "user.create": _l("%(actor)s created the account of %(target)s in %(unit)s."),
    "user.create:no_unit": _l("%(actor)s created the account of %(target)s."),
    "user.update": _l("%(actor)s changed the account of %(target)s."),
    "user.contact": _l("%(actor)s changed the contact details of %(target)s."),
    "user.move": _l("%(actor)s moved %(target)s from %(from_unit)s to %(to_unit)s."),
    "user.role": _l("%(actor)s changed the role of %(target)s."),
    "user.reset_password": _l("%(actor)s gave %(target)s a new one-time password."),
    "user.deactivate": _l("%(actor)s deactivated the account of %(target)s."),
    "user.reactivate": _l("%(actor)s reactivated the account of %(target)s."),
    "user.locked": _l("The account of %(target)s was locked after too many failed sign-ins."),
    "user.unlock": _l("%(actor)s unlocked the account of %(target)s."),
    "person.export": _l("%(actor)s downloaded all the data kept about %(target)s."),
    "person.erase": _l("%(actor)s erased the personal data of %(target)s."),
    "users.import": _nl("%(actor)s imported %(num)d account from a file.",
                        "%(actor)s imported %(num)d accounts from a file.", "count"),
    "attempt.grant": _l("%(actor)s allowed %(target)s one more quiz attempt in “%(module)s”."),
    "certificate.revoke": _l("%(actor)s revoked the certificate of %(target)s for “%(module)s” (code %(code)s)."),
    "monitor.update": _l("%(actor)s changed which reports %(target)s may read."),
    "assignment.create": _l("%(actor)s assigned the module “%(module)s” to %(assignee)s."),
    "assignment.update": _l("%(actor)s changed the due date of “%(module)s” for %(assignee)s."),
    "assignment.update:election": _l("The due date of “%(module)s” for %(assignee)s followed the new dates of "
                                     "the election “%(election)s”, changed by %(actor)s."),
    "assignment.withdraw": _l("%(actor)s withdrew the module “%(module)s” from %(assignee)s."),
    "election.create": _l("%(actor)s added the election “%(election)s” (polling day %(polling_date)s) in %(unit)s."),
    "election.update": _l("%(actor)s changed the election “%(election)s”."),
    "session.create": _l("%(actor)s recorded a training session “%(module)s” on %(held_on)s in %(unit)s."),
    "session.attendance": _nl(
        "%(actor)s recorded attendance for %(num)d learner at the session “%(module)s” (%(held_on)s).",
        "%(actor)s recorded attendance for %(num)d learners at the session “%(module)s” (%(held_on)s).",
        "present"),
    "unit.create": _l("%(actor)s added the unit %(unit)s."),
    "unit.update": _l("%(actor)s renamed the unit %(unit)s."),
    "unit.reminders": _l("%(actor)s changed the reminder days of %(unit)s."),
    "unit.delete": _l("%(actor)s deleted the unit %(unit)s."),
    "unit.move": _l("%(actor)s moved the unit %(unit)s from %(from_unit)s to %(to_unit)s."),
    "unit.close": _l("%(actor)s closed the unit %(unit)s."),
    "unit.close:below": _nl("%(actor)s closed the unit %(unit)s and the %(num)d unit below it.",
                            "%(actor)s closed the unit %(unit)s and the %(num)d units below it.", "sub_units"),
    "unit.reopen": _l("%(actor)s reopened the unit %(unit)s."),
    "unit.reopen:below": _nl("%(actor)s reopened the unit %(unit)s and the %(num)d unit below it.",
                             "%(actor)s reopened the unit %(unit)s and the %(num)d units below it.", "sub_units"),
    "units.import": _l("%(actor)s imported units from a file: %(created)d created, %(updated)d renamed, "
                       "%(unchanged)d unchanged."),
    "module.publish": _l("%(actor)s published the module “%(module)s”: trainers can assign it."),
    "module.unpublish": _l("%(actor)s unpublished the module “%(module)s”: it can no longer be newly assigned."),
    "courses.import": _l("%(actor)s imported the course files. Modules created: %(created)d, updated: %(updated)d, "
                         "unchanged: %(unchanged)d."),
}

GENERIC = _l("%(actor)s made a change (%(action)s) to %(target)s.")

LABELS: dict[str, Any] = {
    "user.create": _l("Account created"),
    "user.update": _l("Account changed"),
    "user.contact": _l("Contact details changed"),
    "unit.reminders": _l("Reminder days changed"),
    "user.move": _l("Account moved to another unit"),
    "user.role": _l("Role changed"),
    "user.reset_password": _l("New one-time password"),
    "user.deactivate": _l("Account deactivated"),
    "user.reactivate": _l("Account reactivated"),
    "user.locked": _l("Account locked after failed sign-ins"),
    "user.unlock": _l("Account unlocked"),
    "person.export": _l("A person's data downloaded"),
    "person.erase": _l("A person's data erased"),
    "users.import": _l("Accounts imported from a file"),
    "attempt.grant": _l("Extra quiz attempt allowed"),
    "certificate.revoke": _l("Certificate revoked"),
    "monitor.update": _l("Monitor's reports changed"),
    "assignment.create": _l("Module assigned"),
    "assignment.update": _l("Due date changed"),
    "assignment.withdraw": _l("Assignment withdrawn"),
    "election.create": _l("Election added"),
    "election.update": _l("Election changed"),
    "session.create": _l("Training session recorded"),
    "session.attendance": _l("Attendance recorded"),
    "unit.create": _l("Unit added"),
    "unit.update": _l("Unit renamed"),
    "unit.delete": _l("Unit deleted"),
    "unit.move": _l("Unit moved under another unit"),
    "unit.close": _l("Unit closed"),
    "unit.reopen": _l("Unit reopened"),
    "units.import": _l("Units imported from a file"),
    "module.publish": _l("Module published"),
    "module.unpublish": _l("Module unpublished"),
    "courses.import": _l("Course files imported"),
}

FIELDS: dict[str, Any] = {
    "full_name": _l("Full name"), "locale": _l("Language"), "active": _l("Account"), "unit": _l("Unit"),
    "role": _l("Role"), "countries": _l("Countries"), "names": _l("Sees names at precinct level"),
    "due_date": _l("Due date"), "counts_from": _l("Work counts from"), "days_before": _l("Days before polling day"),
    "reminder_days": _l("Reminder days"),
    "election_id": _l("Election"), "name": _l("Name"), "polling_date": _l("Polling day"),
    "training_opens": _l("Training opens"), "place": _l("Place"), "trainer_name": _l("Trainer"),
    "source": _l("File"), "parent": _l("Parent unit"), "attempts_used": _l("Attempts used"),
    "reason": _l("Reason"),
}
DATE_FIELDS = {"due_date", "counts_from", "polling_date", "training_opens", "held_on"}
ROLES = {"learner": _l("Precinct official"), "trainer": _l("Trainer"), "monitor": _l("Monitor"),
         "admin": _l("Administrator")}


def action_choices() -> list[tuple[str, str]]:
    """(code, translated label) for the log's filter, by label."""
    return sorted(((code, str(label)) for code, label in LABELS.items()), key=lambda c: c[1].lower())


def action_label(code: str) -> str:
    """The translated name of an action code (the code itself when unknown)."""
    return str(LABELS[code]) if code in LABELS else code


@dataclass
class Described:
    event: AuditEvent
    sentence: str
    lines: list[str] = field(default_factory=list)


@dataclass
class _Refs:
    """What a page of events refers to, loaded in one query per kind."""

    users: dict[int, User] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    units_by_code: dict[str, Unit] = field(default_factory=dict)
    modules: dict[int, Module] = field(default_factory=dict)
    assignments: dict[int, Assignment] = field(default_factory=dict)
    sessions: dict[int, TrainingSession] = field(default_factory=dict)
    elections: dict[int, Election] = field(default_factory=dict)


def _ids(events: list[AuditEvent], target_type: str) -> set[int]:
    return {e.target_id for e in events if e.target_type == target_type and e.target_id}


def _load(events: list[AuditEvent]) -> _Refs:
    refs = _Refs()
    assignment_ids, session_ids = _ids(events, "assignment"), _ids(events, "session")
    if assignment_ids:
        refs.assignments = {a.id: a for a in db.session.scalars(
            sa.select(Assignment).where(Assignment.id.in_(assignment_ids)))}
    if session_ids:
        refs.sessions = {s.id: s for s in db.session.scalars(
            sa.select(TrainingSession).where(TrainingSession.id.in_(session_ids)))}
    user_ids = _ids(events, "user") | {a.user_id for a in refs.assignments.values() if a.user_id}
    unit_ids = {e.unit_id for e in events if e.unit_id} | {a.unit_id for a in refs.assignments.values() if a.unit_id}
    unit_ids |= {s.unit_id for s in refs.sessions.values()}
    unit_ids |= {i for e in events if e.action in ("monitor.update", "user.role")
                 for side in (e.details.get("countries") or []) if isinstance(side, list)
                 for i in side if isinstance(i, int)}
    codes = {c for e in events for k in ("unit", "parent") for c in _sides(e.details.get(k)) if isinstance(c, str)}
    module_ids = {e.details.get("module_id") for e in events} | {a.module_id for a in refs.assignments.values()}
    module_ids |= {s.module_id for s in refs.sessions.values()}
    election_ids = _ids(events, "election") | {e.details.get("election_id") for e in events}
    election_ids |= {v for e in events for side in ("old", "new") if isinstance(e.details.get(side), dict)
                     for k, v in e.details[side].items() if k == "election_id"}
    if user_ids:
        refs.users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
    if unit_ids or codes:
        for u in db.session.scalars(sa.select(Unit).where(sa.or_(Unit.id.in_(unit_ids), Unit.code.in_(codes)))):
            refs.units[u.id], refs.units_by_code[u.code] = u, u
    module_ids = {i for i in module_ids if isinstance(i, int)}
    if module_ids:
        refs.modules = {m.id: m for m in db.session.scalars(sa.select(Module).where(Module.id.in_(module_ids)))}
    election_ids = {i for i in election_ids if isinstance(i, int)}
    if election_ids:
        refs.elections = {x.id: x for x in db.session.scalars(
            sa.select(Election).where(Election.id.in_(election_ids)))}
    return refs


def _sides(value: Any) -> list[Any]:
    """The old and new of a [old, new] pair, or the value alone."""
    return list(value) if isinstance(value, list) and len(value) == 2 else [value]


class _Text:
    """Readable names of the things an event refers to, in the reader's language."""

    def __init__(self, refs: _Refs, lang: str):
        self.refs, self.lang = refs, lang

    def person(self, user_id: int | None, details: dict[str, Any] | None = None) -> str:
        """A person's full name (and username), else what the details kept, else the account number."""
        user = self.refs.users.get(user_id) if user_id else None
        details = details or {}
        if user is not None:
            return f"{user.full_name} ({user.username})" if user.full_name else user.username
        name, username = details.get("full_name"), details.get("username")
        if isinstance(name, list):
            name = name[-1]
        if name and username:
            return f"{name} ({username})"
        if name or username:
            return str(name or username)
        return _("account No. %(id)s", id=user_id) if user_id else _("(deleted account)")

    def unit(self, unit: Unit | None, code: str | None = None, names: dict | None = None) -> str:
        """A unit's name and code, from the row or from what the details kept."""
        if unit is not None:
            return f"{unit.name(self.lang)} ({unit.code})"
        if names and isinstance(names, dict):
            return f"{pick(names, self.lang)} ({code})" if code else pick(names, self.lang)
        return code or _("(deleted unit)")

    def unit_code(self, code: str | None) -> str:
        """A unit named by its code in the details."""
        return self.unit(self.refs.units_by_code.get(code), code) if code else "—"

    def module(self, module_id: int | None) -> str:
        """A module's title."""
        module = self.refs.modules.get(module_id) if module_id else None
        return pick(module.title, self.lang) if module is not None else _("(deleted module)")

    def election(self, election_id: int | None, name: str | None = None) -> str:
        """An election's name."""
        election = self.refs.elections.get(election_id) if election_id else None
        return election.name if election is not None else (name or _("(deleted election)"))

    def value(self, key: str, value: Any) -> str:
        """One detail value made readable: dates, languages, yes/no, units, elections, countries."""
        if value is None or value == "" or value == []:
            return "—"
        if key in DATE_FIELDS and isinstance(value, str):
            try:
                return format_date_cached(date.fromisoformat(value))
            except ValueError:
                return value
        if key == "locale":
            return LANGUAGE_NAMES.get(value, str(value))
        if key == "active":
            return _("Active") if value else _("Deactivated")
        if key == "names" and isinstance(value, bool):
            return _("Yes") if value else _("No")
        if key in ("unit", "parent"):
            return self.unit_code(value)
        if key == "election_id":
            return self.election(value)
        if key == "role":
            return str(ROLES.get(value, value))
        if key == "countries" and isinstance(value, list):
            return ", ".join(self.unit(self.refs.units.get(i), str(i)) for i in value) or "—"
        return str(value)


def _changes(event: AuditEvent, text: _Text) -> list[str]:
    """The changed fields as 'Field: old → new' lines, and the facts a sentence leaves out."""
    d = event.details or {}
    lines: list[str] = []
    old, new = d.get("old"), d.get("new")
    if isinstance(old, dict) or isinstance(new, dict):
        old, new = old or {}, new or {}
        for key in [k for k in FIELDS if k in old or k in new]:
            if event.action.endswith(".create"):
                if key in new and new[key] is not None and key not in ("name", "polling_date"):
                    lines.append(f"{FIELDS[key]}: {text.value(key, new[key])}")
            else:
                lines.append(f"{FIELDS[key]}: {text.value(key, old.get(key))} → {text.value(key, new.get(key))}")
    skip = {"user.move": {"unit"}, "unit.move": {"parent"}}.get(event.action, set())  # said in the sentence
    for key in FIELDS:
        value = d.get(key)
        if key in skip or key not in d:
            continue
        if key == "names" and event.action in ("unit.update", "unit.create", "unit.delete"):
            if event.action == "unit.update" and isinstance(value, list) and len(value) == 2:
                before, after = value[0] or {}, value[1] or {}
                for lang in sorted(set(before) | set(after)):
                    if before.get(lang) != after.get(lang):
                        lines.append(f"{FIELDS['name']} ({LANGUAGE_NAMES.get(lang, lang)}): "
                                     f"{before.get(lang) or '—'} → {after.get(lang) or '—'}")
            continue
        if isinstance(value, list) and len(value) == 2 and (key != "countries" or isinstance(value[0], list)):
            if value[0] != value[1] and not (key == "active" and event.action in ("user.deactivate",
                                                                                 "user.reactivate")):
                lines.append(f"{FIELDS[key]}: {text.value(key, value[0])} → {text.value(key, value[1])}")
        elif value and not isinstance(value, (list, dict)):
            if key in ("role", "locale") and event.action != "user.create" or key in ("unit", "full_name"):
                continue
            lines.append(f"{FIELDS[key]}: {text.value(key, value)}")
    if event.action == "session.attendance":
        added, removed = len(d.get("added") or []), len(d.get("removed") or [])
        if added:
            lines.append(ngettext("%(num)d marked present", "%(num)d marked present", added))
        if removed:
            lines.append(ngettext("%(num)d no longer marked present", "%(num)d no longer marked present", removed))
    return lines


def _base(event: AuditEvent) -> dict[str, Any]:
    """The placeholders every event has: who, the code, and the record changed."""
    return {"actor": (event.actor.full_name or event.actor.username) if event.actor
            else _("The system or a deleted account"), "action": event.action,
            "target": _("record No. %(id)s", id=event.target_id) if event.target_id else _("several records")}


def _values(event: AuditEvent, text: _Text) -> tuple[str, dict[str, Any]]:
    """The sentence key for `event` (its code, or a variant) and the placeholder values."""
    d = event.details or {}
    refs = text.refs
    v = _base(event)
    key = event.action
    unit = refs.units.get(event.unit_id) if event.unit_id else None
    if event.target_type == "user":
        v["target"] = text.person(event.target_id, d)
    v["module"] = text.module(d.get("module_id"))
    v["unit"] = text.unit(unit, d.get("unit") if isinstance(d.get("unit"), str) else None)
    if key == "user.create" and not d.get("unit") and unit is None:
        key = "user.create:no_unit"
    elif key == "user.move":
        before, after = _sides(d.get("unit"))[0], _sides(d.get("unit"))[-1]
        v["from_unit"], v["to_unit"] = text.unit_code(before), text.unit_code(after)
    elif key == "users.import":
        v["count"] = int(d.get("count") or 0)
    elif key == "certificate.revoke":
        v["code"] = str(d["code"])
    elif key.startswith("assignment."):
        a = refs.assignments.get(event.target_id)
        v["module"] = text.module(a.module_id if a else d.get("module_id"))
        if a is not None and a.user_id:
            v["assignee"] = text.person(a.user_id)
        elif a is not None and a.unit_id:
            v["assignee"] = text.unit(refs.units.get(a.unit_id))
        else:
            v["assignee"] = _("(deleted assignment)")
        if key == "assignment.update" and d.get("election_id"):
            key, v["election"] = "assignment.update:election", text.election(d.get("election_id"))
    elif key.startswith("election."):
        new = d.get("new") or {}
        v["election"] = text.election(event.target_id, new.get("name"))
        v["polling_date"] = text.value("polling_date", new.get("polling_date"))
    elif key.startswith("session."):
        s = refs.sessions.get(event.target_id)
        v["module"] = text.module(s.module_id if s else d.get("module_id"))
        v["held_on"] = format_date_cached(s.held_on) if s else text.value("held_on", d.get("held_on"))
        v["present"] = len(d.get("new") or [])
        if s is not None:
            v["unit"] = text.unit(refs.units.get(s.unit_id))
    elif key.startswith("unit."):
        names = d.get("names")
        names = names[-1] if isinstance(names, list) and names else names
        v["unit"] = text.unit(refs.units.get(event.target_id), d.get("code"), names)
        if key == "unit.move":
            before, after = _sides(d.get("parent"))[0], _sides(d.get("parent"))[-1]
            v["from_unit"], v["to_unit"] = text.unit_code(before), text.unit_code(after)
        elif key in ("unit.close", "unit.reopen") and int(d.get("sub_units") or 0) > 0:
            key, v["sub_units"] = f"{key}:below", int(d["sub_units"])
    elif key in ("units.import", "courses.import"):
        v.update({k: int(d.get(k) or 0) for k in ("created", "updated", "unchanged")})
    return key, v


ODD = (KeyError, ValueError, TypeError, AttributeError, IndexError)  # details a sentence cannot be filled from


def sentence(event: AuditEvent, text: _Text) -> str:
    """The event as one sentence; the generic one when its code is unknown or its details do not fit."""
    try:
        key, values = _values(event, text)
        template = SENTENCES.get(key)
        if template is not None:
            return template.format(values) if isinstance(template, Plural) else str(template) % values
    except ODD:
        log.warning("audit event %s (%s) does not fit its sentence", event.id, event.action)
    return str(GENERIC) % _base(event)


def describe(events: Iterable[AuditEvent]) -> list[Described]:
    """Each event as a translated sentence and its changed fields, in the reader's language."""
    events = list(events)
    text = _Text(_load(events), current_lang())
    out = []
    for e in events:
        try:
            lines = _changes(e, text)
        except ODD:
            lines = []
        out.append(Described(e, sentence(e, text), lines))
    return out


def with_actors(query: sa.Select) -> sa.Select:
    """`query` of audit events with their actors loaded (describe reads each actor's name)."""
    return query.options(joinedload(AuditEvent.actor))
