"""The short fault run of `make test`: visits with media through a proxy that drops, delays,
duplicates and cuts requests and answers. Zero lost, zero doubled, zero corrupted, counted against
the database and the media store, not against the client's beliefs. (The long run is in bench/.)"""

from __future__ import annotations

import hashlib
import random
import threading

from sqlalchemy import func, select
from werkzeug.serving import make_server

from server.extensions import db
from server.sync import changes
from server.sync.services import store
from server.visits.models import MediaBlob, MediaChunk, Visit
from sync.client import SyncClient, UrllibTransport
from sync.faults import FaultProxy, FaultRates
from tests.images import noise_jpeg

SEED = 20261125
DEVICES = 3
VISITS_PER_DEVICE = 8


def test_visits_through_faults_arrive_exactly_once_and_whole(app, login_as, make_task, visit_for, app_ctx):
    rng = random.Random(SEED)
    devices = []
    for _ in range(DEVICES):
        caller = login_as("specialist", institution="370102")
        tasks = [make_task() for _ in range(VISITS_PER_DEVICE)]
        for task in tasks:
            task.assignee_id, task.status = caller.user.id, "assigned"
            changes.task_moved(task, None)
        db.session.commit()
        devices.append((caller, tasks))

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rates = FaultRates(
        drop=0.08, delay=0.1, duplicate=0.08, cut_request=0.08, lose_response=0.08, cut_response=0.08
    )
    ledgers = []
    try:
        with FaultProxy(server.server_port, seed=SEED, rates=rates) as proxy:
            clients = []
            for caller, tasks in devices:
                transport = UrllibTransport(f"http://127.0.0.1:{proxy.port}", caller.tokens["access_token"])
                client = SyncClient(transport, chunk_size=4096, max_retries=60)
                for task in tasks:
                    photo = noise_jpeg(rng, side=rng.randint(48, 128))
                    strokes = rng.randbytes(rng.randint(500, 3000))
                    client.add(*visit_for(task, photo=photo, strokes=strokes))
                clients.append(client)

            def run(client):
                for _ in range(20):  # a specialist presses 同步 again until everything is acknowledged
                    try:
                        client.sync()
                    except Exception:  # noqa: S112 - the run is judged by the database below
                        continue
                    if all(e.state == "submitted" for e in client.ledger.values()):
                        return

            threads = [threading.Thread(target=run, args=(client,)) for client in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            faults = dict(proxy.counts)
            ledgers = [client.ledger for client in clients]
    finally:
        server.shutdown()

    # Faults really happened, of every kind.
    assert all(
        faults.get(kind, 0) > 0
        for kind in ("drop", "duplicate", "cut_request", "lose_response", "cut_response")
    ), faults
    db.session.expire_all()
    stored = {visit.uuid: visit for visit in db.session.scalars(select(Visit))}
    expected = {uuid: entry for ledger in ledgers for uuid, entry in ledger.items()}
    assert set(stored) == set(expected), "lost or extra visits"
    assert len(stored) == DEVICES * VISITS_PER_DEVICE
    assert all(visit.flags == [] for visit in stored.values())  # valid answers, nothing to flag
    media_store = store()
    for uuid, entry in expected.items():
        visit = stored[uuid]
        assert visit.hash == entry.record["hash"] and visit.record == entry.record, f"corrupted {uuid}"
        assert visit.state == "submitted", f"{uuid} not whole"
        for sha, data in entry.media.items():
            blob = db.session.get(MediaBlob, sha)
            assert blob.complete and blob.total == len(data)
            with media_store.open(sha) as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == sha, f"corrupted media {sha}"
    assert db.session.scalar(select(func.count()).select_from(MediaChunk)) == 0, "staged chunks left behind"
