"""Victim-led delivery and the practitioner's daily workflow, by clicking, in chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, shot
from tests.browser.test_journey_in_browser import (
    VAULT,
    activate_party,
    open_newest_item,
    set_up_active_case,
    staff_sign_in,
    write,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
NOTE = "This letter talks about the night of the burglary."


def approve_newest(staff: Any, case_url: str, content_note: str = "") -> None:
    open_newest_item(staff, case_url)
    for mark in staff.locator("mark.finding").all():
        mark.click()
    if content_note:
        staff.get_by_label("Note Alex sees before opening it").fill(content_note)
    staff.get_by_role("button", name="Approve and deliver").click()
    expect(staff.get_by_role("status").first).to_contain_text("Approved and delivered")


def sign_in_as(page: Any, server: Server, username: str) -> None:
    staff_sign_in(page, Server(server.url, username, server.password, server.process))


def fits_a_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_recipient_declines_after_confirming_and_the_writer_sees_only_not_delivered(
    server: Server, new_page: Any
) -> None:
    staff = new_page()
    case_url, codes = set_up_active_case(staff, server)
    harmed = new_page()
    activate_party(harmed, server, codes["Alex"])
    responsible = new_page()
    activate_party(responsible, server, codes["Sam R"])
    write(responsible, "Alex", "Dear Alex, I have thought about what I did every day since.")
    approve_newest(staff, case_url, NOTE)

    harmed.goto(f"{server.url}/me/")
    harmed.get_by_role("link", name="Letter from Sam R").click()
    expect(harmed.locator(".content-note")).to_contain_text(NOTE)
    expect(harmed.locator("main")).not_to_contain_text("thought about what I did")
    expect(harmed.get_by_role("button", name="Open it now")).to_be_visible()
    expect(harmed.get_by_role("link", name="Keep it for later")).to_be_visible()
    shot(harmed, "letter-waiting")
    harmed.get_by_role("link", name="I do not want to read it").click()
    expect(harmed.locator("h1")).to_have_text("Do you want to decline this letter?")
    expect(harmed.locator("main")).to_contain_text("never be shown to you")
    shot(harmed, "decline-confirm")
    harmed.get_by_role("button", name="Yes, I do not want to read it").click()
    expect(harmed.get_by_role("status").first).to_contain_text("will not be shown to you")
    expect(harmed.locator("main")).not_to_contain_text("thought about what I did")

    responsible.goto(f"{server.url}/me/")
    expect(responsible.locator("main")).to_contain_text("Not delivered at this time")
    responsible.get_by_role("link", name="Your letter", exact=True).click()
    expect(responsible.locator(".status-box")).to_have_text(
        "It has not been delivered at this time."
    )
    assert "declin" not in responsible.locator("main").inner_text().lower()
    for page in (staff, harmed, responsible):
        assert page.errors == [] and page.dialogs == []


def test_a_second_practitioner_sees_the_claim_and_is_refused_calmly(
    server: Server, new_page: Any
) -> None:
    staff = new_page()
    case_url, codes = set_up_active_case(staff, server)
    token = staff.request.post(
        f"{server.url}/api/v1/login",
        data={"username": server.username, "password": server.password},
    ).json()["token"]
    for username, name in (("valerie", "Valerie V"), ("victor", "Victor V")):
        added = staff.request.post(
            f"{server.url}/api/v1/practitioners",
            headers={"Authorization": f"Bearer {token}"},
            data={
                "username": username,
                "password": server.password,
                "role": "volunteer",
                "display_name": name,
            },
        )
        assert added.status == 201, added.text()
        staff.goto(case_url)
        staff.get_by_label("Assign a practitioner (username)").fill(username)
        staff.get_by_role("button", name="Assign", exact=True).click()
        expect(staff.get_by_role("status").first).to_contain_text("is assigned")
    responsible = new_page()
    activate_party(responsible, server, codes["Sam R"])
    write(responsible, "Alex", "I would like to say sorry, properly.")

    first = new_page()
    sign_in_as(first, server, "valerie")
    open_newest_item(first, case_url)
    first.get_by_role("button", name="I’m reading this").click()
    expect(first.get_by_role("status").first).to_contain_text("now see that you are reading")
    expect(first.locator(".claim-box")).to_contain_text("You are reading this")

    second = new_page()
    sign_in_as(second, server, "victor")
    expect(second.locator("#queue-title ~ table")).to_contain_text("Valerie V")
    open_newest_item(second, case_url)
    expect(second.locator(".claim-box")).to_contain_text("Valerie V is reading this")
    expect(second.get_by_role("button", name="Take over")).to_have_count(0)
    second.get_by_role("button", name="Approve and deliver").click()
    alert = second.get_by_role("alert")
    expect(alert).to_contain_text("Another practitioner is working on this item.")
    expect(alert).to_contain_text("Nothing was changed")
    expect(second.locator("h1")).to_contain_text("Letter from Sam R")  # the item, not a dead end
    shot(second, "claimed-409")

    open_newest_item(staff, case_url)
    expect(staff.get_by_role("button", name="Take over")).to_be_visible()
    for page in (staff, first, second):
        assert page.errors == [] and page.dialogs == []


def test_the_workflow_pages_are_calm_on_a_desktop_and_a_phone(
    server: Server, new_page: Any
) -> None:
    staff = new_page()
    case_url, codes = set_up_active_case(staff, server)
    harmed = new_page()
    alex_login = activate_party(harmed, server, codes["Alex"])
    responsible = new_page()
    activate_party(responsible, server, codes["Sam R"])
    write(
        responsible,
        "Alex",
        "Dear Alex,\n\nI am sorry for the fear I caused you and your family. "
        "Call me on 07700 900123 if you want.\n\nSam",
    )
    approve_newest(staff, case_url, NOTE)
    harmed.goto(f"{server.url}/me/")
    harmed.get_by_role("link", name="Letter from Sam R").click()
    harmed.get_by_role("button", name="Open it now").click()
    harmed.goto(f"{server.url}/me/")
    write(harmed, "Sam R", "Sam,\n\nThank you for writing. I would like to ask you some questions.")
    approve_newest(staff, case_url)

    # The conference: consent to meet, preparation dates, the meeting.
    staff.goto(case_url)
    staff.get_by_role("link", name="Conference (meeting face to face)").click()
    for alias in ("Alex", "Sam R"):
        staff.get_by_label(f"Yes, {alias} agrees to meet").check()
        staff.get_by_role("button", name=f"Record for {alias}").click()
        expect(staff.get_by_role("status").first).to_contain_text("Consent to meet recorded")
    card = staff.locator("form.prep-card").filter(has_text="Alex")
    card.get_by_label("First preparation meeting").fill("2026-03-05")
    card.get_by_label("Support plan agreed").fill("2026-03-09")
    card.get_by_role("button", name="Save Alex's dates").click()
    expect(staff.get_by_role("status").first).to_contain_text("Preparation recorded")
    staff.get_by_label("Date", exact=True).fill("2026-04-14")
    staff.get_by_label("Time", exact=True).fill("10:30")
    staff.get_by_label("Venue").fill(VAULT["Alex"][3] + ", Cambridge")
    staff.get_by_label("Alex (person harmed)").check()
    staff.get_by_label("Sam R (person responsible)").check()
    staff.get_by_role("button", name="Save the meeting").click()
    expect(staff.get_by_role("alert")).to_contain_text("never at a participant's address")
    expect(staff.get_by_label("Date", exact=True)).to_have_value("2026-04-14")
    staff.get_by_label("Venue").fill("Room 2, Riverside Community Centre")
    staff.get_by_role("button", name="Save the meeting").click()
    expect(staff.get_by_role("status").first).to_contain_text("The meeting is saved")
    expect(staff.locator("main")).to_contain_text("Tuesday 14 April 2026 at 10:30")
    shot(staff, "conference")

    staff.goto(f"{case_url}/thread")
    expect(staff.locator(".thread-entry")).to_have_count(2)
    expect(staff.locator(".thread-entry").first).to_contain_text("Call me on [removed]")
    shot(staff, "thread", docs="thread.png")

    staff.goto(case_url)
    staff.get_by_text("Close the case").first.click()
    staff.get_by_label("Questions answered").check()
    staff.get_by_label("Apology given").check()
    staff.get_by_label("I want to close this case").check()
    staff.locator("form[action$='/close'] button").click()
    expect(staff.get_by_role("status").first).to_contain_text("The case is closed")
    staff.goto(f"{server.url}/staff/")
    expect(staff.locator(".bars .bar")).to_have_count(2)
    expect(staff.locator(".report")).to_contain_text("Median time from writing to delivery")
    shot(staff, "dashboard-chart", docs="dashboard.png")

    harmed.goto(f"{server.url}/me/")
    harmed.get_by_role("link", name="Download my correspondence").click()
    expect(harmed.locator("main")).to_contain_text("Call me on [removed] if you want.")
    expect(harmed.locator("main")).to_contain_text("Thank you for writing.")
    expect(harmed.get_by_role("button", name="Print or save as PDF")).to_be_visible()
    shot(harmed, "correspondence")
    harmed.emulate_media(media="print")
    expect(harmed.locator(".masthead")).to_be_hidden()
    shot(harmed, "correspondence-print")
    harmed.emulate_media(media="screen")

    # The same pages on a phone.
    phone_staff = new_page(viewport=PHONE, is_mobile=True)
    staff_sign_in(phone_staff, server)
    for path, name in (
        ("/staff/", "dashboard-phone"),
        (f"{case_url.removeprefix(server.url)}/thread", "thread-phone"),
        (f"{case_url.removeprefix(server.url)}/conference", "conference-phone"),
    ):
        phone_staff.goto(f"{server.url}{path}")
        fits_a_phone(phone_staff)
        shot(phone_staff, name)
    phone_harmed = new_page(viewport=PHONE, is_mobile=True)
    phone_harmed.goto(f"{server.url}/me/login")
    phone_harmed.get_by_label("Login name").fill(alex_login)
    phone_harmed.get_by_label("Passphrase").fill("a long quiet river")
    phone_harmed.get_by_role("button", name="Sign in").click()
    phone_harmed.goto(f"{server.url}/me/correspondence")
    fits_a_phone(phone_harmed)
    shot(phone_harmed, "correspondence-phone")
    for page in (staff, harmed, responsible, phone_staff, phone_harmed):
        assert page.errors == [] and page.dialogs == []
    for value in [v for values in VAULT.values() for v in values]:
        assert value not in harmed.content()
