"""Routes have names, and links are built from them: no page or template types an address.

The API and the page areas are sibling sub-apps with their own middleware, so neither world's
authentication reaches the other, and no middleware reads the path to know where it runs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient

from relay.app import create_app
from relay.config import Config
from relay.web.urls import PAGES
from tests.conftest import World
from tests.web.conftest import Visitor

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "relay" / "web"
TEMPLATES = ROOT / "templates"
# The one module where page paths are written: the route table itself.
REGISTRATION = {WEB / "routes.py"}
# An address in markup: href="/...", action='/...', or a quoted "/me..." in an expression.
TEMPLATE_PATH = re.compile(
    r"""\b(?:href|action|src|formaction)\s*=\s*["']/|["']/(?:me|staff|static|api)\b"""
)
PATH_PATTERN = re.compile(r"request\.(?:rel_url\.)?path(?:_qs)?\s*(?:\.startswith|==|!=|in\b)")


def _app(config: Config) -> web.Application:
    return create_app(config)


def test_every_route_has_a_name(config: Config) -> None:
    routes = list(_app(config).router.routes())
    assert len(routes) > 100  # the sub-apps' routes are listed through their mount points
    unnamed = sorted((r.method, str(r.resource)) for r in routes if not r.name)
    assert unnamed == []


def test_page_route_names_are_unique_across_the_page_apps(config: Config) -> None:
    names = _app(config)[PAGES].names()
    assert len(names) == len(set(names))
    assert {"index", "static", "staff.home", "me.home"} <= set(names)


def test_the_contract_addresses_come_out_of_the_names(config: Config) -> None:
    pages = _app(config)[PAGES]
    assert str(pages.url("staff.login")) == "/staff/login"
    assert str(pages.url("me.login")) == "/me/login"
    assert str(pages.url("me.activate")) == "/me/activate"
    assert str(pages.url("staff.home")) == "/staff/"
    assert str(pages.url("me.home")) == "/me/"
    assert str(pages.url("staff.item", {"done": "claimed"}, id="itm_1")) == (
        "/staff/items/itm_1?done=claimed"
    )
    assert str(pages.url("static", filename="relay.css")) == "/static/relay.css"


def _paths_in_templates() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if TEMPLATE_PATH.search(line)
    ]


def _paths_in_module(path: Path) -> list[str]:
    """String literals (f-string pieces included) that start like an address."""
    tree = ast.parse(path.read_text("utf-8"))
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("/")
    ]


def test_no_template_writes_an_internal_address() -> None:
    assert _paths_in_templates() == []


def test_no_page_module_writes_an_internal_address() -> None:
    offenders = [
        found
        for path in sorted(WEB.glob("*.py"))
        if path not in REGISTRATION
        for found in _paths_in_module(path)
    ]
    assert offenders == []


def test_the_checks_see_a_typed_address(tmp_path: Path) -> None:
    assert TEMPLATE_PATH.search('<a href="/me/">')
    assert TEMPLATE_PATH.search("<form action='/staff/cases/{{ case.id }}/close'>")
    assert TEMPLATE_PATH.search('{{ p.file_list(files, "/staff/items/" ~ item.id) }}')
    assert not TEMPLATE_PATH.search("<a href=\"{{ url('me.home') }}\">")
    module = tmp_path / "page.py"
    module.write_text('def f(i):\n    return redirect(f"/me/items/{i}?done=x")\n')
    assert len(_paths_in_module(module)) == 1


def test_no_middleware_reads_the_path_to_know_its_world() -> None:
    modules = [ROOT / "relay" / "app.py", *sorted((ROOT / "relay" / "api").glob("*.py"))]
    modules += sorted(WEB.glob("*.py"))
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in modules
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if PATH_PATTERN.search(line)
    ]
    assert offenders == []
    assert PATH_PATTERN.search('if request.path.startswith("/api/"):')


async def test_an_api_token_opens_no_page(client: TestClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {world.specialist}"}
    response = await client.get("/staff/", headers=headers, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/login"


async def test_a_page_cookie_opens_no_api_route(client: TestClient, sam: Visitor) -> None:
    cookie = next(c for c in sam.client.session.cookie_jar if c.key == "relay_staff")
    response = await client.get("/api/v1/cases", headers={"Cookie": f"relay_staff={cookie.value}"})
    assert response.status == 401
    assert response.content_type == "application/problem+json"


async def test_errors_answer_in_the_world_they_happen(client: TestClient) -> None:
    api = await client.get("/api/v1/no-such-thing")
    assert api.status == 404 and api.content_type == "application/problem+json"
    page = await client.get("/staff/no-such-page")
    assert page.status == 404 and page.content_type == "text/html"
    assert "There is no page at this address." in await page.text()
    portal = await client.post("/me/withdraw", data={})
    assert portal.status == 403 and portal.content_type == "text/html"  # CSRF, as a page
