"""Factories for policies and tasks; each test states only what matters to it."""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest

from server.extensions import db
from server.policies.models import Policy, Salesperson
from server.tasks.services import TaskSpec, create_tasks
from tests.server.conftest import *  # noqa: F403 - org, make_user, login_as, ...

_numbers = count(1)


@pytest.fixture
def make_policy(org):
    def make(institution: str = "370102", **fields) -> Policy:
        n = next(_numbers)
        values = {
            "policy_number": f"P{n:08d}",
            "product_name": "鑫福年年终身寿险",
            "product_type": "traditional",
            "channel": "agency",
            "holder_name": f"客户{n}",
            "holder_id_number": f"37010219800101{n:04d}",
            "holder_phone": f"139{n:08d}",
            "insured_name": f"客户{n}",
            "premium_fen": 500000,
            "payment_period_years": 10,
            "institution_id": org[institution],
        }
        values.update(fields)
        policy = Policy(**values)
        db.session.add(policy)
        db.session.commit()
        return policy

    return make


@pytest.fixture
def make_salesperson(org):
    def make(phone: str, institution: str = "3701", code: str | None = None) -> Salesperson:
        seller = Salesperson(
            code=code or f"S{phone[-6:]}", name="业务员甲", phone=phone, institution_id=org[institution]
        )
        db.session.add(seller)
        db.session.commit()
        return seller

    return make


@pytest.fixture
def make_task(org, make_policy):
    def make(policy: Policy | None = None, item: str = "new_business", source: str = "no_phone", **spec):
        policy = policy or make_policy()
        institution_id = spec.pop("institution_id", policy.institution_id)
        (task_id,) = create_tasks(
            [
                TaskSpec(
                    policy_id=policy.id,
                    item=item,
                    source=source,
                    institution_id=institution_id,
                    due_date=spec.pop("due_date", date(2026, 12, 31)),
                    **spec,
                )
            ],
            actor_id=None,
            batch_id=None,
        )
        db.session.commit()
        from server.tasks.models import VisitTask

        return db.session.get(VisitTask, task_id)

    return make
