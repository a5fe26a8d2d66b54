"""The trainer's progress matrix and overdue list, read from learner_progress in a fixed number of queries."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.auth.models import Role, User, name_or_username_contains
from lms.content.models import Module
from lms.extensions import db
from lms.learn import rules
from lms.learn.models import LearnerProgress
from lms.orgs.models import Unit, in_subtree
from lms.timeutil import today
from lms.train.scope import unit_condition

STATUSES = tuple(rules.FILTER_LABELS)  # the matrix filters
PAGE_SIZE = 50


@dataclass
class MatrixFilter:
    unit: Unit | None = None
    module_id: int | None = None
    status: str | None = None
    q: str = ""
    page: int = 1


@dataclass
class Matrix:
    modules: list[Module]
    learners: list[User]
    cells: dict[tuple[int, int], LearnerProgress] = field(default_factory=dict)
    total: int = 0
    page: int = 1

    @property
    def pages(self) -> int:
        """The number of pages, at least one."""
        return max(1, -(-self.total // PAGE_SIZE))


def _active_learners(user: User) -> sa.Select:
    """Active learners in `user`'s scope, with their unit joined (for filters and ordering)."""
    return (sa.select(User).outerjoin(Unit, User.unit_id == Unit.id)
            .where(User.role == Role.LEARNER, User.active, unit_condition(user)))


def status_condition(status: str) -> sa.ColumnElement[bool]:
    """SQL condition on learner progress for a status filter (a status, "overdue" or "failed_twice")."""
    lp = LearnerProgress
    if status == "overdue":
        return rules.overdue_condition(lp.status, lp.due_date)
    if status == "failed_twice":
        return sa.and_(lp.failed_attempts >= 2, lp.passed.is_(False))
    return lp.status == status


def filtered_learners(user: User, f: MatrixFilter) -> sa.Select:
    """Active learners in scope matching the filter, as a query of User rows (units joined)."""
    query = _active_learners(user)
    if f.unit is not None:
        query = query.where(in_subtree(f.unit))
    if f.q:
        query = query.where(name_or_username_contains(f.q))
    if f.status in STATUSES or f.module_id:
        cond = [LearnerProgress.user_id == User.id]
        if f.module_id:
            cond.append(LearnerProgress.module_id == f.module_id)
        if f.status in STATUSES:
            cond.append(status_condition(f.status))
        query = query.where(sa.exists().where(*cond))
    return query


def _modules(f: MatrixFilter) -> list[Module]:
    query = sa.select(Module).where(Module.active).order_by(Module.position, Module.id)
    if f.module_id:
        query = query.where(Module.id == f.module_id)
    return list(db.session.scalars(query))


def _cells(user_ids: list[int], module_ids: list[int]) -> dict[tuple[int, int], LearnerProgress]:
    rows = db.session.scalars(sa.select(LearnerProgress).where(
        LearnerProgress.user_id.in_(user_ids), LearnerProgress.module_id.in_(module_ids)))
    return {(r.user_id, r.module_id): r for r in rows}


def matrix(user: User, f: MatrixFilter) -> Matrix:
    """One page of the progress matrix: the learners matching `f`, the modules and their cells."""
    base = filtered_learners(user, f)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.with_only_columns(User.id).subquery()))
    page = max(1, min(f.page, max(1, -(-total // PAGE_SIZE))))
    learners = list(db.session.scalars(_ordered(base).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    modules = _modules(f)
    cells = _cells([l.id for l in learners], [m.id for m in modules]) if learners else {}
    return Matrix(modules, learners, cells, total, page)


def _ordered(query: sa.Select) -> sa.Select:
    return query.order_by(Unit.code, User.full_name, User.id)


def export_rows(user: User, f: MatrixFilter, chunk: int = 1000) -> Iterator[tuple[User, list[Module], dict]]:
    """Every learner matching the filter (all pages), with their cells, in chunks."""
    modules = _modules(f)
    ids = db.session.scalars(_ordered(filtered_learners(user, f)).with_only_columns(User.id)).all()
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(part)))}
        cells = _cells(part, [m.id for m in modules])
        for uid in part:
            yield users[uid], modules, cells


OVERDUE_PAGE = 500  # rows of the printable overdue list per page


def overdue(user: User, module_id: int | None = None, page: int = 1) -> tuple[list[tuple[LearnerProgress, User]], int]:
    """One page of the overdue (learner, module) pairs in scope, ordered by precinct then name,
    and how many there are in all."""
    per_page = OVERDUE_PAGE
    query = (_active_learners(user)
             .join(LearnerProgress, LearnerProgress.user_id == User.id)
             .where(status_condition("overdue")))
    if module_id:
        query = query.where(LearnerProgress.module_id == module_id)
    total = db.session.scalar(query.with_only_columns(sa.func.count()).order_by(None))
    rows = db.session.execute(query.add_columns(LearnerProgress)
                              .order_by(Unit.code, User.full_name, LearnerProgress.due_date, LearnerProgress.module_id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return [(lp, u) for u, lp in rows], total
