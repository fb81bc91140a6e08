"""Sync under load: 32 devices push visits at once against gunicorn + PostgreSQL on this machine.

    .venv/bin/python -m bench.sync_bench [--devices 32] [--visits-per-device 100] [--batch 25]

Creates a fresh PostgreSQL database, migrates it, makes one specialist per device with assigned
tasks, starts gunicorn on loopback, and lets every device sync its visits (each with its
signature's strokes and the tablet's PNG of it; no photos) in batches, as a specialist coming back
into coverage would. Measures visits/s, request latency per kind, requests per sync and bytes on the
wire per visit; then verifies every visit and blob in the database against the devices' ledgers;
then measures PostgreSQL's own insert rate of the same rows without the app.
Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DB_NAME = "huifang_sync_bench"
DB_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
SECRET = "bench-secret-key-that-is-long-enough-for-hs256!!"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_database() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()


def prepare(devices: int, per_device: int, media_dir: str) -> list[tuple[str, list[int]]]:
    """Migrate, load the demo tree, one specialist per device with assigned tasks (bulk SQL)."""
    os.environ.update(
        {"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_LOG_LEVEL": "WARNING", "HUIFANG_MEDIA_DIR": media_dir}
    )
    import flask_migrate

    from server import create_app, demo
    from server.auth.passwords import hash_password
    from server.extensions import db
    from server.policies.models import Policy
    from server.tasks.models import VisitTask
    from server.users.models import User, UserRole

    app = create_app({"SQLALCHEMY_DATABASE_URI": DB_URL})
    out = []
    with app.app_context():
        flask_migrate.upgrade()
        tree = demo.load_tree()
        county = tree["370102"].id
        password = hash_password("bench-password-123")
        for n in range(devices):
            user = User(
                username=f"device{n}",
                display_name=f"专员{n}",
                institution_id=county,
                password_hash=password,
                role_rows=[UserRole(role="specialist")],
            )
            db.session.add(user)
            db.session.flush()
            policies = db.session.scalars(
                insert(Policy).returning(Policy.id),
                [
                    {
                        "policy_number": f"B{n:03d}{i:06d}",
                        "product_name": "鑫福年年终身寿险",
                        "product_type": "traditional",
                        "channel": "agency",
                        "holder_name": f"客户{n}-{i}",
                        "insured_name": f"客户{n}-{i}",
                        "holder_phone": f"139{n:03d}{i:05d}",
                        "institution_id": county,
                        "premium_fen": 500000,
                    }
                    for i in range(per_device)
                ],
            ).all()
            tasks = db.session.scalars(
                insert(VisitTask).returning(VisitTask.id),
                [
                    {
                        "policy_id": pid,
                        "item": "new_business",
                        "source": "no_phone",
                        "questionnaire_code": "new_business",
                        "institution_id": county,
                        "assignee_id": user.id,
                        "status": "assigned",
                        "due_date": __import__("datetime").date(2026, 12, 31),
                        "due_rule": "bench",
                    }
                    for pid in policies
                ],
            ).all()
            out.append((user.username, list(tasks)))
        db.session.commit()
    return out


class Meter:
    """Counts every request a device makes: kind, latency, bytes up and down."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.bytes = defaultdict(int)
        self.count = defaultdict(int)

    def wrap(self, transport):
        meter = self
        inner = transport.request

        def request(method, path, *, json_body=None, data=None, params=None):
            kind = f"{method} {path.split('/')[4] if path.count('/') >= 4 else path}"
            up = len(json.dumps(json_body).encode()) if json_body is not None else len(data or b"")
            start = time.perf_counter()
            answer = inner(method, path, json_body=json_body, data=data, params=params)
            elapsed = (time.perf_counter() - start) * 1000
            down = len(json.dumps(answer.body).encode()) if answer.body is not None else 0
            with meter.lock:
                meter.latency[kind].append(elapsed)
                meter.bytes["up"] += up
                meter.bytes["down"] += down
                meter.count[kind] += 1
            return answer

        transport.request = request
        return transport


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=32)
    parser.add_argument("--visits-per-device", type=int, default=100)
    parser.add_argument("--batch", type=int, default=25, help="visits a device syncs at once")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    from sync.client import SyncClient, UrllibTransport, make_record

    media_dir = tempfile.mkdtemp(prefix="huifang-sync-bench-")
    fresh_database()
    devices = prepare(args.devices, args.visits_per_device, media_dir)
    port = free_port()
    env = {
        **os.environ,
        "HUIFANG_DATABASE_URL": DB_URL,
        "HUIFANG_SECRET_KEY": SECRET,
        "HUIFANG_ENV": "production",
        "HUIFANG_MEDIA_DIR": media_dir,
        "HUIFANG_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            str(args.workers),
            "-k",
            "gthread",
            "--threads",
            str(args.threads),
            "-b",
            f"127.0.0.1:{port}",
            "server.wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        meter = Meter()
        clients = []
        rng = random.Random(7)
        for username, tasks in devices:
            body = json.dumps(
                {
                    "username": username,
                    "password": "bench-password-123",
                    "device_id": f"00000000-0000-4000-8000-{len(clients):012d}",
                    "client": "field",
                }
            ).encode()
            req = urllib.request.Request(
                f"{base}/api/v1/auth/login",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            token = json.loads(urllib.request.urlopen(req).read())["access_token"]
            client = SyncClient(meter.wrap(UrllibTransport(base, token)), chunk_size=256 * 1024)
            visits = []
            for task_id in tasks:
                strokes = rng.randbytes(1400)  # a compact-encoded signature (see signatures bench)
                png = rng.randbytes(6000)  # the tablet's own render of it
                answers = {f"q{i}": rng.choice(["yes", "no", "已了解", "已阅读条款"]) for i in range(24)}
                visits.append(
                    make_record(
                        task_id,
                        answers=answers,
                        media=[
                            (
                                "signature_strokes",
                                strokes,
                                {"signer": "holder", "question_id": "sign_holder"},
                            ),
                            ("signature_png", png, {"signer": "holder", "question_id": "sign_holder"}),
                        ],
                        place={
                            "lat": 36.65,
                            "lon": 117.12,
                            "accuracy_m": 15.0,
                            "at": "2026-11-25T09:05:00+08:00",
                        },
                        place_status="ok",
                        clock_offset_ms=120,
                    )
                )
            clients.append((client, visits))

        syncs = [0]

        failures = []

        def device(client, visits):
            try:
                for start in range(0, len(visits), args.batch):
                    for record, media in visits[start : start + args.batch]:
                        client.add(record, media)
                    client.sync()
                    syncs[0] += 1
            except Exception as exc:  # reported, and the database check below counts what is missing
                failures.append(repr(exc))

        threads = [threading.Thread(target=device, args=pair) for pair in clients]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    if failures:
        print(f"device failures: {failures[:3]}")

    total = args.devices * args.visits_per_device
    # Verify against the database, not the clients' beliefs.
    engine = create_engine(DB_URL)
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT uuid, hash FROM visit WHERE state = 'submitted'")).all())
        blobs = conn.execute(text("SELECT count(*) FROM media_blob WHERE complete")).scalar()
    expected = {rec["uuid"]: rec["hash"] for _, visits in clients for rec, _ in visits}
    lost = len(set(expected) - set(stored))
    wrong = sum(1 for uuid, digest in expected.items() if uuid in stored and stored[uuid] != digest)

    requests = sum(meter.count.values())
    print(
        f"\n{args.devices} devices x {args.visits_per_device} visits (batches of {args.batch}), "
        f"gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL, loopback\n"
    )
    print(
        f"- visits: {total} in {wall:.1f} s = **{total / wall:.0f} visits/s**; lost {lost}, corrupted {wrong}, "
        f"extra {len(stored) - len(set(stored) & set(expected))}; complete blobs {blobs} of {2 * total}"
    )
    print(
        f"- requests: {requests} for {syncs[0]} syncs = {requests / syncs[0]:.1f} per sync of {args.batch} visits"
    )
    print(
        f"- bytes on the wire per visit (bodies, no photos): {(meter.bytes['up'] + meter.bytes['down']) / total:.0f} "
        f"(up {meter.bytes['up'] / total:.0f}, down {meter.bytes['down'] / total:.0f})"
    )
    print("\n| request | n | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |")
    for kind, values in sorted(meter.latency.items()):
        print(
            f"| {kind} | {len(values)} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} | "
            f"{max(values):.1f} |"
        )

    # PostgreSQL's own rate for the same rows, without the app: the ceiling the app is measured against.
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE raw_visit (LIKE visit INCLUDING DEFAULTS)"))
        conn.execute(text("CREATE TEMP TABLE raw_media (LIKE visit_media INCLUDING DEFAULTS)"))
        rows = conn.execute(text("SELECT * FROM visit")).mappings().all()
        media_rows = conn.execute(text("SELECT * FROM visit_media")).mappings().all()
        visit_rows = [
            {
                **row,
                "uuid": row["uuid"][:-4] + "ffff",
                "record": json.dumps(row["record"]),
                "flags": json.dumps(row["flags"]),
            }
            for row in rows
        ]
        media_rows = [{**row, "visit_uuid": row["visit_uuid"][:-4] + "ffff"} for row in media_rows]
        began = time.perf_counter()
        for start in range(0, len(visit_rows), 100):
            chunk = visit_rows[start : start + 100]
            conn.execute(
                text(
                    "INSERT INTO raw_visit (uuid, hash, task_id, user_id, device_id, institution_id, "
                    "questionnaire_version_id, outcome, state, flags, record, started_at, finished_at, received_at) "
                    "VALUES (:uuid, :hash, :task_id, :user_id, :device_id, :institution_id, :questionnaire_version_id, "
                    ":outcome, :state, CAST(:flags AS json), CAST(:record AS json), :started_at, :finished_at, :received_at)"
                ),
                chunk,
            )
            uuids = {row["uuid"] for row in chunk}
            conn.execute(
                text(
                    "INSERT INTO raw_media (visit_uuid, sha256, kind, mime, size, question_id, signer) VALUES "
                    "(:visit_uuid, :sha256, :kind, :mime, :size, :question_id, :signer)"
                ),
                [m for m in media_rows if m["visit_uuid"] in uuids],
            )
        raw = time.perf_counter() - began
    print(
        f"\n- PostgreSQL alone, same visit and media rows, batches of 100 in one transaction: "
        f"{len(visit_rows) / raw:.0f} visits/s; the app reached {100 * (total / wall) / (len(visit_rows) / raw):.0f} % "
        f"of it"
    )
    engine.dispose()
    sys.exit(1 if lost or wrong else 0)


if __name__ == "__main__":
    main()
