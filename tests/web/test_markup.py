"""Every page is well-formed, has unique ids and a label for every field."""

from __future__ import annotations

from html.parser import HTMLParser

import aiohttp_jinja2
from aiohttp.test_utils import TestClient

from tests.conftest import World
from tests.web.conftest import NewVisitor, Reply, party_signed_in, staff_signed_in

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
UNLABELLED = {"hidden", "submit", "button"}


class Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[tuple[str, bool]] = []  # (id, inside a <label>)
        self.problems: list[str] = []
        self.has_main = False
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "html":
            self.lang = attr.get("lang") or ""
        if tag == "main":
            self.has_main = True
        if "id" in attr:
            self.ids.append(str(attr["id"]))
        if tag == "label" and attr.get("for"):
            self.label_for.add(str(attr["for"]))
        if tag in ("input", "select", "textarea") and attr.get("type") not in UNLABELLED:
            self.fields.append((str(attr.get("id") or ""), "label" in self.stack))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()


def check(page: Reply) -> None:
    checker = Checker()
    checker.feed(page.text)
    checker.close()
    where = f"{page.url} ({page.status})"
    assert page.text.startswith("<!doctype html>"), where
    assert checker.lang == "en" and checker.has_main, where
    assert not checker.problems, (where, checker.problems)
    assert not checker.stack, (where, checker.stack)
    assert len(checker.ids) == len(set(checker.ids)), (where, sorted(checker.ids))
    for field_id, wrapped in checker.fields:
        assert wrapped or field_id in checker.label_for, (where, field_id)


async def test_every_template_compiles(client: TestClient) -> None:
    env = aiohttp_jinja2.get_env(client.app)
    names = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    assert len(names) >= 20
    for name in names:
        env.get_template(name)


async def test_every_page_is_well_formed_and_labelled(world: World, visitor: NewVisitor) -> None:
    api = world.api
    pending = await api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "Ring 07700 900123"}, 201
    )
    done = await api.ok(
        "POST", "/me/items", world.harmed, {"kind": "letter", "body": "Thank you."}, 201
    )
    decision = {"action": "approve", "version": 1}
    await api.ok("POST", f"/items/{done['id']}/decision", world.specialist, decision)
    anonymous = await visitor()
    for path in ("/staff/login", "/me/login", "/me/activate"):
        await anonymous.get(path)
    sam = await staff_signed_in(visitor)
    case = f"/staff/cases/{world.case_id}"
    for path in (
        "/staff/",
        "/staff/cases/new",
        case,
        f"{case}/participants/new",
        f"{case}/letters/new",
        f"/staff/items/{pending['id']}",
        f"/staff/items/{done['id']}",
        f"{case}/thread",
        f"{case}/conference",
        "/staff/reasons",
        "/staff/nowhere",
    ):
        await sam.get(path)
    await sam.follow(await sam.post(f"/staff/items/{pending['id']}/claim"))
    await sam.post(f"{case}/conference/meeting", {"date": "x"})
    await sam.post(f"{case}/participants/{world.harmed_id}/contact")
    await sam.post(f"/staff/items/{pending['id']}/decision", {"version": "1", "action": "approve"})
    harmed = await party_signed_in(visitor, world.logins["harmed"])
    responsible = await party_signed_in(visitor, world.logins["responsible"])
    for path in ("/me/write", "/me/preferences", "/me/withdraw", f"/me/items/{done['id']}"):
        await harmed.get(path)
    await harmed.get(f"/me/items/{pending['id']}")
    await responsible.get(f"/me/items/{done['id']}")
    await responsible.get(f"/me/items/{done['id']}/decline")
    await responsible.follow(await responsible.post(f"/me/items/{done['id']}/open"))
    await responsible.get("/me/correspondence")
    pages = anonymous.pages + sam.pages + harmed.pages + responsible.pages
    assert len(pages) >= 20
    for page in pages:
        if page.status != 303:
            check(page)


async def test_the_front_page_points_to_both_sign_ins(client: TestClient) -> None:
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    assert 'href="/me/login"' in page and 'href="/staff/login"' in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
