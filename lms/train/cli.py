"""`flask users import FILE` (the same import as the trainer's web form)."""
from __future__ import annotations

from flask.cli import AppGroup

users_cli = AppGroup("users", help="Learner accounts.")
