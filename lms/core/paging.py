"""One way to cut a list into pages: a `Page` of rows, read from `?page=` safely, in two queries.

`paginate(statement)` counts with one `SELECT count(*)` over the statement as a subquery and
fetches one page with LIMIT/OFFSET. Whatever `?page=` says (missing, not a number, zero,
negative, beyond the last page, absurdly large) the number is clamped to a valid page, so a
hand-edited URL never reaches the database as a bad offset. Templates render the pager with
the `pager` macro of `macros/pager.html`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import has_request_context, request

from lms.extensions import db

T = TypeVar("T")

PAGE_SIZE = 50  # rows per page of the workspace lists, unless a list says otherwise


@dataclass
class Page(Generic[T]):
    """One page of a list: its rows, its 1-based number, the page size and the total of rows."""

    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """The number of pages, at least one (an empty list has one empty page)."""
        return page_count(self.total, self.size)

    @property
    def has_prev(self) -> bool:
        """True when there is a page before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """True when there is a page after this one."""
        return self.number < self.pages

    @property
    def prev_number(self) -> int | None:
        """The number of the previous page, or None on the first."""
        return min(self.number - 1, self.pages) if self.has_prev else None

    @property
    def next_number(self) -> int | None:
        """The number of the next page, or None on the last."""
        return self.number + 1 if self.has_next else None

    @property
    def first(self) -> int:
        """The 1-based position of this page's first row in the whole list (0 when the page is empty)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The 1-based position of this page's last row in the whole list (0 when the page is empty)."""
        return (self.number - 1) * self.size + len(self.items) if self.items else 0


def page_count(total: int, size: int) -> int:
    """How many pages of `size` rows `total` rows fill, at least one."""
    return max(1, -(-total // size))


def requested_page(raw: Any = None) -> int:
    """The page number asked for (by default the request's `?page=`), 1 when it is missing or not a positive number."""
    if raw is None and has_request_context():
        raw = request.args.get("page")
    try:
        number = int(str(raw).strip()) if raw is not None else 1
    except ValueError:
        return 1
    return max(1, number)


def clamp_page(number: Any, total: int, size: int, *, past_end: bool = False) -> int:
    """A valid page number for `total` rows: at least 1 and at most the last page
    (one past it with `past_end`, for lists that say so rather than show the last page)."""
    return min(requested_page(number), page_count(total, size) + (1 if past_end else 0))


def paginate(statement: sa.Select, page: Any = None, size: int = PAGE_SIZE, *, count_by: Any = None,
             past_end: bool = False) -> Page:
    """One page of `statement` and the total, in two queries; `page` defaults to the request's `?page=`.

    Rows come back as entities when the statement selects one entity or column, as row tuples
    otherwise. `count_by` narrows the counted subquery to one column (cheaper than counting the
    statement's scalar subqueries); the statement's ORDER BY is left out of the count. With
    `past_end`, a number beyond the last page gives an empty page numbered one past it instead
    of the last page.
    """
    counted = statement.order_by(None)
    if count_by is not None:
        counted = counted.with_only_columns(count_by)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(counted.subquery())) or 0
    number = clamp_page(page, total, size, past_end=past_end)
    result = db.session.execute(statement.limit(size).offset((number - 1) * size))
    described = statement.column_descriptions
    if len(described) == 1:  # one entity (its joined eager loads made unique) or one column
        scalars = result.scalars()
        items = list(scalars.unique() if isinstance(described[0]["type"], type) else scalars)
    else:
        items = list(result.all())
    return Page(items, number, size, total)
