"""Trainer workspace: the start page and the briefing books to print. Feature views live in sibling
modules on the same blueprint."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from lms.content.briefing import languages_by_module
from lms.content.models import Module
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import pick
from lms.train.scope import trainer_required

bp = Blueprint("train", __name__)


@bp.get("/")
@trainer_required
def index():
    """The trainer's home page (GET; trainers and admins)."""
    return render_template("train/index.html", unit=current_user.unit)


@bp.get("/briefing-books")
@trainer_required
def briefing_books():
    """The active modules with their briefing books to print for a session, in each language (GET; trainers
    and admins)."""
    lang = current_lang()
    languages = languages_by_module()
    modules = [(slug, pick(title, lang), languages.get(module_id, [])) for module_id, slug, title in db.session.execute(
        sa.select(Module.id, Module.slug, Module.title).where(Module.active).order_by(Module.position, Module.id))]
    return render_template("train/briefing_books.html", modules=modules)
