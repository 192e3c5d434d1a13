"""The chain scan on in-memory rows: each problem kind, in the order §4.3 reports them."""

from __future__ import annotations

import hashlib

import pytest

from portal.audit.chain import (
    GENESIS,
    GENESIS_HASH,
    Anchor,
    ChainScan,
    ProblemKind,
    Row,
    link_hash,
    scan,
)


def _chain(count: int) -> list[Row]:
    rows: list[Row] = []
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        body = f'{{"n":{seq},"note":"événement"}}'
        row_hash = link_hash(prev, seq, body)
        rows.append((seq, body, prev, row_hash))
        prev = row_hash
    return rows


def _head(rows: list[Row]) -> Anchor:
    return Anchor(rows[-1][0], rows[-1][3]) if rows else GENESIS


def _at(rows: list[Row], seq: int) -> Anchor:
    return Anchor(seq, rows[seq - 1][3])


def test_link_hash_is_sha256_of_prev_be64_seq_and_body_digest() -> None:
    body = '{"a":"é"}'
    expected = hashlib.sha256(
        bytes(32) + (7).to_bytes(8, "big") + hashlib.sha256(body.encode("utf-8")).digest()
    ).digest()
    assert link_hash(bytes(32), 7, body) == expected
    assert link_hash(bytes(32), 8, body) != expected  # the number is bound into the hash


def test_an_untouched_chain_passes_and_an_empty_log_is_genesis() -> None:
    rows = _chain(50)
    assert scan(rows, head=_head(rows), checkpoints=[_at(rows, 10), _at(rows, 50)]) is None
    assert scan([], head=GENESIS) is None


def test_a_deleted_row_is_a_gap() -> None:
    rows = _chain(20)
    problem = scan(rows[:9] + rows[10:], head=_head(rows))
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.GAP, 10)


def test_a_changed_prev_hash_is_a_broken_link() -> None:
    rows = _chain(20)
    seq, body, _prev, row_hash = rows[4]
    rows[4] = (seq, body, b"\x01" * 32, row_hash)
    problem = scan(rows, head=_head(rows))
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.BROKEN_LINK, 5)


def test_a_changed_body_is_changed_content() -> None:
    rows = _chain(20)
    seq, body, prev, row_hash = rows[6]
    rows[6] = (seq, body.replace("7", "8"), prev, row_hash)
    problem = scan(rows, head=_head(rows))
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.CONTENT_CHANGED, 7)


def test_a_rewrite_passes_the_chain_but_not_its_checkpoint() -> None:
    rows = _chain(30)
    checkpoints = [_at(rows, 25)]
    forged = rows[:11]
    prev = rows[10][3]
    for seq, body, _prev, _hash in rows[11:]:
        body = body.replace('"n"', '"m"')
        row_hash = link_hash(prev, seq, body)
        forged.append((seq, body, prev, row_hash))
        prev = row_hash
    assert scan(forged, head=_head(forged)) is None  # internally perfect
    problem = scan(forged, head=_head(forged), checkpoints=checkpoints)
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.REWRITTEN, 25)


def test_a_truncated_tail_with_its_head_moved_back_passes_without_checkpoints_only() -> None:
    rows = _chain(30)
    short = rows[:27]
    assert scan(short, head=_head(short)) is None
    problem = scan(short, head=_head(short), checkpoints=[_at(rows, 30)])
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.TRUNCATED, 28)


def test_a_head_that_disagrees_with_the_chain_is_reported() -> None:
    rows = _chain(10)
    for head in (Anchor(9, rows[8][3]), Anchor(10, b"\x00" * 32), None):
        problem = scan(rows, head=head)
        assert problem is not None
        assert problem.kind == ProblemKind.HEAD_MISMATCH


def test_the_first_problem_wins() -> None:
    rows = _chain(20)
    seq, body, prev, row_hash = rows[3]
    rows[3] = (seq, body + " ", prev, row_hash)  # content at 4
    del rows[12]  # gap at 13
    problem = scan(rows, head=None, checkpoints=[Anchor(20, b"\x00" * 32)])
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.CONTENT_CHANGED, 4)


def test_feeding_in_batches_equals_feeding_at_once() -> None:
    rows = _chain(100)
    checkpoints = [_at(rows, 33), _at(rows, 100)]
    chain = ChainScan(GENESIS, checkpoints)
    for start in range(0, 100, 7):
        assert chain.feed(rows[start : start + 7]) is None
    assert chain.finish(_head(rows)) is None
    assert chain.rows == 100
    assert chain.last == _head(rows)


@pytest.mark.parametrize("anchor_seq", [1, 40, 100])
def test_resuming_from_a_checkpoint_checks_its_row_and_everything_after(anchor_seq: int) -> None:
    rows = _chain(100)
    anchor = _at(rows, anchor_seq)
    tail = rows[anchor_seq - 1 :]
    assert scan(tail, head=_head(rows), start=anchor) is None
    seq, body, prev, _hash = tail[0]
    moved = [(seq, body, prev, b"\x03" * 32), *tail[1:]]
    problem = scan(moved, head=_head(rows), start=anchor)
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.REWRITTEN, anchor_seq)
    problem = scan(tail[1:], head=_head(rows), start=anchor)  # the anchored row is gone
    assert problem is not None
    assert problem.kind == ProblemKind.GAP
