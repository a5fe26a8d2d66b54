"""Trainer workspace: accounts (views on the train blueprint)."""
from lms.train.views import bp  # noqa: F401
