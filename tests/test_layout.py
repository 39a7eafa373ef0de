"""The architecture, checked: SQL and drivers live in relay/storage only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(
    r"\b(SELECT\s[^\"']*\bFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+[a-z_]+\s+SET|"
    r"CREATE\s+(TABLE|INDEX)|PRAGMA)\b"
)  # relay writes SQL keywords in capitals; prose such as "Select ... from" is not SQL
DRIVERS = {"sqlite3", "psycopg", "psycopg_pool", "aiosqlite", "asyncpg", "sqlalchemy"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_sql_outside_the_storage_package() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("relay", "moderation")
        for path in _modules(package)
        if "storage" not in path.relative_to(ROOT).parts
        for line, text in _strings(path)
        if SQL.search(text)
    ]
    assert offenders == []


def test_the_check_sees_sql_in_a_string() -> None:
    assert SQL.search("SELECT id FROM items WHERE id = ?")
    assert SQL.search("UPDATE items SET state = ?")
    assert not SQL.search("Select the letter you want to send from the list.")


def test_only_storage_imports_a_database_driver() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & DRIVERS)
        for package in ("relay", "moderation")
        for path in _modules(package)
        if "storage" not in path.relative_to(ROOT).parts and _imports(path) & DRIVERS
    }
    assert offenders == {}
