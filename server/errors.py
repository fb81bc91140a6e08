"""One error shape for every failure.

Every error the API returns, whatever raised it (a service rule, schema validation, a wrong URL, a
too-large upload, a bug), is JSON of one shape::

    {"code": "...", "message": "中文说明", "message_en": "English", "details": {...}}

Services raise HuifangError; the handlers below turn everything else into the same shape.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("huifang.errors")


class HuifangError(Exception):
    """The project's one exception type: a stable code, a status, and both languages."""

    def __init__(self, code: str, message: str, message_en: str, status: int = 400, details=None):
        super().__init__(message_en)
        self.code = code
        self.message = message
        self.message_en = message_en
        self.status = status
        self.details = details or {}
        self.headers: dict[str, str] = {}

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
            "details": self.details,
        }


def not_found(what_zh: str = "记录", what_en: str = "record") -> HuifangError:
    # Out-of-scope records answer the same as missing ones, so that ids leak nothing.
    return HuifangError("not_found", f"{what_zh}不存在", f"{what_en.capitalize()} not found", 404)


def forbidden() -> HuifangError:
    return HuifangError("forbidden", "您没有执行此操作的权限", "You are not allowed to do this", 403)


# Standard HTTP failures, in both languages. Anything not listed falls back to the generic entry.
HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式有误", "The request is malformed"),
    401: ("unauthorized", "请先登录", "Please sign in"),
    403: ("forbidden", "您没有执行此操作的权限", "You are not allowed to do this"),
    404: ("not_found", "请求的地址不存在", "No such resource"),
    405: ("method_not_allowed", "不支持此请求方法", "This method is not allowed here"),
    406: ("not_acceptable", "无法提供所要求的格式", "Cannot produce the requested format"),
    409: ("conflict", "与现有数据冲突", "Conflicts with existing data"),
    413: ("payload_too_large", "提交的数据过大", "The request body is too large"),
    415: ("unsupported_media_type", "不支持此内容类型", "Unsupported content type"),
    422: ("validation_error", "提交的数据有误，请检查后重试", "The submitted data is invalid"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试", "Too many requests, try again later"),
    500: ("internal_error", "服务器内部错误，请稍后再试", "Internal server error, please try again later"),
    503: ("service_unavailable", "服务暂时不可用", "Service temporarily unavailable"),
}


def from_http_exception(exc: HTTPException) -> HuifangError:
    status = exc.code or 500
    code, zh, en = HTTP_ERRORS.get(status, (f"http_{status}", "请求失败", exc.name or "Request failed"))
    details: dict = {}
    # webargs/flask-smorest put the field messages of a failed validation in exc.data["messages"].
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and "messages" in data:
        fields = _flatten_locations(data["messages"])
        details = {"fields": fields, "fields_zh": _in_chinese(fields)}
    err = HuifangError(code, zh, en, status, details)
    # Keep the Allow header of a 405 (flask-smorest's own handler drops it; RFC 9110 wants it).
    if hasattr(exc, "get_headers"):
        for name, value in exc.get_headers():
            if name.lower() in ("allow", "retry-after", "www-authenticate"):
                err.headers[name] = value
    return err


def _flatten_locations(messages: dict) -> dict:
    """webargs nests field errors under the location (json, query, ...); clients want the fields."""
    if len(messages) == 1:
        (only,) = messages.values()
        if isinstance(only, dict):
            return only
    return messages


# marshmallow's own field messages (English) and what a Chinese reader is shown instead. Messages
# a schema writes itself pass through unchanged (they are bilingual already where it matters).
_MESSAGES_ZH: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(f"^{pattern}$"), zh)
    for pattern, zh in (
        (r"Missing data for required field\.", "必填"),
        (r"Field may not be null\.", "不能为空"),
        (r"Invalid value\.", "取值无效"),
        (r"Not a valid string\.", "应为文本"),
        (r"Not a valid utf-8 string\.", "不是有效的 UTF-8 文本"),
        (r"Not a valid integer\.", "应为整数"),
        (r"Not a valid number\.", "应为数字"),
        (r"Number too large\.", "数字过大"),
        (r"Special numeric values \(nan or infinity\) are not permitted\.", "不能是 NaN 或无穷大"),
        (r"Not a valid boolean\.", "应为是或否（true/false）"),
        (r"Not a valid (?:aware |naive )?datetime\.", "应为日期时间（ISO 8601，带时区）"),
        (r"Not a valid (?:aware |naive )?time\.", "应为时间（如 09:30）"),
        (r"Not a valid date\.", "应为日期（YYYY-MM-DD）"),
        (r"Not a valid list\.", "应为列表"),
        (r"Not a valid mapping type\.", "应为对象"),
        (r"Invalid type\.", "类型无效"),
        (r"Invalid input type\.", "输入类型无效"),
        (r"Unknown field\.", "不认识的字段"),
        (r"Not a valid email address\.", "不是有效的电子邮件地址"),
        (r"Not a valid URL\.", "不是有效的网址"),
        (r"Not a valid UUID\.", "不是有效的 UUID"),
        (r"Length must be between (\S+) and (\S+)\.", r"长度应为 \1 到 \2"),
        (r"Length must be (\S+)\.", r"长度应为 \1"),
        (r"Longer than maximum length (\S+)\.", r"长度不能超过 \1"),
        (r"Shorter than minimum length (\S+)\.", r"长度不能少于 \1"),
        (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.", r"应在 \1 到 \2 之间"),
        (r"Must be greater than or equal to (\S+)\.", r"不能小于 \1"),
        (r"Must be less than or equal to (\S+)\.", r"不能大于 \1"),
        (r"Must be greater than (\S+)\.", r"应大于 \1"),
        (r"Must be less than (\S+)\.", r"应小于 \1"),
        (r"Must be one of: (.*)\.", r"应为以下之一：\1"),
        (r"String does not match expected pattern\.", "格式不正确"),
        (r"Invalid input\.", "输入无效"),
    )
)


def _in_chinese(messages):
    """The same nesting as ``messages``, marshmallow's English replaced by Chinese where known."""
    if isinstance(messages, dict):
        return {key: _in_chinese(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_in_chinese(value) for value in messages]
    if isinstance(messages, str):
        for pattern, zh in _MESSAGES_ZH:
            if pattern.match(messages):
                return pattern.sub(zh, messages)
    return messages


def _respond(err: HuifangError):
    response = jsonify(err.to_dict())
    response.status_code = err.status
    for name, value in err.headers.items():
        response.headers[name] = value
    return response


def _refuse_nul_characters() -> None:
    """A NUL character in JSON or a query string is never meaningful, and PostgreSQL refuses it in
    text columns with an error deep in the driver: refuse it at the door, for every endpoint."""
    if "\x00" in request.query_string.decode("latin-1") or "%00" in request.query_string.decode("latin-1"):
        raise HuifangError(
            "nul_character", "请求中含有空字符（NUL）", "The request contains a NUL character", 422
        )
    if request.is_json and (b"\\u0000" in request.get_data().lower() or b"\x00" in request.get_data()):
        raise HuifangError(
            "nul_character", "请求中含有空字符（NUL）", "The request contains a NUL character", 422
        )


def register(app: Flask) -> None:
    """Install the handlers; called after flask-smorest so that ours replace its HTTP handler."""

    app.before_request(_refuse_nul_characters)

    @app.errorhandler(HuifangError)
    def _huifang(err: HuifangError):
        return _respond(err)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return _respond(from_http_exception(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return _respond(from_http_exception(_InternalError()))


class _InternalError(HTTPException):
    code = 500
