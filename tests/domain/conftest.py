"""Fixtures for the domain's rules: real actors and a real case, built without HTTP."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from relay.clock import FrozenClock
from relay.http import RELAY
from tests.domain.scene import Scene, Staffroom, open_case, staffroom


@pytest.fixture
async def room(client: TestClient, clock: FrozenClock) -> Staffroom:
    return await staffroom(client.app[RELAY], clock)


@pytest.fixture
async def scene(room: Staffroom) -> Scene:
    """A standard-risk active case."""
    return await open_case(room)


@pytest.fixture
async def high_risk(room: Staffroom) -> Scene:
    """A high-risk active case: a volunteer's approval needs a specialist's countersignature."""
    return await open_case(room, "high")
