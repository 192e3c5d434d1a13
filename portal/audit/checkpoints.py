"""Signed checkpoints: Ed25519 statements of (sequence, chain head) from a key outside the database.

A checkpoint turns the chain from tamper-resistant into tamper-evident up to its sequence number:
whoever can rewrite the database can recompute every hash, but cannot sign a new head without the
private key, which lives in a file named by the settings (``PORTAL_CHECKPOINT_KEY``), never in the
database. The public key sits beside it (``<key>.pub``); the verifier needs only that.

Each checkpoint is stored in ``audit_checkpoint`` and, when ``PORTAL_CHECKPOINT_DIR`` is set, also
written as a JSON file there: a copy in another trust domain, so that deleting checkpoint rows
does not hide a truncation or a rewrite. The signed statement is the canonical JSON of
``{"hash": <head hex>, "key_id": ..., "seq": ..., "signed_at": <UTC time>}``.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from portal.audit import events
from portal.audit.chain import HASH_SIZE, Anchor
from portal.audit.events import canonical_json, format_time
from portal.audit.models import AuditCheckpoint
from portal.audit.recorder import lock_head, record
from portal.core.clock import db_now

KEY_ID_LENGTH = 16
_PEM_PUBLIC = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)
_FILE_NAME = re.compile(r"checkpoint-\d{12}\.json")


class KeyFileError(RuntimeError):
    """A checkpoint key file is missing, unreadable, of the wrong kind, or already exists."""


class CheckpointFileError(ValueError):
    """A file in the checkpoint directory is not a well-formed checkpoint."""


class CheckpointDirectoryError(RuntimeError):
    """The checkpoint directory cannot be listed: missing (an unmounted write-once mount looks
    like that), not a directory, or not readable. Not "nothing published": that would let a
    verifier pass without the checkpoints kept outside the database."""


def public_key_path(private_key_path: Path) -> Path:
    """Where the public key of ``private_key_path`` lives: the same name plus ``.pub``."""
    return private_key_path.with_name(private_key_path.name + ".pub")


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint: the first 16 hex digits of SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256(raw).hexdigest()[:KEY_ID_LENGTH]


def generate_key(path: Path) -> tuple[Path, str]:
    """Write a new private key to ``path`` (mode 0600) and its public key to ``path.pub``.

    Refuses to overwrite either file. Returns the public key's path and the key id.

    :raises KeyFileError: if either file already exists.
    """
    pub_path = public_key_path(path)
    for existing in (path, pub_path):
        if existing.exists():
            raise KeyFileError(f"{existing} already exists; refusing to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(path, private_pem, 0o600)
    _write_new(pub_path, public_pem, 0o644)
    return pub_path, key_id(private.public_key())


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite it") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)  # the umask may have narrowed it; never widened


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The signing key. :raises KeyFileError: if missing or not an Ed25519 private key."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise KeyFileError(f"cannot read the checkpoint key {path}: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return key


def load_public_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """Every public key in ``path`` by key id. The file may hold several PEM blocks: after a
    key rotation, keep the old public key in it so older checkpoints still verify.

    :raises KeyFileError: if missing, empty, or holding anything but Ed25519 public keys.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the public key {path}: {type(exc).__name__}") from None
    keys: dict[str, Ed25519PublicKey] = {}
    for block in _PEM_PUBLIC.findall(data):
        try:
            key = serialization.load_pem_public_key(block)
        except ValueError:
            raise KeyFileError(f"{path} holds a public key that cannot be read") from None
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFileError(f"{path} holds a key that is not Ed25519")
        keys[key_id(key)] = key
    if not keys:
        raise KeyFileError(f"{path} holds no public key")
    return keys


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as stored and as published."""

    seq: int
    head_hash: bytes
    signed_at: datetime
    key_id: str
    signature: bytes

    @property
    def anchor(self) -> Anchor:
        return Anchor(self.seq, self.head_hash)

    def statement(self) -> bytes:
        """The exact bytes that are signed."""
        return statement(self.seq, self.head_hash, self.signed_at, self.key_id)

    def signature_valid(self, public_keys: Mapping[str, Ed25519PublicKey]) -> bool:
        """True if a key in ``public_keys`` with this key id signed this statement."""
        key = public_keys.get(self.key_id)
        if key is None or len(self.head_hash) != HASH_SIZE:
            return False
        try:
            key.verify(self.signature, self.statement())
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.head_hash.hex(),
            "signed_at": format_time(self.signed_at),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: object) -> SignedCheckpoint:
        """:raises CheckpointFileError: if ``data`` is not a checkpoint."""
        try:
            if not isinstance(data, dict):
                raise TypeError("not an object")
            seq = data["seq"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                raise TypeError("seq")
            return cls(
                seq=seq,
                head_hash=bytes.fromhex(str(data["hash"])),
                signed_at=datetime.fromisoformat(str(data["signed_at"]).replace("Z", "+00:00")),
                key_id=str(data["key_id"]),
                signature=base64.b64decode(str(data["signature"]), validate=True),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointFileError(f"not a checkpoint ({type(exc).__name__})") from None


def statement(seq: int, head_hash: bytes, signed_at: datetime, kid: str) -> bytes:
    """The canonical statement a checkpoint signs."""
    body = {"hash": head_hash.hex(), "key_id": kid, "seq": seq, "signed_at": format_time(signed_at)}
    return canonical_json(body).encode("utf-8")


def sign(
    private_key: Ed25519PrivateKey, *, seq: int, head_hash: bytes, signed_at: datetime
) -> SignedCheckpoint:
    """Sign (seq, head_hash, signed_at) with ``private_key``."""
    kid = key_id(private_key.public_key())
    signature = private_key.sign(statement(seq, head_hash, signed_at, kid))
    return SignedCheckpoint(seq, head_hash, signed_at, kid, signature)


def take_checkpoint(session: Session, private_key: Ed25519PrivateKey) -> SignedCheckpoint:
    """Record a ``CHECKPOINT`` event, sign the chain head that ends with it and store the
    checkpoint, all in the caller's transaction; never commits.

    The event comes first so that every checkpoint has a sequence number of its own and the log
    shows when checkpoints were taken; the head lock taken by the recorder is held until commit,
    so nothing can slip in between the event and the signature.
    """
    record(events.checkpoint(key_id=key_id(private_key.public_key())))
    head = lock_head(session)
    checkpoint = sign(private_key, seq=head.seq, head_hash=head.hash, signed_at=db_now())
    session.execute(
        insert(AuditCheckpoint).values(
            seq=checkpoint.seq,
            head_hash=checkpoint.head_hash,
            signed_at=checkpoint.signed_at,
            key_id=checkpoint.key_id,
            signature=checkpoint.signature,
        )
    )
    return checkpoint


def write_checkpoint_file(checkpoint: SignedCheckpoint, directory: Path) -> Path:
    """Publish ``checkpoint`` as ``checkpoint-<seq>.json`` in ``directory`` (written whole, then
    renamed into place). An existing file for the same sequence number is never replaced."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"checkpoint-{checkpoint.seq:012d}.json"
    temporary = directory / f".{target.name}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(checkpoint.to_json(), sort_keys=True, indent=2) + "\n")
    try:
        os.link(temporary, target)  # fails if the target exists: never overwrite
    finally:
        temporary.unlink()
    return target


def read_checkpoint_files(directory: Path) -> list[SignedCheckpoint]:
    """Every checkpoint file in ``directory``.

    :raises CheckpointDirectoryError: when ``directory`` does not exist or cannot be listed.
    :raises CheckpointFileError: naming the first file that is not a checkpoint.
    """
    try:
        names = sorted(directory.iterdir())
    except OSError as exc:
        raise CheckpointDirectoryError(
            f"{directory} cannot be read ({type(exc).__name__})"
        ) from None
    found = []
    for path in names:
        if not _FILE_NAME.fullmatch(path.name):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            checkpoint = SignedCheckpoint.from_json(data)
        except (OSError, ValueError) as exc:
            raise CheckpointFileError(f"{path.name}: {exc}") from None
        if path.name != f"checkpoint-{checkpoint.seq:012d}.json":
            raise CheckpointFileError(f"{path.name} holds the checkpoint of seq {checkpoint.seq}")
        found.append(checkpoint)
    return found


def stored_checkpoints(connection: Connection | Session) -> list[SignedCheckpoint]:
    """Every checkpoint in ``audit_checkpoint``, oldest first."""
    rows = connection.execute(
        select(
            AuditCheckpoint.seq,
            AuditCheckpoint.head_hash,
            AuditCheckpoint.signed_at,
            AuditCheckpoint.key_id,
            AuditCheckpoint.signature,
        ).order_by(AuditCheckpoint.seq)
    )
    return [SignedCheckpoint(int(s), bytes(h), at, k, bytes(sig)) for s, h, at, k, sig in rows]


def latest_checkpoint(session: Session) -> SignedCheckpoint | None:
    """The newest stored checkpoint (for the IG status panel), or None."""
    row = session.execute(
        select(
            AuditCheckpoint.seq,
            AuditCheckpoint.head_hash,
            AuditCheckpoint.signed_at,
            AuditCheckpoint.key_id,
            AuditCheckpoint.signature,
        )
        .order_by(AuditCheckpoint.seq.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    seq, head_hash, signed_at, kid, signature = row
    return SignedCheckpoint(int(seq), bytes(head_hash), signed_at, kid, bytes(signature))


def merge(
    stored: Iterable[SignedCheckpoint], published: Iterable[SignedCheckpoint]
) -> tuple[list[SignedCheckpoint], list[tuple[str, int]]]:
    """Stored and published checkpoints together, by seq, with what does not agree.

    Returns the union and a list of ``(kind, seq)`` disagreements: ``"missing"`` for a published
    checkpoint that is no longer stored, ``"conflict"`` for two different checkpoints of one seq.
    """
    by_seq: dict[int, SignedCheckpoint] = {}
    issues: list[tuple[str, int]] = []
    for checkpoint in stored:
        by_seq[checkpoint.seq] = checkpoint
    extra: list[SignedCheckpoint] = []
    for checkpoint in published:
        known = by_seq.get(checkpoint.seq)
        if known is None:
            issues.append(("missing", checkpoint.seq))
            extra.append(checkpoint)
        elif known != checkpoint:
            issues.append(("conflict", checkpoint.seq))
            extra.append(checkpoint)
    union = sorted([*by_seq.values(), *extra], key=lambda c: c.seq)
    return union, sorted(issues, key=lambda issue: issue[1])
