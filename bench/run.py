"""Benchmarks of the foundation: what a sign-in, a token refresh, /me and a scoped user list cost.

Run with ``make bench`` (or ``.venv/bin/python -m bench.run [--database-url URL] [--users N]``).
In-process through the WSGI test client, so the figures are the server's own work: routing,
validation, SQL, serialisation, argon2, JWT. No network. The database is made fresh and migrated.
Prints a Markdown table to paste into bench/RESULTS.md with the command that produced it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid

os.environ.setdefault("HUIFANG_INSTANCE_DIR", tempfile.mkdtemp(prefix="huifang-bench-"))
os.environ.setdefault("HUIFANG_SECRET_KEY", "bench-secret-key-that-is-long-enough-for-hs256!!")
os.environ.setdefault("HUIFANG_LOG_LEVEL", "WARNING")


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return statistics.median(ordered), p95, ordered[-1]


def _time(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL of an empty database")
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import insert

    from server import create_app, demo
    from server.auth.passwords import DEMO_PASSWORD
    from server.extensions import db
    from server.users.models import User, UserRole

    url = args.database_url or f"sqlite:///{os.environ['HUIFANG_INSTANCE_DIR']}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        tree = demo.load_tree()
        demo.load()
        counties = [inst.id for inst in tree.values() if inst.level == "county"]
        template = db.session.scalar(db.select(User.password_hash).where(User.username == "admin"))
        db.session.execute(
            insert(User),
            [
                {
                    "username": f"bench{i}",
                    "display_name": f"压测用户{i}",
                    "institution_id": counties[i % len(counties)],
                    "password_hash": template,
                }
                for i in range(args.users)
            ],
        )
        ids = db.session.scalars(db.select(User.id).where(User.username.like("bench%"))).all()
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "specialist"} for i in ids])
        db.session.commit()

    client = app.test_client()
    device = str(uuid.uuid4())

    def login():
        r = client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": DEMO_PASSWORD, "device_id": device}
        )
        assert r.status_code == 200, r.json
        return r.json

    grant = login()
    auth = {"Authorization": f"Bearer {grant['access_token']}"}
    state = {"refresh": grant["refresh_token"]}

    def refresh():
        r = client.post("/api/v1/auth/refresh", json={"refresh_token": state["refresh"], "device_id": device})
        assert r.status_code == 200, r.json
        state["refresh"] = r.json["refresh_token"]

    def me():
        assert client.get("/api/v1/me", headers=auth).status_code == 200

    def users_page():
        assert client.get("/api/v1/users?limit=50", headers=auth).status_code == 200

    def users_search():
        assert client.get("/api/v1/users?q=压测用户123&limit=50", headers=auth).status_code == 200

    rows = [
        ("login (argon2id verify + tokens)", _time(login, max(10, args.n // 10))),
        ("refresh (rotation)", _time(refresh, args.n)),
        ("GET /me", _time(me, args.n)),
        (f"GET /users first page of {args.users + 8} users", _time(users_page, args.n)),
        ("GET /users?q= name search", _time(users_search, args.n)),
    ]
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"\n{backend}, {args.users + 8} users, in-process\n")
    print("| operation | n | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, samples in rows:
        p50, p95, worst = _percentiles(samples)
        print(f"| {name} | {len(samples)} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")


if __name__ == "__main__":
    main()
