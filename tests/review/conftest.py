"""Fixtures for the review → confirming callback → case loop: a synced visit waiting for review."""

from __future__ import annotations

import pytest

from tests.sync.conftest import *  # noqa: F403 - device, visit_for, assigned_task, login_as, ...


@pytest.fixture
def synced_visit(device, visit_for, assigned_task, app_ctx):
    """A completed visit pushed by the specialist's tablet, whole, waiting for review."""

    def make(task=None, **kw):
        record, media = visit_for(task or assigned_task, **kw)
        device.add(record, media)
        device.sync()
        return record

    return make


@pytest.fixture
def reviewer(login_as):
    return login_as("reviewer", institution="37")


@pytest.fixture
def agent(login_as):
    return login_as("phone_agent", institution="37")
