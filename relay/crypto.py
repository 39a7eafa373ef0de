"""Envelope encryption: the only module that touches key material.

Each case has a random 256-bit data key. The database stores it wrapped twice (AES-GCM): inside,
by the case's own shred key, a file in keys/cases/; outside, by a master key in keys/. Neither
key is ever in the database. Destroying a case's data (crypto-shredding) deletes its shred key:
every copy of the wrapped data key that any database, dead row version, WAL segment or backup
still holds is then unopenable with everything left, without relying on the database to forget
(PostgreSQL keeps old row versions until VACUUM, and its WAL and base backups longer still).
Keys wrapped before shred keys existed (format w1: master key only) still open, and are
re-wrapped in the new format by `relay keys rotate`. Every field is encrypted under its case's data
key with associated data naming the case, table, row and field, so a ciphertext copied to
another row or case fails to decrypt instead of silently showing the wrong letter.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
_MASTER = re.compile(r"^master-(\d{4})\.key$")
AUDIT_KEY_FILE = "audit.key"
_WRAP_V1 = b"w1"  # master key only (before per-case shred keys)
_WRAP_VERSION = b"w2"  # shred key inside, master key outside
CASES_DIR = "cases"
_CASE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class KeyProblem(RuntimeError):
    """A key file is missing, malformed or too widely readable."""


class DecryptionFailed(RuntimeError):
    """A ciphertext could not be opened: wrong key, wrong binding, tampered, or shredded."""


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _read_secret(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise KeyProblem(
            f"key file {path} is missing: run `relay init` (or point RELAY_KEYS at your keys)"
        ) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblem(f"key file {path} is readable by group or others: run `chmod 600 {path}`")
    data = path.read_bytes()
    if len(data) != KEY_BYTES:
        raise KeyProblem(f"key file {path} is not a {KEY_BYTES}-byte key")
    return data


class KeyStore:
    """Master keys (newest wraps, any can unwrap) and the audit MAC key, loaded from a folder."""

    def __init__(self, directory: Path, masters: dict[int, bytes], audit_key: bytes) -> None:
        if not masters:
            raise KeyProblem(f"no master key in {directory}: run `relay init`")
        self.directory = directory
        self._masters = masters
        self.audit_key = audit_key

    def __repr__(self) -> str:  # never show key bytes
        return f"KeyStore({str(self.directory)!r}, masters={sorted(self._masters)})"

    @staticmethod
    def exists(directory: Path) -> bool:
        return (directory / AUDIT_KEY_FILE).exists() or any(
            _MASTER.match(p.name) for p in directory.glob("master-*.key")
        )

    @classmethod
    def create(cls, directory: Path) -> KeyStore:
        """Create a first master key and an audit key; refuse if any key is already there."""
        if directory.exists() and cls.exists(directory):
            raise KeyProblem(f"{directory} already holds keys; refusing to overwrite them")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_secret(directory / "master-0001.key", secrets.token_bytes(KEY_BYTES))
        _write_secret(directory / AUDIT_KEY_FILE, secrets.token_bytes(KEY_BYTES))
        return cls.load(directory)

    @classmethod
    def load(cls, directory: Path) -> KeyStore:
        if not directory.is_dir():
            raise KeyProblem(
                f"key folder {directory} does not exist: run `relay init` "
                "(or point RELAY_KEYS at your keys)"
            )
        masters = {}
        for path in directory.iterdir():
            match = _MASTER.match(path.name)
            if match:
                masters[int(match.group(1))] = _read_secret(path)
        if not masters:
            raise KeyProblem(f"no master key in {directory}: run `relay init`")
        return cls(directory, masters, _read_secret(directory / AUDIT_KEY_FILE))

    def derived_key(self, purpose: str) -> bytes:
        """A key for a service-wide purpose (not a case's content), derived with HKDF.

        It is derived from the audit key, which never rotates, with the purpose as context, so
        it is independent of the audit MAC and of every case's data key.
        """
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_BYTES,
            salt=None,
            info=b"relay/derived/" + purpose.encode(),
        )
        return hkdf.derive(self.audit_key)

    @property
    def current_id(self) -> int:
        return max(self._masters)

    def _load_new_masters(self) -> None:
        """Pick up master keys that `relay keys rotate` added while this process was running.

        Without this a running service would keep wrapping new cases' data keys under the old
        master key, and retiring that key after a rotation would make those cases unreadable.
        A file that cannot be read yet (still being written) is tried again next time.
        """
        for path in self.directory.glob("master-*.key"):
            match = _MASTER.match(path.name)
            if match and int(match.group(1)) not in self._masters:
                try:
                    self._masters[int(match.group(1))] = _read_secret(path)
                except KeyProblem:
                    continue

    def add_master(self) -> int:
        """Create the next master key file; it becomes the one that wraps."""
        self._load_new_masters()
        new_id = self.current_id + 1
        key = secrets.token_bytes(KEY_BYTES)
        _write_secret(self.directory / f"master-{new_id:04d}.key", key)
        self._masters[new_id] = key
        return new_id

    # -- per-case shred keys -------------------------------------------------------------
    def _case_key_path(self, case_id: str) -> Path:
        if not _CASE_ID.match(case_id):
            raise KeyProblem(f"not a case id: {case_id!r}")
        return self.directory / CASES_DIR / f"{case_id}.key"

    def _case_key(self, case_id: str, *, create: bool) -> bytes:
        path = self._case_key_path(case_id)
        if create and not path.exists():
            path.parent.mkdir(mode=0o700, exist_ok=True)
            # Written aside, then linked into place: a reader never sees a half-written key,
            # and if another process made it first, theirs is kept.
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            _write_secret(temporary, secrets.token_bytes(KEY_BYTES))
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
        try:
            return _read_secret(path)
        except KeyProblem as exc:
            if not path.exists():
                raise DecryptionFailed(
                    f"the shred key of case {case_id} has been destroyed"
                ) from exc
            raise

    def destroy_case_key(self, case_id: str) -> bool:
        """Crypto-shred: overwrite and delete the case's shred key; whether there was one."""
        path = self._case_key_path(case_id)
        try:
            fd = os.open(path, os.O_WRONLY)
        except FileNotFoundError:
            return False
        try:
            os.write(fd, bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        path.unlink()
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return True

    # -- wrapping -------------------------------------------------------------------------
    def wrap(self, case_id: str, data_key: bytes) -> bytes:
        """The data key sealed by the case's shred key (made on first use), then a master key."""
        self._load_new_masters()
        key_id = self.current_id
        aad = _wrap_aad(case_id)
        inner_nonce = secrets.token_bytes(NONCE_BYTES)
        inner = inner_nonce + AESGCM(self._case_key(case_id, create=True)).encrypt(
            inner_nonce, data_key, aad
        )
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self._masters[key_id]).encrypt(nonce, inner, aad)
        return _WRAP_VERSION + key_id.to_bytes(4, "big") + nonce + sealed

    def wrapped_with(self, blob: bytes) -> int:
        return int.from_bytes(blob[2:6], "big")

    def unwrap(self, case_id: str, blob: bytes) -> bytes:
        if blob[:2] not in (_WRAP_V1, _WRAP_VERSION):
            raise DecryptionFailed("unknown data-key format")
        key_id = self.wrapped_with(blob)
        if key_id not in self._masters:
            self._load_new_masters()
        master = self._masters.get(key_id)
        if master is None:
            raise KeyProblem(f"master key {key_id:04d} is needed but not in {self.directory}")
        nonce, sealed = blob[6 : 6 + NONCE_BYTES], blob[6 + NONCE_BYTES :]
        aad = _wrap_aad(case_id)
        try:
            opened = AESGCM(master).decrypt(nonce, sealed, aad)
            if blob[:2] == _WRAP_V1:
                return opened
            case_key = self._case_key(case_id, create=False)
            return AESGCM(case_key).decrypt(opened[:NONCE_BYTES], opened[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise DecryptionFailed(f"data key of case {case_id} does not open") from exc


def _wrap_aad(case_id: str) -> bytes:
    return b"relay/data-key/" + case_id.encode()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


@dataclass(frozen=True, slots=True)
class CaseCipher:
    """Encrypts the fields of one case under its data key, bound to (table, row, field)."""

    case_id: str
    data_key: bytes
    # The key schedule, made once: a new AESGCM per field doubled the cost of each seal.
    _aead: AESGCM = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_aead", AESGCM(self.data_key))

    def __repr__(self) -> str:
        return f"CaseCipher(case_id={self.case_id!r})"

    def _aad(self, table: str, row_id: str, field: str) -> bytes:
        return "\x1f".join((self.case_id, table, row_id, field)).encode()

    def seal(self, table: str, row_id: str, field: str, plaintext: str) -> bytes:
        return self.seal_bytes(table, row_id, field, plaintext.encode())

    def open(self, table: str, row_id: str, field: str, blob: bytes) -> str:
        return self.open_bytes(table, row_id, field, blob).decode()

    def seal_bytes(self, table: str, row_id: str, field: str, plaintext: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = self._aad(table, row_id, field)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open_bytes(self, table: str, row_id: str, field: str, blob: bytes) -> bytes:
        try:
            return self._aead.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], self._aad(table, row_id, field)
            )
        except (InvalidTag, ValueError) as exc:  # ValueError: a blob too short to be ours
            raise DecryptionFailed(f"{table}.{field} of {row_id} does not open") from exc

    def seal_json(self, table: str, row_id: str, field: str, value: object) -> bytes:
        return self.seal(table, row_id, field, json.dumps(value, separators=(",", ":")))

    def open_json(self, table: str, row_id: str, field: str, blob: bytes) -> object:
        return json.loads(self.open(table, row_id, field, blob))
