"""Trainer workspace: the start page. Feature views live in sibling modules on the same blueprint."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from lms.train.scope import trainer_required

bp = Blueprint("train", __name__)


@bp.get("/")
@trainer_required
def index():
    """The trainer's home page (GET; trainers and admins)."""
    return render_template("train/index.html", unit=current_user.unit)
