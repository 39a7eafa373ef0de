"""The `relay` command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from relay.app import open_relay
from relay.audit import VerifyResult
from relay.audit import anchor as audit_anchor
from relay.audit.anchor import Anchor, AnchorUnreadable, read_anchor
from relay.config import Config, ConfigError
from relay.crypto import KEY_BYTES, KeyProblem, KeyStore
from relay.domain.actors import SYSTEM
from relay.domain.hub import Relay
from relay.domain.sessions import add_practitioner
from relay.passwords import MIN_PASSWORD
from relay.storage import StorageUnavailable, Store, Tx

T = TypeVar("T")


def _config(**overrides: object) -> Config:
    try:
        return Config.from_env(None, **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@contextlib.asynccontextmanager
async def _relay(config: Config) -> AsyncIterator[Relay]:
    try:
        relay = await open_relay(config)
    except (KeyProblem, StorageUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield relay
    finally:
        await relay.close()


def _run(work: Callable[[Relay], Awaitable[T]], config: Config | None = None) -> T:
    async def main() -> T:
        async with _relay(config or _config()) as relay:
            return await work(relay)

    return asyncio.run(main())


def _password(prompt: str) -> str:
    password = os.environ.get("RELAY_PASSWORD")
    if password is None:
        password = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"The password must be at least {MIN_PASSWORD} characters.")
    return password


async def _holds_a_relay(config: Config) -> bool:
    """PostgreSQL: whether the database already holds a relay's records (an audit event)."""
    # Nothing is opened or wrapped to look, so a throwaway key store stands in for the keys.
    stand_in = KeyStore(
        config.keys_dir, {1: secrets.token_bytes(KEY_BYTES)}, secrets.token_bytes(KEY_BYTES)
    )
    try:
        store = await Store(stand_in, path=config.db_path, url=config.database_url).open()
    except StorageUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        return await store.read(audit_anchor.head) is not None
    finally:
        await store.close()


def _already_initialised(config: Config) -> str | None:
    """Why `relay init` must not run again, if it must not."""
    if KeyStore.exists(config.keys_dir):
        return f"keys in {config.keys_dir} exist"
    if config.database_url is None:
        return f"{config.db_path} exists" if config.db_path.exists() else None
    if asyncio.run(_holds_a_relay(config)):
        return "the PostgreSQL database ($RELAY_DATABASE_URL) holds one"
    return None


@click.group()
def main() -> None:
    """relay: a moderated message relay for restorative justice."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@main.command()
@click.option("--username", required=True, help="Username of the first RJ specialist.")
def init(username: str) -> None:
    """Create the keys, the database and the first specialist."""
    config = _config()
    reason = _already_initialised(config)
    if reason is not None:
        raise click.ClickException(f"relay is already initialised ({reason}); nothing was changed.")
    password = _password("Password for the first specialist")
    KeyStore.create(config.keys_dir)

    async def work(relay: Relay) -> None:
        await add_practitioner(
            relay,
            None,
            username=username,
            password=password,
            role="specialist",
            display_name=username,
        )

    _run(work, config)
    database = config.db_path if config.database_url is None else "on PostgreSQL"
    click.echo(f"Initialised: database {database}, keys in {config.keys_dir}/ (mode 0600).")
    click.echo(f"Specialist {username!r} can sign in at /staff/login.")


@main.group()
def practitioner() -> None:
    """Manage practitioners."""


@practitioner.command("add")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["specialist", "volunteer"]), required=True)
@click.option("--display-name", default=None)
def practitioner_add(username: str, role: str, display_name: str | None) -> None:
    """Add a practitioner (password from $RELAY_PASSWORD or a prompt)."""
    password = _password(f"Password for {username}")

    async def work(relay: Relay) -> None:
        from relay.domain.errors import DomainError

        try:
            await add_practitioner(
                relay,
                None,
                username=username,
                password=password,
                role=role,
                display_name=display_name or username,
            )
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc

    _run(work)
    click.echo(f"Added {role} {username!r}.")


@main.command()
@click.option("--host", default=None, help="Default $RELAY_HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default $RELAY_PORT or 8080.")
def serve(host: str | None, port: int | None) -> None:
    """Serve the API and pages; run the outbox worker and the release scheduler."""
    from relay.server import serve as run_server

    config = _config(host=host, port=port)
    try:
        KeyStore.load(config.keys_dir)
    except KeyProblem as exc:
        raise click.ClickException(str(exc)) from exc
    if config.database_url is None and not config.db_path.exists():
        raise click.ClickException(f"{config.db_path} does not exist: run `relay init` first.")
    asyncio.run(run_server(config))


@main.command()
def demo() -> None:
    """Create a demo case with practitioners and participants; print their logins."""
    from relay.demo import create_demo

    for line in _run(create_demo):
        click.echo(line)


@main.group()
def keys() -> None:
    """Key operations."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a new master key and re-wrap every case's data key under it."""
    from relay.maintenance import count_data_keys, master_keys_in_use, rotate_keys

    async def work(relay: Relay) -> tuple[int, set[int], int]:
        total = await count_data_keys(relay)
        with click.progressbar(length=total, label="Re-wrapping data keys", file=sys.stderr) as bar:
            count = await rotate_keys(relay, bar.update)
        return count, await master_keys_in_use(relay), relay.keys.current_id

    count, in_use, current = _run(work)
    click.echo(f"Re-wrapped {count} data key(s) under master key {current:04d}.")
    retired = sorted(set(range(1, current)) - in_use)
    if retired:
        names = ", ".join(f"master-{n:04d}.key" for n in retired)
        click.echo(f"No data key uses {names} any more: back it up, then delete it to retire it.")


@main.group()
def audit() -> None:
    """The audit chain."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the chain; exit 1 naming the first bad event."""

    async def work(relay: Relay) -> VerifyResult:
        try:
            anchor = read_anchor(relay.keys.directory)
        except AnchorUnreadable as exc:
            return VerifyResult(False, 0, None, str(exc))
        return await relay.store.read(lambda tx: relay.audit.verify(tx, anchor))

    result = _run(work)
    if result.ok:
        click.echo(f"Audit chain holds: {result.checked} event(s) verified.")
        return
    click.echo(f"Audit chain broken at event {result.first_bad}: {result.reason}.", err=True)
    sys.exit(1)


@audit.command("reanchor")
def audit_reanchor() -> None:
    """After a deliberate restore from a backup: accept the log's end as it now is."""

    async def work(relay: Relay) -> tuple[int | None, int]:
        result = await relay.store.read(relay.audit.verify)
        if not result.ok:
            raise click.ClickException(
                f"Audit chain broken at event {result.first_bad}: {result.reason}. "
                "Nothing was changed."
            )
        try:
            previous = read_anchor(relay.keys.directory)
        except AnchorUnreadable:
            previous = None

        def record(tx: Tx) -> Anchor | None:
            relay.audit.append(
                tx,
                at=relay.now(),
                actor=SYSTEM,
                action="audit.reanchored",
                previous_anchor=previous.seq if previous else None,
            )
            return audit_anchor.head(tx)

        newest = await relay.store.write(record)
        assert newest is not None
        await asyncio.to_thread(audit_anchor.write_anchor, relay.keys.directory, newest)
        return (previous.seq if previous else None), newest.seq

    previous, now = _run(work)
    click.echo(
        f"The audit anchor moved from event {previous} to event {now} (recorded in the log)."
    )


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Write a consistent copy of the database to PATH (safe while serving).

    On PostgreSQL ($RELAY_DATABASE_URL) this runs `pg_dump --format=custom` with that URL (the
    PostgreSQL client tools must be installed); restore it with pg_restore.
    """
    from relay.maintenance import BackupFailed
    from relay.maintenance import backup as run_backup

    async def work(relay: Relay) -> None:
        try:
            await run_backup(relay, path)
        except (FileExistsError, BackupFailed) as exc:
            raise click.ClickException(str(exc)) from exc

    _run(work)
    click.echo(f"Backed up to {path}. Keys are not in the backup: back up keys/ separately.")


@main.group()
def retention() -> None:
    """Retention of ended cases."""


@retention.command("run")
def retention_run() -> None:
    """Destroy the data keys of cases that ended longer ago than the retention period."""
    from relay.maintenance import run_retention

    shredded = _run(run_retention)
    click.echo(f"Shredded {len(shredded)} case(s).")
