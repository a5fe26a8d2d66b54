"""Structured logs: JSON lines that carry the request id, for the app and for gunicorn's access log.

The request id comes from the proxy (nginx sets `X-Request-ID: $request_id`) or is made here;
the response carries it back, and the access log and every application log line of that
request show it, so one id ties the proxy's log, the access log and the app's messages.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "X-Request-ID"


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id()
        if rid:
            entry["request_id"] = rid
            entry["path"] = request.path
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init_app(app: Flask) -> None:
    """Give every request an id, echo it in the response, and log JSON lines (LMS_LOG_FORMAT=text: plain)."""

    @app.before_request
    def _take_request_id() -> None:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    if app.config.get("LMS_LOG_FORMAT", "json") == "json" and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        for name in (app.logger.name, "lms"):
            logger = logging.getLogger(name)
            logger.handlers[:] = [handler]
            logger.setLevel(logging.INFO)
            logger.propagate = False


try:  # gunicorn is there in production; the CLI and the tests do not need it
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = object  # type: ignore[misc,assignment]


class JsonAccessLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's access log as JSON lines, with the request id the app put on the response."""

    def access(self, resp, req, environ, request_time) -> None:
        """Write one access-log line for a finished request."""
        if not self.cfg.accesslog:
            return
        headers = {k.lower(): v for k, v in (resp.headers or [])}
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "request_id": headers.get("x-request-id"),
            "remote": environ.get("HTTP_X_FORWARDED_FOR") or environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(str(resp.status).split()[0]) if resp.status else None,
            "bytes": getattr(resp, "sent", None),
            "ms": round(request_time.total_seconds() * 1000, 1),
            "agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            self.access_log.info(json.dumps(entry, ensure_ascii=False))
        except Exception:  # a log line must never fail a request
            self.error_log.exception("access log failed")
