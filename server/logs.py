"""Structured JSON logs with a request id.

Each request gets an id (the caller's X-Request-ID when it is sane, else a new one). It is echoed in
the response header and stamped on every log line written while the request runs, so one line in a
specialist's bug report finds everything the server did for that request.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("huifang.access")


class _RequestContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = getattr(g, "request_id", None)
            user = getattr(g, "user", None)
            record.user_id = user.id if user is not None else None
        return True


def configure(app: Flask) -> None:
    root = logging.getLogger("huifang")
    root.setLevel(app.config["HUIFANG_LOG_LEVEL"])
    if not any(getattr(h, "_huifang", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._huifang = True  # type: ignore[attr-defined]
        if app.config["HUIFANG_LOG_JSON"]:
            handler.setFormatter(
                JsonFormatter(
                    "%(asctime)s %(levelname)s %(name)s %(message)s",
                    rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                )
            )
        handler.addFilter(_RequestContext())
        root.addHandler(handler)
        root.propagate = False

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = getattr(g, "started", None)
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "remote_addr": request.remote_addr,
            },
        )
        return response
