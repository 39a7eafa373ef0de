"""The outbox: content-free notices to the recipient's own email, held, dropped and retried."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from relay.clock import FrozenClock
from relay.notify import outbox
from relay.notify.mailer import MAX_ATTEMPTS, Mailer, backoff_seconds, build_notification
from relay.notify.outbox import LEASE, SendReport, claim_due, run_outbox, send_due
from tests.conftest import VAULTS, World, add_party, all_vault_values
from tests.delivery.conftest import (
    SmtpServer,
    deliver,
    free_port,
    notifications,
    parse,
    relay_of,
    smtp_settings,
)

APOLOGY = "I am sorry for what I did on the bus. I think about it every day."
REPLY = "Thank you for writing. I would like to hear more about why it happened."


async def test_each_delivered_item_notifies_the_recipient_and_reveals_nothing(
    world: World, smtp: SmtpServer, mailer: Mailer
) -> None:
    to_harmed = await deliver(world, world.responsible, APOLOGY)
    to_responsible = await deliver(world, world.harmed, REPLY)

    report = await send_due(relay_of(world), mailer)

    assert (report.sent, report.failed, report.retrying) == (2, 0, 0)
    rows = {row["item_id"]: row for row in await notifications(world)}
    expected_to = {
        to_harmed: VAULTS["harmed"]["email"],
        to_responsible: VAULTS["responsible"]["email"],
    }
    raws = smtp.inbox.raw()
    assert len(raws) == 2
    for envelope, raw in zip(smtp.inbox.envelopes, raws, strict=True):
        message = parse(raw)
        item_id = next(
            i for i, n in rows.items() if message["Message-ID"] == f"<{n['id']}@localhost>"
        )
        recipient = expected_to[item_id]
        assert envelope.rcpt_tos == [recipient]
        assert message["To"] == recipient
        assert raw.count(recipient.encode()) == 1  # in To: only
        forbidden = [v for v in all_vault_values() if v != recipient]
        forbidden += ["Alex", "Sam R", APOLOGY, REPLY, "bus", "CR/20431/25"]
        forbidden += [world.case_id, world.harmed_id, world.responsible_id, *rows]
        forbidden += ["harmed", "responsible", "letter"]
        text = raw.decode("utf-8", "replace").casefold()
        assert [word for word in forbidden if word.casefold() in text] == []
        assert rows[item_id]["state"] == "sent"
        assert rows[item_id]["attempts"] == 1


async def test_a_supporter_allowed_to_read_is_notified_at_their_own_address_only(
    world: World, smtp: SmtpServer, mailer: Mailer
) -> None:
    supporter = await add_party(
        world.api, world.specialist, world.case_id, "supporter", "Jo", supports=world.harmed_id
    )
    await deliver(world, world.responsible, APOLOGY)  # before the harmed party allowed it
    await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/supporter-access",
        world.specialist,
        {"read": True},
    )
    second = await deliver(world, world.responsible, REPLY)
    await deliver(world, world.harmed, REPLY)  # to the other side: its principal only

    assert (await send_due(relay_of(world), mailer)).sent == 4
    to_supporter = [n for n in await notifications(world) if n["participant_id"] == supporter["id"]]
    assert [n["item_id"] for n in to_supporter] == [second]
    addresses = sorted(tuple(e.rcpt_tos) for e in smtp.inbox.envelopes)
    assert addresses == sorted(
        [
            (VAULTS["harmed"]["email"],),
            (VAULTS["harmed"]["email"],),
            (VAULTS["supporter"]["email"],),
            (VAULTS["responsible"]["email"],),
        ]
    )
    for raw in smtp.inbox.raw():
        text = raw.decode("utf-8", "replace")
        assert VAULTS["supporter"]["name"] not in text and "Jo" not in text
        assert APOLOGY not in text and REPLY not in text


async def test_a_sent_notification_is_not_sent_again(
    world: World, smtp: SmtpServer, mailer: Mailer
) -> None:
    await deliver(world, world.responsible, APOLOGY)
    await send_due(relay_of(world), mailer)
    again = await send_due(relay_of(world), mailer)

    assert again.sent == 0
    assert smtp.inbox.count() == 1


async def test_pause_holds_notifications_until_the_case_resumes(
    world: World, smtp: SmtpServer, mailer: Mailer
) -> None:
    await deliver(world, world.responsible, APOLOGY)
    await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)

    held = await send_due(relay_of(world), mailer)

    assert held.sent == 0
    assert smtp.inbox.count() == 0
    assert [n["state"] for n in await notifications(world)] == ["queued"]

    await world.api.ok("POST", f"/cases/{world.case_id}/activate", world.specialist)
    resumed = await send_due(relay_of(world), mailer)

    assert resumed.sent == 1
    assert smtp.inbox.count() == 1


async def test_withdrawal_drops_queued_notifications(
    world: World, smtp: SmtpServer, mailer: Mailer
) -> None:
    await deliver(world, world.responsible, APOLOGY)
    await world.api.ok("POST", "/me/withdraw", world.harmed)

    report = await send_due(relay_of(world), mailer)

    assert report.sent == 0
    assert smtp.inbox.count() == 0
    assert [n["state"] for n in await notifications(world)] == ["dropped"]
    case = await world.api.ok("GET", f"/cases/{world.case_id}", world.specialist)
    assert case["notifications"] == {"queued": 0, "sent": 0, "failed": 0, "dropped": 1}


async def test_refused_connections_back_off_then_fail_visibly(
    world: World, clock: FrozenClock
) -> None:
    relay = relay_of(world)
    nowhere = Mailer(smtp_settings(free_port()))  # nothing listens: connection refused
    await deliver(world, world.responsible, APOLOGY)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await send_due(relay, nowhere)
        [row] = await notifications(world)
        assert row["attempts"] == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.retrying == 1
            assert row["state"] == "queued"
            retry_at = clock.now + timedelta(seconds=backoff_seconds(attempt))
            assert datetime.fromisoformat(row["next_attempt_at"]) == retry_at
            assert "Connect" in row["last_error"] or "refused" in row["last_error"]
            clock.set(retry_at - timedelta(seconds=1))
            assert (await send_due(relay, nowhere)).retrying == 0  # not due yet
            clock.set(retry_at)
        else:
            assert report.failed == 1
            assert row["state"] == "failed"

    clock.set(clock.now + timedelta(days=1))
    assert await send_due(relay, nowhere) == type(report)()  # given up: never tried again
    staff = await world.staff_token("sam")  # a day later: a new session
    case = await world.api.ok("GET", f"/cases/{world.case_id}", staff)
    assert case["notifications"] == {"queued": 0, "sent": 0, "failed": 1, "dropped": 0}
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", staff)
    failed = [e for e in audit["events"] if e["action"] == "notification.failed"]
    assert [e["details"] for e in failed] == [{"attempts": MAX_ATTEMPTS}]


async def test_backoff_doubles_from_thirty_seconds_up_to_an_hour() -> None:
    delays = [backoff_seconds(n) for n in range(1, MAX_ATTEMPTS + 1)]

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600]


async def test_staff_case_view_counts_notifications(
    world: World, smtp: SmtpServer, mailer: Mailer
) -> None:
    await deliver(world, world.responsible, APOLOGY)
    await send_due(relay_of(world), mailer)
    await deliver(world, world.harmed, REPLY)

    case = await world.api.ok("GET", f"/cases/{world.case_id}", world.specialist)

    assert case["notifications"] == {"queued": 1, "sent": 1, "failed": 0, "dropped": 0}


async def test_running_worker_mails_a_delivery_within_five_seconds(
    world: World, smtp: SmtpServer, mailer: Mailer
) -> None:
    stop = asyncio.Event()
    worker = asyncio.create_task(run_outbox(relay_of(world), mailer, stop))
    try:
        started = time.monotonic()
        await deliver(world, world.responsible, APOLOGY)
        await smtp.inbox.wait_for(1, timeout=5.0)
        latency = time.monotonic() - started
    finally:
        stop.set()
        await worker

    assert latency < 5.0  # DESIGN: within 5 s of delivery (the worker polls every second)
    assert [n["state"] for n in await notifications(world)] == ["sent"]


async def test_a_claim_left_by_a_worker_that_died_is_sent_again_once_its_lease_runs_out(
    world: World, smtp: SmtpServer, mailer: Mailer, clock: FrozenClock
) -> None:
    """Two `relay serve` on one database: one claims a notice, sends it and dies before
    recording it; the other sends it again after the lease, with the same Message-ID, once."""
    relay = relay_of(world)
    await deliver(world, world.responsible, APOLOGY)
    [claim] = await claim_due(relay, worker="died")
    await mailer.send(build_notification(claim.id, VAULTS["harmed"]["email"], mailer.settings))

    clock.set(clock.now + LEASE - timedelta(seconds=1))  # the dead worker's lease still runs
    assert await send_due(relay, mailer, worker="survivor") == SendReport()
    [row] = await notifications(world)
    assert (row["state"], row["attempts"], row["claimed_by"]) == ("queued", 0, "died")
    assert smtp.inbox.count() == 1

    clock.set(clock.now + timedelta(seconds=1))  # now it has run out
    assert await send_due(relay, mailer, worker="survivor") == SendReport(sent=1)
    clock.set(clock.now + 2 * LEASE)
    assert await send_due(relay, mailer, worker="third") == SendReport()

    raws = smtp.inbox.raw()
    assert len(raws) == 2
    assert {parse(raw)["Message-ID"] for raw in raws} == {f"<{claim.id}@localhost>"}
    assert [e.rcpt_tos for e in smtp.inbox.envelopes] == [[VAULTS["harmed"]["email"]]] * 2
    [row] = await notifications(world)
    assert (row["state"], row["attempts"], row["claimed_by"]) == ("sent", 1, None)
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    sent = [e for e in audit["events"] if e["action"] == "notification.sent"]
    assert [e["subject"] for e in sent] == [claim.id]


async def test_a_worker_that_took_over_a_claim_does_not_record_the_send_twice(
    world: World, smtp: SmtpServer, mailer: Mailer, clock: FrozenClock
) -> None:
    """The first worker was only slow: both sent, and each tries to record it; one event."""
    relay = relay_of(world)
    await deliver(world, world.responsible, APOLOGY)
    [claim] = await claim_due(relay, worker="slow")
    clock.set(clock.now + LEASE)
    assert [c.id for c in await claim_due(relay, worker="other")] == [claim.id]
    assert await send_due(relay, mailer, worker="slow") == SendReport()  # nothing due for it

    for worker in ("other", "slow"):  # each records its send of the same notice
        await relay.store.write(
            lambda tx, w=worker: outbox._record(
                relay, tx, claim=claim, worker=w, error=None, permanent=False
            )
        )

    [row] = await notifications(world)
    assert (row["state"], row["attempts"]) == ("sent", 1)
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    assert [e["action"] for e in audit["events"]].count("notification.sent") == 1
