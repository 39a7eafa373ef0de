"""`relay demo`: a demo case, ready to click through, with its logins printed once."""

from __future__ import annotations

import secrets

from relay.domain import cases, gates, items, participants, sessions
from relay.domain.actors import Staff
from relay.domain.hub import Relay
from relay.storage import queue


def _passphrase() -> str:
    words = ["river", "lantern", "meadow", "harbour", "willow", "copper", "autumn", "pebble"]
    return "-".join(secrets.choice(words) for _ in range(4)) + f"-{secrets.randbelow(100)}"


PARTIES = {
    "harmed": (
        "Alex",
        {
            "name": "Alex Demo",
            "email": "alex@example.org",
            "phone": "07700 900001",
            "address": "1 Example Street, Cambridge CB1 1AA",
        },
    ),
    "responsible": (
        "Jordan",
        {
            "name": "Jordan Demo",
            "email": "jordan@example.net",
            "phone": "07700 900002",
            "address": "2 Example Road, Leeds LS1 1AA",
        },
    ),
}


async def _specialist(relay: Relay) -> Staff:
    """The specialist made by `relay init` (the first in the list)."""
    staff = await relay.store.read(queue.practitioners)
    first = next((p for p in staff if p.role == "specialist"), None)
    if first is None:
        raise RuntimeError("run `relay init` first")
    return Staff(first.id, first.username, "specialist")


async def _admitted_parties(
    relay: Relay, specialist: Staff, case_id: str
) -> list[participants.NewParticipant]:
    """Both principals added, consenting and assessed; the case admitted."""
    people = [
        await participants.add_participant(
            relay, specialist, case_id, role=role, alias=alias, vault=vault, supports=None
        )
        for role, (alias, vault) in PARTIES.items()
    ]
    for person in people:
        await gates.record_consent(relay, specialist, case_id, person.id, True)
        await gates.record_assessment(
            relay, specialist, case_id, person.id, "safe", "Demo assessment."
        )
    await gates.record_admission(relay, specialist, case_id, "Demo admission.")
    return people


async def create_demo(relay: Relay) -> list[str]:
    specialist = await _specialist(relay)
    volunteer_password = _passphrase()
    volunteer = "demo-volunteer"
    await sessions.add_practitioner(
        relay,
        specialist,
        username=volunteer,
        password=volunteer_password,
        role="volunteer",
        display_name="Demo Volunteer",
    )
    case = await cases.create_case(
        relay,
        specialist,
        crime_reference="DEMO/0001/26",
        modality="letters",
        risk_level="standard",
    )
    await cases.assign(relay, specialist, case.id, volunteer)
    harmed, responsible = await _admitted_parties(relay, specialist, case.id)
    await cases.activate(relay, specialist, case.id)
    lines = [f"Demo case {case.id} is active.", ""]
    lines.append(f"Practitioner (volunteer): username {volunteer}  password {volunteer_password}")
    lines.append(f"Specialist: username {specialist.username}  (the password given at init)")
    for label, person in (("Alex (harmed)", harmed), ("Jordan (responsible)", responsible)):
        passphrase = _passphrase()
        session, login = await sessions.party_activate(relay, person.invite_code, passphrase)
        if person is responsible:
            await items.write_item(
                relay,
                session.actor,
                kind="letter",
                body="Dear Alex,\n\nI have thought a lot about what I did. I am sorry. "
                "If you want to talk, my number is 07700 900002.\n\nJordan",
            )
        lines.append(f"Participant {label}: login {login}  passphrase {passphrase}")
    lines += ["", "Staff sign in at /staff/login, participants at /me/login."]
    return lines
