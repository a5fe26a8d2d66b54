"""Error pages: plain HTML for people, JSON for API clients."""
from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from lms.core.retry import Busy
from lms.extensions import db, login_manager

MESSAGES = {
    400: _l("The request could not be understood. Go back, reload the page and try again."),
    403: _l("You do not have access to this page."),
    404: _l("This page does not exist, or it is not yours to see."),
    405: _l("This action is not allowed here."),
    413: _l("The file is too large."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. Your work has not been lost; try again in a moment."),
    503: _l("The service is busy or cannot reach its database for a moment. Your work has not been lost; "
            "try again in a minute."),
}


def init_app(app: Flask) -> None:
    """Register the error pages: expired forms, HTTP errors, a busy or unreachable database, unhandled errors."""
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        """A 400 page for a form with a missing or expired CSRF token."""
        db.session.rollback()
        return _render(400, _l("This form has expired or was not sent from this site. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """The error page for an HTTP error (4xx, 5xx), with the exception's own headers (a 405's `Allow`);
        other HTTP exceptions pass through."""
        if exc.code is None or exc.code < 400:
            return exc
        db.session.rollback()
        body, code = _render(exc.code, MESSAGES.get(exc.code, exc.description))
        return body, code, [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]

    @app.errorhandler(Busy)
    def busy(exc: Busy):
        """A 503 page when the database stayed busy through every retry."""
        db.session.rollback()
        return _render(503, MESSAGES[503])

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(exc: DBAPIError | PoolTimeout):
        """A 503 page while the database is down or restarting, the pool is exhausted or a statement ran too long."""
        app.logger.warning("database unavailable: %s", str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
        try:
            db.session.rollback()
        except DBAPIError:
            pass
        # the page is drawn as for a visitor: loading the signed-in user would need the database
        g._login_user = login_manager.anonymous_user()
        response = _render(503, MESSAGES[503])
        return response[0], 503, {"Retry-After": "30"}

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        """Log an unhandled exception and show the 500 page."""
        app.logger.exception("Unhandled error")
        db.session.rollback()
        return _render(500, MESSAGES[500])


def _render(code: int, message: str):
    if request.path.startswith("/api/"):
        return {"error": code, "message": str(message)}, code
    return render_template("error.html", code=code, message=message), code
