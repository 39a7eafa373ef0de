"""Sign-in, sessions, logout and throttling."""

from __future__ import annotations

from datetime import timedelta

from relay.clock import FrozenClock
from relay.config import Config
from tests.conftest import PASSPHRASE, PASSWORD, Api, World


async def test_wrong_password_is_401_and_right_one_gives_a_token(api: Api) -> None:
    status, body = await api.post("/login", json={"username": "sam", "password": "nope"})
    assert status == 401
    assert body["detail"] == "The username or password is not right."
    status, body = await api.post("/login", json={"username": "ghost", "password": "nope"})
    assert (status, body["detail"]) == (401, "The username or password is not right.")
    status, body = await api.post("/login", json={"username": "sam", "password": PASSWORD})
    assert (status, body["role"]) == (200, "specialist")


async def test_logout_revokes_the_token(world: World) -> None:
    status, _ = await world.api.post("/logout", world.harmed)
    assert status == 204
    status, _ = await world.api.get("/me", world.harmed)
    assert status == 401
    status, _ = await world.api.post("/logout", world.specialist)
    assert status == 204
    status, _ = await world.api.get("/cases", world.specialist)
    assert status == 401


async def test_sessions_expire(world: World, clock: FrozenClock, config: Config) -> None:
    clock.set(clock.now + timedelta(seconds=config.session_ttl_seconds + 1))
    status, body = await world.api.get("/me", world.harmed)
    assert status == 401
    assert "expired" in body["detail"]


async def test_invite_code_works_once(world: World) -> None:
    status, _ = await world.api.post(
        "/party/activate", json={"code": world.codes["harmed"], "passphrase": PASSPHRASE}
    )
    assert status == 401


async def test_participant_logs_in_with_the_handle_from_activation(world: World) -> None:
    status, body = await world.api.post(
        "/party/login", json={"login": world.logins["harmed"], "passphrase": PASSPHRASE}
    )
    assert (status, body["role"]) == (200, "harmed")
    me = await world.api.ok("GET", "/me", body["token"])
    assert me["alias"] == "Alex"


async def test_repeated_failures_lock_the_account_with_429(api: Api, clock: FrozenClock) -> None:
    for _ in range(8):
        status, _ = await api.post("/login", json={"username": "val", "password": "wrong"})
        assert status == 401
    status, _body = await api.post("/login", json={"username": "val", "password": PASSWORD})
    assert status == 429
    assert int(api.last_headers["Retry-After"]) > 0
    clock.set(clock.now + timedelta(minutes=16))
    status, _ = await api.post("/login", json={"username": "val", "password": PASSWORD})
    assert status == 200


async def test_password_change_ends_every_session(world: World) -> None:
    from relay.domain.sessions import authenticate, change_password
    from relay.http import RELAY

    relay = world.api.client.app[RELAY]
    actor, _ = await authenticate(relay, world.specialist)
    await change_password(relay, actor, PASSWORD, "a brand new password")
    status, _ = await world.api.get("/cases", world.specialist)
    assert status == 401
