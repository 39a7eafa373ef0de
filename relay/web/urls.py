"""Links and redirects of the pages, built from route names (relay/web/routes.py), never typed.

The pages live in three apps: the root (the front page, /static), and the sub-apps of the two
areas (/staff, /me). aiohttp keeps a sub-app's route names in the sub-app's own router, and a
page may link across areas (the front page to both sign-ins), so `Pages` looks a name up in each
of the three routers. In templates the same lookup is the `url('name', id=...)` global, with
aiohttp_jinja2's signature.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from yarl import URL

Part = str | int


class Pages:
    """Every named route of the page apps, by name."""

    def __init__(self, *apps: web.Application) -> None:
        self._routers = [app.router for app in apps]

    def names(self) -> list[str]:
        return [name for router in self._routers for name in router]

    def url(self, route_name: str, query_: Mapping[str, Part] | None = None, **parts: Part) -> URL:
        """The route's URL with `parts` filled in (and `query_` as its query string)."""
        for router in self._routers:
            if route_name in router:
                url = router[route_name].url_for(**{k: _part(k, v) for k, v in parts.items()})
                return url.with_query(query_) if query_ else url
        raise KeyError(f"no page route is named {route_name!r}")


def _part(key: str, value: object) -> str:
    # As aiohttp_jinja2's url(): a str or an int (a bool or an undefined template value is a bug).
    if isinstance(value, str) or type(value) is int:
        return str(value)
    raise TypeError(f"{key} should be a str or an int, not {type(value).__name__}")


PAGES = web.AppKey("pages", Pages)


def url(
    request: web.Request, route_name: str, query_: Mapping[str, Part] | None = None, **parts: Part
) -> URL:
    """The URL of a named page route, e.g. `url(request, "staff.item", id=item_id)`."""
    return request.config_dict[PAGES].url(route_name, query_, **parts)
