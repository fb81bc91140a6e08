"""The reference sync client: what a tablet does, in Python, for tests, benchmarks and faults.

It keeps a ledger of every visit it made: the record, its media bytes and what the server last
said. ``sync()`` pushes what is not yet acknowledged (batches of up to 100 records: a sync of N
visits costs ceil(N/100) pushes plus the media), then uploads each missing medium from the offset
the server reports, so an upload cut at 80 % resumes at 80 %. Every step is safe to repeat: pushes
are idempotent by UUID and hash, chunks are accepted only at the server's offset.

The transport is pluggable: ``UrllibTransport`` speaks HTTP with the standard library; tests wrap
Flask's test client. A transport raises ``TransportError`` when a request or its answer is lost.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Protocol

from sync.canonical import record_hash

PUSH_BATCH = 100


class TransportError(Exception):
    """The request or its answer was lost: the outcome on the server is unknown."""


@dataclass
class Response:
    status: int
    body: dict | list | None


class Transport(Protocol):
    def request(
        self, method: str, path: str, *, json_body=None, data: bytes | None = None, params: dict | None = None
    ) -> Response: ...


class UrllibTransport:
    def __init__(self, base_url: str, token: str, timeout: float = 30.0):
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def request(self, method, path, *, json_body=None, data=None, params=None) -> Response:
        url = self.base_url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            headers["Content-Type"] = "application/octet-stream"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - our server
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as answer:  # noqa: S310
                return Response(answer.status, _json(answer.read()))
        except urllib.error.HTTPError as error:
            try:
                return Response(error.code, _json(error.read()))
            except (ValueError, http.client.HTTPException) as exc:  # a proxy's page, a cut answer
                raise TransportError(f"HTTP {error.code} without a whole JSON answer") from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            # No answer, half an answer, or an answer cut inside its JSON: the outcome is unknown.
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc


def _json(raw: bytes):
    return json.loads(raw) if raw else None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_record(
    task_id: int,
    *,
    questionnaire_version_id: int | None = None,
    answers: dict | None = None,
    media: list[tuple[str, bytes, dict]] = (),
    outcome: str = "completed",
    started_at: str = "2026-11-25T09:00:00+08:00",
    finished_at: str = "2026-11-25T09:40:00+08:00",
    record_uuid: str | None = None,
    **extra,
) -> tuple[dict, dict[str, bytes]]:
    """A visit record with its hash, and its media bytes by SHA-256.

    ``media`` holds (kind, bytes, extra ref fields) such as ("photo", b"...", {"question_id": "q9"}).
    """
    mime = {
        "signature_strokes": "application/x-huifang-strokes",
        "signature_png": "image/png",
        "photo": "image/jpeg",
    }
    refs, blobs = [], {}
    for kind, data, more in media:
        sha = sha256_hex(data)
        blobs[sha] = data
        refs.append({"sha256": sha, "kind": kind, "size": len(data), "mime": mime[kind], **more})
    record = {
        "uuid": record_uuid or str(uuidlib.uuid4()),
        "task_id": task_id,
        "questionnaire_version_id": questionnaire_version_id,
        "started_at": started_at,
        "finished_at": finished_at,
        "outcome": outcome,
        "answers": answers or {},
        "media": refs,
        **extra,
    }
    record["hash"] = record_hash(record)
    return record, blobs


@dataclass
class Entry:
    record: dict
    media: dict[str, bytes]
    status: str = "pending"  # pending | accepted | duplicate | conflict | rejected
    state: str | None = None  # awaiting_media | submitted, as the server last said
    missing: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)


@dataclass
class SyncStats:
    pushes: int = 0
    pulls: int = 0
    status_requests: int = 0
    chunk_requests: int = 0
    state_requests: int = 0
    retries: int = 0


class SyncClient:
    def __init__(
        self,
        transport: Transport,
        *,
        chunk_size: int = 256 * 1024,
        max_retries: int = 8,
        backoff: float = 0.0,
    ):
        self.transport = transport
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.backoff = backoff
        self.ledger: dict[str, Entry] = {}
        self.cursor = 0
        self.tasks: dict[int, dict] = {}
        self.stats = SyncStats()

    # -- local side --------------------------------------------------------------------------
    def add(self, record: dict, media: dict[str, bytes]) -> Entry:
        entry = Entry(record, media)
        self.ledger[record["uuid"]] = entry
        return entry

    def _call(self, method, path, **kwargs) -> Response:
        for attempt in range(self.max_retries + 1):
            try:
                return self.transport.request(method, path, **kwargs)
            except TransportError:
                if attempt == self.max_retries:
                    raise
                self.stats.retries += 1
                if self.backoff:
                    time.sleep(self.backoff * (2**attempt))
        raise AssertionError("unreachable")

    # -- pull --------------------------------------------------------------------------------
    def pull(self, limit: int = 200) -> list[dict]:
        """Fetch every page since the cursor and apply it to the local task set."""
        seen = []
        while True:
            answer = self._call("GET", "/api/v1/sync/pull", params={"cursor": self.cursor, "limit": limit})
            self.stats.pulls += 1
            if answer.status != 200:
                raise RuntimeError(f"pull failed: {answer.status} {answer.body}")
            for change in answer.body["changes"]:
                if change["kind"] == "task":
                    self.tasks[change["id"]] = change["data"]
                elif change["kind"] == "tombstone":
                    self.tasks.pop(change["id"], None)
                seen.append(change)
            self.cursor = answer.body["next_cursor"]
            if not answer.body["more"]:
                return seen

    # -- push --------------------------------------------------------------------------------
    def push(self) -> None:
        waiting = [e for e in self.ledger.values() if e.status == "pending"]
        for start in range(0, len(waiting), PUSH_BATCH):
            batch = waiting[start : start + PUSH_BATCH]
            answer = self._call("POST", "/api/v1/sync/push", json_body={"visits": [e.record for e in batch]})
            self.stats.pushes += 1
            if answer.status != 200:
                raise RuntimeError(f"push failed: {answer.status} {answer.body}")
            for result in answer.body["results"]:
                entry = self.ledger[result["uuid"]]
                entry.status = result["status"]
                entry.problems = result["problems"]
                entry.missing = result.get("missing_media", [])
                entry.state = result.get("state")

    def upload(self, sha: str, data: bytes) -> dict:
        """Send a blob from wherever the server says it stands; resume after any cut.

        The first try starts at 0 without asking (the push just said the blob is missing); if the
        server holds part of it from an earlier cut it answers offset_mismatch with its offset.
        After a lost request the client asks where the server stands before going on.
        """
        offset, ask = 0, False
        for _ in range(self.max_retries + 1):
            if ask:
                state = self._call("GET", f"/api/v1/sync/media/{sha}")
                self.stats.state_requests += 1
                if state.status != 200:
                    raise RuntimeError(f"media state failed: {state.status} {state.body}")
                if state.body["state"] == "complete":
                    return state.body
                offset = state.body["offset"]
            try:
                while True:
                    chunk = data[offset : offset + self.chunk_size]
                    answer = self.transport.request(
                        "PUT",
                        f"/api/v1/sync/media/{sha}",
                        data=chunk,
                        params={"offset": offset, "total": len(data)},
                    )
                    self.stats.chunk_requests += 1
                    if answer.status == 409 and answer.body["code"] == "offset_mismatch":
                        offset = answer.body["details"]["offset"]  # an earlier try got further
                        continue
                    if answer.status != 200:
                        raise RuntimeError(f"upload refused: {answer.status} {answer.body}")
                    if answer.body["state"] == "complete":
                        return answer.body
                    offset = answer.body["offset"]
            except TransportError:
                self.stats.retries += 1
                ask = True  # ask the server where it stands and carry on from there
        raise TransportError(f"upload of {sha} kept failing")

    def status(self, uuids: list[str]) -> None:
        """Ask where stored visits stand (cheaper than pushing them again)."""
        for start in range(0, len(uuids), 500):
            answer = self._call(
                "POST", "/api/v1/sync/status", json_body={"uuids": uuids[start : start + 500]}
            )
            self.stats.status_requests += 1
            if answer.status != 200:
                raise RuntimeError(f"status failed: {answer.status} {answer.body}")
            for row in answer.body["visits"]:
                entry = self.ledger[row["uuid"]]
                if row["state"] == "unknown":
                    entry.status = "pending"  # the server lost it or never had it: push again
                else:
                    entry.state, entry.missing = row["state"], row["missing_media"]

    def sync(self) -> None:
        """Push what is unacknowledged, upload what the server lacks, then ask whether all is whole."""
        self.push()
        uploaded = []
        for uuid, entry in self.ledger.items():
            if entry.status in ("accepted", "duplicate") and entry.missing:
                for sha in entry.missing:
                    self.upload(sha, entry.media[sha])
                uploaded.append(uuid)
        if uploaded:
            self.status(uploaded)
        if any(e.status == "pending" for e in self.ledger.values()):
            self.push()
