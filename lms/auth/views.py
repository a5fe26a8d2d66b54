"""Sign in, sign out, change password, choose a language."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.auth.forms import ChangePasswordForm, LoginForm
from lms.auth.models import User, new_session_token
from lms.auth.passwords import hash_password, needs_rehash, verify_password
from lms.config import LANGUAGES
from lms.extensions import db, limiter, login_manager
from lms.timeutil import utcnow

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "basic"


_USER_BY_TOKEN = sa.select(User).where(User.session_token == sa.bindparam("token"))


@login_manager.user_loader
def load_user(token: str) -> User | None:
    return db.session.scalar(_USER_BY_TOKEN, {"token": token})


def safe_next(target: str | None) -> str | None:
    """Only local paths are followed after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LMS_LOGIN_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data.strip().lower()))
        ok = verify_password(user.password_hash if user else None, form.password.data)
        if user is None or not ok or not user.active:
            form.password.errors.append(_("The username or password is not correct."))
        else:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is not correct."))
        else:
            current_user.password_hash = hash_password(form.new.data)
            current_user.must_change_password = False
            current_user.session_token = new_session_token()  # signs out other sessions
            db.session.commit()
            login_user(current_user._get_current_object())  # a proxy here would point at itself
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("core.index"))
    return render_template("auth/change_password.html", form=form)


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        return redirect(url_for("core.index")), 303
    session["locale"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.index"), code=303)


_OPEN_ENDPOINTS = {"auth.change_password", "auth.logout", "auth.set_language", "static", "core.healthz"}


@bp.before_app_request
def force_password_change():
    """A user with a temporary password may do nothing else until they change it."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in _OPEN_ENDPOINTS):
        return redirect(url_for("auth.change_password"))
    return None
