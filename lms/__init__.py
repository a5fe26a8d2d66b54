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

    app = RetryingFlask(__name__, instance_relative_config=True)
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

    configure_extensions(app)
    from lms import progress

    progress.init_app(app)  # the derived tables follow the events
    configure_blueprints(app)
    configure_cli(app)
    from lms.core import errors, templating

    errors.init_app(app)
    templating.init_app(app)
    return app


def configure_extensions(app: Flask) -> None:
    from lms import models  # noqa: F401  (registers every model with the metadata)
    from lms.auth import passwords
    from lms.extensions import babel, csrf, db, limiter, login_manager, migrate
    from lms.i18n import install_template_gettext, select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    login_manager.init_app(app)
    passwords.init_app(app)


def configure_blueprints(app: Flask) -> None:
    from lms.auth.views import bp as auth_bp
    from lms.core.views import bp as core_bp
    from lms.learn.views import bp as learn_bp
    from lms.learn import certificates  # noqa: F401  (routes on the learn blueprint)
    from lms.train import accounts, assignments, progress_views  # noqa: F401  (routes on the train blueprint)
    from lms.admin import staff, units  # noqa: F401  (routes on the admin blueprint)
    from lms.train.views import bp as train_bp
    from lms.admin.views import bp as admin_bp
    from lms.reports.api import bp as api_bp
    from lms.reports.views import bp as reports_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(learn_bp, url_prefix="/learn")
    app.register_blueprint(train_bp, url_prefix="/train")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def configure_cli(app: Flask) -> None:
    from lms.admin.cli import units_cli
    from lms.content.cli import courses_cli
    from lms.demo.cli import demo_cli
    from lms.train.cli import users_cli

    app.cli.add_command(courses_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(units_cli)
