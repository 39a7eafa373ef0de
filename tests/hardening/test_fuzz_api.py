"""Schemathesis against the running app and its own OpenAPI document: no input answers 5xx.

The app is served for real (AppRunner/TCPSite on a free port, see conftest.py); the document is
the one GET /api/v1/openapi.json serves (test_openapi.py checks they are equal), loaded at
collection so each operation is its own test. Each operation is called with the token of the
caller it is meant for (`x-relay-caller`). Path ids are drawn both from what schemathesis
generates and from real objects of a seeded case, so the handlers' deeper branches run too.
Besides "no 5xx", responses must match the document (status codes, content types, body
schemas) and input the document calls invalid must be refused with a 4xx.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from relay.api.openapi import document
from tests.conftest import PASSWORD
from tests.hardening.conftest import LiveServer, Seeded, seed_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Attachment uploads are raw bytes; send generated PDFs as schemathesis sends octet-streams.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")

REFUSALS = [400, 401, 403, 404, 405, 409, 413, 415, 422, 429]
# Operations that end a case: they run against a spare case so the main one stays active.
DESTRUCTIVE = ("/close", "/withdraw", "/pause")


class Callers:
    """Tokens for each `x-relay-caller`, and real ids to put in paths."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.main: Seeded = seed_world(server.base, label="CR/main")
        self.spare: Seeded = seed_world(server.base, label="CR/spare")

    def world_for(self, path: str) -> Seeded:
        return self.spare if path.endswith(DESTRUCTIVE) else self.main

    def headers(self, operation: Any) -> dict[str, str]:
        caller = operation.definition.raw["x-relay-caller"]
        world = self.world_for(operation.path)
        if caller == "anyone":
            return {}
        if caller == "signed-in":  # logout: spend a fresh session, never the shared one
            token = requests.post(
                self.server.base + "/login",
                json={"username": "sam", "password": PASSWORD},
                timeout=30,
            ).json()["token"]
        elif caller == "participant":
            token = world.harmed
        else:
            token = world.specialist
        return {"Authorization": f"Bearer {token}"}

    def real_path_parameters(self, path: str) -> list[dict[str, Any]]:
        world = self.world_for(path)
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        if not names:
            return []
        if path.startswith("/cases/"):
            ids = [{"id": world.case_id}]
        else:
            ids = [{"id": world.delivered_to_harmed}, {"id": world.pending_from_harmed}]
        if "pid" in names:
            ids = [{**i, "pid": p} for i in ids for p in (world.harmed_id, world.responsible_id)]
        if "n" in names:
            ids = [{**i, "n": 1} for i in ids]
        return ids


def fuzz_schema(max_examples: int, phases: list[str]) -> schemathesis.BaseSchema:
    """The document as served (see test_openapi.py), with path ids from the seeded cases."""
    config = schemathesis.Config.from_dict(
        {
            # Tokens are ours to choose (see Callers.headers), not generated.
            "generation": {
                "max-examples": max_examples,
                "mode": "all",
                "with-security-parameters": False,
            },
            # Invalid input must be refused with a 4xx; 413 is ours for text over its limit.
            "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}},
            "phases": {
                phase: {"enabled": phase in phases}
                for phase in ("examples", "coverage", "fuzzing", "stateful")
            },
        }
    )
    schema = schemathesis.openapi.from_dict(document(), config=config)

    @schema.hook
    def flatmap_case(context: Any, case: Any) -> Any:
        # Assigning path_parameters marks them for revalidation, so a negative case whose
        # invalid id was replaced by a real one is no longer expected to be refused.
        def with_ids(ids: dict[str, Any] | None) -> Any:
            if ids is not None:
                case.path_parameters = {**(case.path_parameters or {}), **ids}
            key = (case.headers or {}).get("Idempotency-Key")
            if key:  # a reused key replays its first answer, whatever the new body says
                case.headers = {**case.headers, "Idempotency-Key": f"{next(SERIAL)}{key}"}
            return case

        real = CURRENT[0].real_path_parameters(case.operation.path)
        return st.sampled_from([None, *real]).map(with_ids)

    return schema


# schemathesis builds its tests at collection time; the running server's callers are filled in
# by the `callers` fixture before any case is generated.
CURRENT: list[Callers] = []
SERIAL = itertools.count()


@pytest.fixture(scope="module")
def callers(live_server: LiveServer) -> Iterator[Callers]:
    CURRENT[:] = [Callers(live_server)]
    yield CURRENT[0]
    CURRENT.clear()


def run_case(case: Any, callers: Callers) -> None:
    case.call_and_validate(
        base_url=callers.server.base, headers=callers.headers(case.operation), checks=CHECKS
    )


quick = fuzz_schema(max_examples=25, phases=["examples", "fuzzing"])
long = fuzz_schema(max_examples=400, phases=["examples", "coverage", "fuzzing"])


@quick.parametrize()
def test_no_generated_input_breaks_the_api(case: Any, callers: Callers) -> None:
    run_case(case, callers)


@pytest.mark.slow
@long.parametrize()
def test_no_generated_input_breaks_the_api_long_run(case: Any, callers: Callers) -> None:
    run_case(case, callers)
