"""Signed webhooks to the call centre, delivered from the outbox.

``publish`` enqueues a ``webhook`` job in the caller's transaction (when HUIFANG_WEBHOOK_URL is set).
The handler POSTs the event as JSON::

    {"id": "<event id>", "event": "<name>", "created_at": "<ISO 8601 UTC>", "data": {...}}

with ``X-Huifang-Event-Id``, ``X-Huifang-Timestamp`` (unix seconds of this attempt) and
``X-Huifang-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`` (server.outbox.signing).
A 2xx answer is delivery; any other status, a redirect, a timeout or a network error is a failure that
the outbox retries with backoff. The event id is made once, at publish time, and kept in the job, so
every retry and every replay of a dead job carries the same id: the receiver dedupes on it.
docs/webhooks.md is the receiver's guide; the OpenAPI document's ``webhooks`` section describes it too.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, datetime
from urllib.parse import urlsplit

from flask import current_app

from server.dbtypes import utcnow
from server.outbox import services, signing
from server.outbox.models import OutboxJob

KIND = "webhook"
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "Huifang-Webhook/1"


class DeliveryError(RuntimeError):
    """The receiver did not take the event; the outbox tries again later."""


def publish(
    event: str, data: dict, *, dedupe_key: str, institution_id: int | None = None
) -> OutboxJob | None:
    """Enqueue the event for the call centre in the current transaction; nothing when no URL is set.

    ``dedupe_key`` names the business fact (e.g. ``visit:<uuid>:submitted``): publishing it again
    returns the job already enqueued. ``data`` must be JSON (dates become ISO 8601 text).
    """
    if not current_app.config.get("HUIFANG_WEBHOOK_URL"):
        return None
    payload = {
        "id": f"evt_{uuid.uuid4().hex}",
        "event": event,
        "created_at": utcnow().isoformat(),
        # Stored exactly as it will be sent, so that every retry sends the same data.
        "data": json.loads(json.dumps(data, default=_json_default, ensure_ascii=False)),
    }
    key = f"{KIND}:{event}:{dedupe_key}"
    if len(key) > 200:  # the column's width; a long key is still one key
        key = f"{KIND}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return services.enqueue(KIND, payload, dedupe_key=key, institution_id=institution_id)


def _json_default(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def event_id(job: OutboxJob) -> str:
    """The id the receiver dedupes on: made at publish time, the same for every attempt and replay."""
    return str(job.payload.get("id") or f"job_{job.id}")


def envelope(job: OutboxJob) -> dict:
    return {
        "id": event_id(job),
        "event": job.payload.get("event"),
        "created_at": job.payload.get("created_at") or job.created_at.isoformat(),
        "data": job.payload.get("data", {}),
    }


def body_bytes(job: OutboxJob) -> bytes:
    return json.dumps(envelope(job), ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(job: OutboxJob, body: bytes, secret: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Huifang-Event-Id": event_id(job),
        "X-Huifang-Timestamp": str(timestamp),
        "X-Huifang-Signature": signing.sign(secret, timestamp, body),
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is not a delivery (and would turn the POST into a GET): it fails like any non-2xx.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@services.handler(KIND)
def deliver(job: OutboxJob) -> None:
    config = current_app.config
    url = config.get("HUIFANG_WEBHOOK_URL")
    secret = config.get("HUIFANG_WEBHOOK_SECRET")
    if not url or not secret:
        raise DeliveryError("HUIFANG_WEBHOOK_URL and HUIFANG_WEBHOOK_SECRET must both be set")
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("HUIFANG_WEBHOOK_URL must be an http or https URL")
    body = body_bytes(job)
    timestamp = int(time.time())  # of this attempt: the receiver's replay window counts from it
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, headers=signed_headers(job, body, secret.encode(), timestamp), method="POST"
    )
    timeout = float(config.get("HUIFANG_WEBHOOK_TIMEOUT") or DEFAULT_TIMEOUT)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        detail = exc.read(200).decode("utf-8", "replace") if exc.fp is not None else ""
        raise DeliveryError(f"HTTP {exc.code} from the receiver: {detail}".strip()) from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, DNS, TLS, timeout
        raise DeliveryError(f"network error: {getattr(exc, 'reason', exc)}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from the receiver")
