"""Policy snapshots and the salesperson registry from the policy system (R4, R5): upsert, history,
masking and scoping."""

from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.policies import services
from server.policies.masking import mask_id_number, mask_phone
from server.policies.models import Policy, PolicyChange
from tests.server.conftest import assert_error

HOLDER_ID = "11010519491231002X"


def snapshot(**over):
    body = {
        "product_name": "鑫福年年终身寿险",
        "product_type": "traditional",
        "channel": "bank",
        "bank_name": "中国工商银行",
        "term_months": None,
        "holder_name": "张三",
        "holder_id_number": HOLDER_ID.lower(),
        "holder_phone": "138 0013 8000",
        "holder_address": "山东省济南市历下区泉城路1号",
        "insured_name": "张三",
        "premium_fen": 500000,
        "institution_code": "370102",
    }
    body.update(over)
    return body


def changes():
    return db.session.scalars(select(PolicyChange).order_by(PolicyChange.id)).all()


def test_put_creates_then_refreshes_and_keeps_history_only_of_real_changes(login_as):
    admin = login_as("admin")
    first = admin.put("/api/v1/policies/p-001", json=snapshot())
    assert first.status_code == 200, first.json
    assert first.json["outcome"] == "created" and first.json["policy_number"] == "P-001"
    stored = db.session.get(Policy, first.json["id"])
    assert stored.holder_phone == "13800138000" and stored.holder_id_number == HOLDER_ID

    again = admin.put("/api/v1/policies/P-001", json=snapshot())
    assert again.json["outcome"] == "unchanged"
    assert changes() == []

    moved = admin.put(
        "/api/v1/policies/P-001",
        json=snapshot(holder_phone="13900139000", premium_fen=600000, institution_code="370103"),
    )
    assert moved.json["outcome"] == "updated"
    got = [(c.field, c.old_value, c.new_value, c.source) for c in changes()]
    # the premium changed too, but it is not a field a visit's history needs
    assert got == [
        ("holder_phone", "13800138000", "13900139000", "policy_system"),
        ("institution", "370102", "370103", "policy_system"),
    ]
    detail = admin.get("/api/v1/policies/P-001").json
    assert [h["field"] for h in detail["history"]] == ["holder_phone", "institution"]
    assert detail["institution"]["code"] == "370103" and detail["premium_fen"] == 600000


def test_fields_left_out_keep_their_value(login_as):
    admin = login_as("admin")
    admin.put("/api/v1/policies/P-2", json=snapshot())
    admin.put("/api/v1/policies/P-2", json={"holder_address": "山东省济南市历下区经十路9号"})
    policy = db.session.scalars(select(Policy).where(Policy.policy_number == "P-2")).one()
    assert policy.holder_phone == "13800138000" and policy.holder_address.endswith("经十路9号")
    assert [c.field for c in changes()] == ["holder_address"]


def test_batch_upsert_is_idempotent_and_all_or_nothing(login_as):
    admin = login_as("admin")
    batch = {"policies": [{**snapshot(), "policy_number": f"B{i}"} for i in range(3)]}
    first = admin.post("/api/v1/policies/batch", json=batch)
    assert first.status_code == 200 and first.json["created"] == 3
    again = admin.post("/api/v1/policies/batch", json=batch)
    assert (again.json["created"], again.json["unchanged"]) == (0, 3)
    assert again.json["ids"] == first.json["ids"]

    bad = {
        "policies": [
            {**snapshot(), "policy_number": "B9"},
            {**snapshot(holder_id_number="110105194912310021"), "policy_number": "B10"},
        ]
    }
    response = admin.post("/api/v1/policies/batch", json=bad)
    body = assert_error(response, 422, "validation_error")
    assert "policies.1.holder_id_number" in body["details"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Policy)) == 3


def test_a_new_policy_needs_its_core_fields(login_as):
    admin = login_as("admin")
    body = assert_error(
        admin.put("/api/v1/policies/P-3", json={"holder_name": "李四"}), 422, "policy_incomplete"
    )
    assert "product_name" in body["details"]["missing"]


def test_ids_and_phones_are_masked_unless_the_role_needs_them(login_as):
    login_as("admin").put("/api/v1/policies/P-4", json=snapshot())
    seen = {}
    for role in ("admin", "phone_agent", "reviewer", "compliance_officer", "supervisor"):
        caller = login_as(role, institution="37" if role != "supervisor" else "3701")
        policy = caller.get("/api/v1/policies/P-4").json
        seen[role] = (policy["holder_id_number"], policy["holder_phone"])
    full = (HOLDER_ID, "13800138000")
    masked = ("1101**********002X", "138****8000")
    assert seen == {
        "admin": full,
        "phone_agent": full,
        "reviewer": masked,
        "compliance_officer": masked,
        "supervisor": masked,
    }
    listed = login_as("reviewer").get("/api/v1/policies", query_string={"q": "P-4"}).json["items"]
    assert listed[0]["holder_id_number"] == masked[0]


def test_masking_helpers():
    assert mask_id_number("370102199003071234") == "3701**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("053186001234") == "0531****1234"
    assert mask_id_number(None) is None and mask_phone("") == ""


def test_a_city_sees_and_writes_only_its_own_subtree(login_as):
    login_as("admin").put("/api/v1/policies/JN-1", json=snapshot())
    qingdao = login_as("admin", institution="3702")
    assert_error(qingdao.get("/api/v1/policies/JN-1"), 404, "not_found")
    assert qingdao.get("/api/v1/policies").json["items"] == []
    # cannot create one in Jinan, nor rewrite Jinan's
    assert_error(qingdao.put("/api/v1/policies/QD-1", json=snapshot()), 403, "out_of_scope")
    assert_error(
        qingdao.put("/api/v1/policies/JN-1", json=snapshot(institution_code="370202")), 403, "out_of_scope"
    )
    jinan = login_as("supervisor", institution="3701")
    assert jinan.get("/api/v1/policies/JN-1").status_code == 200


def test_specialists_do_not_browse_policies_and_only_admins_write(login_as):
    assert_error(login_as("specialist", institution="370102").get("/api/v1/policies"), 403, "forbidden")
    assert_error(login_as("reviewer").put("/api/v1/policies/X", json=snapshot()), 403, "forbidden")


def test_list_filters_by_phone_and_salesperson(login_as):
    admin = login_as("admin")
    admin.post(
        "/api/v1/salespersons/batch",
        json={
            "salespersons": [
                {"code": "S1", "name": "业务员甲", "phone": "13700137000", "institution_code": "3701"}
            ]
        },
    )
    admin.put("/api/v1/policies/F-1", json=snapshot(salesperson_code="S1"))
    admin.put("/api/v1/policies/F-2", json=snapshot(holder_phone="13911112222"))
    by_phone = admin.get("/api/v1/policies", query_string={"phone": "+86 139 1111 2222"}).json["items"]
    assert [p["policy_number"] for p in by_phone] == ["F-2"]
    by_seller = admin.get("/api/v1/policies", query_string={"salesperson_code": "S1"}).json["items"]
    assert [p["policy_number"] for p in by_seller] == ["F-1"]
    assert by_seller[0]["salesperson"]["code"] == "S1"


def test_salesperson_registry_upsert_and_list(login_as):
    admin = login_as("admin")
    put = admin.put(
        "/api/v1/salespersons/S9",
        json={"name": "王业务", "phone": "137-0013-7000", "institution_code": "3701"},
    )
    assert put.status_code == 200 and put.json["phone"] == "13700137000"
    again = admin.post(
        "/api/v1/salespersons/batch",
        json={
            "salespersons": [
                {"code": "S9", "name": "王业务", "phone": "13700137000", "institution_code": "3701"}
            ]
        },
    )
    assert (again.json["created"], again.json["unchanged"]) == (0, 1)
    reviewer = login_as("reviewer")
    items = reviewer.get("/api/v1/salespersons", query_string={"q": "王"}).json["items"]
    assert [(s["code"], s["phone"]) for s in items] == [("S9", "137****7000")]
    assert_error(
        login_as("admin", institution="3702").put("/api/v1/salespersons/S9", json={"name": "x"}),
        403,
        "out_of_scope",
    )


def test_upsert_policies_service_is_bulk_and_returns_ids(app_ctx, org):
    rows = [
        {
            "policy_number": f"S{i}",
            "product_name": "产品",
            "product_type": "universal",
            "channel": "agency",
            "holder_name": "甲",
            "insured_name": "甲",
            "institution_id": org["370102"],
            "holder_phone": None if i % 2 else "13800000000",
        }
        for i in range(2500)
    ]
    ids = services.upsert_policies(rows, source="intake", actor_id=None)
    assert len(ids) == 2500 and len(set(ids.values())) == 2500
    rows[0]["holder_phone"] = "13800000001"
    again = services.upsert_policies_detailed(rows, "intake", None)
    assert again["S0"] == (ids["S0"], "updated") and again["S1"][1] == "unchanged"
    assert [(c.field, c.new_value) for c in changes()] == [("holder_phone", "13800000001")]
