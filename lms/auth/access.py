"""Role checks for views and scope rules for rows."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from lms.auth.models import Role


def roles_required(*roles: Role) -> Callable:
    """Allow only signed-in users with one of `roles`; others get 403."""

    def decorator(view: Callable) -> Callable:
        """Wrap `view` so that only signed-in users with one of the roles reach it."""
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            """Run the view for a signed-in user with an allowed role; 403 for any other."""
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


learner_required = roles_required(Role.LEARNER, Role.TRAINER, Role.ADMIN)
