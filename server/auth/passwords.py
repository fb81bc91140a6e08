"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.errors import HuifangError

_hasher = PasswordHasher()
# Verified against when the username does not exist, so that both answers take the same time.
_DUMMY_HASH = _hasher.hash("huifang-timing-equaliser")

MIN_LENGTH = 10
DEMO_PASSWORD = "huifang-demo"  # noqa: S105 - the documented demo password, refused in production


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_strength(password: str, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise HuifangError(
            "password_too_weak",
            f"密码至少需要 {MIN_LENGTH} 个字符",
            f"The password needs at least {MIN_LENGTH} characters",
            422,
            {"min_length": MIN_LENGTH},
        )
    if username and password.lower() == username.lower():
        raise HuifangError(
            "password_too_weak", "密码不能与用户名相同", "The password cannot be the username", 422
        )
