"""JSON handlers for letter attachments: raw-body uploads, neutral downloads.

An upload is the file's bytes as the request body (any Content-Type except multipart: the type
is decided from the content, never from what the client declares). The app's 256 KiB body limit
stays for every other route; these read the body themselves with their own cap.
"""

from __future__ import annotations

from aiohttp import web

from relay.api.auth import actor
from relay.api.requests import UnsupportedMediaType
from relay.domain import attachments
from relay.domain.access import party_only, staff_only
from relay.domain.actors import Actor
from relay.domain.errors import NotFound
from relay.http import RELAY

_CHUNK = 64 * 1024


async def read_upload(request: web.Request, limit: int) -> bytes:
    """The whole body, refusing (413) as soon as it passes `limit` bytes."""
    if request.content_type.startswith("multipart/"):
        raise UnsupportedMediaType(
            "Send the file itself as the request body (for example with Content-Type "
            "application/octet-stream), not as a form."
        )
    if request.content_length is not None and request.content_length > limit:
        raise attachments.too_large()
    received = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        received += chunk
        if len(received) > limit:
            raise attachments.too_large()
    return bytes(received)


def _n(request: web.Request) -> int:
    raw = request.match_info["n"]
    if not raw.isdigit() or len(raw) > 4 or int(raw) < 1:
        raise NotFound()
    return int(raw)


async def _upload(request: web.Request, who: Actor) -> web.Response:
    data = await read_upload(request, attachments.MAX_BYTES)
    result = await attachments.add_attachment(
        request.config_dict[RELAY], who, request.match_info["id"], data
    )
    return web.json_response(result, status=201)


async def upload_mine(request: web.Request) -> web.Response:
    """POST /me/items/{id}/attachments — the author adds a scan or photo."""
    return await _upload(request, party_only(actor(request)))


async def upload_staff(request: web.Request) -> web.Response:
    """POST /items/{id}/attachments — a practitioner adds the scan of a paper letter."""
    return await _upload(request, staff_only(actor(request)))


async def _download(request: web.Request, who: Actor) -> web.Response:
    found = await attachments.read_attachment(
        request.config_dict[RELAY], who, request.match_info["id"], _n(request)
    )
    response = web.Response(body=found.data, content_type=found.media_type)
    headers = response.headers
    # Always a download under a neutral name, never rendered in our origin; nothing about the
    # sender, the item or the time travels in the headers.
    headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "no-store"
    headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


async def download_mine(request: web.Request) -> web.Response:
    """GET /me/items/{id}/attachments/{n} — the author's side, or the recipient once opened."""
    return await _download(request, party_only(actor(request)))


async def download_staff(request: web.Request) -> web.Response:
    """GET /items/{id}/attachments/{n} — a practitioner's audited read."""
    return await _download(request, staff_only(actor(request)))


async def _remove(request: web.Request, who: Actor) -> web.Response:
    result = await attachments.remove_attachment(
        request.config_dict[RELAY], who, request.match_info["id"], _n(request)
    )
    return web.json_response(result)


async def remove_mine(request: web.Request) -> web.Response:
    return await _remove(request, party_only(actor(request)))


async def remove_staff(request: web.Request) -> web.Response:
    return await _remove(request, staff_only(actor(request)))
