"""Checkpoint keys, signatures and published files (no database)."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portal.audit.checkpoints import (
    CheckpointDirectoryError,
    CheckpointFileError,
    KeyFileError,
    SignedCheckpoint,
    generate_key,
    key_id,
    load_private_key,
    load_public_keys,
    merge,
    public_key_path,
    read_checkpoint_files,
    sign,
    statement,
    write_checkpoint_file,
)

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HEAD = bytes(range(32))


def test_generate_key_writes_0600_private_and_public_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "checkpoint.key"
    pub_path, kid = generate_key(path)
    assert pub_path == tmp_path / "keys" / "checkpoint.key.pub"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = load_private_key(path)
    assert key_id(private.public_key()) == kid
    assert list(load_public_keys(pub_path)) == [kid]
    assert b"PRIVATE" not in pub_path.read_bytes()


def test_generate_key_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    generate_key(path)
    before = (path.read_bytes(), public_key_path(path).read_bytes())
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        generate_key(path)
    path.unlink()  # even a lone public key is not replaced
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        generate_key(path)
    assert public_key_path(path).read_bytes() == before[1]


def test_loading_a_missing_or_wrong_key_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError):
        load_private_key(tmp_path / "none.key")
    (tmp_path / "empty.pub").write_text("nothing here")
    with pytest.raises(KeyFileError):
        load_public_keys(tmp_path / "empty.pub")


def test_a_public_key_file_may_hold_old_and_new_keys(tmp_path: Path) -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    pems = b"".join(
        k.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        for k in (old, new)
    )
    (tmp_path / "keys.pub").write_bytes(pems)
    keys = load_public_keys(tmp_path / "keys.pub")
    assert set(keys) == {key_id(old.public_key()), key_id(new.public_key())}
    assert sign(old, seq=1, head_hash=HEAD, signed_at=AT).signature_valid(keys)


def test_the_statement_is_canonical_json_of_seq_hash_time_and_key() -> None:
    text = statement(42, HEAD, AT, "abcd")
    assert json.loads(text) == {
        "hash": HEAD.hex(),
        "key_id": "abcd",
        "seq": 42,
        "signed_at": "2026-11-24T09:00:00.000000Z",
    }
    assert text == text.replace(b" ", b"")


def test_a_signature_covers_every_field() -> None:
    key = Ed25519PrivateKey.generate()
    keys = {key_id(key.public_key()): key.public_key()}
    good = sign(key, seq=9, head_hash=HEAD, signed_at=AT)
    assert good.signature_valid(keys)
    for changed in (
        SignedCheckpoint(10, good.head_hash, good.signed_at, good.key_id, good.signature),
        SignedCheckpoint(9, bytes(32), good.signed_at, good.key_id, good.signature),
        SignedCheckpoint(9, good.head_hash, AT + timedelta(seconds=1), good.key_id, good.signature),
        SignedCheckpoint(9, good.head_hash, good.signed_at, "0" * 16, good.signature),
        SignedCheckpoint(9, good.head_hash, good.signed_at, good.key_id, bytes(64)),
    ):
        assert not changed.signature_valid(keys)
    other = Ed25519PrivateKey.generate()
    assert not sign(other, seq=9, head_hash=HEAD, signed_at=AT).signature_valid(keys)


def test_published_files_round_trip_and_are_never_overwritten(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign(key, seq=7, head_hash=HEAD, signed_at=AT)
    path = write_checkpoint_file(signed, tmp_path / "published")
    assert path.name == "checkpoint-000000000007.json"
    assert read_checkpoint_files(tmp_path / "published") == [signed]
    with pytest.raises(FileExistsError):
        write_checkpoint_file(sign(key, seq=7, head_hash=bytes(32), signed_at=AT), path.parent)
    assert read_checkpoint_files(tmp_path / "published") == [signed]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind


def test_a_checkpoint_directory_that_cannot_be_listed_is_an_error_not_empty(
    tmp_path: Path,
) -> None:
    """An unmounted write-once mount must not read as "nothing was ever published"."""
    with pytest.raises(CheckpointDirectoryError, match="FileNotFoundError"):
        read_checkpoint_files(tmp_path / "absent")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CheckpointDirectoryError, match="NotADirectoryError"):
        read_checkpoint_files(tmp_path / "a-file")


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "[]",
        '{"seq": 7}',
        '{"seq": "7", "hash": "", "signed_at": "", "key_id": "", "signature": ""}',
    ],
)
def test_a_malformed_published_file_is_an_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "checkpoint-000000000007.json").write_text(content)
    with pytest.raises(CheckpointFileError):
        read_checkpoint_files(tmp_path)


def test_a_published_file_under_the_wrong_name_is_an_error(tmp_path: Path) -> None:
    signed = sign(Ed25519PrivateKey.generate(), seq=7, head_hash=HEAD, signed_at=AT)
    (tmp_path / "checkpoint-000000000008.json").write_text(json.dumps(signed.to_json()))
    with pytest.raises(CheckpointFileError):
        read_checkpoint_files(tmp_path)


def test_merge_reports_missing_and_conflicting_published_checkpoints() -> None:
    key = Ed25519PrivateKey.generate()
    a = sign(key, seq=1, head_hash=HEAD, signed_at=AT)
    b = sign(key, seq=2, head_hash=HEAD, signed_at=AT)
    b_other = sign(key, seq=2, head_hash=bytes(32), signed_at=AT)
    c = sign(key, seq=3, head_hash=HEAD, signed_at=AT)
    union, issues = merge([a, b], [a, b_other, c])
    assert issues == [("conflict", 2), ("missing", 3)]
    assert [x.seq for x in union] == [1, 2, 2, 3]
    assert merge([a, b], [a, b]) == ([a, b], [])
