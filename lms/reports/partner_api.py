"""JSON API for partners' dashboards: units, progress, assignments, sessions, attendance and certificates.

Read-only lists in the token owner's scope (lms.reports.partner), paged by cursor (lms.reports.api_base),
described in lms/static/openapi.yaml. The routes join the `api` blueprint of lms.reports.api_base.
"""
from __future__ import annotations

from flask import g

from lms.config import LANGUAGES
from lms.learn import rules
from lms.learn.certificate_records import grouped
from lms.reports import partner, services
from lms.reports.api_base import (
    Paging,
    boolean,
    bp,
    choice,
    day,
    fail,
    integer,
    iso,
    listing,
    module,
    moment,
    page_of,
    paging,
    token_required,
    unit,
)


def _page(found: partner.Listing, page: Paging, row_to_item, key_of):
    rows, more = page_of(found.query, found.key, page)
    return listing([row_to_item(r) for r in rows], more, key_of(rows[-1]) if rows else None, page)


@bp.get("/units")
@token_required
def units():
    """The organisation units in scope with codes, levels, parents and names, parents first (GET; API token)."""
    viewer = g.api_user
    place, level = unit(viewer), integer("level", 0, 3)
    page = paging(2)

    def item(row):
        u, parent_code = row
        return {"code": u.code, "level": u.level, "parent": parent_code, "closed": u.closed,
                "closed_at": moment(u.closed_at), "names": {k: v for k, v in u.names.items() if k in LANGUAGES and v}}

    return _page(partner.units(viewer, place, level), page, item, lambda r: (r[0].level, r[0].id))


@bp.get("/progress")
@token_required
def progress():
    """Each person's standing in each assigned module, in scope (GET; API token)."""
    viewer = g.api_user
    place, course = unit(viewer), module()
    role = choice("role", (*services.ROLES, "all"), "learner")
    status = choice("status", partner.STATUSES)
    page = paging(2)

    def item(row):
        p, full_name, role_, erased_at, unit_code, slug = row
        return {
            "learner": partner.person(viewer, p.user_id, full_name, erased_at is None),
            "role": role_.value, "unit": unit_code, "module": slug,
            "status": rules.shown_status(p.status, p.due_date), "due_date": iso(p.due_date),
            "started_at": moment(p.started_at), "completed_at": moment(p.completed_at),
            "best_score": p.best_score, "attempts": p.attempts, "passed": p.passed,
            "lessons_read": p.lessons_read, "lessons_total": p.lessons_total,
        }

    found = partner.progress(viewer, place, course, None if role == "all" else role, status)
    return _page(found, page, item, lambda r: (r[0].user_id, r[0].module_id))


@bp.get("/assignments")
@token_required
def assignments():
    """Assignments to units or people in scope, with due dates, live or withdrawn (GET; API token)."""
    viewer = g.api_user
    place, course, withdrawn = unit(viewer), module(), boolean("withdrawn")
    page = paging()

    def item(row):
        a, slug, target_code, full_name, erased_at, home_code = row
        return {
            "id": a.id, "module": slug, "target": "unit" if a.unit_id is not None else "learner",
            "unit": target_code if a.unit_id is not None else home_code,
            "learner": partner.person(viewer, a.user_id, full_name, erased_at is None),
            "due_date": iso(a.due_date), "counts_from": iso(a.counts_from), "created_at": moment(a.created_at),
            "withdrawn": a.withdrawn_at is not None, "withdrawn_at": moment(a.withdrawn_at),
        }

    return _page(partner.assignments(viewer, place, course, withdrawn), page, item, lambda r: (r[0].id,))


@bp.get("/sessions")
@token_required
def sessions():
    """In-person training sessions held in scope, with the number who attended (GET; API token)."""
    viewer = g.api_user
    place, course = unit(viewer), module()
    held_from, held_to = day("from"), day("to")
    if held_from and held_to and held_from > held_to:
        fail(400, "'from' is after 'to'", "from")
    page = paging()

    def item(row):
        s, slug, unit_code, attended = row
        return {"id": s.id, "module": slug, "unit": unit_code, "held_on": iso(s.held_on), "place": s.place,
                "trainer_name": s.trainer_name, "attended": attended, "created_at": moment(s.created_at)}

    return _page(partner.sessions(viewer, place, course, held_from, held_to), page, item, lambda r: (r[0].id,))


@bp.get("/attendance")
@token_required
def attendance():
    """Who attended the sessions held in scope, one row per person and session (GET; API token)."""
    viewer = g.api_user
    place, course, session_id = unit(viewer), module(), integer("session", 1, 2**31 - 1)
    page = paging()

    def item(row):
        attendance_id, session, user_id, full_name, erased_at, in_scope = row
        return {"id": attendance_id, "session": session,
                "learner": partner.person(viewer, user_id, full_name, bool(in_scope) and erased_at is None)}

    return _page(partner.attendance(viewer, place, course, session_id), page, item, lambda r: (r[0],))


@bp.get("/certificates")
@token_required
def certificates():
    """Certificates earned in scope: code, status, module, dates and holder (GET; API token)."""
    viewer = g.api_user
    place, course = unit(viewer), module()
    status, since = choice("status", partner.CERTIFICATE_STATUSES), day("since")
    page = paging()

    def item(row):
        c, slug, unit_code, in_scope = row
        named = bool(in_scope) and c.holder_erased_at is None
        return {
            "code": grouped(c.code), "status": "revoked" if c.revoked else "valid", "module": slug,
            "module_title": c.module_title, "language": c.language, "unit": unit_code,
            "learner": partner.person(viewer, c.user_id, c.full_name, named), "score": c.score,
            "completed_at": moment(c.completed_at), "issued_at": moment(c.issued_at),
            "revoked_at": moment(c.revoked_at),
        }

    return _page(partner.certificates(viewer, place, course, status, since), page, item, lambda r: (r[0].id,))
