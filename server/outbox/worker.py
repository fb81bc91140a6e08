"""Running the outbox: a loop for the worker command, and the in-process thread of the embedded default.

Production runs ``flask --app server huifang worker`` as its own process (as many as wanted: claims
never overlap). The embedded default (SQLite) has no separate process: with HUIFANG_OUTBOX_INPROCESS
on, ``start_inprocess`` starts a daemon thread in each web server process at its first request. It
never starts in tests (TESTING) nor in CLI commands such as ``flask db upgrade`` (they serve no
request), so a migration never races a worker polling a table that is not there yet.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from server.extensions import db
from server.outbox import services

log = logging.getLogger("huifang.outbox")

DEFAULT_INTERVAL = 2.0
BATCH = 50  # jobs claimed per pass
_EXTENSION = "huifang_outbox_worker"


def run_once(
    app: Flask, *, limit: int = BATCH, worker_id: str | None = None, stop: threading.Event | None = None
) -> dict:
    """One pass of run_pending in a fresh app context and session."""
    with app.app_context():
        try:
            return services.run_pending(limit, worker_id, should_stop=stop.is_set if stop else None)
        finally:
            db.session.remove()


def run_forever(
    app: Flask,
    *,
    stop: threading.Event,
    interval: float = DEFAULT_INTERVAL,
    limit: int = BATCH,
    worker_id: str | None = None,
) -> None:
    """Poll until ``stop`` is set. A full batch means more may be due: the next pass starts at once.

    When ``stop`` is set the job in hand finishes, the rest of the batch is handed back for other
    workers, and the loop ends (SIGTERM is graceful).
    """
    while not stop.is_set():
        try:
            counts = run_once(app, limit=limit, worker_id=worker_id, stop=stop)
        except Exception:  # the database is down, a migration is running: log it and try again later
            log.exception("outbox worker pass failed")
            counts = {"claimed": 0}
        if counts["claimed"] < limit:
            stop.wait(interval)


def start_inprocess(app: Flask) -> None:
    """Arrange for the in-process worker thread to start at the app's first request, when configured.

    Off when TESTING is set, whatever HUIFANG_OUTBOX_INPROCESS says: tests run the outbox themselves.
    """
    if not app.config.get("HUIFANG_OUTBOX_INPROCESS") or app.config.get("TESTING"):
        return
    state = {"thread": None, "stop": threading.Event(), "lock": threading.Lock()}
    app.extensions[_EXTENSION] = state

    @app.before_request
    def _start_outbox_worker() -> None:
        if state["thread"] is not None:
            return
        with state["lock"]:
            if state["thread"] is not None:
                return
            thread = threading.Thread(
                target=run_forever,
                args=(app,),
                kwargs={
                    "stop": state["stop"],
                    "interval": float(app.config.get("HUIFANG_OUTBOX_INTERVAL", DEFAULT_INTERVAL)),
                },
                name="huifang-outbox",
                daemon=True,
            )
            thread.start()
            state["thread"] = thread
            log.info("in-process outbox worker started")


def stop_inprocess(app: Flask, timeout: float = 5.0) -> None:
    """Stop the in-process thread (if any) after its current job."""
    state = app.extensions.get(_EXTENSION)
    if state and state["thread"] is not None:
        state["stop"].set()
        state["thread"].join(timeout)
