"""Sign in, sign out, change password, choose a language."""
from __future__ import annotations

import math
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from lms import events
from lms.auth import lockout, sessions, signed_in
from lms.auth.access import roles_required
from lms.auth.forms import ChangePasswordForm, ContactForm, LoginForm, TokenForm
from lms.auth.models import ApiToken, Role, SignIn, User, new_session_token, token_hash
from lms.auth.passwords import hash_password, needs_rehash, verify_password
from lms.auth.signed_in import SignedIn
from lms.config import LANGUAGES
from lms.extensions import db, limiter, login_manager
from lms.timeutil import utcnow

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str) -> SignedIn | None:
    """The account of a live sign-in, for Flask-Login (one Core query; lms.auth.signed_in), or None:
    signed out, the token changed, or the sign-in passed its idle or absolute limit (which ends it,
    with a message)."""
    token, _dot, sign_in_id = session_id.partition(".")
    if not sign_in_id:
        return None
    row = db.session.connection().execute(signed_in.BY_SIGN_IN, {"token": token, "sign_in": sign_in_id}).first()
    if row is None:
        return None
    now = utcnow()
    started, seen = row.sign_in_created_at, row.sign_in_last_seen_at
    if not sessions.is_live(started, seen, now):
        sessions.end(sign_in_id, now)
        flash(_("Your session has ended. Please sign in again."), "info")
        return None
    sessions.touch(sign_in_id, started, seen, now)
    return SignedIn(row, sign_in_id)


def own_account() -> User:
    """The signed-in account as an ORM object, to change it (current_user is a SignedIn, or the User
    just signed in)."""
    user = current_user._get_current_object()
    return user.account() if isinstance(user, SignedIn) else user


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
    """The sign-in page; a first sign-in goes on to the password change (GET, POST; anyone, rate-limited)."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data.strip().lower()))
        ok = verify_password(user.password_hash if user else None, form.password.data)
        now = utcnow()
        if user is not None and lockout.is_locked(user, now):
            minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
            form.password.errors.append(ngettext(
                "This account is locked after too many failed sign-ins. Try again in %(num)d minute, "
                "or ask your trainer to unlock it.",
                "This account is locked after too many failed sign-ins. Try again in %(num)d minutes, "
                "or ask your trainer to unlock it.", minutes))
        elif user is None or not ok or not user.is_active:
            if user is not None and not ok:
                lockout.failed(user, now)
            form.password.errors.append(_("The username or password is not correct."))
        else:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            user.last_login_at = now
            user.failed_logins, user.locked_until = 0, None
            sign_in = SignIn(user_id=user.id)
            db.session.add(sign_in)
            db.session.commit()
            user.sign_in_id = sign_in.id
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out, ending this sign-in on the server too, and return to the sign-in page (POST; signed-in users)."""
    if current_user.is_authenticated and current_user.sign_in_id:
        db.session.execute(sa.update(SignIn).where(SignIn.id == current_user.sign_in_id, SignIn.ended_at.is_(None))
                           .values(ended_at=utcnow()))
        db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password, signing out other sessions (GET, POST; signed-in users)."""
    form = ChangePasswordForm()
    form.related = (current_user.username, *current_user.full_name.split())
    if form.validate_on_submit():
        user = own_account()
        if not verify_password(user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is not correct."))
        else:
            user.password_hash = hash_password(form.new.data)
            user.must_change_password = False
            user.session_token = new_session_token()  # signs out other sessions
            db.session.commit()
            login_user(user)  # the cookie now names the new token
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("core.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """One's own contact details for reminders and the opt-out: see and change them (GET, POST; signed-in
    users)."""
    form = ContactForm(data={"email": current_user.email, "phone": current_user.phone,
                             "opt_out": current_user.reminders_opt_out})
    if form.validate_on_submit():
        user = own_account()
        changed = ((user.email, user.phone, user.reminders_opt_out)
                   != (form.email.data, form.phone.data, form.opt_out.data))
        user.email, user.phone = form.email.data, form.phone.data
        user.reminders_opt_out = form.opt_out.data
        if changed:
            events.contact_changed.send(user_id=current_user.id, by_id=current_user.id)
        db.session.commit()
        flash(_("Your contact details have been saved."), "success")
        return redirect(url_for("auth.account"), code=303)
    response = make_response(render_template("auth/account.html", form=form))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/language")
def set_language():
    """Switch the interface language, saved on the account when signed in (POST; anyone)."""
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        return redirect(url_for("core.index")), 303
    session["locale"] = lang
    if current_user.is_authenticated:
        own_account().locale = lang
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.index"), code=303)


_NO_USER_ENDPOINTS = frozenset({"core.healthz", "static"})
_OPEN_ENDPOINTS = {"auth.change_password", "auth.logout", "auth.set_language", "static", "core.healthz"}


@bp.before_app_request
def force_password_change():
    """A user with a temporary password may do nothing else until they change it."""
    if request.endpoint in _NO_USER_ENDPOINTS:  # the health check and assets need no account (no query)
        return None
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in _OPEN_ENDPOINTS):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/account/tokens", methods=["GET", "POST"])
@roles_required(Role.MONITOR, Role.TRAINER, Role.ADMIN)
def tokens():
    """Create and list personal API tokens; a new token is shown once."""
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        created = "lms_" + secrets.token_urlsafe(32)
        db.session.add(ApiToken(user_id=current_user.id, name=form.name.data.strip(), token_hash=token_hash(created),
                                prefix=created[:10]))
        db.session.commit()
    rows = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == current_user.id)
                              .order_by(ApiToken.created_at.desc())).all()
    response = make_response(render_template("auth/tokens.html", form=form, tokens=rows, created=created))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@roles_required(Role.MONITOR, Role.TRAINER, Role.ADMIN)
def revoke_token(token_id: int):
    """Revoke one of one's own API tokens (POST; monitors, trainers and admins)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("auth.tokens"), code=303)
