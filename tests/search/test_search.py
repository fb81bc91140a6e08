"""Search: every filter, scoping to the caller's subtree, masking by role, keyset pages, ID hashes."""

from __future__ import annotations

import hmac
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import text, update

from server.extensions import db
from server.policies import pii
from server.policies import services as policies
from server.policies.models import Policy
from server.tasks.models import VisitTask
from tests.server.conftest import assert_error


def ids(response, key="id"):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item[key] for item in response.json["items"]]


def numbers(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(item["policy"]["policy_number"] for item in response.json["items"])


@pytest.fixture
def admin(login_as):
    return login_as("admin", institution="37")


@pytest.fixture
def reviewer(login_as):
    return login_as("reviewer", institution="37")


# ---- the keyed ID hash -------------------------------------------------------------------------


def expected_hash(number: str) -> str:
    key = current_app.config["HUIFANG_PII_KEY"].encode()
    return hmac.digest(key, number.encode(), "sha256").hex()


def test_every_way_a_policy_is_written_keeps_its_id_hashes(app_ctx, make_policy, org):
    made = make_policy(holder_id_number="370102198001011234", insured_id_number="37010220100101123X")
    assert made.holder_id_hash == expected_hash("370102198001011234")
    assert made.insured_id_hash == expected_hash("37010220100101123X")
    assert "370102198001011234" not in made.holder_id_hash

    # The bulk upsert (the policy system's API and intake): new rows and changed ID numbers.
    row = {
        "policy_number": "PB0001",
        "product_name": "鑫福年年终身寿险",
        "product_type": "traditional",
        "channel": "agency",
        "holder_name": "张三丰",
        "insured_name": "张三丰",
        "holder_id_number": "110101199003070011",
        "institution_id": org["370102"],
    }
    pid = policies.upsert_policies([row], source="policy_system", actor_id=None)["PB0001"]
    db.session.commit()
    stored = db.session.get(Policy, pid)
    assert stored.holder_id_hash == expected_hash("110101199003070011") and stored.insured_id_hash is None
    policies.upsert_policies(
        [{"policy_number": "PB0001", "holder_id_number": "110101199003070038"}],
        source="intake",
        actor_id=None,
    )
    db.session.commit()
    db.session.refresh(stored)
    assert stored.holder_id_hash == expected_hash("110101199003070038")

    # ORM updates too.
    made.holder_id_number = "370102198001019999"
    db.session.commit()
    assert made.holder_id_hash == expected_hash("370102198001019999")


def test_rehash_command_fills_hashes_written_around_the_model(app, app_ctx, make_policy):
    policy = make_policy(holder_id_number="370102198001011234")
    db.session.execute(update(Policy).values(holder_id_hash=None, insured_id_hash=None))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "rehash-ids", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "1 policies hashed" in result.output
    db.session.expire_all()
    assert db.session.get(Policy, policy.id).holder_id_hash == expected_hash("370102198001011234")


# ---- ID numbers encrypted at rest ---------------------------------------------------------------


def _stored(policy_id: int) -> tuple[str | None, str | None]:
    """What the database itself holds, read around the column type."""
    row = db.session.execute(
        text("SELECT holder_id_number, insured_id_number FROM policy WHERE id = :id"), {"id": policy_id}
    ).one()
    return row[0], row[1]


def test_id_numbers_are_stored_encrypted_by_every_way_a_policy_is_written(app_ctx, make_policy, org):
    made = make_policy(holder_id_number="370102198001011234", insured_id_number="37010220100101123X")
    holder, insured = _stored(made.id)
    assert holder.startswith("v1.") and insured.startswith("v1.")
    assert "198001011234" not in holder + insured
    db.session.expire_all()
    assert db.session.get(Policy, made.id).holder_id_number == "370102198001011234"  # read in clear

    # The bulk upsert (COPY on PostgreSQL) encrypts too; the same number twice is two ciphertexts.
    row = {
        "policy_number": "PB0002",
        "product_name": "鑫福年年终身寿险",
        "product_type": "traditional",
        "channel": "agency",
        "holder_name": "张三丰",
        "insured_name": "张三丰",
        "holder_id_number": "370102198001011234",
        "insured_id_number": "370102198001011234",
        "institution_id": org["370102"],
    }
    pid = policies.upsert_policies([row], source="intake", actor_id=None)["PB0002"]
    db.session.commit()
    holder2, insured2 = _stored(pid)
    assert holder2.startswith("v1.") and holder2 != insured2 and holder2 != holder
    assert db.session.get(Policy, pid).insured_id_number == "370102198001011234"
    # The same rows again change nothing (the comparison is on clear values, not ciphertexts).
    again = policies.upsert_policies_detailed([row], "intake", None)
    assert again["PB0002"][1] == "unchanged"


def test_a_new_pii_key_reads_old_values_until_they_are_re_encrypted(app, app_ctx, make_policy, admin):
    policy = make_policy(holder_id_number="370102198001011234")
    old_key = app.config["HUIFANG_PII_KEY"]
    old_cipher = _stored(policy.id)[0]
    app.config["HUIFANG_PII_KEY"] = "a-new-pii-key-that-is-long-enough-0123456789"
    try:
        db.session.expire_all()
        with pytest.raises(pii.PiiKeyMissing):  # the old key is needed to read what it wrote
            db.session.get(Policy, policy.id).holder_id_number  # noqa: B018
        db.session.rollback()
        app.config["HUIFANG_PII_OLD_KEYS"] = old_key
        db.session.expire_all()
        assert db.session.get(Policy, policy.id).holder_id_number == "370102198001011234"
        result = app.test_cli_runner().invoke(args=["search", "rehash-ids"])
        assert result.exit_code == 0, result.output
        new_cipher = _stored(policy.id)[0]
        assert new_cipher.split(".")[1] != old_cipher.split(".")[1]  # another key id
        app.config["HUIFANG_PII_OLD_KEYS"] = ""  # the old key can go now
        db.session.expire_all()
        assert db.session.get(Policy, policy.id).holder_id_number == "370102198001011234"
        found = admin.get("/api/v1/search/policies", query_string={"id_number": "370102198001011234"})
        assert ids(found) == [policy.id]
    finally:
        app.config["HUIFANG_PII_KEY"], app.config["HUIFANG_PII_OLD_KEYS"] = old_key, ""


# ---- finding a person --------------------------------------------------------------------------


def test_find_by_id_number_exactly_whoever_holds_or_is_insured(admin, make_policy):
    holder = make_policy(holder_id_number="37010219800101123X", insured_id_number=None)
    insured = make_policy(holder_id_number="370102197001010011", insured_id_number="37010219800101123X")
    make_policy(holder_id_number="370102198001011230")
    found = admin.get("/api/v1/search/policies", query_string={"id_number": "37010219800101123x"})
    assert sorted(ids(found)) == sorted([holder.id, insured.id])
    # Exact only: a part of a number finds nothing (the hash has no parts).
    assert ids(admin.get("/api/v1/search/policies", query_string={"id_number": "370102198001"})) == []
    # q recognises an ID number, with spaces as people type them.
    assert sorted(
        ids(admin.get("/api/v1/search/policies", query_string={"q": "370102 19800101 123X"}))
    ) == sorted([holder.id, insured.id])


def test_find_by_phone_in_any_written_form(admin, make_policy):
    wanted = make_policy(holder_phone="13912345678")
    insured = make_policy(holder_phone="13700000000", insured_phone="13912345678")
    make_policy(holder_phone="13912345679")
    for typed in ("13912345678", "+86 139-1234-5678", "139 1234 5678"):
        assert sorted(ids(admin.get("/api/v1/search/policies", query_string={"phone": typed}))) == sorted(
            [wanted.id, insured.id]
        ), typed
    assert sorted(ids(admin.get("/api/v1/search/policies", query_string={"q": "139-1234-5678"}))) == sorted(
        [wanted.id, insured.id]
    )
    assert_error(
        admin.get("/api/v1/search/policies", query_string={"phone": "12345"}), 422, "validation_error"
    )


def test_find_by_policy_number_prefix(admin, make_policy):
    a = make_policy(policy_number="P2026370102000000123")
    b = make_policy(policy_number="P2026370102000000124")
    make_policy(policy_number="P2025370102000000125")
    assert sorted(ids(admin.get("/api/v1/search/policies", query_string={"policy_number": "p202637"}))) == [
        a.id,
        b.id,
    ]
    assert ids(admin.get("/api/v1/search/policies", query_string={"q": "P2026370102000000124"})) == [b.id]
    # LIKE's wildcards are plain characters here.
    assert ids(admin.get("/api/v1/search/policies", query_string={"policy_number": "P%"})) == []


def test_find_by_part_of_a_chinese_name(admin, make_policy):
    zsf = make_policy(holder_name="张三丰", insured_name="张三丰")
    zs = make_policy(holder_name="张三", insured_name="李四")
    insured = make_policy(holder_name="王五", insured_name="欧阳三丰")
    ws = make_policy(holder_name="王三", insured_name="王三")

    def find(name):
        return sorted(ids(admin.get("/api/v1/search/policies", query_string={"name": name})))

    assert find("张三丰") == [zsf.id]  # three characters: anywhere
    assert find("阳三丰") == [insured.id]
    assert find("张三") == sorted([zsf.id, zs.id])  # two: the start ...
    assert find("三丰") == sorted([zsf.id, insured.id])  # ... or the end of the name
    assert find("张") == sorted([zsf.id, zs.id])  # one: the surname
    assert find("王") == sorted([insured.id, ws.id])
    assert find("张%") == []
    assert sorted(ids(admin.get("/api/v1/search/policies", query_string={"q": "三丰"}))) == sorted(
        [zsf.id, insured.id]
    )


# ---- the filters of each kind ------------------------------------------------------------------


def test_task_filters(admin, make_policy, make_task, make_user, org):
    specialist = make_user("specialist", institution="370102")
    bank = make_policy(channel="bank", product_type="universal", holder_name="赵一")
    t1 = make_task(bank, item="grace_period", source="phone_failed", due_date=date(2026, 1, 10))
    t2 = make_task(
        make_policy(holder_name="钱二"), item="new_business", source="no_phone", due_date=date(2030, 1, 1)
    )
    t3 = make_task(
        make_policy(holder_name="孙三", institution="370202"),
        item="claim",
        source="re_sign",
        due_date=date(2030, 2, 1),
    )
    db.session.execute(
        update(VisitTask).where(VisitTask.id == t2.id).values(assignee_id=specialist.id, status="assigned")
    )
    db.session.execute(
        update(VisitTask)
        .where(VisitTask.id == t3.id)
        .values(status="closed", created_at=datetime(2025, 6, 1, 1, tzinfo=UTC))
    )
    db.session.commit()

    def find(**query):
        return sorted(ids(admin.get("/api/v1/search/tasks", query_string=query)))

    assert find() == sorted([t1.id, t2.id, t3.id])
    assert find(status=["assigned", "closed"]) == sorted([t2.id, t3.id])
    assert find(item="grace_period") == [t1.id]
    assert find(source="re_sign") == [t3.id]
    assert find(channel="bank") == [t1.id]
    assert find(product_type="universal") == [t1.id]
    assert find(assignee_id=specialist.id) == [t2.id]
    assert find(institution_id=org["3702"]) == [t3.id]
    assert find(overdue="true") == [t1.id]
    assert find(due_from="2029-12-31", due_to="2030-01-31") == [t2.id]
    assert find(date_to="2025-12-31") == [t3.id]  # created (Beijing date)
    assert find(date_from="2025-06-01", date_to="2025-06-01") == [t3.id]
    assert find(q="钱二") == [t2.id]
    view = admin.get("/api/v1/search/tasks", query_string={"q": "钱二"}).json["items"][0]
    assert view["assignee"]["id"] == specialist.id and view["institution"]["name"] == "历下区"
    assert view["policy"]["holder_name"] == "钱二" and view["overdue"] is False
    assert_error(
        admin.get("/api/v1/search/tasks", query_string={"status": "nonsense"}), 422, "validation_error"
    )


def test_visit_filters_and_newest_first(admin, make_task, make_visit, make_user, app_ctx):
    someone = make_user("specialist", institution="370102")
    task = make_task()
    now = datetime.now(UTC)
    old = make_visit(task, outcome="not_at_home", received_at=now - timedelta(days=40))
    mine = make_visit(
        task, user=someone, outcome="completed", received_at=now - timedelta(days=1), review_state="approved"
    )
    pending = make_visit(
        task, outcome="completed", received_at=now, review_state="pending", flags=["far_from_address"]
    )

    def find(**query):
        return ids(admin.get("/api/v1/search/visits", query_string=query), key="uuid")

    assert find() == [pending.uuid, mine.uuid, old.uuid]  # newest received first
    assert find(outcome="completed") == [pending.uuid, mine.uuid]
    assert find(review_state=["approved", "rejected"]) == [mine.uuid]
    assert find(specialist_id=someone.id) == [mine.uuid]
    assert find(task_id=task.id, date_to=(now - timedelta(days=30)).date().isoformat()) == [old.uuid]
    first = admin.get("/api/v1/search/visits", query_string={"limit": 1}).json
    assert first["items"][0]["flags"] == ["far_from_address"] and first["items"][0]["specialist"]["name"]
    second = admin.get("/api/v1/search/visits", query_string={"limit": 2, "cursor": first["next_cursor"]})
    assert ids(second, key="uuid") == [mine.uuid, old.uuid] and second.json["next_cursor"] is None


def test_case_and_callback_filters(
    admin, make_policy, make_task, make_case, make_callback, make_visit, app_ctx
):
    policy = make_policy(holder_name="周八")
    task = make_task(policy)
    visit = make_visit(task)
    open_case = make_case(policy, category="misleading_sale", task_id=task.id)
    done_case = make_case(
        make_policy(holder_name="吴九"),
        category="premium_withheld",
        kind="compliance",
        status="resolved",
        created_at=datetime(2025, 3, 1, tzinfo=UTC),
        resolved_at=datetime(2025, 3, 11, tzinfo=UTC),
    )
    pending = make_callback(task, visit)
    confirmed = make_callback(task, visit, status="done", outcome="confirmed", completed_at=datetime.now(UTC))
    first = make_callback(
        policy=make_policy(holder_name="郑十"), item="grace_period", status="done", outcome="answered"
    )

    def find(what, **query):
        return sorted(ids(admin.get(f"/api/v1/search/{what}", query_string=query)))

    assert find("cases", status="open") == [open_case.id]
    assert find("cases", kind="compliance") == [done_case.id]
    assert find("cases", category="misleading_sale") == [open_case.id]
    assert find("cases", date_to="2025-12-31") == [done_case.id]
    assert find("cases", q="吴九") == [done_case.id]
    assert find("callbacks", status="pending") == [pending.id]
    assert find("callbacks", outcome="confirmed") == [confirmed.id]
    assert find("callbacks", q=policy.policy_number, item="new_business") == sorted(
        [pending.id, confirmed.id]
    )
    # A first call (R11) has no visit task: found by its own item and kind.
    assert find("callbacks", kind="first_call") == [first.id]
    assert find("callbacks", item="grace_period") == [first.id]
    assert find("callbacks", q="郑十") == [first.id]
    first_view = admin.get("/api/v1/search/callbacks", query_string={"kind": "first_call"}).json["items"][0]
    assert (
        first_view["task_id"] is None
        and first_view["item"] == "grace_period"
        and first_view["source"] is None
    )
    case_view = admin.get("/api/v1/search/cases", query_string={"status": "resolved"}).json["items"][0]
    assert case_view["resolved_at"].startswith("2025-03-11") and case_view["kind"] == "compliance"


# ---- scope, roles, masking ---------------------------------------------------------------------


def test_a_city_finds_only_its_own_subtree(login_as, make_policy, make_task, org):
    jinan = make_task(make_policy(holder_name="济南客户", institution="370102"))
    qingdao = make_task(make_policy(holder_name="青岛客户", institution="370202"))
    city = login_as("supervisor", institution="3701")
    assert ids(city.get("/api/v1/search/tasks")) == [jinan.id]
    assert ids(city.get("/api/v1/search/tasks", query_string={"q": "青岛客户"})) == []
    assert ids(city.get("/api/v1/search/policies")) == [jinan.policy_id]
    # Another city's subtree is answered like a missing institution.
    assert_error(
        city.get("/api/v1/search/tasks", query_string={"institution_id": org["3702"]}), 404, "not_found"
    )
    province = login_as("supervisor", institution="37")
    assert sorted(ids(province.get("/api/v1/search/tasks"))) == sorted([jinan.id, qingdao.id])


def test_specialists_do_not_search(login_as):
    caller = login_as("specialist", institution="370102")
    assert_error(caller.get("/api/v1/search/tasks"), 403, "forbidden")


def test_masking_by_role(admin, reviewer, login_as, make_policy, make_task):
    make_task(make_policy(holder_id_number="370102198001011234", holder_phone="13912345678"))
    masked = reviewer.get("/api/v1/search/tasks").json["items"][0]["policy"]
    assert masked["holder_id_number"] == "3701**********1234" and masked["holder_phone"] == "139****5678"
    full = admin.get("/api/v1/search/tasks").json["items"][0]["policy"]
    assert full["holder_id_number"] == "370102198001011234" and full["holder_phone"] == "13912345678"
    agent = login_as("phone_agent").get("/api/v1/search/tasks").json["items"][0]["policy"]
    assert agent["holder_phone"] == "13912345678"  # agents call customers
    policy = reviewer.get("/api/v1/search/policies").json["items"][0]
    assert policy["holder_id_number"] == "3701**********1234" and policy["insured_phone"] is None


# ---- keyset pages ------------------------------------------------------------------------------


def test_keyset_pages_are_stable_while_records_arrive(admin, make_policy, make_task):
    made = [make_task(make_policy(holder_name="翻页客户")) for _ in range(7)]
    expected = sorted((t.id for t in made), reverse=True)
    seen, cursor = [], None
    for page_number in range(5):
        query = {"q": "翻页客户", "limit": 3}
        if cursor:
            query["cursor"] = cursor
        body = admin.get("/api/v1/search/tasks", query_string=query).json
        seen += [item["id"] for item in body["items"]]
        if page_number == 0:
            make_task(make_policy(holder_name="翻页客户"))  # a new task between pages
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == expected  # no duplicate, nothing skipped; the newcomer is on a fresh first page
    assert_error(
        admin.get("/api/v1/search/tasks", query_string={"cursor": "not-a-cursor"}), 422, "cursor_invalid"
    )
    assert_error(
        admin.get("/api/v1/search/tasks", query_string={"cursor": "OTk5OTk5OTk5OTk5"}), 422, "cursor_invalid"
    )
    assert_error(admin.get("/api/v1/search/visits", query_string={"cursor": "MQ"}), 422, "cursor_invalid")
