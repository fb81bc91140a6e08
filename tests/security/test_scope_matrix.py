"""R2 with real records: every scoped endpoint × every role that may call it × where the caller sits.

The records all belong to 3701 济南市. The callers sit in the same institution, in a child (370102
历下区), a sibling (3702 青岛市) and the parent (37 山东省). The same and the parent see the record;
the child and the sibling get 404 for it (exactly as for a missing id) and never find it in a list.
Tasks and visits: a role that oversees nothing (specialist, designer) sees only what is its own,
so such a caller who is not the record's owner sees it nowhere; the owner does.

The world is made once for the module (a pushed visit with its media, a task, a policy, ...) and
every case only reads it; the writes are called only by callers outside the subtree, who must get
404 before anything changes. Which endpoints are scoped at all is decided in tests/security/matrix.py;
test_every_scoped_endpoint_is_probed_or_excused keeps this file in step with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import Device
from server.callbacks.models import PhoneCallback
from server.cases.models import ProblemCase
from server.extensions import db
from server.intake.models import IntakeBatch
from server.letters.models import LetterCallback
from server.letters.services import code_for
from server.outbox.models import OutboxJob
from server.policies.models import Policy, Salesperson
from server.questionnaires import services as questionnaires
from server.risk.models import RiskAlert
from server.sync import changes
from server.tasks.models import VisitTask
from server.tasks.services import TaskSpec, create_tasks
from server.tasks.views import OVERSEEING_ROLES
from server.users.roles import DESIGNER, ROLES, SPECIALIST
from server.visits.models import Visit
from signatures import encode_strokes_bytes
from sync.client import SyncClient, make_record
from tests.images import noise_jpeg
from tests.security.helpers import load_org, new_user, sign_in, truncate_all
from tests.security.matrix import ANYONE, LIST, MATRIX, ONE
from tests.signatures.helpers import wave_signature
from tests.sync.conftest import FlaskTransport

HOME = "3701"
WRITE, ABSENT = "write", "absent"  # probes called only by callers outside the subtree
RELATIONS = {"same": "3701", "child": "370102", "sibling": "3702", "parent": "37"}
SEES = {"same": True, "child": False, "sibling": False, "parent": True}


@dataclass(frozen=True)
class Probe:
    """How to call an endpoint about the world's record. ``url`` is formatted with the world's
    values, and so are the body's string values. ``kind``: ONE (the record, or 404), LIST (the
    record among the rows, or absent), WRITE (only callers outside the subtree call it: 404, and
    nothing changes) or ABSENT (only callers outside the subtree: 200 without the record)."""

    url: str
    kind: str
    method: str = "GET"
    body: dict = field(default_factory=dict)
    # For lists: the field and the world's value that identify the record in the answer.
    key: tuple[str, str] | None = None
    owners_only: bool = False  # roles that oversee nothing (specialist, designer) see only their own


P = Probe
PROBES: dict[str, Probe] = {
    "institutions.list_institutions": P("/api/v1/institutions", LIST, key=("code", "institution_code")),
    "institutions.update_institution": P(
        "/api/v1/institutions/{institution}", WRITE, "PATCH", {"name": "改"}
    ),
    "users.list_users": P("/api/v1/users", LIST, key=("username", "owner_name")),
    "users.get_user": P("/api/v1/users/{owner}", ONE),
    "users.update_user": P("/api/v1/users/{owner}", WRITE, "PATCH", {"display_name": "改名"}),
    "users.set_password": P("/api/v1/users/{owner}/password", WRITE, "POST", {"password": "x" * 14}),
    "devices.list_devices": P("/api/v1/devices", LIST, key=("username", "owner_name")),
    "audit.list_events": P("/api/v1/audit-events?action=matrix_probe", LIST, key=("id", "audit_event")),
    "devices.revoke_device": P("/api/v1/devices/{device}/revoke", WRITE, "POST", {"reason": "矩阵测试"}),
    "policies.list_policies": P("/api/v1/policies", LIST, key=("policy_number", "policy_number")),
    "policies.get_policy": P("/api/v1/policies/{policy_number}", ONE),
    "policies.list_salespersons": P("/api/v1/salespersons", LIST, key=("code", "seller_code")),
    "tasks.list_tasks": P("/api/v1/tasks", LIST, key=("id", "task"), owners_only=True),
    "tasks.get_task": P("/api/v1/tasks/{task}", ONE, owners_only=True),
    "tasks.team_load": P("/api/v1/tasks/load", LIST, key=("id", "owner")),
    "tasks.cancel": P("/api/v1/tasks/{task}/cancel", WRITE, "POST", {"reason": "矩阵测试"}),
    "tasks.assign": P(
        "/api/v1/tasks/assign", WRITE, "POST", {"task_ids": ["{task}"], "assignee_id": "{owner}"}
    ),
    "risk.list_alerts": P("/api/v1/risk-alerts", LIST, key=("id", "alert")),
    "risk.get_alert": P("/api/v1/risk-alerts/{alert}", ONE),
    "risk.update_alert": P("/api/v1/risk-alerts/{alert}", WRITE, "PATCH", {"status": "investigating"}),
    "intake.list_batches": P("/api/v1/intake/batches", LIST, key=("id", "batch")),
    "intake.get_batch": P("/api/v1/intake/batches/{batch}", ONE),
    "intake.list_errors": P("/api/v1/intake/batches/{batch}/errors", ONE),
    "intake.errors_csv": P("/api/v1/intake/batches/{batch}/errors.csv", ONE),
    "intake.errors_xlsx": P("/api/v1/intake/batches/{batch}/errors.xlsx", ONE),
    "intake.confirm_batch": P("/api/v1/intake/batches/{batch}/confirm", WRITE, "POST"),
    "visits.list_visits": P("/api/v1/visits", LIST, key=("uuid", "visit"), owners_only=True),
    "visits.get_visit": P("/api/v1/visits/{visit}", ONE, owners_only=True),
    "visits.media": P("/api/v1/visits/{visit}/media/{photo}", ONE, owners_only=True),
    "visits.signature": P("/api/v1/visits/{visit}/signatures/holder.png", ONE, owners_only=True),
    "evidence.verify_visit": P("/api/v1/visits/{visit}/evidence", ONE),
    "evidence.signature_similarity": P("/api/v1/visits/{visit}/signatures/holder/similarity", ONE),
    "evidence.report": P("/api/v1/visits/{visit}/evidence.pdf", ONE),
    "evidence.bundle": P("/api/v1/visits/{visit}/evidence.zip", ONE),
    "review.review_queue": P("/api/v1/review/queue", LIST, key=("uuid", "visit")),
    "review.review_visit": P("/api/v1/review/visits/{visit}", ONE),
    "review.decide": P("/api/v1/review/visits/{visit}/decision", WRITE, "POST", {"decision": "approve"}),
    "callbacks.list_callbacks": P("/api/v1/callbacks", LIST, key=("id", "callback")),
    "callbacks.next_call": P("/api/v1/callbacks/next", ABSENT, "POST", key=("id", "callback")),
    "callbacks.recontact": P(
        "/api/v1/callbacks/{callback}/recontact", WRITE, "POST", {"phone": "13912345678"}
    ),
    "callbacks.get_callback": P("/api/v1/callbacks/{callback}", ONE),
    "callbacks.get_recording": P("/api/v1/callbacks/{callback}/recording", WRITE),
    "callbacks.record_attempt": P(
        "/api/v1/callbacks/{callback}/attempts", WRITE, "POST", {"result": "no_answer", "note": "矩阵"}
    ),
    "cases.list_cases": P("/api/v1/cases", LIST, key=("id", "case")),
    "cases.get_case": P("/api/v1/cases/{case}", ONE),
    "cases.update_case": P("/api/v1/cases/{case}", WRITE, "PATCH", {"note": "矩阵测试"}),
    "cases.resolve_case": P("/api/v1/cases/{case}/resolve", WRITE, "POST", {"resolution": "矩阵测试"}),
    "letters.list_letters": P("/api/v1/letters", LIST, key=("id", "letter")),
    "letters.get_letter": P("/api/v1/letters/{letter}", ONE),
    "letters.letter_pdf": P("/api/v1/letters/{letter}/letter.pdf", ONE),
    "letters.by_code": P("/api/v1/letters/by-code/{letter_code}", ONE),
    "letters.get_scan": P("/api/v1/letters/{letter}/scan", WRITE),
    "letters.cancel": P("/api/v1/letters/{letter}/cancel", WRITE, "POST", {"reason": "矩阵测试"}),
    "outbox.list_jobs": P("/api/v1/outbox", LIST, key=("id", "job")),
    "outbox.replay": P("/api/v1/outbox/{job}/replay", WRITE, "POST"),
    "search.search_policies": P("/api/v1/search/policies", LIST, key=("policy_number", "policy_number")),
    "search.search_tasks": P("/api/v1/search/tasks", LIST, key=("id", "task")),
    "search.search_visits": P("/api/v1/search/visits", LIST, key=("uuid", "visit")),
    "search.search_callbacks": P("/api/v1/search/callbacks", LIST, key=("id", "callback")),
    "search.search_cases": P("/api/v1/search/cases", LIST, key=("id", "case")),
    "search.export_policies": P(
        "/api/v1/search/policies/export?format=csv", LIST, key=("text", "policy_number")
    ),
    "search.export_tasks": P("/api/v1/search/tasks/export?format=csv", LIST, key=("text", "policy_number")),
    "search.export_visits": P("/api/v1/search/visits/export?format=csv", LIST, key=("text", "visit")),
    "search.export_cases": P("/api/v1/search/cases/export?format=csv", LIST, key=("text", "policy_number")),
    "search.export_callbacks": P(
        "/api/v1/search/callbacks/export?format=csv", LIST, key=("text", "policy_number")
    ),
}

# Scoped endpoints called here only with a missing id (test_matrix.py: 403 before 404), and why.
EXCUSED = {
    "letters.record_mailing": "covered by the missing-id check; its body differs by carrier",
    "letters.upload_scan": "a multipart upload: covered by the missing-id check",
    "letters.decide": "needs a returned letter: covered by the missing-id check",
    "callbacks.put_recording": "an audio body: covered by the missing-id check",
    "tasks.recontact": "needs a failed callback: covered by the missing-id check",
    "tasks.auto_assign": "writes; tests/tasks cover it",
    "overdue.overdue": "figures grouped by kind; tests/review cover its scope",
    "outbox.stats": "counts only; tests/outbox cover its scope",
    "stats.overview": "counts only; tests/stats cover its scope",
    "stats.problems": "counts only; tests/stats cover its scope",
    "stats.monthly_report": "counts only; tests/stats cover its scope",
}


def _roles_for(endpoint: str) -> list[str]:
    roles = MATRIX[endpoint].roles
    return sorted(ROLES) if roles == ANYONE else sorted(roles)


CASES = [
    (endpoint, role, relation)
    for endpoint in sorted(PROBES)
    for role in _roles_for(endpoint)
    for relation in RELATIONS
    if PROBES[endpoint].kind not in (WRITE, ABSENT) or not SEES[relation]
]


@pytest.fixture(autouse=True)
def _empty_tables():
    """Overrides the suite's per-test emptying: the world below lives for the whole module."""
    yield


@pytest.fixture(scope="module")
def world(app):
    truncate_all(app)
    with app.app_context():
        values, callers = _make_world(app)
    yield values, callers
    truncate_all(app)


def _make_world(app):
    org = load_org()
    home = org[HOME]
    owner = new_user(org, "scope.owner", [SPECIALIST], HOME)
    designer = new_user(org, "scope.designer", [DESIGNER], "37")
    version = questionnaires.create_questionnaire(
        designer, {"code": "new_business", "name": "矩阵问卷", "item": "new_business"}
    )
    version = questionnaires.publish(None, version.id, check_user=False)

    seller = Salesperson(code="SSEC3701", name="业务员", phone="13700003701", institution_id=home)
    policy = Policy(
        policy_number="PSEC3701",
        product_name="鑫福年年终身寿险",
        product_type="traditional",
        channel="agency",
        holder_name="矩阵客户",
        holder_id_number="370102198001013701",
        holder_phone="13900003701",
        insured_name="矩阵客户",
        premium_fen=500000,
        payment_period_years=10,
        institution_id=home,
    )
    db.session.add_all([seller, policy])
    db.session.commit()
    (task_id,) = create_tasks(
        [
            TaskSpec(
                policy_id=policy.id,
                item="new_business",
                source="no_phone",
                institution_id=home,
                due_date=date(2026, 12, 31),
            )
        ],
        actor_id=None,
        batch_id=None,
    )
    task = db.session.get(VisitTask, task_id)
    task.assignee_id, task.status = owner.id, "assigned"
    changes.task_moved(task, None)
    db.session.commit()

    owner_caller = sign_in(app, owner)
    owner_caller_device = db.session.scalars(select(Device).where(Device.user_id == owner.id)).one()
    photo = noise_jpeg()
    strokes, own_strokes = encode_strokes_bytes(wave_signature()), encode_strokes_bytes(wave_signature(200))
    record, media = make_record(
        task_id,
        questionnaire_version_id=version.id,
        answers={"holder_id_check": policy.holder_id_number[-4:]},
        media=[
            ("photo", photo, {"question_id": "photo_1"}),
            ("signature_strokes", strokes, {"signer": "holder", "question_id": "sign_holder"}),
            ("signature_strokes", own_strokes, {"signer": "specialist", "question_id": "sign_specialist"}),
        ],
    )
    device = SyncClient(FlaskTransport(app.test_client(), owner_caller.tokens["access_token"]))
    device.add(record, media)
    device.sync()
    assert db.session.get(Visit, record["uuid"]) is not None, "the pushed visit was not stored"
    photo_sha = next(m["sha256"] for m in record["media"] if m["kind"] == "photo")

    alert = RiskAlert(kind="shared_phone", phone="13900003701", institution_id=home)
    batch = IntakeBatch(kind="api", institution_id=home, external_ref="SEC-3701", status="checked")
    job = OutboxJob(kind="matrix.probe", payload={}, institution_id=home)
    audit_event = AuditEvent(action="matrix_probe", institution_id=home, data={})
    callback = PhoneCallback(
        task_id=task_id, policy_id=policy.id, institution_id=home, due_date=date(2026, 12, 31)
    )
    db.session.add_all([alert, batch, job, callback, audit_event])
    db.session.flush()
    case = ProblemCase(
        kind="problem",
        category="other",
        summary="矩阵测试",
        source="manual",
        policy_id=policy.id,
        task_id=task_id,
        institution_id=home,
        due_date=date(2026, 12, 31),
    )
    letter = LetterCallback(
        task_id=task_id,
        policy_id=policy.id,
        institution_id=home,
        reason="矩阵测试",
        recipient_name="矩阵客户",
        questionnaire_version_id=version.id,
    )
    db.session.add_all([case, letter])
    db.session.flush()
    letter.code = code_for(letter.id)  # as the letters service does in the inserting transaction
    db.session.commit()

    values = {
        "institution": home,
        "institution_code": HOME,
        "owner": owner.id,
        "owner_name": owner.username,
        "device": owner_caller_device.id,
        "policy_number": policy.policy_number,
        "seller_code": seller.code,
        "task": task_id,
        "visit": record["uuid"],
        "photo": photo_sha,
        "alert": alert.id,
        "batch": batch.id,
        "job": job.id,
        "audit_event": audit_event.id,
        "callback": callback.id,
        "case": case.id,
        "letter": letter.id,
        "letter_code": letter.code,
    }
    callers = {"owner": owner_caller}
    for relation, code in RELATIONS.items():
        for role in ROLES:
            user = new_user(org, f"scope.{role}.{relation}", [role], code)
            callers[(role, relation)] = sign_in(app, user)
    return values, callers


def _contains(body, name: str, value) -> bool:
    """Whether any object anywhere in the JSON answer has ``name`` equal to ``value``."""
    if isinstance(body, dict):
        if body.get(name) == value:
            return True
        return any(_contains(v, name, value) for v in body.values())
    if isinstance(body, list):
        return any(_contains(v, name, value) for v in body)
    return False


def _call(caller, probe: Probe, values: dict):
    url = probe.url.format(**values)
    kwargs = {} if probe.method in ("GET", "DELETE") else {"json": _fill(probe.body, values)}
    response = caller.client.open(
        url,
        method=probe.method,
        headers={"Authorization": f"Bearer {caller.tokens['access_token']}"},
        **kwargs,
    )
    response.get_data()
    response.close()
    return url, response


def _fill(body, values: dict):
    """The body with "{name}" strings replaced by the world's values (ids stay integers)."""
    if isinstance(body, dict):
        return {key: _fill(value, values) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, values) for value in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return values[body[1:-1]]
    return body


def _listed(response, probe: Probe, values: dict) -> bool:
    name, which = probe.key
    if name == "text":
        return str(values[which]).encode() in response.get_data()
    return _contains(response.get_json(), name, values[which])


def test_every_scoped_endpoint_is_probed_or_excused():
    scoped = {e for e, d in MATRIX.items() if d.scope in (ONE, LIST)}
    missing = sorted(scoped - set(PROBES) - set(EXCUSED))
    assert not missing, "scoped endpoints with no probe with real records nor an excuse: " + ", ".join(
        missing
    )
    assert not (set(PROBES) | set(EXCUSED)) - set(MATRIX), "probes of endpoints that are not in the matrix"


@pytest.mark.parametrize(
    ("endpoint", "role", "relation"), CASES, ids=[f"{e}-{r}-{rel}" for e, r, rel in CASES]
)
def test_scoped_endpoint_shows_only_the_callers_subtree(endpoint, role, relation, world):
    values, callers = world
    probe = PROBES[endpoint]
    url, response = _call(callers[(role, relation)], probe, values)
    sees = SEES[relation] and not (probe.owners_only and role not in OVERSEEING_ROLES)
    where = f"{probe.method} {url} as {role} in the {relation} institution ({RELATIONS[relation]})"
    if probe.kind == ABSENT:
        assert response.status_code == 200, (
            f"{where}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        )
        assert not _listed(response, probe, values), f"{where}: the record from outside the subtree was given"
    elif probe.kind == WRITE or (probe.kind == ONE and not sees):
        assert response.status_code == 404, (
            f"{where}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        )
        assert response.get_json()["code"] == "not_found", where
    elif probe.kind == ONE:
        assert response.status_code == 200, (
            f"{where}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        )
    else:
        assert response.status_code == 200, (
            f"{where}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        )
        assert _listed(response, probe, values) == sees, f"{where}: listed={not sees}, expected {sees}"


@pytest.mark.parametrize("endpoint", sorted(e for e, p in PROBES.items() if p.owners_only))
def test_the_owner_specialist_sees_what_is_theirs(endpoint, world):
    values, callers = world
    probe = PROBES[endpoint]
    url, response = _call(callers["owner"], probe, values)
    assert response.status_code == 200, (
        f"{url}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    )
    if probe.kind == LIST:
        assert _listed(response, probe, values), url
