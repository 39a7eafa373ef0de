"""Forms that carry a file: a scan or photo of a letter, sent as multipart/form-data.

The app keeps every request body under 256 KiB; a scan may be up to the domain's own limit
(`attachments.MAX_BYTES`). Only the routes named in `UPLOAD_ROUTES` read a larger body, and they
stream it: text fields are capped as the rest of the app caps them, and a file over the limit
is noted (not kept) so that the page can say so *and keep what the person typed*. Anything
beyond `DRAIN_LIMIT` is refused outright with 413.

Only a signed-in session's POST gets this far: the CSRF middleware refuses a request without a
session before a byte of its body is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDict, MultiDictProxy

from relay.domain import attachments, items
from relay.domain.actors import Actor
from relay.domain.errors import DomainError, NotFound, TooLarge
from relay.domain.hub import Relay

# Route names (see relay/web/routes.py) whose forms may carry a file.
UPLOAD_ROUTES = frozenset(
    {
        "me.write",
        "me.revise",
        "me.attachments",
        "staff.letters",
        "staff.attachments",
    }
)
MAX_TEXT = 256 * 1024  # all text fields together, as for any other form
DRAIN_LIMIT = 4 * attachments.MAX_BYTES  # past this we stop reading and answer 413
_CHUNK = 64 * 1024
# What aiohttp's form parsers raise on a malformed body (a bad boundary, a broken part header).
MALFORMED = (ValueError, AssertionError, HttpProcessingError)


class UnreadableForm(DomainError):
    status = 400
    title = "Something in the form was not right"


@dataclass(frozen=True, slots=True)
class Upload:
    """The file of a form: its bytes, or why there are none."""

    data: bytes = field(default=b"", repr=False)
    chosen: bool = False  # a file was chosen at all (browsers send an empty part otherwise)
    too_large: bool = False

    def problem(self) -> DomainError | None:
        return attachments.too_large() if self.too_large else None


UPLOAD = web.RequestKey("upload", Upload)


def is_upload(request: web.Request) -> bool:
    route = request.match_info.route
    return request.content_type == "multipart/form-data" and route.name in UPLOAD_ROUTES


async def _read_part(part: BodyPartReader, limit: int) -> tuple[bytes, int]:
    """Up to `limit` bytes of the part, and how many bytes it had in all."""
    kept = bytearray()
    total = 0
    while chunk := await part.read_chunk(_CHUNK):
        total += len(chunk)
        if total > DRAIN_LIMIT:
            raise TooLarge("That was too large to accept.")
        if len(kept) <= limit:
            kept += chunk[: limit + 1 - len(kept)]
    return bytes(kept), total


async def read_upload_form(
    request: web.Request, check_token: Callable[[object], None]
) -> tuple[MultiDictProxy[str], Upload]:
    """The text fields and the one file (field `file`) of a multipart form.

    `check_token` is called with the form's `csrf_token` before any file is read (pages put the
    token first; a file before it is refused): a forged form costs us no upload.
    """
    try:
        return await _read_form(request, check_token)
    except MALFORMED as exc:
        raise UnreadableForm("The form could not be read. Reload the page and try again.") from exc


async def _read_form(
    request: web.Request, check_token: Callable[[object], None]
) -> tuple[MultiDictProxy[str], Upload]:
    reader = await request.multipart()
    values: MultiDict[str] = MultiDict()
    upload = Upload()
    text_total = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise UnreadableForm("The form could not be read. Reload the page and try again.")
        if part.filename is not None:
            check_token(values.get("csrf_token"))
            if part.name != "file" or upload.chosen:
                await _read_part(part, 0)  # an unexpected file: read past it, keep nothing
                continue
            data, size = await _read_part(part, attachments.MAX_BYTES)
            if size == 0 and not part.filename:
                continue  # the file input was left empty
            if size > attachments.MAX_BYTES:
                upload = Upload(chosen=True, too_large=True)
            else:
                upload = Upload(data=data, chosen=True)
            continue
        raw, size = await _read_part(part, MAX_TEXT)
        text_total += size
        if text_total > MAX_TEXT:
            raise TooLarge("That was too long to accept. Please shorten it and try again.")
        try:
            text = raw.decode(part.get_charset(default="utf-8"))
        except (UnicodeDecodeError, LookupError) as exc:
            raise UnreadableForm("The form could not be read (it is not valid text).") from exc
        values.add(part.name or "", text)
    check_token(values.get("csrf_token"))
    return MultiDictProxy(values), upload


def upload_of(request: web.Request) -> Upload:
    """The form's file (an empty Upload when none was chosen or the form was not multipart)."""
    return request.get(UPLOAD) or Upload()


def attachment_number(request: web.Request) -> int:
    raw = request.match_info["n"]
    if not raw.isdigit() or len(raw) > 4 or int(raw) < 1:
        raise NotFound()
    return int(raw)


def file_response(found: attachments.AttachmentFile) -> web.Response:
    """A stored file as a download under its neutral name (as the API serves it): never
    rendered in our origin, nothing about the sender, the item or the time in the headers."""
    response = web.Response(body=found.data, content_type=found.media_type)
    headers = response.headers
    headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "no-store"
    headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def file_not_added(exc: DomainError, done: str) -> DomainError:
    """The letter was saved but its file refused: say both, keeping the refusal's status."""
    error = DomainError(f"{done} The file was not attached: {exc.detail}", **exc.extra)
    error.status = exc.status
    error.title = exc.title
    return error


async def revise_with_upload(
    relay: Relay, who: Actor, item_id: str, body: str, upload: Upload
) -> dict[str, object]:
    """Revise a returned letter with the form's file, if one was chosen, in one transaction:
    the changed letter never reaches a practitioner without its file, and a file that is
    refused leaves the letter as it was (the page shows why, like any other refusal)."""
    if problem := upload.problem():
        raise problem
    if not upload.chosen:
        return await items.revise_item(relay, who, item_id, body)
    return await attachments.revise_with_attachment(relay, who, item_id, body, upload.data)
