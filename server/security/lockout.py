"""Account lockout after too many wrong passwords in a row.

After ``HUIFANG_LOCKOUT_THRESHOLD`` (5) wrong passwords in a row an account refuses every sign-in
for ``HUIFANG_LOCKOUT_MINUTES`` (15), whatever the password: a locked answer says nothing about
whether the guess was right. A right password before that resets the count. The state is two
columns of the user (``failed_logins``, ``locked_until``), so every app server sees the same lock;
each lockout is audited. A threshold of 0 turns lockout off.

Time comes from ``now()`` so that tests move the clock instead of waiting.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update

from server.audit import services as audit
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.users.models import User


def now() -> datetime:
    return utcnow()


def account_locked(until: datetime) -> HuifangError:
    retry_after = max(1, math.ceil((until - now()).total_seconds()))
    minutes = math.ceil(retry_after / 60)
    err = HuifangError(
        "account_locked",
        f"密码错误次数过多，账号已暂时锁定，请 {minutes} 分钟后再试或联系管理员",
        f"Too many wrong passwords: the account is locked, try again in {minutes} minutes "
        "or ask an administrator",
        423,
        {"retry_after": retry_after},
    )
    err.headers["Retry-After"] = str(retry_after)
    return err


def refuse_if_locked(user: User | None) -> None:
    """Raise 423 account_locked while the user's lock lasts; checked before the password is."""
    if user is not None and user.locked_until is not None and user.locked_until > now():
        raise account_locked(user.locked_until)


def record_failure(user: User) -> bool:
    """One more wrong password; at the threshold the account is locked (and the count starts over).
    True when this failure locked the account."""
    threshold = current_app.config["HUIFANG_LOCKOUT_THRESHOLD"]
    if threshold <= 0:
        return False
    # An UPDATE with the increment in SQL: two wrong guesses at once both count.
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, ["failed_logins"])
    if user.failed_logins < threshold:
        return False
    until = now() + timedelta(minutes=current_app.config["HUIFANG_LOCKOUT_MINUTES"])
    user.locked_until = until
    user.failed_logins = 0
    audit.record(
        "account_locked",
        target=user,
        institution_id=user.institution_id,
        failed_logins=threshold,
        locked_until=until.isoformat(),
    )
    return True


def record_success(user: User) -> None:
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins = 0
        user.locked_until = None
