"""Pages through aiohttp_client: each `Visitor` is one browser with its own cookie jar."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from tests.conftest import PASSPHRASE, PASSWORD, World

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Reply:
    status: int
    text: str
    headers: dict[str, str]
    url: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Visitor:
    """One person's browser: cookies kept, the last page's CSRF token remembered."""

    client: TestClient
    csrf: str = ""
    pages: list[Reply] = field(default_factory=list)

    async def get(self, path: str) -> Reply:
        response = await self.client.get(path, allow_redirects=False)
        reply = Reply(response.status, await response.text(), dict(response.headers), path)
        self.pages.append(reply)
        found = _CSRF.search(reply.text)
        if found:
            self.csrf = found.group(1)
        return reply

    async def post(
        self, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None, **kw: Any
    ) -> Reply:
        """POST a form with the CSRF token of the last page (unless `csrf_token` is given)."""
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        if not any(name == "csrf_token" for name, _ in fields) and kw.get("csrf", True):
            fields.append(("csrf_token", self.csrf))
        response = await self.client.post(path, data=fields, allow_redirects=False)
        reply = Reply(response.status, await response.text(), dict(response.headers), path)
        self.pages.append(reply)
        found = _CSRF.search(reply.text)
        if found:
            self.csrf = found.group(1)
        return reply

    async def upload(
        self,
        path: str,
        data: dict[str, str] | None = None,
        file: bytes | None = None,
        *,
        csrf: bool = True,
    ) -> Reply:
        """POST a multipart form as a browser sends it: the CSRF token first, then the text
        fields, then the file input (empty, with no name, when no file was chosen)."""
        form = FormData()
        if csrf:
            form.add_field("csrf_token", self.csrf)
        for name, value in (data or {}).items():
            form.add_field(name, value)
        if file is None:
            form.add_field("file", b"", filename="", content_type="application/octet-stream")
        else:
            form.add_field(
                "file", io.BytesIO(file), filename="IMG_2041.png", content_type="image/png"
            )
        response = await self.client.post(path, data=form, allow_redirects=False)
        reply = Reply(response.status, await response.text(), dict(response.headers), path)
        self.pages.append(reply)
        found = _CSRF.search(reply.text)
        if found:
            self.csrf = found.group(1)
        return reply

    async def follow(self, reply: Reply) -> Reply:
        assert reply.status == 303, (reply.status, reply.text[:500])
        return await self.get(reply.location)


NewVisitor = Callable[[], Awaitable[Visitor]]


@pytest.fixture
def visitor(aiohttp_client: Any, client: TestClient) -> NewVisitor:
    """A factory of fresh browsers on the same server as `client`."""

    async def make() -> Visitor:
        return Visitor(await aiohttp_client(client.server))

    return make


async def staff_signed_in(visitor: NewVisitor, username: str = "sam") -> Visitor:
    person = await visitor()
    await person.get("/staff/login")
    reply = await person.post("/staff/login", {"username": username, "password": PASSWORD})
    assert reply.status == 303 and reply.location == "/staff/", reply.text[:300]
    await person.get("/staff/")
    return person


async def party_signed_in(visitor: NewVisitor, login: str) -> Visitor:
    person = await visitor()
    await person.get("/me/login")
    reply = await person.post("/me/login", {"login": login, "passphrase": PASSPHRASE})
    assert reply.status == 303 and reply.location == "/me/", reply.text[:300]
    await person.get("/me/")
    return person


@pytest.fixture
async def sam(visitor: NewVisitor) -> Visitor:
    return await staff_signed_in(visitor)


@pytest.fixture
async def harmed(visitor: NewVisitor, world: World) -> Visitor:
    return await party_signed_in(visitor, world.logins["harmed"])


@pytest.fixture
async def responsible(visitor: NewVisitor, world: World) -> Visitor:
    return await party_signed_in(visitor, world.logins["responsible"])
