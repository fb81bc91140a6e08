"""Demo data: Shandong with two cities and two counties each, and one user per role.

Idempotent: rows are found by code or username and left as they are when present, so `make run`
may load it every time. Refused when HUIFANG_ENV=production (its password is public).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from server.auth.passwords import DEMO_PASSWORD, hash_password
from server.extensions import db
from server.institutions.models import Institution
from server.users import roles
from server.users.models import User, UserRole

# (code, name, children); codes are the administrative division codes (GB/T 2260).
TREE = (
    "37",
    "山东省",
    [
        ("3701", "济南市", [("370102", "历下区", []), ("370103", "市中区", [])]),
        ("3702", "青岛市", [("370202", "市南区", []), ("370211", "黄岛区", [])]),
    ],
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    institution_code: str
    roles: tuple[str, ...]


USERS = (
    DemoUser("admin", "系统管理员", "37", (roles.ADMIN,)),
    DemoUser("reviewer1", "李审核", "37", (roles.REVIEWER,)),
    DemoUser("agent1", "赵坐席", "37", (roles.PHONE_AGENT,)),
    DemoUser("designer1", "孙设计", "37", (roles.DESIGNER,)),
    DemoUser("compliance1", "周合规", "37", (roles.COMPLIANCE_OFFICER,)),
    DemoUser("supervisor1", "陈主管", "3701", (roles.SUPERVISOR,)),
    DemoUser("specialist1", "王专员", "370102", (roles.SPECIALIST,)),
    DemoUser("specialist2", "刘专员", "370202", (roles.SPECIALIST,)),
)


def _institution(code: str, name: str, level: str, parent: Institution | None) -> Institution:
    inst = db.session.scalars(select(Institution).where(Institution.code == code)).first()
    if inst is None:
        inst = Institution(code=code, name=name, level=level, parent_id=parent.id if parent else None)
        db.session.add(inst)
        db.session.flush()
        inst.path = f"{parent.path if parent else '/'}{inst.id}/"
    return inst


def load_tree() -> dict[str, Institution]:
    """The demo institutions by code (created when missing)."""
    code, name, cities = TREE
    province = _institution(code, name, "province", None)
    found = {code: province}
    for city_code, city_name, counties in cities:
        city = found[city_code] = _institution(city_code, city_name, "city", province)
        for county_code, county_name, _ in counties:
            found[county_code] = _institution(county_code, county_name, "county", city)
    db.session.flush()
    return found


def load() -> list[DemoUser]:
    load_tree()
    password_hash = hash_password(DEMO_PASSWORD)
    for demo in USERS:
        if db.session.scalars(select(User).where(User.username == demo.username)).first():
            continue
        inst = db.session.scalars(select(Institution).where(Institution.code == demo.institution_code)).one()
        db.session.add(
            User(
                username=demo.username,
                display_name=demo.display_name,
                institution_id=inst.id,
                password_hash=password_hash,
                role_rows=[UserRole(role=role) for role in demo.roles],
            )
        )
    db.session.commit()
    # The built-in province questionnaires, published (idempotent).
    from server.questionnaires.services import load_templates

    load_templates()
    return list(USERS)


@dataclass(frozen=True)
class DemoPolicy:
    number: str
    county: str
    holder: str
    product: str
    product_type: str
    channel: str
    item: str
    source: str
    assignee: str | None  # demo username, or None for the supervisor to assign
    phone: str
    pays_on_death: bool = False
    amount_fen: int | None = None


# A small book to try the loop with: tasks for both specialists, some for the supervisor to assign,
# an R12 re-contact case, and a phone shared by two holders (an R5 risk alert).
WORK = (
    DemoPolicy(
        "P37010200001",
        "370102",
        "张秀英",
        "鑫福年年终身寿险",
        "traditional",
        "agency",
        "new_business",
        "no_phone",
        "specialist1",
        "13953100001",
        pays_on_death=True,
    ),
    DemoPolicy(
        "P37010200002",
        "370102",
        "李建国",
        "金玉满堂两全保险（分红型）",
        "participating",
        "bank",
        "new_business",
        "phone_refused",
        "specialist1",
        "13953100002",
    ),
    DemoPolicy(
        "P37010200003",
        "370102",
        "王丽",
        "智盈人生终身寿险（万能型）",
        "universal",
        "agency",
        "new_business",
        "explanation",
        "specialist1",
        "13953100003",
        pays_on_death=True,
    ),
    DemoPolicy(
        "P37010200004",
        "370102",
        "赵强",
        "安康重大疾病保险",
        "traditional",
        "agency",
        "claim",
        "no_phone",
        None,
        "13953100004",
        amount_fen=5_000_00,
    ),
    DemoPolicy(
        "P37010300001",
        "370103",
        "刘芳",
        "稳健投资连结保险",
        "unit_linked",
        "bank",
        "new_business",
        "no_phone",
        None,
        "13953100005",
    ),
    DemoPolicy(
        "P37020200001",
        "370202",
        "陈伟",
        "鑫福年年终身寿险",
        "traditional",
        "agency",
        "new_business",
        "phone_failed",
        None,
        "13953200001",
    ),
    DemoPolicy(
        "P37020200002",
        "370202",
        "杨敏",
        "金玉满堂两全保险（分红型）",
        "participating",
        "agency",
        "new_business",
        "no_phone",
        "specialist2",
        "13953200002",
    ),
    DemoPolicy(
        "P37020200003",
        "370202",
        "黄磊",
        "鑫福年年终身寿险",
        "traditional",
        "agency",
        "new_business",
        "no_phone",
        "specialist2",
        "13953100001",
    ),  # 张秀英's phone: a shared-phone alert
)


# A visit specialist1 already made and synced, so that a reviewer has something to verify at once.
REVIEW_SAMPLE = DemoPolicy(
    "P37010200005",
    "370102",
    "孙桂兰",
    "鑫福年年终身寿险",
    "traditional",
    "agency",
    "new_business",
    "no_phone",
    "specialist1",
    "13953100006",
)
# Every answer of the new-business template for a traditional agency policy whose holder is insured.
REVIEW_SAMPLE_ANSWERS = {
    "holder_present": True,
    "holder_signed_self": True,
    "read_terms": True,
    "liability": "understood",
    "exclusions": "understood",
    "cooling_off_rights": "understood",
    "surrender_loss": "understood",
    "payment_period": "understood",
    "extra_promises": False,
    "remarks": "客户表示已收到保单，对条款无疑问（演示数据）",
}


def load_work() -> None:
    """Demo policies and visit tasks (idempotent). Due dates are given, not computed, so that the demo
    loads whatever the working-day calendar knows of next year."""
    import random

    from server.datagen.generate import resident_id
    from server.policies.models import Policy
    from server.risk.services import detect_for_policies
    from server.sync import changes
    from server.tasks.models import VisitTask
    from server.tasks.services import TaskSpec, create_tasks, today

    if db.session.scalars(select(Policy.id).where(Policy.policy_number == WORK[0].number)).first():
        return
    rng = random.Random(37)
    start = today()
    codes = {inst.code: inst for inst in db.session.scalars(select(Institution))}
    users = {user.username: user for user in db.session.scalars(select(User))}
    specs, assignees = [], []
    for n, demo in enumerate((*WORK, REVIEW_SAMPLE)):
        born = date(1960 + rng.randrange(35), 1 + rng.randrange(12), 1 + rng.randrange(28))
        policy = Policy(
            policy_number=demo.number,
            product_name=demo.product,
            product_type=demo.product_type,
            channel=demo.channel,
            bank_name="中国工商银行" if demo.channel == "bank" else None,
            term_months=None,
            holder_name=demo.holder,
            holder_id_number=resident_id(rng, born, demo.county),
            holder_phone=demo.phone,
            holder_address=f"{codes[demo.county].name}文化东路{10 + n}号",
            insured_name=demo.holder,
            pays_on_death=demo.pays_on_death,
            premium_fen=500_000 + 100_000 * n,
            payment_frequency="annual",
            payment_period_years=10 if n % 2 else 20,
            sum_assured_fen=10_000_000,
            effective_date=start - timedelta(days=12),
            delivery_date=start - timedelta(days=9),
            cooling_off_end=start + timedelta(days=6),
            institution_id=codes[demo.county].id,
        )
        db.session.add(policy)
        db.session.flush()
        specs.append(
            TaskSpec(
                policy_id=policy.id,
                item=demo.item,
                source=demo.source,
                institution_id=policy.institution_id,
                amount_fen=demo.amount_fen,
                due_date=start + timedelta(days=5 + 2 * n),
                notes="演示数据",
            )
        )
        assignees.append(users[demo.assignee] if demo.assignee else None)
    ids = create_tasks(specs, actor_id=None, batch_id=None)
    for task_id, assignee in zip(ids, assignees, strict=True):
        if assignee is not None:
            task = db.session.get(VisitTask, task_id)
            task.assignee_id, task.status = assignee.id, "assigned"
            changes.task_moved(task, None)
    detect_for_policies([spec.policy_id for spec in specs])
    db.session.commit()
    _load_review_sample(users["specialist1"], ids[-1])


def _load_review_sample(specialist: User, task_id: int) -> None:
    """Push one completed visit as specialist1's tablet would: answers, signatures drawn with time
    and pressure, a photo; it is validated, sealed as evidence and waits in the review queue."""
    import io
    import random
    from datetime import datetime

    from PIL import Image

    from server.auth.services import _device_for
    from server.questionnaires.services import published_version
    from server.sync import services as sync
    from server.tasks.models import VisitTask
    from server.tasks.services import SHANGHAI
    from signatures import encode_strokes_bytes, render_png
    from signatures.synthetic import genuine_signature, make_person
    from sync.client import make_record

    version = published_version("new_business")
    task = db.session.get(VisitTask, task_id)
    if version is None or task is None:
        return
    holder = genuine_signature(make_person(5), random.Random(5))
    own = genuine_signature(make_person(105), random.Random(105))
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (96, 140, 180)).save(photo, "JPEG", quality=80)
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    started = now.replace(hour=10, minute=0, second=0) - timedelta(days=1)
    record, media = make_record(
        task.id,
        questionnaire_version_id=version.id,
        answers={**REVIEW_SAMPLE_ANSWERS, "holder_id_check": task.policy.holder_id_number[-4:]},
        media=[
            (
                "signature_strokes",
                encode_strokes_bytes(holder),
                {"signer": "holder", "question_id": "sign_holder"},
            ),
            ("signature_png", render_png(holder), {"signer": "holder", "question_id": "sign_holder"}),
            (
                "signature_strokes",
                encode_strokes_bytes(own),
                {"signer": "specialist", "question_id": "sign_specialist"},
            ),
            ("photo", photo.getvalue(), {"taken_at": (started + timedelta(minutes=30)).isoformat()}),
        ],
        started_at=started.isoformat(),
        finished_at=(started + timedelta(minutes=38)).isoformat(),
        place={"lat": 36.6613, "lon": 117.0246, "accuracy_m": 20.0, "at": started.isoformat()},
        place_status="ok",
        app_version="demo",
    )
    device = _device_for(specialist, "00000000-0000-4000-8000-0000000000d1", "演示平板", "field")
    db.session.commit()
    [result] = sync.push(specialist, device, [record])["results"]
    if result["status"] != "accepted":  # the template changed under the demo: say so, loudly
        raise RuntimeError(f"demo visit refused: {result['problems']}")
    for sha, data in media.items():
        sync.upload_chunk(specialist, sha, 0, len(data), data)
