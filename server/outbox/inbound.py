"""Calls from the call centre: signed instead of signed-in, and answered once per event id.

A view that another system calls carries ``@signed_inbound`` right below ``@blp.route`` (so that the
signature is checked before any argument is parsed)::

    @blp.route("/callbacks/results", methods=["POST"])
    @signed_inbound
    @blp.arguments(CallbackResultSchema)
    @blp.response(200, CallbackResultAnswerSchema)
    def callback_result(args):
        return respond_once("call_centre", lambda: services.record_result(args))

``signed_inbound`` marks the view ``@public`` (no user token: the HMAC with HUIFANG_INBOUND_SECRET
proves the caller) and answers 401 ``signature_missing`` / ``signature_invalid`` /
``signature_expired``, or 503 ``inbound_not_configured`` when no secret is set. The signing scheme
is the one of our own webhooks (server.outbox.signing, docs/webhooks.md).

``once`` makes the call idempotent: the first call with an event id runs ``compute`` and stores its
answer in the same transaction; a repeat with the same body gets the stored answer (and the response
header ``X-Huifang-Replay: true``); the same id with another body is 409 ``event_id_reused``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable

from flask import Response, after_this_request, current_app, has_request_context, jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth.access import public
from server.errors import HuifangError
from server.extensions import db
from server.outbox import signing
from server.outbox.models import InboundEvent

SIGNATURE_HEADER = "X-Huifang-Signature"
TIMESTAMP_HEADER = "X-Huifang-Timestamp"
EVENT_ID_HEADER = "X-Huifang-Event-Id"
REPLAY_HEADER = "X-Huifang-Replay"
MAX_EVENT_ID_LENGTH = 128

MESSAGES = {
    "signature_missing": (
        "缺少请求签名或时间戳（X-Huifang-Signature、X-Huifang-Timestamp）",
        "The request signature or timestamp is missing (X-Huifang-Signature, X-Huifang-Timestamp)",
    ),
    "signature_invalid": ("请求签名无效", "The request signature is invalid"),
    "signature_expired": (
        "请求签名已过期，请检查双方服务器时钟",
        "The request signature has expired; check both servers' clocks",
    ),
}

_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _signature_error(code: str) -> HuifangError:
    zh, en = MESSAGES[code]
    err = HuifangError(code, zh, en, 401)
    err.headers["WWW-Authenticate"] = f'HMAC-SHA256 realm="huifang", error="{code}"'
    return err


def verify_request() -> None:
    """Check the current request's signature against HUIFANG_INBOUND_SECRET; raise a HuifangError.

    An unsigned request is 401 ``signature_missing`` whether or not a secret is configured (it could
    never pass); a signed one reaching a server without the secret is 503 ``inbound_not_configured``,
    which tells the operators on both sides what to fix.
    """
    signature = request.headers.get(SIGNATURE_HEADER)
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    if not (signature or "").strip() or not (timestamp or "").strip():
        raise _signature_error("signature_missing")
    secret = current_app.config.get("HUIFANG_INBOUND_SECRET")
    if not secret:
        raise HuifangError(
            "inbound_not_configured",
            "未配置外部系统接入密钥（HUIFANG_INBOUND_SECRET），暂不接受外部调用",
            "Inbound calls are not configured (HUIFANG_INBOUND_SECRET is not set)",
            503,
        )
    try:
        signing.verify(
            secret.encode(), signature, timestamp, request.get_data(cache=True), now=int(time.time())
        )
    except signing.SignatureError as exc:
        raise _signature_error(exc.code) from exc


def signed_inbound(view: Callable) -> Callable:
    """Mark a view public and let only requests signed with HUIFANG_INBOUND_SECRET through."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        verify_request()
        return view(*args, **kwargs)

    documented = Blueprint.doc(
        security=[],
        responses={
            "401": {
                "description": "signature_missing / signature_invalid / signature_expired",
                "content": _ERROR_REF,
            },
            "503": {"description": "inbound_not_configured", "content": _ERROR_REF},
        },
    )(checked)
    return public(documented)


def body_sha256() -> str:
    """The SHA-256 (hex) of the current request's raw body: what ``once`` compares repeats by."""
    return hashlib.sha256(request.get_data(cache=True)).hexdigest()


def request_event_id() -> str:
    """The event id of the current request: the X-Huifang-Event-Id header (required, ≤ 128 characters).

    The header itself is not signed; when the JSON body has a top-level ``id`` (our envelope does),
    it must be the same, so the id that idempotency relies on is covered by the signature.
    """
    value = (request.headers.get(EVENT_ID_HEADER) or "").strip()
    if not value or len(value) > MAX_EVENT_ID_LENGTH or not value.isprintable():
        raise HuifangError(
            "event_id_missing",
            "缺少或无效的事件编号（X-Huifang-Event-Id，最多 128 个字符）",
            "The event id (X-Huifang-Event-Id, at most 128 characters) is missing or invalid",
            422,
        )
    body = request.get_json(silent=True, cache=True)
    if isinstance(body, dict) and "id" in body and body["id"] != value:
        raise HuifangError(
            "event_id_mismatch",
            "请求头中的事件编号与请求体中的 id 不一致",
            "The event id header differs from the id in the body",
            422,
        )
    return value


def once(
    source: str, event_id: str, body_hash: str, compute: Callable[[], tuple[dict, int]]
) -> tuple[dict, int]:
    """Answer an inbound event exactly once; repeats get the stored answer. Commits.

    The event row is inserted (in a savepoint) before ``compute`` runs: a concurrent duplicate waits
    on the unique constraint (source, event_id) until this transaction ends, then finds the stored
    answer, so ``compute`` never runs twice for one event. ``compute`` returns (JSON body, status) and
    must not commit. A HuifangError it raises with a status below 500 is a deliberate answer: its
    writes are undone, the error is stored and returned like any answer. Any other exception undoes
    everything, stores nothing and propagates, so the caller may try the same event again.
    """
    existing = _stored(source, event_id)
    if existing is not None:
        return _replay(existing, body_hash)
    claim = db.session.begin_nested()
    event = InboundEvent(source=source, event_id=event_id, body_sha256=body_hash)
    try:
        db.session.add(event)
        db.session.flush()
    except IntegrityError:
        claim.rollback()
        existing = _stored(source, event_id)
        if existing is None:
            raise
        return _replay(existing, body_hash)
    work = db.session.begin_nested()
    try:
        answer, status = compute()
        _end(work, commit=True)
    except HuifangError as err:
        if err.status >= 500:
            _end(claim, commit=False)
            raise
        _end(work, commit=False)
        answer, status = err.to_dict(), err.status
    except BaseException:
        _end(claim, commit=False)
        raise
    # Stored as the JSON that is sent (dates as ISO 8601), so a replay answers byte for byte alike.
    answer = json.loads(current_app.json.dumps(answer))
    event.response, event.status_code = answer, status
    _end(claim, commit=True)
    db.session.commit()
    return answer, status


def _end(savepoint, *, commit: bool) -> None:
    # A compute that committed by itself (it should not) has already ended the savepoints.
    if savepoint.is_active:
        savepoint.commit() if commit else savepoint.rollback()


def _stored(source: str, event_id: str) -> InboundEvent | None:
    return db.session.scalars(
        select(InboundEvent)
        .where(InboundEvent.source == source, InboundEvent.event_id == event_id)
        .execution_options(populate_existing=True)
    ).first()


def _replay(event: InboundEvent, body_hash: str) -> tuple[dict, int]:
    if event.body_sha256 != body_hash:
        raise HuifangError(
            "event_id_reused",
            "该事件编号已用于内容不同的另一次请求",
            "This event id was already used for a request with a different body",
            409,
            {"event_id": event.event_id},
        )
    if event.status_code is None:
        raise HuifangError(
            "event_in_progress",
            "该事件正在处理中，请稍后重试",
            "This event is still being processed; try again shortly",
            409,
            {"event_id": event.event_id},
        )
    if has_request_context():

        @after_this_request
        def _mark(response):
            response.headers[REPLAY_HEADER] = "true"
            return response

    return event.response, event.status_code


def respond_once(source: str, compute: Callable[[], tuple[dict, int]]) -> Response:
    """``once`` for the current request (its event id header, the hash of its raw body) as a response.

    The stored answer is sent as it was stored, never dumped through the view's response schema again
    (flask-smorest passes a Response through), so a replayed 4xx keeps its error shape.
    """
    answer, status = once(source, request_event_id(), body_sha256(), compute)
    response = jsonify(answer)
    response.status_code = status
    return response
