"""gunicorn settings for production; each can be overridden with a GUNICORN_* environment variable.

Workers are processes (one per core plus one, so that a worker waiting on the database does not
leave a core idle), each with a few threads for requests that mostly wait on PostgreSQL. Send
SIGHUP to reload gracefully: new workers start with the new code, old ones finish their requests.
"""
import os

# Web requests stop any SQL statement after 15 s (CLI commands, which may run long, do not).
os.environ.setdefault("LMS_DB_STATEMENT_TIMEOUT", "15000")

cores = os.cpu_count() or 1
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(cores + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a worker silent this long is killed and replaced
graceful_timeout = 20  # on reload or stop, requests in flight get this long to finish
keepalive = 5
max_requests = 5000  # recycle workers now and then, staggered, against slow leaks
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # empty: no access log
errorlog = "-"
logger_class = "lms.core.logs.JsonAccessLogger"  # JSON lines with the request id
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = True
