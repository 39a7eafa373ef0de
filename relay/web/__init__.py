"""The web pages: the practitioner workspace (/staff/) and the participant portal (/me/).

Pages call the same domain functions as the JSON API; nothing here decides who may do what.
Each area is a sub-app with its own middleware, a sibling of the API's (relay/web/routes.py).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from relay.web.render import setup_templates
from relay.web.routes import setup_routes


def templates_dir() -> Path:
    """templates/ ships inside the wheel as relay/templates; in a checkout it is at the root."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def setup_web(app: web.Application) -> None:
    """The page routes (the root's own, and the /staff and /me sub-apps) and the templates
    that link them by name."""
    folder = templates_dir()
    pages = setup_routes(app, folder / "static")
    setup_templates(app, str(folder), pages)
