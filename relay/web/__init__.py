"""The web pages: the practitioner workspace (/staff/) and the participant portal (/me/)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web


def templates_dir() -> Path:
    """templates/ ships inside the wheel as relay/templates; in a checkout it is at the root."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def setup_web(app: web.Application) -> None:
    """Register the page routes (the pages land with the web-interface issue)."""
