"""R2: a user sees its own institution's subtree and nothing else."""

from __future__ import annotations

from server.extensions import db
from server.institutions.models import Institution
from server.scoping import Scope
from tests.server.conftest import assert_error


def usernames(response):
    assert response.status_code == 200, response.json
    return {item["username"] for item in response.json["items"]}


def test_city_admin_sees_its_city_and_counties_only(login_as, make_user):
    make_user("specialist", institution="370102", username="lixia")
    make_user("specialist", institution="370202", username="shinan")
    make_user("reviewer", institution="37", username="provincial")
    jinan = login_as("admin", institution="3701", username="jinan.admin")
    assert usernames(jinan.get("/api/v1/users")) == {"jinan.admin", "lixia"}


def test_province_admin_sees_everyone(login_as, make_user):
    make_user("specialist", institution="370102", username="lixia")
    make_user("specialist", institution="370202", username="shinan")
    province = login_as("admin", institution="37", username="root.admin")
    assert usernames(province.get("/api/v1/users")) == {"root.admin", "lixia", "shinan"}


def test_another_subtree_user_reads_as_missing(login_as, make_user):
    other = make_user("specialist", institution="370202", username="shinan")
    jinan = login_as("admin", institution="3701")
    assert_error(jinan.get(f"/api/v1/users/{other.id}"), 404, "not_found")
    assert_error(jinan.patch(f"/api/v1/users/{other.id}", json={"display_name": "改名"}), 404, "not_found")
    assert_error(
        jinan.post(f"/api/v1/users/{other.id}/password", json={"password": "x" * 12}), 404, "not_found"
    )
    assert_error(jinan.get(f"/api/v1/users/{other.id + 1000}"), 404, "not_found")


def test_a_county_admin_cannot_see_its_parent_city(login_as, make_user):
    city_user = make_user("supervisor", institution="3701", username="boss")
    county = login_as("admin", institution="370102")
    assert_error(county.get(f"/api/v1/users/{city_user.id}"), 404, "not_found")
    assert [i["code"] for i in county.get("/api/v1/institutions").json["items"]] == ["370102"]


def test_cannot_place_users_outside_the_subtree(login_as, org):
    jinan = login_as("admin", institution="3701")
    body = {
        "username": "intruder",
        "display_name": "某人",
        "institution_id": org["370202"],
        "roles": ["specialist"],
        "password": "long-enough-password",
    }
    assert_error(jinan.post("/api/v1/users", json=body), 403, "out_of_scope")
    own = jinan.post("/api/v1/users", json={**body, "institution_id": org["370103"]})
    assert own.status_code == 201
    moved = jinan.patch(f"/api/v1/users/{own.json['id']}", json={"institution_id": org["3702"]})
    assert_error(moved, 403, "out_of_scope")


def test_institution_list_is_the_subtree_parents_first(login_as):
    jinan = login_as("admin", institution="3701")
    items = jinan.get("/api/v1/institutions").json["items"]
    assert [i["code"] for i in items] == ["3701", "370102", "370103"]
    province = login_as("reviewer", institution="37")
    codes = [i["code"] for i in province.get("/api/v1/institutions").json["items"]]
    assert codes[0] == "37" and set(codes) == {"37", "3701", "3702", "370102", "370103", "370202", "370211"}


def test_cannot_add_or_change_institutions_outside_the_subtree(login_as, org):
    jinan = login_as("admin", institution="3701")
    added = jinan.post("/api/v1/institutions", json={"parent_id": org["3702"], "code": "X9", "name": "外区"})
    assert_error(added, 404, "not_found")
    assert_error(jinan.patch(f"/api/v1/institutions/{org['37']}", json={"name": "改"}), 404, "not_found")


def test_path_prefix_does_not_confuse_sibling_ids(app_ctx):
    # /1/ must not contain /12/: the trailing slash of the materialised path is what makes it safe.
    one = Institution(code="P1", name="一", level="province", path="/1/")
    twelve = Institution(code="P12", name="十二", level="province", path="/12/")
    assert not Scope("/1/").contains(twelve)
    assert Scope("/1/").contains(one)
    assert Scope("/1/").contains(Institution(code="C", name="市", level="city", path="/1/12/"))


def test_scope_filter_uses_the_database_path(org, app_ctx):
    from sqlalchemy import select

    jinan = db.session.get(Institution, org["3701"])
    rows = db.session.scalars(Scope(jinan.path).filter(select(Institution), Institution)).all()
    assert {row.code for row in rows} == {"3701", "370102", "370103"}


def test_user_list_filters_and_pages(login_as, make_user, org):
    admin = login_as("admin", institution="37", username="root.admin")
    for n in range(5):
        make_user("specialist", institution="370102", username=f"lx{n}", display_name=f"历下{n}号")
    make_user(
        "reviewer", institution="3702", username="qd.reviewer", display_name="青岛审核", phone="13953200001"
    )
    make_user("specialist", institution="370202", username="sleeping", active=False)

    assert usernames(admin.get(f"/api/v1/users?institution_id={org['3702']}")) == {"qd.reviewer", "sleeping"}
    assert usernames(admin.get("/api/v1/users?role=reviewer")) == {"qd.reviewer"}
    assert usernames(admin.get("/api/v1/users?active=false")) == {"sleeping"}
    assert usernames(admin.get("/api/v1/users?q=历下")) == {f"lx{n}" for n in range(5)}
    assert usernames(admin.get("/api/v1/users?q=953200")) == {"qd.reviewer"}

    seen, cursor = [], None
    while True:
        page = admin.get("/api/v1/users?limit=3" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [item["username"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8
    assert_error(admin.get("/api/v1/users?cursor=%%%"), 422, "cursor_invalid")
    assert_error(admin.get(f"/api/v1/users?institution_id={org['3702'] + 999}"), 404, "not_found")
