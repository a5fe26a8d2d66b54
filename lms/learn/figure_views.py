"""The figures of a module (sample forms drawn as SVG), served to those who may read its lessons.

The lesson HTML names each figure with a hash of its content (`?v=`), so a browser keeps it for a
year; the SVG is sent with a policy of its own that lets it run nothing and load nothing, should
someone open it as a page instead of an image.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, make_response, request
from flask_login import current_user, login_required
from sqlalchemy.orm import undefer

from lms.content.figures import FIGURE_FILE
from lms.content.models import Figure, Module
from lms.extensions import db
from lms.learn import services
from lms.learn.views import bp

#: The SVG may style itself (inline style attributes) and do nothing else.
FIGURE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@bp.get("/modules/<slug>/figures/<name>")
@login_required
def figure(slug: str, name: str):
    """One figure of a module as image/svg+xml (GET; users who may open the module, as its lessons)."""
    if not FIGURE_FILE.match(name):
        abort(404)
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    if module is None or not services.can_open(current_user, module):
        abort(404)
    found = db.session.scalar(sa.select(Figure).where(Figure.module_id == module.id, Figure.name == name)
                              .options(undefer(Figure.svg)))
    if found is None:
        abort(404)
    response = make_response(found.svg)
    response.mimetype = "image/svg+xml"
    response.headers["Content-Security-Policy"] = FIGURE_POLICY
    response.set_etag(found.content_hash)
    response.cache_control.private = True
    if request.args.get("v") == found.content_hash[:12]:  # the address names this very content
        response.cache_control.max_age = 31536000
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(request)
