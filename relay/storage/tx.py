"""A transaction's handle: the only way statements reach the database.

A `Tx` exists only while its transaction runs, on a storage thread (see `store.py`): the
domain's transaction functions receive one and pass it to the aggregate modules beside this
one, which hold every SQL statement. SQL is written once, with `?` placeholders, in the subset
SQLite and PostgreSQL share; `Tx` rewrites placeholders for psycopg. A handle used after its
transaction ended raises `TransactionClosed`, so a function that leaks it cannot write outside
the writer's transaction.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from relay.crypto import CaseCipher
from relay.domain.errors import Invalid
from relay.storage.errors import Duplicate, StorageUnavailable, TransactionClosed

Params = Sequence[object]


class Row(Protocol):
    """A result row: by position (`row[0]`) or by column name (`row["state"]`)."""

    def __getitem__(self, key: int | str) -> Any: ...

    def keys(self) -> list[str]: ...


class PgRow:
    """psycopg's rows, shaped like `sqlite3.Row` so storage code reads the same on both."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[object]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[object]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._index)


def pg_row_factory(cursor: Any) -> Callable[[Sequence[object]], PgRow]:
    """A psycopg row factory giving `PgRow`s (one index per result, shared by its rows)."""
    description = cursor.description or ()
    index = {column.name: n for n, column in enumerate(description)}
    return functools.partial(PgRow, index)


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """`?` placeholders → psycopg's `%s` (and a literal `%` → `%%`), outside quoted text."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


class _Nothing:
    """The answer of a query that cannot match anything."""

    rowcount = 0

    def fetchall(self) -> list[Row]:
        return []

    def fetchone(self) -> Row | None:
        return None


_NOTHING = _Nothing()


class Ciphers(Protocol):
    def cipher(self, tx: Tx, case_id: str) -> CaseCipher: ...

    def forget(self, case_id: str) -> None: ...


class Tx:
    """Statements of one transaction (or one read) on one connection, on one thread."""

    __slots__ = (
        "_after",
        "_ciphers",
        "_conn",
        "_open",
        "_thread",
        "dialect",
        "memo",
        "writable",
    )

    def __init__(self, conn: Any, dialect: str, ciphers: Ciphers, *, writable: bool) -> None:
        self._conn = conn
        self._ciphers = ciphers
        self._open = True
        self._thread = threading.get_ident()
        self._after: list[Callable[[], None]] = []
        self.dialect = dialect  # "sqlite" | "postgresql"
        self.writable = writable
        # What storage learnt earlier in this same transaction (e.g. the audit chain's end, a
        # case key found still kept), so it is not asked of the database twice.
        self.memo: dict[tuple[str, str], object] = {}

    # -- statements -------------------------------------------------------------------------
    def _check(self) -> None:
        if not self._open or threading.get_ident() != self._thread:
            raise TransactionClosed("this transaction has ended; start another with the store")

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == "sqlite" else to_pyformat(sql)

    def _execute(self, sql: str, params: Params) -> Any:
        self._check()
        if self.dialect != "sqlite" and any(isinstance(p, str) and "\x00" in p for p in params):
            # PostgreSQL text cannot hold NUL: such a value matches nothing stored, and can
            # never be stored.
            if sql.lstrip()[:6].upper() == "SELECT":
                return _NOTHING
            raise Invalid("Text cannot contain a NUL character.")
        try:
            return self._conn.execute(self._sql(sql), tuple(params))
        except Exception as exc:
            raise translate(exc) from exc

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        rows: list[Row] = self._execute(sql, params).fetchall()
        return rows

    def one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        row: Row | None = self._execute(sql, params).fetchone()
        return row

    def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.one(sql, params)
        return None if row is None else row[0]

    def run(self, sql: str, params: Params = ()) -> int:
        """A statement that changes rows; the number of rows it changed."""
        self._require_write()
        count: int = self._execute(sql, params).rowcount
        return count

    def many(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement for each of `rows`."""
        self._require_write()
        self._check()
        try:
            if self.dialect == "sqlite":
                self._conn.executemany(sql, [tuple(r) for r in rows])
            else:
                with self._conn.cursor() as cursor:
                    cursor.executemany(to_pyformat(sql), [tuple(r) for r in rows])
        except Exception as exc:
            raise translate(exc) from exc

    def _require_write(self) -> None:
        if not self.writable:
            raise TransactionClosed("a read cannot change the database; use store.write")

    # -- keys and hooks ---------------------------------------------------------------------
    def cipher(self, case_id: str) -> CaseCipher:
        """The case's cipher (its data key unwrapped); storage modules seal and open with it."""
        self._check()
        return self._ciphers.cipher(self, case_id)

    def forget_cipher(self, case_id: str) -> None:
        """Drop the cached cipher once this transaction commits (its key was destroyed)."""
        self.after_commit(lambda: self._ciphers.forget(case_id))

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` (quick, no I/O) once this transaction has committed."""
        self._after.append(callback)

    def close(self) -> list[Callable[[], None]]:
        self._open = False
        return self._after


def translate(exc: BaseException) -> BaseException:
    """A driver's exception as a storage error (others pass through unchanged)."""
    if isinstance(exc, sqlite3.IntegrityError):
        if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
            return Duplicate(str(exc))
        return exc
    if isinstance(exc, sqlite3.OperationalError):
        return StorageUnavailable(f"could not use the database: {exc}")
    try:
        import psycopg
    except ImportError:  # PostgreSQL support not installed: nothing of psycopg's can be here
        return exc
    if isinstance(exc, psycopg.errors.UniqueViolation):
        return Duplicate(str(exc))
    if isinstance(exc, psycopg.OperationalError | psycopg.errors.AdminShutdown):
        return StorageUnavailable(f"could not use the database: {exc}")
    return exc
