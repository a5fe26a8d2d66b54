"""Reminders: due-soon and overdue messages to learners and a weekly digest to trainers, by e-mail and SMS.

`flask reminders send` (cron or a systemd timer) writes the day's messages to an outbox once each
(lms.remind.schedule) and delivers them with retries (lms.remind.deliver). Learners see their own
on the dashboard (the `my_reminders` template global), trainers see what was sent to whom on
/train/reminders (lms.remind.views).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the trainer's reminders page, the dashboard's template global and `flask reminders`."""
    from lms.remind import views
    from lms.remind.cli import reminders_cli

    app.register_blueprint(views.bp, url_prefix="/train/reminders")
    app.jinja_env.globals["my_reminders"] = views.my_reminders
    app.cli.add_command(reminders_cli)
