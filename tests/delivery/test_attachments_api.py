"""Letter attachments through the API: cleaned, moderated with their item, served neutrally."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from relay.domain.actors import Party
from relay.domain.attachments import MAX_BYTES, MAX_PER_ITEM, revise_with_attachment
from relay.domain.errors import Conflict, Invalid
from tests.conftest import World, all_vault_values
from tests.delivery.conftest import (
    CAMERA,
    PHOTOGRAPHER,
    approve,
    fetch,
    gps_photo,
    png_scan,
    relay_of,
    upload,
    write,
)

LETTER = "Here is the letter I wrote by hand, photographed."


def js_pdf() -> bytes:
    """A one-page PDF that runs JavaScript when opened."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    action = {
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert('hello');"),
    }
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def attach(world: World, token: str, item_id: str, data: bytes, kind: str) -> dict[str, Any]:
    status, body = await upload(world, f"/me/items/{item_id}/attachments", token, data, kind)
    assert status == 201, body
    return dict(body)


async def test_recipient_gets_the_photo_without_exif_or_gps_once_opened(world: World) -> None:
    api = world.api
    item_id = await write(world, world.responsible, LETTER)
    added = await attach(world, world.responsible, item_id, gps_photo(), "image/jpeg")
    assert (added["n"], added["media_type"], added["version"]) == (1, "image/jpeg", 2)
    path = f"/me/items/{item_id}/attachments/1"
    assert (await api.get(path, world.harmed))[0] == 404  # not delivered: not theirs to see

    staff_view = await api.ok("GET", f"/items/{item_id}", world.specialist)
    assert staff_view["attachments"] == [
        {"n": 1, "media_type": "image/jpeg", "size": added["size"]}
    ]
    await approve(world, item_id)
    inbox = await api.ok("GET", "/me/items", world.harmed)
    assert "attachments" not in inbox["received"][0]  # like the text: only once opened
    status, problem = await api.get(path, world.harmed)
    assert (status, problem["detail"]) == (
        409,
        "Open the letter first to see the files attached to it.",
    )

    opened = await api.ok("POST", f"/me/items/{item_id}/open", world.harmed)
    assert opened["attachments"] == staff_view["attachments"]
    status, headers, data = await fetch(world, path, world.harmed)

    assert status == 200
    assert headers["Content-Type"] == "image/jpeg"
    assert headers["Content-Disposition"] == 'attachment; filename="attachment-1.jpg"'
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    for header in ("Last-Modified", "ETag", "Content-Location"):
        assert header not in headers
    all_headers = " ".join(f"{k}: {v}" for k, v in headers.items())
    private = [*all_vault_values(), "Alex", "Sam R", item_id, world.case_id, world.responsible_id]
    assert [word for word in private if word in all_headers] == []
    for marker in (b"GPS", b"Exif", CAMERA.encode(), PHOTOGRAPHER.encode(), b"Acme"):
        assert marker not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (48, 32)
        assert len(image.getexif()) == 0
        assert "exif" not in image.info
        assert "comment" not in image.info


async def test_pdf_with_javascript_is_refused_with_a_clear_message(world: World) -> None:
    item_id = await write(world, world.responsible, LETTER)

    status, problem = await upload(
        world, f"/me/items/{item_id}/attachments", world.responsible, js_pdf(), "application/pdf"
    )

    assert status == 422
    assert world.api.last_headers["Content-Type"].startswith("application/problem+json")
    assert "contains JavaScript" in problem["detail"]
    assert "scan or photo" in problem["detail"]
    item = await world.api.ok("GET", f"/items/{item_id}", world.specialist)
    assert (item["attachments"], item["version"]) == ([], 1)


async def test_png_declared_as_pdf_is_stored_and_served_as_png(world: World) -> None:
    item_id = await write(world, world.responsible, LETTER)

    added = await attach(world, world.responsible, item_id, png_scan(), "application/pdf")
    status, headers, data = await fetch(
        world, f"/me/items/{item_id}/attachments/1", world.responsible
    )

    assert added["media_type"] == "image/png"
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"] == 'attachment; filename="attachment-1.png"'
    assert data.startswith(b"\x89PNG")


async def test_uploads_have_their_own_limit_and_json_keeps_256_kib(world: World) -> None:
    item_id = await write(world, world.responsible, LETTER)
    path = f"/me/items/{item_id}/attachments"

    big = b"\xff\xd8\xff" + bytes(MAX_BYTES)
    status, problem = await upload(world, path, world.responsible, big)
    assert status == 413
    assert problem["title"] == "Too large"

    async def streamed() -> AsyncIterator[bytes]:  # chunked: no Content-Length to check
        for _ in range(11):
            yield bytes(1024 * 1024)

    response = await world.api.client.post(
        "/api/v1" + path, data=streamed(), headers={"Authorization": f"Bearer {world.responsible}"}
    )
    assert response.status == 413

    # A scan well over 256 KiB is fine here...
    noisy = Image.effect_noise((700, 700), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 256 * 1024
    await attach(world, world.responsible, item_id, out.getvalue(), "image/png")
    # ...while every JSON route keeps the app's 256 KiB limit.
    status, _ = await upload(
        world,
        "/me/items",
        world.responsible,
        b'{"kind": "letter", "body": "' + b"a" * (300 * 1024) + b'"}',
        "application/json",
    )
    assert status == 413


async def test_a_form_upload_is_refused_with_what_to_do_instead(world: World) -> None:
    item_id = await write(world, world.responsible, LETTER)

    status, problem = await upload(
        world,
        f"/me/items/{item_id}/attachments",
        world.responsible,
        b"--x\r\n\r\n--x--",
        "multipart/form-data; boundary=x",
    )

    assert status == 415
    assert "request body" in problem["detail"]


async def test_only_the_author_attaches_and_only_before_a_decision(world: World) -> None:
    api = world.api
    item_id = await write(world, world.responsible, LETTER)
    mine = f"/me/items/{item_id}/attachments"

    assert (await upload(world, mine, world.harmed, png_scan()))[0] == 404
    status, _ = await upload(world, f"/items/{item_id}/attachments", world.specialist, png_scan())
    assert status == 409  # practitioners attach only to paper letters they entered
    assert (await upload(world, f"/items/{item_id}/attachments", world.harmed, png_scan()))[
        0
    ] == 403
    assert (await api.get(f"/items/{item_id}/attachments/1", world.harmed))[0] == 403

    await approve(world, item_id)
    status, problem = await upload(world, mine, world.responsible, png_scan())
    assert status == 409
    assert "before the letter is decided" in problem["detail"]


async def test_adding_a_file_makes_an_earlier_decision_stale(world: World) -> None:
    api = world.api
    item_id = await write(world, world.responsible, LETTER)
    seen = await api.ok("GET", f"/items/{item_id}", world.specialist)
    await attach(world, world.responsible, item_id, png_scan(), "image/png")

    status, body = await api.post(
        f"/items/{item_id}/decision",
        world.specialist,
        {"action": "approve", "version": seen["version"]},
    )

    assert status == 409
    assert body["current_version"] == seen["version"] + 1


async def test_author_removes_a_file_after_the_letter_is_returned(world: World) -> None:
    api = world.api
    item_id = await write(world, world.responsible, LETTER)
    await attach(world, world.responsible, item_id, gps_photo(), "image/jpeg")
    await attach(world, world.responsible, item_id, png_scan(), "image/png")
    item = await api.ok("GET", f"/items/{item_id}", world.specialist)
    await api.ok(
        "POST",
        f"/items/{item_id}/decision",
        world.specialist,
        {"action": "return", "version": item["version"], "note": "The photo shows a street."},
    )

    removed = await api.ok("DELETE", f"/me/items/{item_id}/attachments/1", world.responsible)
    await api.ok("POST", f"/me/items/{item_id}/revise", world.responsible, {"body": LETTER})

    assert removed["version"] == item["version"] + 2
    mine = await api.ok("GET", "/me/items", world.responsible)
    assert [a["n"] for a in mine["sent"][0]["attachments"]] == [2]  # numbers stay stable
    assert (await api.get(f"/me/items/{item_id}/attachments/1", world.responsible))[0] == 404
    rows = await relay_of(world).store.read(lambda tx: tx.rows("SELECT n FROM attachments"))
    assert [row[0] for row in rows] == [2]


async def test_paper_letter_scan_is_read_by_staff_with_an_audit_of_ids_only(world: World) -> None:
    api = world.api
    letter = await api.ok(
        "POST",
        f"/cases/{world.case_id}/items",
        world.specialist,
        {"on_behalf_of": world.responsible_id, "kind": "letter", "body": LETTER},
        status=201,
    )
    item_id = letter["id"]
    status, added = await upload(
        world, f"/items/{item_id}/attachments", world.specialist, gps_photo()
    )
    assert status == 201
    assert (await upload(world, f"/me/items/{item_id}/attachments", world.responsible, png_scan()))[
        0
    ] == 404

    status, headers, _ = await fetch(world, f"/items/{item_id}/attachments/1", world.specialist)
    assert status == 200
    assert headers["Content-Disposition"] == 'attachment; filename="attachment-1.jpg"'
    await approve(world, item_id)
    await api.ok("POST", f"/me/items/{item_id}/open", world.harmed)
    assert (await fetch(world, f"/me/items/{item_id}/attachments/1", world.harmed))[0] == 200

    audit = await api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    events = [e for e in audit["events"] if e["action"].startswith("attachment.")]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("attachment.added", "staff:sam"),
        ("attachment.read", "staff:sam"),
        ("attachment.read", f"party:{world.harmed_id}"),
    ]
    assert all(e["subject"] == item_id for e in events)
    assert {key for e in events for key in e["details"]} <= {"attachment", "n", "version"}
    assert events[0]["details"]["version"] == added["version"]


async def test_files_of_a_halted_item_never_reach_the_recipient(world: World) -> None:
    api = world.api
    item_id = await write(world, world.responsible, LETTER)
    await attach(world, world.responsible, item_id, png_scan(), "image/png")
    await api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
    await approve(world, item_id)  # approved while paused: waits
    await api.ok("POST", "/me/withdraw", world.harmed)

    item = await api.ok("GET", f"/items/{item_id}", world.specialist)
    assert item["state"] == "halted"
    assert (await api.get(f"/me/items/{item_id}/attachments/1", world.harmed))[0] == 404
    inbox = await api.ok("GET", "/me/items", world.harmed)
    assert inbox["received"] == []
    # The author still sees what they sent; nothing new can be attached.
    assert (await fetch(world, f"/me/items/{item_id}/attachments/1", world.responsible))[0] == 200
    status, _ = await upload(
        world, f"/me/items/{item_id}/attachments", world.responsible, png_scan()
    )
    assert status == 409


async def test_unknown_numbers_and_items_answer_404(world: World) -> None:
    item_id = await write(world, world.responsible, LETTER)
    for path in (
        f"/me/items/{item_id}/attachments/1",
        f"/me/items/{item_id}/attachments/0",
        f"/me/items/{item_id}/attachments/abc",
        f"/me/items/{item_id}/attachments/99999999999999999999",
        "/me/items/itm_nothing/attachments/1",
    ):
        assert (await world.api.get(path, world.responsible))[0] == 404, path


def _queue_view_lists_files(items: list[dict[str, Any]], item_id: str) -> list[Any]:
    return next(i["attachments"] for i in items if i["id"] == item_id)


async def test_queue_lists_each_items_files(world: World) -> None:
    item_id = await write(world, world.responsible, LETTER)
    await attach(world, world.responsible, item_id, png_scan(), "image/png")

    queue = await world.api.ok("GET", "/queue", world.specialist)

    assert [a["media_type"] for a in _queue_view_lists_files(queue["items"], item_id)] == [
        "image/png"
    ]


async def _returned(world: World, files: int = 0) -> tuple[str, int]:
    """A letter of the responsible party with `files` scans, returned to them; its version."""
    item_id = await write(world, world.responsible, LETTER)
    for _ in range(files):
        await attach(world, world.responsible, item_id, png_scan(), "image/png")
    item = await world.api.ok("GET", f"/items/{item_id}", world.specialist)
    returned = await world.api.ok(
        "POST",
        f"/items/{item_id}/decision",
        world.specialist,
        {"action": "return", "version": item["version"], "note": "Please say more."},
    )
    return item_id, int(returned["version"])


def _author(world: World) -> Party:
    return Party(id=world.responsible_id, case_id=world.case_id, role="responsible")


async def test_a_revision_with_a_file_lands_the_text_and_the_file_together(world: World) -> None:
    item_id, version = await _returned(world)

    revised = await revise_with_attachment(
        relay_of(world), _author(world), item_id, "The changed letter.", png_scan()
    )

    assert (revised["state"], revised["version"]) == ("pending", version + 2)
    item = await world.api.ok("GET", f"/items/{item_id}", world.specialist)
    assert (item["text"], item["version"]) == ("The changed letter.", version + 2)
    assert [a["media_type"] for a in item["attachments"]] == ["image/png"]
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    actions = [
        e["action"]
        for e in audit["events"]
        if e["subject"] == item_id and e["action"] != "item.read"  # the GET above is audited
    ]
    assert actions[-2:] == ["item.revised", "attachment.added"]


async def test_a_file_that_cannot_be_attached_leaves_the_letter_unrevised(world: World) -> None:
    item_id, version = await _returned(world, files=MAX_PER_ITEM)
    relay, author = relay_of(world), _author(world)

    with pytest.raises(Conflict, match=f"at most {MAX_PER_ITEM} files"):  # refused in the write
        await revise_with_attachment(relay, author, item_id, "The changed letter.", png_scan())
    with pytest.raises(Invalid, match="contains JavaScript"):  # refused while cleaning
        await revise_with_attachment(relay, author, item_id, "The changed letter.", js_pdf())

    item = await world.api.ok("GET", f"/items/{item_id}", world.specialist)
    assert (item["state"], item["version"], item["text"]) == ("returned", version, LETTER)
    assert len(item["attachments"]) == MAX_PER_ITEM
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    assert "item.revised" not in [e["action"] for e in audit["events"]]
