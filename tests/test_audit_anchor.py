"""The audit anchor moves only forward, even with several servers sharing keys/."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from relay.audit.anchor import Anchor, _move_forward, read_anchor, write_anchor


def test_an_older_anchor_never_overwrites_a_newer_one(tmp_path: Path) -> None:
    write_anchor(tmp_path, Anchor(10, "mac-10"))
    assert _move_forward(tmp_path, Anchor(5, "mac-5")) == Anchor(10, "mac-10")
    assert read_anchor(tmp_path) == Anchor(10, "mac-10")
    assert _move_forward(tmp_path, Anchor(12, "mac-12")) == Anchor(12, "mac-12")
    assert read_anchor(tmp_path) == Anchor(12, "mac-12")


def test_racing_writers_leave_the_newest_anchor(tmp_path: Path) -> None:
    anchors = [Anchor(n, f"mac-{n}") for n in range(1, 201)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda anchor: _move_forward(tmp_path, anchor), reversed(anchors)))
    assert read_anchor(tmp_path) == Anchor(200, "mac-200")


def test_a_damaged_anchor_is_left_for_verify_to_report(tmp_path: Path) -> None:
    (tmp_path / "audit.anchor").write_text("not an anchor")
    assert _move_forward(tmp_path, Anchor(3, "mac-3")) is None
    assert (tmp_path / "audit.anchor").read_text() == "not an anchor"
