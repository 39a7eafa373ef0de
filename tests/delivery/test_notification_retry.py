"""A practitioner queues again the notifications that gave up, once the mail is mended."""

from __future__ import annotations

from relay.clock import FrozenClock
from relay.notify.mailer import Mailer
from relay.notify.outbox import send_due
from tests.conftest import World, staff_login
from tests.delivery.conftest import (
    SmtpServer,
    deliver,
    give_up_notifying,
    notifications,
    relay_of,
)

APOLOGY = "I am sorry for what I did on the bus. I think about it every day."


def _retry_path(world: World) -> str:
    return f"/cases/{world.case_id}/notifications/retry"


async def test_a_failed_notification_retried_by_a_practitioner_is_sent(
    world: World, clock: FrozenClock, smtp: SmtpServer, mailer: Mailer
) -> None:
    await give_up_notifying(world, clock)
    answer = await world.api.ok("POST", _retry_path(world), world.specialist)
    assert answer == {"id": world.case_id, "requeued": 1}
    [row] = await notifications(world)
    assert (row["state"], row["attempts"], row["last_error"]) == ("queued", 0, None)

    report = await send_due(relay_of(world), mailer)
    assert report.sent == 1 and smtp.inbox.count() == 1
    case = await world.api.ok("GET", f"/cases/{world.case_id}", world.specialist)
    assert case["notifications"] == {"queued": 0, "sent": 1, "failed": 0, "dropped": 0}
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    retried = [e for e in audit["events"] if e["action"] == "notifications.retried"]
    assert [e["details"] for e in retried] == [{"count": 1}]


async def test_retrying_with_nothing_failed_is_a_clear_409_that_changes_nothing(
    world: World, smtp: SmtpServer, mailer: Mailer
) -> None:
    await deliver(world, world.responsible, APOLOGY)
    status, body = await world.api.post(_retry_path(world), world.specialist)
    assert status == 409 and "No notification has failed" in body["detail"]
    assert [n["state"] for n in await notifications(world)] == ["queued"]


async def test_a_paused_case_keeps_its_failed_notifications_until_it_is_active(
    world: World, clock: FrozenClock
) -> None:
    await give_up_notifying(world, clock)
    await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
    status, body = await world.api.post(_retry_path(world), world.specialist)
    assert status == 409 and "active" in body["detail"]
    assert [n["state"] for n in await notifications(world)] == ["failed"]


async def test_a_practitioner_outside_the_case_cannot_retry_or_learn_of_it(
    world: World, clock: FrozenClock
) -> None:
    await give_up_notifying(world, clock)
    volunteer = await staff_login(world.api, "val")  # not assigned to this case
    status, _ = await world.api.post(_retry_path(world), volunteer)
    assert status in (403, 404)
    status, _ = await world.api.post(_retry_path(world), world.harmed)
    assert status in (401, 403, 404)
    assert [n["state"] for n in await notifications(world)] == ["failed"]
