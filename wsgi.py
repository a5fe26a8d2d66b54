"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""
import sys

from lms import MissingSecretKey, create_app
from lms.learn.signing import BadSigningKey

try:
    app = create_app()
except (MissingSecretKey, BadSigningKey) as error:  # one line for a newcomer, not a traceback
    sys.exit(f"lms: {error}")
