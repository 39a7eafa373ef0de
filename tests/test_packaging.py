"""`pip install .` must give a working relay: templates, static files and migrations ship in
the wheel, and the code finds them there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("relay-*.whl"))


def test_wheel_carries_templates_static_files_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").rglob("*"):
        if template.is_file():
            assert f"relay/templates/{template.relative_to(ROOT / 'templates')}" in names
    shipped = sorted((ROOT / "relay/storage/migrations").rglob("*.sql"))
    assert {m.parent.name for m in shipped} == {"sqlite", "postgresql"}
    for migration in shipped:
        assert f"{migration.relative_to(ROOT)}" in names
    assert "moderation/__init__.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "relay = relay.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_layout_finds_its_templates(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = (
        "from relay.web import templates_dir; from relay.storage.migrate import migrations; "
        "print(templates_dir()); print(len(migrations('sqlite')) + len(migrations('postgresql')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    folder, count = result.stdout.split()
    assert Path(folder) == tmp_path / "relay" / "templates"
    assert (Path(folder) / "base.html").is_file()
    assert int(count) == len(list((ROOT / "relay/storage/migrations").rglob("*.sql")))
