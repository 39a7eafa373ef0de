"""The whole journey by clicking, in chromium, against a real `relay serve`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, shot

pytestmark = pytest.mark.browser

PASSPHRASE = "a long quiet river"
LETTER = (
    "Dear Alex,\n\nI am truly sorry for what I did to you and your family. "
    "I think about it every day.\nIf you want to talk, call me on 07700 900123.\n\nSam"
)
HOSTILE = (
    "<script>window.pwned = 1; alert('x')</script>"
    '<img src=x onerror="window.pwned = 2; alert(2)"> I am sorry.'
)
VAULT = {
    "Alex": ("Margaret Ellison", "maggie.ellison@example.org", "07700 900461", "14 Mill Road"),
    "Sam R": ("Dean Okafor", "dean.okafor77@example.net", "+44 7700 900982", "22 Histon Ave"),
}


def staff_sign_in(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/staff/login")
    page.get_by_label("Username").fill(server.username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/staff/")


def open_case(page: Any) -> str:
    page.get_by_role("link", name="Open a new case").click()
    page.get_by_label("Crime reference").fill("CR/77/26")
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("status")).to_contain_text("The case is open")
    return str(page.url.split("?")[0])


def add_participant(page: Any, role: str, alias: str) -> str:
    page.get_by_role("link", name="Add a participant").first.click()
    page.get_by_label(role).check()
    page.get_by_label("Alias").fill(alias)
    name, email, phone, address = VAULT[alias]
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email (for notifications)").fill(email)
    page.get_by_label("Phone").fill(phone)
    page.get_by_label("Postal address").fill(address)
    page.get_by_role("button", name="Add and create an invite code").click()
    code = page.locator("#invite-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", code)
    page.get_by_role("link", name="Back to the case").click()
    return str(code)


def person(page: Any, alias: str) -> Any:
    return page.locator("article.person").filter(has=page.locator("h3", has_text=alias))


def record_gates(page: Any, alias: str) -> None:
    person(page, alias).get_by_text(f"Consent and assessment for {alias}").click()
    person(page, alias).get_by_label("Consent given").check()
    person(page, alias).get_by_role("button", name="Record consent").click()
    expect(page.get_by_role("status").first).to_contain_text("Consent recorded")
    person(page, alias).get_by_text(f"Consent and assessment for {alias}").click()
    person(page, alias).get_by_label("Safe to proceed").check()
    person(page, alias).get_by_label("Assessment notes").fill("Prepared; no concerns.")
    person(page, alias).get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("status").first).to_contain_text("Assessment recorded")


def set_up_active_case(page: Any, server: Server) -> tuple[str, dict[str, str]]:
    staff_sign_in(page, server)
    case_url = open_case(page)
    codes = {
        "Alex": add_participant(page, "The person harmed", "Alex"),
        "Sam R": add_participant(page, "The person responsible", "Sam R"),
    }
    page.get_by_role("button", name="Activate the case").click()
    expect(page.get_by_role("alert")).to_contain_text("every gate is met")
    for alias in codes:
        record_gates(page, alias)
    page.get_by_text("Record the admission of responsibility").click()
    page.get_by_label("Admission notes (kept encrypted)").fill("Admitted at interview.")
    page.get_by_role("button", name="Record admission").click()
    expect(page.get_by_role("status").first).to_contain_text("Admission recorded")
    page.get_by_role("button", name="Activate the case").click()
    expect(page.get_by_role("status").first).to_contain_text("The case is active")
    return case_url, codes


def activate_party(page: Any, server: Server, code: str) -> str:
    page.goto(f"{server.url}/me/activate")
    page.get_by_label("Invite code").fill(code)
    page.get_by_label("Choose a passphrase").fill(PASSPHRASE)
    page.get_by_label("Type the passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Set up my page").click()
    login = page.locator("#login-handle").inner_text().strip()
    assert login.startswith("rj-")
    page.get_by_role("link", name="Go to your page").click()
    page.wait_for_url(f"{server.url}/me/")
    return str(login)


def write(page: Any, to: str, text: str) -> None:
    page.get_by_role("link", name=f"Write to {to}").click()
    page.get_by_label("Your words").fill(text)
    page.get_by_role("button", name="Send to my practitioner").click()
    expect(page.get_by_role("status").first).to_contain_text("with your practitioner")


def open_newest_item(page: Any, case_url: str) -> None:
    page.goto(case_url)
    page.locator("#items-title ~ table a[href^='/staff/items/']").last.click()
    expect(page.locator("h1")).to_contain_text("from")
    # item.js listens for selections once it has run; under load the heading can be there
    # before it has (a selection made earlier would go unnoticed, as the CI run once showed).
    page.wait_for_load_state("load")


def test_the_whole_journey_by_clicking(server: Server, new_page: Any) -> None:
    staff = new_page()
    case_url, codes = set_up_active_case(staff, server)
    shot(staff, "case-page")

    harmed = new_page()
    activate_party(harmed, server, codes["Alex"])
    responsible = new_page()
    activate_party(responsible, server, codes["Sam R"])
    shot(responsible, "portal-home")
    write(responsible, "Alex", LETTER)

    # The practitioner redacts the phone number from its highlight and approves.
    staff.goto(f"{server.url}/staff/")
    expect(staff.locator("#queue-title")).to_be_visible()
    shot(staff, "dashboard")
    open_newest_item(staff, case_url)
    mark = staff.locator("mark.finding", has_text="07700 900123")
    expect(mark).to_be_visible()
    approve = staff.get_by_role("button", name="Approve and deliver")
    preview = staff.locator("#preview")
    expect(preview).to_contain_text("07700 900123")
    mark.click()
    expect(mark).to_have_class(re.compile("is-redacted"))
    expect(preview).to_contain_text("call me on [removed].")
    expect(preview).not_to_contain_text("900123")
    staff.set_viewport_size({"width": 1280, "height": 1000})
    shot(staff, "item-page", docs="item-page.png")
    approve.click()
    expect(staff.get_by_role("status").first).to_contain_text("Approved and delivered")

    # Alex reads the redacted letter.
    harmed.goto(f"{server.url}/me/")
    expect(harmed.get_by_text("New, not opened yet")).to_be_visible()
    shot(harmed, "inbox", docs="inbox.png")
    harmed.get_by_role("link", name="Letter from Sam R").click()
    expect(harmed.locator("main")).not_to_contain_text("I am truly sorry")
    harmed.get_by_role("button", name="Open it now").click()
    letter = harmed.locator(".letter-text")
    expect(letter).to_contain_text("call me on [removed].")
    expect(letter).not_to_contain_text("900123")
    shot(harmed, "letter-opened")

    # Alex stops; Sam R is told only that it has ended.
    harmed.get_by_role("navigation").get_by_role("link", name="Your letters").click()
    harmed.get_by_role("link", name="What stopping means").click()
    expect(harmed.locator("main")).to_contain_text("not why, and not who stopped it")
    harmed.get_by_role("button", name="Stop the process").click()
    expect(harmed).to_have_url(f"{server.url}/me/withdraw")  # the checkbox is required
    harmed.get_by_label("I understand, and I want to stop.").check()
    harmed.get_by_role("button", name="Stop the process").click()
    expect(harmed.locator("h1")).to_have_text("You have stopped the process")
    responsible.goto(f"{server.url}/me/")
    expect(responsible.locator("main")).to_contain_text("This process has ended")
    expect(responsible.get_by_role("link", name="Write to Alex")).to_have_count(0)

    for page in (staff, harmed, responsible):
        assert page.errors == [] and page.dialogs == []
    for value in [v for values in VAULT.values() for v in values]:
        assert value not in responsible.content() and value not in harmed.content()


def test_selecting_words_redacts_exact_code_points_around_emoji(
    server: Server, new_page: Any
) -> None:
    staff = new_page()
    case_url, codes = set_up_active_case(staff, server)
    responsible = new_page()
    activate_party(responsible, server, codes["Sam R"])
    text = "🌧️ I think of 🏠 often.\nMy nickname is Dee, by the way."
    write(responsible, "Alex", text)
    open_newest_item(staff, case_url)
    # Select "Dee" as a person would, in the DOM's UTF-16 offsets.
    staff.evaluate(
        """() => {
            const letter = document.getElementById("letter");
            const walker = document.createTreeWalker(letter, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const at = node.data.indexOf("Dee");
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + 3);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    return;
                }
            }
        }"""
    )
    remove = staff.get_by_role("button", name="Remove the selected words")
    expect(remove).to_be_enabled()
    remove.click()
    start = text.index("Dee")  # a code-point offset, as Python counts
    expect(staff.locator("input[name=span]")).to_have_value(f"{start}-{start + 3}")
    expect(staff.locator("#preview")).to_contain_text("My nickname is [removed], by the way.")
    staff.get_by_role("button", name="Approve and deliver").click()
    expect(staff.get_by_role("status").first).to_contain_text("Approved and delivered")
    expect(staff.locator("#pane-delivered + .letter-text")).to_have_text(
        text.replace("Dee", "[removed]")
    )
    assert staff.errors == []


def test_a_finding_can_be_redacted_with_the_keyboard_and_without_script(
    server: Server, new_page: Any
) -> None:
    staff = new_page()
    case_url, codes = set_up_active_case(staff, server)
    responsible = new_page()
    activate_party(responsible, server, codes["Sam R"])
    write(responsible, "Alex", "Ring me on 07700 900123 if you like.")
    write(responsible, "Alex", "Or ring 07700 900124 instead.")
    open_newest_item(staff, case_url)
    staff.locator("mark.finding").first.focus()
    staff.keyboard.press("Enter")
    expect(staff.locator("#preview")).to_have_text("Or ring [removed] instead.")

    plain = new_page(java_script_enabled=False)
    staff_sign_in(plain, server)
    plain.goto(case_url)
    plain.locator("#items-title ~ table a[href^='/staff/items/']").first.click()
    plain.get_by_label("Remove it").check()
    plain.get_by_role("button", name="Preview").click()
    expect(plain.locator("#preview")).to_have_text("Ring me on [removed] if you like.")
    plain.get_by_role("button", name="Approve and deliver").click()
    expect(plain.get_by_role("status").first).to_contain_text("Approved and delivered")


def test_script_in_a_letter_is_shown_as_text_and_never_runs(server: Server, new_page: Any) -> None:
    staff = new_page()
    case_url, codes = set_up_active_case(staff, server)
    harmed = new_page()
    activate_party(harmed, server, codes["Alex"])
    responsible = new_page()
    activate_party(responsible, server, codes["Sam R"])
    write(responsible, "Alex", HOSTILE)
    responsible.get_by_role("link", name="Your letter", exact=True).click()
    expect(responsible.locator(".letter-text")).to_have_text(HOSTILE)

    open_newest_item(staff, case_url)
    expect(staff.locator("#letter")).to_have_text(HOSTILE)
    staff.get_by_role("button", name="Approve and deliver").click()
    expect(staff.get_by_role("status").first).to_contain_text("Approved and delivered")

    harmed.goto(f"{server.url}/me/")
    harmed.get_by_role("link", name="Letter from Sam R").click()
    harmed.get_by_role("button", name="Open it now").click()
    expect(harmed.locator(".letter-text")).to_have_text(HOSTILE)
    harmed.wait_for_load_state("networkidle")
    for page in (staff, harmed, responsible):
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.dialogs == []
        assert page.locator("main img").count() == 0


def test_the_portal_fits_a_phone_screen(server: Server, new_page: Any) -> None:
    staff = new_page()
    _case_url, codes = set_up_active_case(staff, server)
    phone = new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    activate_party(phone, server, codes["Alex"])
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    shot(phone, "portal-phone")
