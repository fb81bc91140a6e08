"""Search, the review queue, statistics and exports at provincial scale, on PostgreSQL (issue #10).

    .venv/bin/python -m bench.search_bench --policies 1000000 --visits 200000

Makes (or, with --reuse, keeps) a database of its own, ``huifang_bench_search`` on 127.0.0.1, migrates
it, and fills it by COPY: policies with realistic Chinese names, valid ID numbers (and their keyed
hashes) and unique phones from server/datagen's generators, spread over the demo tree's counties;
visit tasks over the last twelve months; one visit for most tasks (5% of the completed ones waiting
for review); a confirming phone callback for each approved visit; problem cases for 4% of the visits.
Visit records are stored as ``{}`` (a real record is 5–20 KB of JSON that none of these queries
reads, but the table would be larger on disk).

Then, in-process through the WSGI test client (routing, validation, SQL, serialisation; no network):

- p50/p95 of searches of each kind (a random value from the data each time);
- p50/p95 of the review queue's first page (GET /api/v1/review/queue) for the province and a city;
- the time of the statistics of one month, of twelve months by month, and of the monthly report;
- the export of every policy (``--export-rows`` of them) as CSV and as XLSX: time, bytes, and the
  peak resident memory during the export over the resident memory before it (sampled every 20 ms
  from /proc/self/status), and with --tracemalloc the peak of Python's own allocations.

Prints Markdown tables with the command that produced them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("HUIFANG_INSTANCE_DIR", tempfile.mkdtemp(prefix="huifang-bench-"))
os.environ.setdefault("HUIFANG_SECRET_KEY", "bench-secret-key-that-is-long-enough-for-hs256!!")
os.environ.setdefault("HUIFANG_PII_KEY", "bench-pii-key-that-is-long-enough-for-hmac-sha256!!")
os.environ.setdefault("HUIFANG_LOG_LEVEL", "WARNING")

COUNTIES = ("370102", "370103", "370202", "370211")
ITEMS = (
    ("new_business", 50),
    ("grace_period", 20),
    ("lapse", 8),
    ("surrender", 10),
    ("claim", 10),
    ("other", 2),
)
SOURCES = (
    ("no_phone", 25),
    ("phone_refused", 20),
    ("phone_failed", 30),
    ("explanation", 15),
    ("re_sign", 10),
)
PRODUCTS = (("traditional", 45), ("participating", 35), ("universal", 12), ("unit_linked", 8))
CHANNELS = (("agency", 55), ("bank", 30), ("telemarketing", 8), ("internet", 4), ("broker", 3))
OUTCOMES = (("completed", 88), ("not_at_home", 6), ("refused", 3), ("wrong_address", 1), ("postponed", 2))
CALLBACK_OUTCOMES = (
    ("confirmed", 93),
    ("not_visited", 2),
    ("signature_not_genuine", 1),
    ("not_understood", 3),
    ("unreachable", 1),
)
CATEGORIES = (
    ("misleading_sale", 30),
    ("not_understood", 25),
    ("proxy_signature", 12),
    ("unsigned", 10),
    ("dissatisfied", 10),
    ("premium_misappropriated", 3),
    ("visit_not_confirmed", 4),
    ("signature_not_genuine", 3),
    ("other", 3),
)


def weighted(rng: random.Random, mix):
    values = [v for v, _ in mix]
    weights = [w for _, w in mix]
    return lambda: rng.choices(values, weights)[0]


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)], ordered[-1]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """The largest resident set seen while the block runs, sampled every 20 ms."""

    def __enter__(self):
        self.before = rss_mb()
        self.peak = self.before
        self._stop = threading.Event()

        def sample():
            while not self._stop.wait(0.02):
                self.peak = max(self.peak, rss_mb())

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


# ---- data ----------------------------------------------------------------------------------------


def copy_rows(conn, table: str, columns: list[str], rows, every: int = 100_000) -> int:
    n = 0
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
            if n % every == 0:
                print(f"  {table}: {n:,}", flush=True)
    return n


def generate(url: str, args, tree: dict, people: dict) -> dict:
    """Fill the database by COPY; returns samples of values to search for."""
    import psycopg

    from server.datagen.generate import MOBILE_PREFIXES, _name, resident_id
    from server.policies.pii import hasher

    rng = random.Random(20261125)
    digest = hasher(os.environ["HUIFANG_PII_KEY"])
    now = datetime.now(UTC)
    today = now.date()
    counties = [tree[c] for c in COUNTIES]
    product = weighted(rng, PRODUCTS)
    channel = weighted(rng, CHANNELS)
    item_of = weighted(rng, ITEMS)
    source_of = weighted(rng, SOURCES)
    outcome_of = weighted(rng, OUTCOMES)
    callback_outcome = weighted(rng, CALLBACK_OUTCOMES)
    category_of = weighted(rng, CATEGORIES)
    samples: dict[str, list] = {"numbers": [], "names": [], "ids": [], "phones": []}
    policy_inst: list[int] = [0] * (args.policies + 1)
    started = time.perf_counter()

    def policies():
        for i in range(1, args.policies + 1):
            county = counties[i % len(counties)]
            policy_inst[i] = county
            born = date(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
            holder = _name(rng)
            holder_id = resident_id(rng, born)
            phone = f"{rng.choice(MOBILE_PREFIXES)}{(i * 48271 + 17) % 10**8:08d}"
            if rng.random() < 0.7:
                insured, insured_id = holder, holder_id
            else:
                insured = _name(rng, holder[0])
                insured_id = resident_id(rng, date(rng.randrange(1950, 2020), rng.randrange(1, 13), 1))
            effective = today - timedelta(days=rng.randrange(1, 5 * 365))
            number = f"P{effective:%Y}{COUNTIES[i % len(COUNTIES)]}{i:09d}"
            if i % (args.policies // 500 or 1) == 0:
                samples["numbers"].append(number)
                samples["names"].append(holder)
                samples["ids"].append(holder_id)
                samples["phones"].append(phone)
            yield (
                i,
                number,
                "鑫福年年终身寿险",
                product(),
                channel(),
                False,
                holder,
                "resident_id",
                holder_id,
                phone,
                insured,
                insured_id,
                phone if insured == holder else None,
                False,
                rng.choice((300000, 500000, 1000000, 2000000)),
                "annual",
                "{}",
                effective,
                county,
                now,
                now,
                digest(holder_id),
                digest(insured_id),
            )

    policy_columns = [
        "id",
        "policy_number",
        "product_name",
        "product_type",
        "channel",
        "group_business",
        "holder_name",
        "holder_id_type",
        "holder_id_number",
        "holder_phone",
        "insured_name",
        "insured_id_number",
        "insured_phone",
        "pays_on_death",
        "premium_fen",
        "payment_frequency",
        "details",
        "effective_date",
        "institution_id",
        "created_at",
        "updated_at",
        "holder_id_hash",
        "insured_id_hash",
    ]
    with psycopg.connect(url) as conn:
        copy_rows(conn, "policy", policy_columns, policies())
        conn.commit()
        print(f"  policies done in {time.perf_counter() - started:,.0f} s", flush=True)

        # Tasks over the last twelve months; the first `visits` of them have a visit.
        n_tasks = int(args.visits * 1.15)
        specialists = people["specialists"]  # county id → [(user id, device id)]
        tasks_meta = []

        def tasks():
            for t in range(1, n_tasks + 1):
                pid = rng.randrange(1, args.policies + 1)
                inst = policy_inst[pid]
                created = now - timedelta(seconds=rng.randrange(365 * 86400))
                due = (created + timedelta(days=rng.randrange(10, 30))).date()
                user, device = rng.choice(specialists[inst])
                has_visit = t <= args.visits
                outcome = outcome_of() if has_visit else None
                review = None
                if outcome == "completed":
                    review = rng.choices(("pending", "approved", "returned", "rejected"), (5, 85, 7, 3))[0]
                if not has_visit:
                    status = rng.choices(("unassigned", "assigned", "recontact", "cancelled"), (3, 6, 1, 1))[
                        0
                    ]
                elif review == "approved":
                    status = rng.choices(("closed", "approved"), (8, 2))[0]
                else:
                    status = {
                        "pending": "submitted",
                        "returned": "returned",
                        "rejected": "unassigned",
                    }.get(review, "assigned")
                assignee = None if status in ("unassigned", "cancelled", "recontact") else user
                tasks_meta.append((pid, inst, created, due, user, device, outcome, review))
                yield (t, pid, item_of(), source_of(), "new_business", inst, assignee, status, due, "bench", False,
                       created, created)  # fmt: skip

        copy_rows(
            conn,
            "visit_task",
            [
                "id",
                "policy_id",
                "item",
                "source",
                "questionnaire_code",
                "institution_id",
                "assignee_id",
                "status",
                "due_date",
                "due_rule",
                "paid_to_other",
                "created_at",
                "updated_at",
            ],
            tasks(),
        )
        conn.commit()
        print(f"  tasks done in {time.perf_counter() - started:,.0f} s", flush=True)

        visit_meta = []

        def visits():
            for t, (pid, inst, created, _due, user, device, outcome, review) in enumerate(
                tasks_meta, start=1
            ):
                if outcome is None:
                    continue
                received = min(now, created + timedelta(hours=rng.randrange(24, 20 * 24)))
                # Device time in Beijing, a few hours before the server received it.
                local = received + timedelta(hours=8) - timedelta(hours=rng.randrange(1, 24))
                stamp = local.strftime("%Y-%m-%dT%H:%M:%S+08:00")
                uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                priority = rng.choices((0, 1, 2, 5), (80, 10, 6, 4))[0] if review == "pending" else 0
                visit_meta.append((uid, t, pid, inst, received, user, review))
                yield (
                    uid,
                    "0" * 64,
                    t,
                    user,
                    device,
                    inst,
                    outcome,
                    "submitted",
                    "[]" if priority == 0 else '["late"]',
                    "{}",
                    stamp,
                    stamp,
                    received,
                    received,
                    review,
                    priority,
                    received + timedelta(days=2) if review not in (None, "pending") else None,
                )

        copy_rows(
            conn,
            "visit",
            [
                "uuid",
                "hash",
                "task_id",
                "user_id",
                "device_id",
                "institution_id",
                "outcome",
                "state",
                "flags",
                "record",
                "started_at",
                "finished_at",
                "received_at",
                "submitted_at",
                "review_state",
                "review_priority",
                "reviewed_at",
            ],
            visits(),
        )
        conn.commit()
        print(f"  visits done in {time.perf_counter() - started:,.0f} s", flush=True)

        agents = people["agents"]

        def callbacks():
            n = 0
            for uid, t, pid, inst, received, _user, review in visit_meta:
                if review != "approved":
                    continue
                n += 1
                created = received + timedelta(days=2)
                status = rng.choices(("done", "pending", "to_letter"), (90, 8, 2))[0]
                outcome = callback_outcome() if status == "done" else None
                completed = created + timedelta(hours=rng.randrange(2, 120)) if status == "done" else None
                yield (
                    n,
                    "confirmation",
                    status,
                    outcome,
                    t,
                    uid,
                    pid,
                    inst,
                    rng.choice(agents) if status == "done" else None,
                    rng.randrange(1, 4) if status != "pending" else 0,
                    (created + timedelta(days=10)).date(),
                    "{}",
                    created,
                    created,
                    completed,
                )

        copy_rows(
            conn,
            "phone_callback",
            [
                "id",
                "kind",
                "status",
                "outcome",
                "task_id",
                "visit_uuid",
                "policy_id",
                "institution_id",
                "agent_id",
                "attempts",
                "due_date",
                "answers",
                "created_at",
                "updated_at",
                "completed_at",
            ],
            callbacks(),
        )

        def cases():
            n = 0
            for uid, t, pid, inst, received, _user, _review in visit_meta:
                if rng.random() >= 0.04:
                    continue
                n += 1
                created = received + timedelta(hours=rng.randrange(1, 72))
                resolved = (
                    created + timedelta(hours=rng.randrange(12, 40 * 24)) if rng.random() < 0.7 else None
                )
                if resolved and resolved > now:
                    resolved = None
                yield (
                    n,
                    rng.choices(("problem", "compliance", "re_sign"), (80, 15, 5))[0],
                    category_of(),
                    "回访发现的问题",
                    "visit",
                    "resolved" if resolved else rng.choice(("open", "in_progress")),
                    pid,
                    t,
                    uid,
                    inst,
                    (created + timedelta(days=15)).date(),
                    created,
                    resolved or created,
                    resolved,
                )

        copy_rows(
            conn,
            "problem_case",
            [
                "id",
                "kind",
                "category",
                "summary",
                "source",
                "status",
                "policy_id",
                "task_id",
                "visit_uuid",
                "institution_id",
                "due_date",
                "created_at",
                "updated_at",
                "resolved_at",
            ],
            cases(),
        )
        for table in ("policy", "visit_task", "phone_callback", "problem_case"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        conn.commit()
        conn.autocommit = True
        # VACUUM as well: a database that has been running has its visibility map set by autovacuum,
        # which index-only scans (the review queue's count) rely on.
        print("  vacuum analyze ...", flush=True)
        conn.execute("VACUUM (ANALYZE)")
    print(f"  generated in {time.perf_counter() - started:,.0f} s", flush=True)
    return samples


def make_people(tree: dict) -> dict:
    """Specialists (50 a county) with a device each, phone agents, and the users who sign in."""
    from sqlalchemy import insert, select

    from server.auth.models import Device
    from server.auth.passwords import DEMO_PASSWORD, hash_password
    from server.extensions import db
    from server.questionnaires.services import ensure_problem_categories
    from server.users.models import User, UserRole

    ensure_problem_categories()
    password = hash_password(DEMO_PASSWORD)
    rows = []
    for code in COUNTIES:
        rows += [
            {
                "username": f"s{code}_{k}",
                "display_name": f"专员{code[-2:]}{k:02d}",
                "institution_id": tree[code],
            }
            for k in range(50)
        ]
    rows += [
        {"username": f"agent{k}", "display_name": f"坐席{k}", "institution_id": tree["37"]} for k in range(20)
    ]
    rows += [
        {"username": "bench_admin", "display_name": "管理员", "institution_id": tree["37"]},
        {"username": "bench_reviewer", "display_name": "审核员", "institution_id": tree["37"]},
        {"username": "bench_city_reviewer", "display_name": "济南审核", "institution_id": tree["3701"]},
    ]
    db.session.execute(insert(User), [{**r, "password_hash": password} for r in rows])
    users = {u.username: u for u in db.session.scalars(select(User))}
    roles = []
    for name, user in users.items():
        role = {
            "bench_admin": "admin",
            "bench_reviewer": "reviewer",
            "bench_city_reviewer": "reviewer",
        }.get(name, "phone_agent" if name.startswith("agent") else "specialist")
        roles.append({"user_id": user.id, "role": role})
    db.session.execute(insert(UserRole), roles)
    specialists: dict[int, list] = {}
    for name, user in users.items():
        if name.startswith("s37"):
            device = Device(user_id=user.id, device_uuid=str(uuid.uuid4()), client="field")
            db.session.add(device)
            db.session.flush()
            specialists.setdefault(user.institution_id, []).append((user.id, device.id))
    db.session.commit()
    return {"specialists": specialists, "agents": [u.id for n, u in users.items() if n.startswith("agent")]}


def stored_samples(n: int = 400) -> dict:
    """Values to search for, from a database made before (--reuse)."""
    from sqlalchemy import text

    from server.extensions import db

    rows = db.session.execute(
        text(
            "SELECT policy_number, holder_name, holder_id_number, holder_phone FROM policy "
            "TABLESAMPLE SYSTEM (1) LIMIT :n"
        ),
        {"n": n},
    ).all()
    return {
        "numbers": [r[0] for r in rows],
        "names": [r[1] for r in rows],
        "ids": [r[2] for r in rows],
        "phones": [r[3] for r in rows],
    }


# ---- measuring -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--policies", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--name", default="huifang_bench_search")
    parser.add_argument("--reuse", action="store_true", help="measure the database made before")
    parser.add_argument("--n", type=int, default=200, help="requests per search kind")
    parser.add_argument("--export-format", choices=("csv", "xlsx", "both", "none"), default="both")
    parser.add_argument("--tracemalloc", action="store_true", help="also the peak of Python's allocations")
    parser.add_argument(
        "--only", choices=("all", "queue"), default="all", help="queue: measure the review queue alone"
    )
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import create_engine, func, select, text

    from server import create_app, demo
    from server.auth.passwords import DEMO_PASSWORD
    from server.config import normalise_database_url
    from server.extensions import db
    from server.policies.models import Policy

    base = args.admin_url.rsplit("/", 1)[0]
    url = f"{base}/{args.name}"
    if not args.reuse:
        admin = create_engine(normalise_database_url(args.admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{args.name}"'))
        admin.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url)})

    with app.app_context():
        if args.reuse:
            flask_migrate.upgrade()  # the code may have moved on since the data was made
            samples = stored_samples()
        else:
            flask_migrate.upgrade()
            tree = {code: inst.id for code, inst in demo.load_tree().items()}
            db.session.commit()
            people = make_people(tree)
            db.session.remove()
            samples = generate(url, args, tree, people)
        counts = {
            table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - our names
            for table in ("policy", "visit_task", "visit", "phone_callback", "problem_case")
        }
        pending = db.session.scalar(text("SELECT count(*) FROM visit WHERE review_state = 'pending'"))
        db_size = db.session.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        latest = db.session.scalar(select(func.max(Policy.id)))
        db.session.remove()
    print(
        f"\nrows: {counts}, pending review: {pending:,}, database size: {db_size}, max policy id {latest:,}"
    )

    client = app.test_client()

    def login(username: str) -> dict:
        r = client.post(
            "/api/v1/auth/login",
            json={"username": username, "password": DEMO_PASSWORD, "device_id": str(uuid.uuid4())},
        )
        assert r.status_code == 200, r.json
        return {"Authorization": f"Bearer {r.json['access_token']}"}

    admin_auth = login("bench_admin")
    reviewer_auth = login("bench_reviewer")
    city_auth = login("bench_city_reviewer")
    rng = random.Random(7)

    def timed(path: str, query_of, auth, n: int) -> list[float]:
        out = []
        for _ in range(n):
            query = query_of()
            start = time.perf_counter()
            r = client.get(path, query_string=query, headers=auth)
            out.append((time.perf_counter() - start) * 1000)
            assert r.status_code == 200, (path, query, r.get_data(as_text=True)[:300])
        return out

    pick = rng.choice
    searches = [
        (
            "policies by policy number (q, exact)",
            "/api/v1/search/policies",
            lambda: {"q": pick(samples["numbers"])},
        ),
        (
            "policies by policy number prefix (12 chars)",
            "/api/v1/search/policies",
            lambda: {"policy_number": pick(samples["numbers"])[:12]},
        ),
        (
            "policies by ID number (keyed hash)",
            "/api/v1/search/policies",
            lambda: {"id_number": pick(samples["ids"])},
        ),
        ("policies by phone", "/api/v1/search/policies", lambda: {"phone": pick(samples["phones"])}),
        (
            "policies by full name (2–3 chars)",
            "/api/v1/search/policies",
            lambda: {"name": pick(samples["names"])},
        ),
        (
            "policies by surname + 1 char",
            "/api/v1/search/policies",
            lambda: {"name": pick(samples["names"])[:2]},
        ),
        ("tasks by name (q)", "/api/v1/search/tasks", lambda: {"q": pick(samples["names"])}),
        ("tasks by ID number (q)", "/api/v1/search/tasks", lambda: {"q": pick(samples["ids"])}),
        (
            "tasks by status + item, first page",
            "/api/v1/search/tasks",
            lambda: {
                "status": pick(["assigned", "closed", "returned"]),
                "item": pick(["grace_period", "claim"]),
            },
        ),
        (
            "visits by outcome + review state",
            "/api/v1/search/visits",
            lambda: {"outcome": "completed", "review_state": pick(["approved", "returned"])},
        ),
        ("visits by phone (q)", "/api/v1/search/visits", lambda: {"q": pick(samples["phones"])}),
        (
            "cases by category + status",
            "/api/v1/search/cases",
            lambda: {"category": pick(["misleading_sale", "unsigned"]), "status": "open"},
        ),
        (
            "callbacks by outcome",
            "/api/v1/search/callbacks",
            lambda: {"outcome": pick(["not_visited", "not_understood"])},
        ),
    ]
    only_queue = args.only == "queue"
    if only_queue:
        searches = []
    # Warm the caches the way a running server has them.
    for _, path, query in searches:
        timed(path, query, admin_auth, 3)
    results = []
    all_search = []
    for label, path, query in searches:
        samples_ms = timed(path, query, admin_auth, args.n)
        all_search += samples_ms
        results.append((label, samples_ms))
    if not only_queue:
        city = timed(
            "/api/v1/search/tasks", lambda: {"q": pick(samples["names"])}, city_auth, args.n
        )  # a city's scope
        results.append(("tasks by name (q), a city's reviewer", city))
        all_search += city

    timed("/api/v1/review/queue", lambda: {"limit": 50}, reviewer_auth, 3)  # warm, like the searches
    timed("/api/v1/review/queue", lambda: {"limit": 50}, city_auth, 3)
    queue = timed("/api/v1/review/queue", lambda: {"limit": 50}, reviewer_auth, args.n)
    queue_city = timed("/api/v1/review/queue", lambda: {"limit": 50}, city_auth, args.n)

    def once(path, query, auth):
        start = time.perf_counter()
        r = client.get(path, query_string=query, headers=auth)
        body = r.get_data()
        assert r.status_code == 200, body[:300]
        return (time.perf_counter() - start) * 1000

    today = datetime.now(UTC).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    year_from = f"{today.year - 1}-{today.month:02d}" if today.month < 12 else f"{today.year}-01"
    stats = []
    for label, path, query in (
        (
            f"overview, one month ({last_month}) by institution",
            "/api/v1/stats/overview",
            {"month_from": last_month, "month_to": last_month},
        ),
        (
            "overview, one month by specialist",
            "/api/v1/stats/overview",
            {"month_from": last_month, "month_to": last_month, "by": "specialist"},
        ),
        (
            "overview, one month by product type",
            "/api/v1/stats/overview",
            {"month_from": last_month, "month_to": last_month, "by": "product_type"},
        ),
        ("overview, twelve months by month (trend)", "/api/v1/stats/overview", {"by": "month"}),
        ("overview, twelve months by institution", "/api/v1/stats/overview", {"month_from": year_from}),
        ("problem categories × twelve months", "/api/v1/stats/problems", {}),
        (f"monthly report XLSX ({last_month})", "/api/v1/stats/monthly-report", {"month": last_month}),
    ):
        if only_queue:
            break
        runs = [once(path, query, admin_auth) for _ in range(3)]
        stats.append((label, runs))

    exports = []
    formats = {"both": ["csv", "xlsx"], "none": []}.get(args.export_format, [args.export_format])
    formats = [] if only_queue else formats
    for fmt in formats:
        tracer = None
        if args.tracemalloc:
            import tracemalloc

            tracemalloc.start()
            tracer = tracemalloc
        with PeakRss() as rss:
            start = time.perf_counter()
            r = client.get(
                "/api/v1/search/policies/export",
                query_string={"format": fmt},
                headers=admin_auth,
                buffered=False,
            )
            assert r.status_code == 200
            size = 0
            for chunk in r.response:
                size += len(chunk)
            r.close()
            seconds = time.perf_counter() - start
        traced = None
        if tracer is not None:
            traced = tracer.get_traced_memory()[1] / 2**20
            tracer.stop()
        exports.append((fmt, seconds, size, rss.before, rss.peak, traced))

    print()
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min, 2 cores)")
    flags = " --reuse" if args.reuse else ""
    flags += f" --n {args.n}" if args.n != 200 else ""
    flags += f" --export-format {args.export_format}" if args.export_format != "both" else ""
    flags += " --tracemalloc" if args.tracemalloc else ""
    flags += f" --only {args.only}" if args.only != "all" else ""
    print(
        f"`.venv/bin/python -m bench.search_bench --policies {args.policies} --visits {args.visits}{flags}`"
    )
    print()
    print(
        f"{counts['policy']:,} policies, {counts['visit_task']:,} tasks, {counts['visit']:,} visits "
        f"({pending:,} waiting for review), {counts['phone_callback']:,} phone callbacks, "
        f"{counts['problem_case']:,} problem cases; database {db_size}."
    )
    if results:
        print()
        print("| search (PostgreSQL, province admin unless said) | n | p50 ms | p95 ms | max ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for label, samples_ms in results:
            p50, p95, worst = percentiles(samples_ms)
            print(f"| {label} | {len(samples_ms)} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
        p50, p95, worst = percentiles(all_search)
        print(f"| **every search above** | {len(all_search)} | {p50:.1f} | **{p95:.1f}** | {worst:.1f} |")
    print()
    print("| review queue, first page of 50 | n | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, samples_ms in (("province reviewer", queue), ("a city's reviewer", queue_city)):
        p50, p95, worst = percentiles(samples_ms)
        print(f"| {label} | {len(samples_ms)} | {p50:.1f} | **{p95:.1f}** | {worst:.1f} |")
    if stats:
        print()
        print("| statistics (province admin) | runs | best ms | median ms | worst ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for label, runs in stats:
            print(
                f"| {label} | {len(runs)} | {min(runs):.0f} | {statistics.median(runs):.0f} | {max(runs):.0f} |"
            )
    if exports:
        print()
        print(
            "| export of every policy | rows | seconds | rows/s | MB | RSS before MB | peak RSS MB | growth MB | Python peak MB |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for fmt, seconds, size, before, peak, traced in exports:
            rows = counts["policy"]
            traced_text = f"{traced:.1f}" if traced is not None else "—"
            print(
                f"| {fmt.upper()} | {rows:,} | {seconds:,.1f} | {rows / seconds:,.0f} | {size / 2**20:,.0f} | "
                f"{before:,.0f} | {peak:,.0f} | **{peak - before:,.0f}** | {traced_text} |"
            )
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
