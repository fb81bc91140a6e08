"""Factories of visits, problem cases and phone callbacks written directly: what the search and the
statistics read, without the sync, review and callback flows that make them in real life."""

from __future__ import annotations

import uuid as _uuid
from datetime import UTC, datetime

import pytest

from server.auth.models import Device
from server.callbacks.models import PhoneCallback
from server.cases.models import ProblemCase
from server.extensions import db
from server.visits.models import Visit


@pytest.fixture
def make_visit(make_user):
    devices = {}

    def make(task, user=None, outcome="completed", received_at=None, finished_at=None, **fields):
        user = user or make_user("specialist", institution="370102")
        if user.id not in devices:
            device = Device(user_id=user.id, device_uuid=str(_uuid.uuid4()), client="field")
            db.session.add(device)
            db.session.flush()
            devices[user.id] = device.id
        received = received_at or datetime.now(UTC)
        visit = Visit(
            uuid=str(_uuid.uuid4()),
            hash="0" * 64,
            task_id=task.id,
            user_id=user.id,
            device_id=devices[user.id],
            institution_id=fields.pop("institution_id", task.institution_id),
            outcome=outcome,
            state=fields.pop("state", "submitted"),
            flags=fields.pop("flags", []),
            record={},
            started_at=finished_at or received.isoformat(),
            finished_at=finished_at or received.isoformat(),
            received_at=received,
            submitted_at=received,
            **fields,
        )
        db.session.add(visit)
        db.session.commit()
        return visit

    return make


@pytest.fixture
def make_case():
    def make(policy, category="misleading_sale", status="open", created_at=None, resolved_at=None, **fields):
        case = ProblemCase(
            kind=fields.pop("kind", "problem"),
            category=category,
            summary=fields.pop("summary", "客户称未被告知犹豫期"),
            source=fields.pop("source", "visit"),
            status=status,
            policy_id=policy.id,
            institution_id=fields.pop("institution_id", policy.institution_id),
            due_date=fields.pop("due_date", datetime(2026, 12, 31).date()),
            created_at=created_at or datetime.now(UTC),
            resolved_at=resolved_at,
            **fields,
        )
        db.session.add(case)
        db.session.commit()
        return case

    return make


@pytest.fixture
def make_callback():
    def make(task=None, visit=None, status="pending", outcome=None, created_at=None, policy=None, **fields):
        """A confirming callback of a task's visit, or (task=None, policy=...) a first call (R11)."""
        policy_id = task.policy_id if task else policy.id
        callback = PhoneCallback(
            kind=fields.pop("kind", "confirmation" if task else "first_call"),
            status=status,
            outcome=outcome,
            task_id=task.id if task else None,
            visit_uuid=visit.uuid if visit else None,
            policy_id=policy_id,
            institution_id=task.institution_id if task else policy.institution_id,
            due_date=fields.pop("due_date", datetime(2026, 12, 31).date()),
            created_at=created_at or datetime.now(UTC),
            **fields,
        )
        db.session.add(callback)
        db.session.commit()
        return callback

    return make
