"""The hash chain: how a row's hash is made, and the scan that checks a run of rows.

``row_hash = SHA-256(prev_hash || be64(seq) || SHA-256(utf8(body)))`` with ``prev_hash`` of the
first event equal to 32 zero bytes (genesis). This module knows nothing about databases: the
verifier feeds it ``(seq, body, prev_hash, row_hash)`` tuples in ``seq`` order, and it reports the
first problem in the order of ``reference/security.md`` §4.3.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from hashlib import sha256

HASH_SIZE = 32
GENESIS_HASH = bytes(HASH_SIZE)


def body_digest(body: str) -> bytes:
    """SHA-256 of the body's UTF-8 bytes."""
    return sha256(body.encode("utf-8")).digest()


def link_hash(prev_hash: bytes, seq: int, body: str) -> bytes:
    """The hash of event ``seq`` with ``body``, chained to ``prev_hash``."""
    return sha256(prev_hash + seq.to_bytes(8, "big") + body_digest(body)).digest()


class ProblemKind(StrEnum):
    BAD_CHECKPOINT = "bad_checkpoint"
    MISSING_CHECKPOINT = "missing_checkpoint"
    GAP = "gap"
    BROKEN_LINK = "broken_link"
    CONTENT_CHANGED = "content_changed"
    COLUMNS_CHANGED = "columns_changed"
    REWRITTEN = "rewritten_before_checkpoint"
    TRUNCATED = "truncated_after_checkpoint"
    HEAD_MISMATCH = "head_mismatch"


@dataclass(frozen=True)
class Problem:
    """The first thing found wrong; ``seq`` is where, when it is a place in the chain."""

    kind: ProblemKind
    message: str
    seq: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True)
class Anchor:
    """A position in the chain: the last sequence number and the hash there."""

    seq: int
    hash: bytes


GENESIS = Anchor(0, GENESIS_HASH)

#: A row as the scan reads it: (seq, body, prev_hash, row_hash).
Row = tuple[int, str, bytes, bytes]


def short(value: bytes) -> str:
    return value.hex()[:16]


class ChainScan:
    """Checks rows fed in ``seq`` order, from ``start``, against the checkpoints' hashes.

    ``start`` is genesis or a verified checkpoint; in the second case the first row fed must be
    the checkpoint's own row, whose hash must equal the checkpoint's. ``checkpoints`` are
    ``(seq, hash)`` pairs already proven authentic (signatures checked); those at or before
    ``start`` are ignored. The scan stops at the first problem: later calls return it again.
    """

    def __init__(self, start: Anchor, checkpoints: Iterable[Anchor]) -> None:
        self.start = start
        self.hash = start.hash
        self.expect = start.seq if start.seq > 0 else 1
        self._anchor_row = start.seq > 0
        self._pending = sorted((c for c in checkpoints if c.seq > start.seq), key=lambda c: c.seq)
        self._next = 0
        self.problem: Problem | None = None
        self.rows = 0

    @property
    def last(self) -> Anchor:
        """The position reached so far."""
        return Anchor(self.expect - 1, self.hash)

    def feed(self, rows: Iterable[Row]) -> Problem | None:
        """Check the next rows; returns the first problem found (and keeps it), or None."""
        if self.problem is not None:
            return self.problem
        h, expect, count = self.hash, self.expect, 0
        pending, nxt = self._pending, self._next
        next_cp = pending[nxt].seq if nxt < len(pending) else -1
        try:
            for seq, body, prev, row_hash in rows:
                count += 1
                if seq != expect:
                    return self._fail(
                        ProblemKind.GAP, f"expected seq {expect}, found {seq}", expect
                    )
                if self._anchor_row:
                    self._anchor_row = False
                    if row_hash != h:
                        return self._fail(
                            ProblemKind.REWRITTEN,
                            f"event {seq} no longer has the hash its checkpoint signed",
                            seq,
                        )
                    expect += 1
                    continue
                if prev != h:
                    return self._fail(ProblemKind.BROKEN_LINK, f"broken link at seq {seq}", seq)
                h = sha256(h + seq.to_bytes(8, "big") + sha256(body.encode()).digest()).digest()
                if h != row_hash:
                    return self._fail(
                        ProblemKind.CONTENT_CHANGED, f"content changed at seq {seq}", seq
                    )
                while seq == next_cp:
                    if pending[nxt].hash != h:
                        return self._fail(
                            ProblemKind.REWRITTEN,
                            f"the chain was rewritten before the checkpoint at seq {seq} "
                            f"(signed {short(pending[nxt].hash)}, chain {short(h)})",
                            seq,
                        )
                    nxt += 1
                    next_cp = pending[nxt].seq if nxt < len(pending) else -1
                expect += 1
            return None
        finally:
            self.hash, self.expect, self._next = h, expect, nxt
            self.rows += count

    def finish(self, head: Anchor | None) -> Problem | None:
        """After the last row: checkpoints beyond the end, then the head row."""
        if self.problem is not None:
            return self.problem
        end = self.expect - 1
        if self._anchor_row:
            return self._fail(
                ProblemKind.GAP, f"the checkpointed event {self.start.seq} is missing", end + 1
            )
        if self._next < len(self._pending):
            cp = self._pending[self._next]
            return self._fail(
                ProblemKind.TRUNCATED,
                f"the log ends at seq {end} but a checkpoint was signed at seq {cp.seq}",
                end + 1,
            )
        if head is None or head.seq != end or head.hash != self.hash:
            said = f"({head.seq}, {short(head.hash)})" if head else "nothing"
            return self._fail(
                ProblemKind.HEAD_MISMATCH,
                f"the head row says {said} but the chain ends at ({end}, {short(self.hash)})",
                end + 1,
            )
        return None

    def _fail(self, kind: ProblemKind, message: str, seq: int | None) -> Problem:
        self.problem = Problem(kind, message, seq)
        return self.problem


def scan(
    rows: Iterable[Row],
    *,
    head: Anchor | None,
    checkpoints: Sequence[Anchor] = (),
    start: Anchor = GENESIS,
) -> Problem | None:
    """Check a whole run of rows in one call (tests and small chains)."""
    chain = ChainScan(start, checkpoints)
    return chain.feed(rows) or chain.finish(head)
