"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""
import sys

from lms import MissingSecretKey, create_app

try:
    app = create_app()
except MissingSecretKey as error:  # one line for a newcomer, not a traceback
    sys.exit(f"lms: {error}")
