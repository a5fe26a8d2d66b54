"""Election officials' learning platform."""
from __future__ import annotations

import os
from typing import Any

from flask import Flask


class MissingSecretKey(RuntimeError):
    """No SECRET_KEY in the environment and no development key in the instance folder."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: config, extensions, blueprints, CLI, error pages."""
    from lms.core.retry import RetryingFlask

    # the instance folder holds the SQLite file and the development key; LMS_INSTANCE_PATH moves it
    app = RetryingFlask(__name__, instance_relative_config=True,
                        instance_path=os.path.abspath(os.environ["LMS_INSTANCE_PATH"])
                        if os.environ.get("LMS_INSTANCE_PATH") else None)
    os.makedirs(app.instance_path, exist_ok=True)
    from lms.config import from_environment

    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        dev_key = os.path.join(app.instance_path, "dev-secret-key")  # written by `make run`
        if os.path.exists(dev_key):
            with open(dev_key) as f:
                app.config["SECRET_KEY"] = f.read().strip()
        elif app.debug or app.testing:
            app.config["SECRET_KEY"] = "dev-only-not-secret"
        else:
            raise MissingSecretKey("Set SECRET_KEY in the environment (see README.md, 'Settings'), "
                                   "or run `make run` once to create instance/dev-secret-key.")

    if app.config.get("LMS_PROXY_HOPS"):  # behind nginx: the client's address, scheme and host
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["LMS_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    configure_extensions(app)
    from lms import admin, auth, content, core, demo, learn, progress, remind, reports, train, xapi

    for package in (core, auth, content, learn, progress, train, reports, xapi, remind, admin, demo):
        package.init_app(app)  # each registers its own blueprints, CLI and hooks
    return app


def configure_extensions(app: Flask) -> None:
    """Attach the database, migrations, CSRF, rate limits, Babel and sign-in to `app`."""
    from lms.extensions import babel, csrf, db, limiter, login_manager, migrate
    from lms.i18n import install_template_gettext, select_locale

    db.init_app(app)

    @app.teardown_appcontext
    def end_session(exc: BaseException | None) -> None:
        """Close the request's session before Flask-SQLAlchemy does (teardowns run last-registered
        first): when the server cut the connection meanwhile (a restart), the rollback fails, and
        that must not turn a response already made into a 500. The pool drops the connection."""
        from sqlalchemy.exc import DBAPIError

        try:
            db.session.remove()
        except DBAPIError as error:
            app.logger.warning("closing a session on a lost connection: %s", str(error.orig).strip().splitlines()[0])

    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    login_manager.init_app(app)
