"""Fuzz the whole API from its OpenAPI document with schemathesis: no 5xx, no answer off its schema.

    .venv/bin/python -m bench.fuzz_api [--requests 5000] [--database-url URL] [--seed 11]

Every operation of /api/v1/openapi.json gets its share of the requests, half generated to fit the
schema and half to break it (negative mode), sent in-process (WSGI) by a user holding every role at
the province, against a fresh migrated database with the demo book in it (so ids, policy numbers
and visit UUIDs sometimes hit real rows). Sign-in rate limits are off: they would answer the
generated sign-ins with 429, which is their job, not a finding.

Two checks on every answer: ``not_a_server_error`` (no 5xx) and ``response_schema_conformance``
(the body is what the document says for that status). Prints the figures (requests, failures, time)
as Markdown, and each distinct failure with a command that reproduces it; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import uuid
from collections import Counter

os.environ.setdefault("HUIFANG_INSTANCE_DIR", tempfile.mkdtemp(prefix="huifang-fuzz-"))
os.environ.setdefault("HUIFANG_SECRET_KEY", "bench-secret-key-that-is-long-enough-for-hs256!!")
os.environ.setdefault("HUIFANG_LOG_LEVEL", "CRITICAL")  # the app logs each 5xx; the report says it once
os.environ.setdefault("HUIFANG_ENV", "test")


def build_app(database_url: str | None):
    import flask_migrate

    from server import create_app, demo
    from server.extensions import db

    url = database_url or f"sqlite:///{os.environ['HUIFANG_INSTANCE_DIR']}/fuzz.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
        demo.load()
        db.session.commit()
    return app


def sign_in_everything(app) -> str:
    from server.auth.passwords import hash_password
    from server.extensions import db
    from server.institutions.models import Institution
    from server.users.models import User, UserRole
    from server.users.roles import ROLES

    with app.app_context():
        root = db.session.scalars(db.select(Institution).where(Institution.parent_id.is_(None))).first()
        user = User(
            username="fuzz.everything",
            display_name="模糊测试",
            institution_id=root.id,
            password_hash=hash_password("fuzz-password-long"),
            role_rows=[UserRole(role=role) for role in ROLES],
        )
        db.session.add(user)
        db.session.commit()
    answer = app.test_client().post(
        "/api/v1/auth/login",
        json={
            "username": "fuzz.everything",
            "password": "fuzz-password-long",
            "device_id": str(uuid.uuid4()),
        },
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["access_token"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000, help="at least this many requests in all")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL of an empty database")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import response_schema_conformance

    from server.extensions import db

    app = build_app(args.database_url)
    token = sign_in_everything(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    per_operation = math.ceil(args.requests / len(operations))
    headers = {"Authorization": f"Bearer {token}"}
    checks = [not_a_server_error, response_schema_conformance]

    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: dict[tuple[str, str], str] = {}
    failing_requests = 0
    started = time.perf_counter()

    def run(operation) -> None:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @seed(args.seed)
        @given(case=strategy)
        @settings(
            max_examples=per_operation,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # no shrinking: every request counts once, failures are kept
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            nonlocal failing_requests
            kwargs = case.as_transport_kwargs(base_url="http://localhost", headers=headers)
            sent[operation.label] += 1
            try:
                response = app.test_client().open(**kwargs)
            except Exception as exc:  # raised while streaming the body: the client gets a cut answer
                failing_requests += 1
                statuses[599] += 1
                key = (operation.label, f"exception while streaming: {type(exc).__name__}: {exc}"[:200])
                failures.setdefault(key, f"[cut] {case.as_curl_command(headers=headers)}")
                with app.app_context():
                    db.session.remove()
                return
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=checks)
            except FailureGroup as group:
                failing_requests += 1
                for failure in group.exceptions:
                    detail = " ".join(str(getattr(failure, "message", "") or "").split())[:240]
                    key = (operation.label, f"{failure.title}: {detail}" if detail else failure.title)
                    if key not in failures:
                        failures[key] = f"[{response.status_code}] {case.as_curl_command(headers=headers)}"
            finally:
                response.close()
                with app.app_context():
                    db.session.remove()

        exercise()

    for operation in operations:
        run(operation)
    elapsed = time.perf_counter() - started

    total = sum(sent.values())
    five_xx = sum(n for status, n in statuses.items() if status >= 500)  # 599 included
    print("## API fuzzing (schemathesis, in-process)\n")
    print("| operations | requests | 5xx | failing requests | distinct failures | time | requests/s |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {len(operations)} | {total} | {five_xx} | {failing_requests} | {len(failures)} "
        f"| {elapsed:.0f} s | {total / elapsed:.0f} |"
    )
    print("\nStatus codes (599: the body broke off while streaming): ")
    print(", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    print(f"\nCommand: .venv/bin/python -m bench.fuzz_api --requests {args.requests} --seed {args.seed}")
    if failures:
        print("\n### Failures (first request of each)\n")
        for (label, title), reproduce in sorted(failures.items()):
            print(f"- **{label}**: {title}\n  `{reproduce}`")
    # Hypothesis drops duplicate examples, so an operation with few distinct inputs yields fewer
    # than its share: a run is short only when it falls clearly below what was asked.
    short = total < 0.95 * args.requests
    if short:
        print(f"\nShort run: {total} requests of the {args.requests} asked.")
    return 1 if failures or short else 0


if __name__ == "__main__":
    sys.exit(main())
